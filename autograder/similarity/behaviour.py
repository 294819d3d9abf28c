"""What a submission's answers did, for comparing students: its unexplained wrong numbers and its question 1 design.

Only numbers that could tell two students apart are kept: a question 2 quantity that is wrong, not
recognised as a catalogued mistake (which gives everyone who makes it the same numbers) and not
carried forward (which follows from another wrong quantity); right answers never count. Question 1's
design is kept in a canonical form, the same for every scaling of a unit's weights, every order of the
hidden units and either order of the two inputs, so that the reference's variants are one design.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from autograder.collect import Collected, call_key
from autograder.config import TestSpec
from autograder.judge.adder_weights import AdderWeights, read_adder_weights
from autograder.judge.verdict import Verdict
from autograder.kinds import KINDS

LSTM_CHECKS = ("lstm_bar", "lstm_weight")
MIN_DISTINCT = 3  # a wrong quantity with fewer distinct values (zeros, a constant) tells nobody apart


def wrong_numbers(
    outcomes: Sequence[tuple[TestSpec, Verdict]], forms: Sequence[Collected], counted: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Per test, the unexplained wrong values of the form that counted for question 2: {"2.2": {"quantity": "c",
    "problems": [call digest, ...], "values": [[...], ...]}}."""
    form = _counted_form("2", forms, counted)
    kept: dict[str, dict[str, Any]] = {}
    if form is None or form.lstm_problem is not None:
        return kept
    for spec, verdict in outcomes:
        data = verdict.data or {}
        if spec.check not in LSTM_CHECKS or data.get("status") != "wrong" or data.get("mistake"):
            continue
        quantity = str(data.get("quantity"))
        calls = list(KINDS[spec.check].calls(spec.params))
        values = [_values(form.replies.get(call_key(call)), quantity) for call in calls]
        if any(value is None for value in values):
            continue
        flat = [number for value in values for number in value or ()]
        if len(set(flat)) < MIN_DISTINCT:
            continue
        kept[spec.number or spec.name] = {
            "quantity": quantity,
            "problems": [_digest(call_key(call)) for call in calls],
            "values": values,
        }
    return kept


def _counted_form(question: str, forms: Sequence[Collected], counted: Mapping[str, Any]) -> Collected | None:
    file = counted.get(question)
    return next(
        (form for form in forms if question in form.answers and form.file(question) == file),
        next((form for form in forms if question in form.answers), None),
    )


def _values(reply: Mapping[str, Any] | None, quantity: str) -> list[float] | None:
    """The floats the student's function returned for a quantity (the graded steps t = 1..T of a bar)."""
    if not isinstance(reply, Mapping) or not isinstance(reply.get("value"), Mapping):
        return None
    value = reply["value"].get(quantity)
    try:
        numbers = [float(value)] if quantity == "w_ix" else [float(v) for v in list(value)[1:]]
    except (TypeError, ValueError, OverflowError):
        return None
    return numbers if all(math.isfinite(number) for number in numbers) else None


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def adder_design(forms: Sequence[Collected], counted: Mapping[str, Any]) -> dict[str, Any] | None:
    """Question 1's weights as written (exact, as text) and their canonical design, or None without weights."""
    form = _counted_form("1", forms, counted)
    if form is None or isinstance(form.adder, str):
        return None
    weights = read_adder_weights(form.adder, file_name=form.adder_file)
    if isinstance(weights, str):
        return None
    return {"written": written(weights), "design": canonical_design(weights)}


def written(weights: AdderWeights) -> str:
    """The weights exactly as given, as one line of text: equal text, equal weights."""
    parts = [
        f"{name}=" + ",".join(str(value) for value in getattr(weights, name).flat) for name in ("U", "W", "V", "b_h")
    ]
    return " ".join([*parts, f"b_y={weights.b_y}"])


def canonical_design(weights: AdderWeights) -> str:
    """The design, the same for every positive scaling of a hidden unit's weights or of the output's, every
    order of the hidden units and either order of the inputs: the smallest of those forms, as text."""
    forms = []
    for inputs in ((0, 1), (1, 0)):
        for order in itertools.permutations(range(3)):
            rows = tuple(
                _scaled(
                    [
                        weights.U[i, inputs[0]],
                        weights.U[i, inputs[1]],
                        *(weights.W[i, j] for j in order),
                        weights.b_h[i],
                    ]
                )
                for i in order
            )
            output = _scaled([*(weights.V[0, i] for i in order), weights.b_y])
            forms.append((rows, output))
    rows, output = min(forms)
    return ";".join(",".join(str(value) for value in row) for row in (*rows, output))


def _scaled(values: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """Values divided by their largest magnitude (a positive scaling changes no threshold decision)."""
    largest = max((abs(Fraction(value)) for value in values), default=Fraction(0))
    return tuple(Fraction(value) / largest if largest else Fraction(value) for value in values)
