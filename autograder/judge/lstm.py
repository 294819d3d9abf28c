"""The judge of question 2: the student's answers against the measured truth, with error carried forward.

The judge reads numbers only (lstm_problem.Problem: the call, the truth, and each equation as an
affine map of the bars it is built from); it never imports the builder (lstm_model.py), so the student
kit can ship it with the numbers of its visible problems and no solver. Every tolerance is scaled from
the truth, never from a value the student gave (contract 5.2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autograder.judge.lstm_problem import (
    CALL_ORDER,
    GRADED,
    QUANTITIES,
    BarParams,
    DemoParams,
    LstmParams,
    Problem,
    call_arguments,
)
from autograder.judge.verdict import Verdict
from autograder.text import literal, literal_block

__all__ = [
    "BarParams",
    "DemoParams",
    "LstmParams",
    "Answer",
    "Problem",
    "call_arguments",
    "check_bar",
    "check_vanishing_demo",
    "check_weight",
    "read_answer",
    "read_replies",
]

KEYS_TEXT = "h, c, g, o, f, i and w_ix"
SIGNATURE = "lstm_bptt(" + ", ".join(CALL_ORDER) + ")"
_TIMEOUT = re.compile(r"timed out after ([0-9.]+) s")


@dataclass(frozen=True)
class Answer:
    """One reply, read: each usable key's value (a float64 array over t = 0..T, index 0 set to 0, or
    w_ix's number), and for every other key why it cannot be used (a sentence naming the problem)."""

    values: Mapping[str, Any]
    problems: Mapping[str, str]


def _label(quantity: str) -> str:
    return f"{quantity}_bar"


def _where(problem: Problem, index: int) -> str:
    return f"problem {index + 1} (seed {problem.seed}, T = {problem.length})"


def read_replies(problems: Sequence[Problem], replies: Sequence[Mapping[str, Any]]) -> list[Answer]:
    """Read every reply once: exact length T+1, numbers only, finite at the graded steps."""
    if len(problems) != len(replies):
        raise ValueError(f"{len(replies)} replies for {len(problems)} problems")
    return [
        read_answer(problem, reply, _where(problem, index))
        for index, (problem, reply) in enumerate(zip(problems, replies, strict=True))
    ]


def read_answer(problem: Problem, reply: Mapping[str, Any], place: str) -> Answer:
    """Read one reply; `place` names the problem in messages ("problem 2 (seed 1014, T = 3)")."""
    if not isinstance(reply, Mapping) or "value" not in reply:
        text = str(reply.get("error", "no answer")) if isinstance(reply, Mapping) else "no answer"
        message = _failure(text, place, problem.length)
        return Answer({}, {key: message for key in QUANTITIES})
    result = reply["value"]
    if not isinstance(result, Mapping):
        message = f"your function returned {_describe(result)} on {place}; expected a dict with keys {KEYS_TEXT}."
        return Answer({}, {key: message for key in QUANTITIES})
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for key in QUANTITIES:
        if key not in result:
            problems[key] = f"the dict your function returned on {place} has no key '{key}'; expected keys {KEYS_TEXT}."
            continue
        read = _read_number(result[key], place) if key == "w_ix" else _read_array(result[key], problem.length, place)
        if isinstance(read, str):
            problems[key] = read
        else:
            values[key] = read
    notes = reply.get("notes")  # answers.tex: why an equation cannot be graded (autograder/worker/tex/__init__.py)
    for key, note in notes.items() if isinstance(notes, Mapping) else ():
        if key in QUANTITIES and isinstance(note, str):  # a value beside it is a stand-in, kept in `values` as
            problems[key] = f"your equation cannot be graded:\n\n{literal_block(note)}"  # the others' upstream bar
    return Answer(values, problems)


def _failure(text: str, place: str, length: int) -> str:
    """Why a call gave no value, in the student's terms: a timeout and a call that does not fit the
    signature say what usually causes them; the worker's text is always shown literally."""
    timeout = _TIMEOUT.search(text)
    if timeout:
        what = "importing your file" if text.startswith("Importing") else "your code"
        earlier = (
            " (an earlier call had already timed out, so this one was not made)"
            if text.startswith("not called")
            else ""
        )
        return (
            f"{what} timed out after {timeout.group(1)} s on {place}{earlier}: it did not finish. This usually "
            f"means an endless loop (a `while` whose condition never changes), a loop over a huge range (here "
            f"`len(x)` is T+1 = {length + 1}), or waiting for input (`input()` waits forever). Check the bounds of "
            f"each loop, and what runs when the file is imported (everything outside a function)."
        )
    if text.startswith("TypeError:"):  # raised at the call itself: the worker shows no frame of the student's file
        return (
            f"your function could not be called as `{SIGNATURE}` on {place}:\n\n{literal_block(text)}\n\n"
            f"It is called with four positional arguments, in this order: define it as `def lstm_bptt(x, "
            f"weights, forward, dL_dh):` (the parameter names are yours to choose; no other parameter may be "
            f"required)."
        )
    return f"your function failed on {place}:\n\n{literal_block(text)}"


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return literal(value) if value.startswith("<") else "a string"
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, (int, float)):
        return f"the number {_number(value)}"
    return f"a {type(value).__name__}"


def _shape(value: Any) -> tuple[int, ...] | None:
    """The shape of nested lists, () for a scalar, None when ragged."""
    if not isinstance(value, list):
        return ()
    shapes = {_shape(item) for item in value}
    inner = shapes.pop() if len(shapes) == 1 else () if not shapes else None
    return None if inner is None else (len(value), *inner)


def _flatten(value: Any) -> list[Any]:
    return [leaf for item in value for leaf in _flatten(item)] if isinstance(value, list) else [value]


def _unwrap(value: Any, *, rows: bool = False) -> Any:
    """A value without one-element list wrappers: [[v]] is v; with `rows`, only lists around a list are
    removed ([[v0, v1, ...]] is [v0, v1, ...], [v] stays a list of one number)."""
    while isinstance(value, list) and len(value) == 1 and (not rows or isinstance(value[0], list)):
        value = value[0]
    return value


def _to_floats(items: Sequence[Any]) -> tuple[np.ndarray, int | None]:
    """The items as float64, and the index of the first one that is not a number (None if all are)."""
    numbers = []
    for position, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            return np.empty(0), position
        try:
            numbers.append(float(item))
        except OverflowError:
            numbers.append(float("inf"))
    return np.array(numbers, dtype=float), None


def _read_array(value: Any, length: int, place: str) -> np.ndarray | str:
    """T+1 values over t = 0..T (a row or column is fine); index 0 is ignored whatever it holds."""
    wanted = f"expected a list or array of T+1 = {length + 1} numbers (index 0 to T = {length}) on {place}"
    value = _unwrap(value, rows=True)
    if not isinstance(value, list):
        return f"{wanted}, got {_describe(value)}."
    if len(value) != length + 1:
        shape = _shape(value)
        if shape is not None and len(shape) > 1 and shape[1:] != (1,) * (len(shape) - 1):
            return f"{wanted}, got an array of shape {shape}."
        note = (
            " Index t holds the value at time t, so index 0 must be there too (it is not graded)."
            if len(value) == length
            else ""
        )
        return f"{wanted}, got {_count(len(value))}.{note}"
    items = [_unwrap(item) for item in value[1:]]
    if any(isinstance(item, list) for item in items):
        shape = _shape(value)
        return f"{wanted}, got " + (f"an array of shape {shape}." if shape else "nested lists of different lengths.")
    numbers, bad = _to_floats(items)
    if bad is not None:
        return f"element {bad + 1} is not a number on {place}: got {_describe(items[bad])}."
    infinite = np.flatnonzero(~np.isfinite(numbers))
    if infinite.size:
        t = int(infinite[0]) + 1
        return f"not finite at t = {t} on {place}: got {numbers[t - 1]}."
    return np.concatenate(([0.0], numbers))


def _read_number(value: Any, place: str) -> float | str:
    shape = _shape(value)
    items = _flatten(value) if shape is not None else []
    if shape is None or len(items) != 1:
        count = _count(len(items)) if shape is not None else "nested lists of different lengths"
        return f"expected a single number on {place}, got {count}."
    numbers, bad = _to_floats(items)
    if bad is not None:
        return f"expected a number on {place}, got {_describe(items[0])}."
    if not np.isfinite(numbers[0]):
        return f"not finite on {place}: got {numbers[0]}."
    return float(numbers[0])


def _count(count: int) -> str:
    return f"{count} number" + ("" if count == 1 else "s")


def _number(value: float) -> str:
    return f"{value:.4g}"


def _relative(actual: float, expected: float) -> str:
    return f"relative error {abs(actual - expected) / abs(expected):.2g}" if expected != 0 else "expected exactly 0"


def _tolerance(problem: Problem, quantity: str, params: LstmParams) -> float:
    """The tolerance of a quantity in a problem: from the truth's largest magnitude there, never from the student."""
    return params.rtol * float(np.max(np.abs(problem.expected(quantity)))) + params.atol


def _close(actual: Any, expected: Any, tolerance: float) -> np.ndarray:
    """Elementwise match within `tolerance`; a value that overflowed (built from huge bars) matches nothing."""
    with np.errstate(over="ignore", invalid="ignore"):
        difference = np.abs(np.asarray(actual) - np.asarray(expected))
    return np.isfinite(difference) & (difference <= tolerance)


def _student_bars(problem: Problem, answer: Answer) -> dict[str, np.ndarray]:
    """The student's usable bars over t = 0..T, the truth standing in for any they did not give."""
    bars = {key: np.concatenate(([0.0], problem.truth[key])) for key in GRADED}
    bars.update({key: answer.values[key] for key in GRADED if key in answer.values})
    return bars


def _children_text(problem: Problem, quantity: str) -> str:
    terms = problem.equations[quantity].terms
    names = [f"{_label(t.child)}^(t+{t.offset})" if t.offset else _label(t.child) for t in terms]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class _Graded:
    """One quantity across the problems: what was given, the truth, each problem's tolerance, which steps
    are right, which follow from the student's own bars (None: a bar it is built from is unusable), and
    whether the part carried through the student's bars shows anywhere."""

    quantity: str
    actual: list[np.ndarray]
    expected: list[np.ndarray]
    tolerance: list[float]
    right: list[np.ndarray]
    follows: list[np.ndarray] | None
    shows: bool

    @property
    def correct(self) -> bool:
        return all(r.all() for r in self.right)

    @property
    def carried(self) -> bool:
        """Error carried forward (5.2): in every problem the answer is right or follows from the student's
        own bars through the right equation, and the part carried through those bars is not empty: it
        exceeds the tolerance at some step of some problem (T = 1, where it is legitimately 0, voids nothing)."""
        return (
            not self.correct
            and self.follows is not None
            and self.shows
            and all(r.all() or f.all() for r, f in zip(self.right, self.follows, strict=True))
        )


def _grade(quantity: str, problems: Sequence[Problem], answers: Sequence[Answer], params: LstmParams) -> _Graded:
    weight = quantity == "w_ix"
    actual = [np.atleast_1d(answer.values[quantity] if weight else answer.values[quantity][1:]) for answer in answers]
    expected = [problem.expected(quantity) for problem in problems]
    tolerance = [_tolerance(problem, quantity, params) for problem in problems]
    right = [_close(a, e, tol) for a, e, tol in zip(actual, expected, tolerance, strict=True)]
    follows: list[np.ndarray] = []
    shows = False
    for problem, answer, a, tol in zip(problems, answers, actual, tolerance, strict=True):
        equation = problem.equations[quantity]
        if any(child not in answer.values for child in equation.children):
            return _Graded(quantity, actual, expected, tolerance, right, None, False)
        direct, carried = equation.parts(answer.values)
        with np.errstate(over="ignore", invalid="ignore"):
            follows.append(_close(a, direct + carried, tol))
        shows = shows or bool(np.any(~_close(carried, 0.0, tol)))
    return _Graded(quantity, actual, expected, tolerance, right, follows, shows)


def _recognise(graded: _Graded, problems: Sequence[Problem], answers: Sequence[Answer]) -> str | None:
    """The name of the known mistake the wrong answer equals everywhere, built from the student's own bars
    (or the true ones), within the truth-scaled tolerance.

    As for error carried forward, a match counts only if it discriminates: where the answer is wrong,
    the mistaken equation must not be (all but) zero there, so an answer of zeros matches nothing.
    """
    for index, mistake in enumerate(problems[0].mistakes):
        if mistake.quantity != graded.quantity:
            continue
        for source in ("student", "truth"):
            matched, visible = True, False
            for problem, answer, actual, tol, right in zip(
                problems, answers, graded.actual, graded.tolerance, graded.right, strict=True
            ):
                bars = _student_bars(problem, answer if source == "student" else Answer({}, {}))
                with np.errstate(over="ignore", invalid="ignore"):
                    direct, carried = problem.mistakes[index].equation.parts(bars)
                    own = direct + carried
                if not _close(actual, own, tol).all():
                    matched = False
                    break
                visible = visible or (not right.all() and bool(np.any(~_close(own, 0.0, tol))))
            if matched and visible:
                return mistake.name
    return None


def _usable(quantity: str, answers: Sequence[Answer]) -> Verdict | None:
    for answer in answers:
        if quantity in answer.problems:
            return Verdict(
                0.0, f"{_label(quantity)}: {answer.problems[quantity]}", {"quantity": quantity, "status": "unusable"}
            )
    return None


def _first_difference(graded: _Graded) -> tuple[int, int]:
    """Where to point: the first step that neither matches the truth nor follows from the student's own bars
    (where the wrong equation is), else the first step that differs from the truth."""
    differs = [~r for r in graded.right]
    choices = [differs]
    if graded.follows is not None:
        choices.insert(0, [d & ~f for d, f in zip(differs, graded.follows, strict=True)])
    for wrong in choices:
        for k, steps in enumerate(wrong):
            if steps.any():
                return k, int(np.flatnonzero(steps)[0])
    raise ValueError("no difference to show")


def _difference_text(graded: _Graded, problems: Sequence[Problem], k: int, step: int) -> tuple[str, str, dict]:
    """Where the first difference from the truth is, the numbers there, and the same as data."""
    problem = problems[k]
    got, want = float(graded.actual[k][step]), float(graded.expected[k][step])
    if graded.quantity == "w_ix":
        place = f"on problem {k + 1} (seed {problem.seed}, T = {problem.length})"
    else:
        place = f"at t = {step + 1} of {problem.length} (problem {k + 1}, seed {problem.seed})"
    numbers = f"got {_number(got)}, expected {_number(want)} ({_relative(got, want)})"
    data = {
        "problem": k + 1,
        "seed": problem.seed,
        "t": None if graded.quantity == "w_ix" else step + 1,
        "actual": got,
        "expected": want,
    }
    return place, numbers, data


def _summary(graded: _Graded, params: LstmParams) -> str:
    wrong_steps = sum(int((~r).sum()) for r in graded.right)
    wrong_problems = sum(1 for r in graded.right if not r.all())
    if graded.quantity == "w_ix":
        return (
            f"Wrong on {wrong_problems} of {len(graded.right)} problems; "
            f"tolerance {params.rtol:g} × |expected| + {params.atol:g}."
        )
    return (
        f"Wrong at {wrong_steps} of {sum(r.size for r in graded.right)} graded steps, in {wrong_problems} of "
        f"{len(graded.right)} problems; tolerance {params.rtol:g} × the largest |expected "
        f"{_label(graded.quantity)}| of each problem + {params.atol:g}."
    )


def _items(*lines: str) -> str:
    """Lines as a Markdown list, so a renderer keeps them apart (single newlines would join them)."""
    return "\n".join(f"- {line}" for line in lines)


def _judge(
    quantity: str, problems: Sequence[Problem], replies: Sequence[Mapping[str, Any]], params: LstmParams
) -> Verdict:
    answers = read_replies(problems, replies)
    unusable = _usable(quantity, answers)
    if unusable is not None:
        return unusable
    graded = _grade(quantity, problems, answers, params)
    name = _label(quantity)
    if graded.correct:
        seeds = ", ".join(str(p.seed) for p in problems)
        lengths = ", ".join(str(p.length) for p in problems)
        checked = "in all" if quantity == "w_ix" else "at every step t = 1..T of"
        return Verdict(
            1.0,
            f"{name}: matches the finite-difference truth {checked} {len(problems)} problems "
            f"(seeds {seeds}; T = {lengths}).",
            {"quantity": quantity, "status": "correct"},
        )
    k, step = _first_difference(graded)
    place, numbers, data = _difference_text(graded, problems, k, step)
    if graded.carried:
        credit = params.carried_forward_credit
        worth = "full credit" if credit == 1 else f"{credit:.0%} credit"
        return Verdict(
            credit,
            f"{name}: differs from the truth {place}, but follows correctly from your own "
            f"{_children_text(problems[0], quantity)} (error carried forward): {worth}.\n\n" + _items(numbers),
            {"quantity": quantity, "status": "carried_forward", **data},
        )
    mistake = _recognise(graded, problems, answers)
    hints = [m.hint for m in problems[0].mistakes if m.name == mistake]
    text = f"{name}: wrong {place}.\n\n" + _items(numbers, *hints, _summary(graded, params))
    return Verdict(0.0, text, {"quantity": quantity, "status": "wrong", "mistake": mistake, **data})


def check_bar(
    quantity: str, problems: Sequence[Problem], replies: Sequence[Mapping[str, Any]], params: LstmParams
) -> Verdict:
    """Question 2(a): one bar (h c g o f i) at every graded step of every problem."""
    if quantity not in GRADED:
        raise ValueError(f"unknown quantity {quantity!r}; expected one of {', '.join(GRADED)}")
    return _judge(quantity, problems, replies, params)


def check_weight(problems: Sequence[Problem], replies: Sequence[Mapping[str, Any]], params: LstmParams) -> Verdict:
    """Question 2(b): the gradient of w_ix in every problem."""
    return _judge("w_ix", problems, replies, params)


def check_vanishing_demo(problem: Problem, reply: Mapping[str, Any]) -> Verdict:
    """Part (c), for information only: how |h_bar| and |c_bar| evolve back in time, the student's beside the
    truth, and what that shows. It never passes or fails: the written answer is graded by hand."""
    length = problem.length
    answer = read_answer(problem, reply, f"the demonstration problem (T = {length})")
    usable = all(quantity in answer.values for quantity in ("h", "c"))
    steps = sorted(set(range(length, 0, -10)) | {1}, reverse=True)
    mean = {gate: float(np.mean(problem.forward[gate][1:])) for gate in ("f", "i", "o")}
    data: dict[str, Any] = {"status": "shown" if usable else "unusable", "t": steps}
    for quantity in ("h", "c"):
        true = [abs(float(problem.truth[quantity][t - 1])) for t in steps]
        yours = [abs(float(answer.values[quantity][t])) for t in steps] if usable else None
        data[_label(quantity)] = {"actual": yours, "expected": true}
    rows = [f"{'t':>4} {'|h_bar| yours':>15} {'|h_bar| true':>14} {'|c_bar| yours':>15} {'|c_bar| true':>14}"]
    for row, t in enumerate(steps):
        cells = [f"{data[_label(q)]['actual'][row]:>15.3e}" if usable else f"{'-':>15}" for q in ("h", "c")]
        rows.append(
            f"{t:>4} {cells[0]} {data['h_bar']['expected'][row]:>14.3e} {cells[1]} "
            f"{data['c_bar']['expected'][row]:>14.3e}"
        )
    h_true, c_true = (np.abs(problem.truth[q]) for q in ("h", "c"))
    lines = [
        f"For information (no points; part (c) is graded by hand): your function on a problem with forget "
        f"gates near 1 (f about {mean['f']:.3f}) and input and output gates near 0 (i about {mean['i']:.3f}, "
        f"o about {mean['o']:.3f}), over T = {length} steps, where the loss depends on h^({length}) only. "
        f"How far back the error signals reach, yours beside the truth:",
        literal_block("\n".join(rows)),
        f"What it shows: going back from t = {length} to t = 1, the true |c_bar| keeps "
        f"{c_true[0] / c_true[-1]:.0%} of its size (each step multiplies it by a forget gate near 1), while "
        f"the true |h_bar| falls from {h_true[-1]:.3g} to at most {np.max(h_true[:-1]):.3g} before step {length} "
        f"(h reaches later steps only through gates that are nearly closed): the cell carries the error signal "
        f"far back, the hidden state does not.",
    ]
    if not usable:
        reason = answer.problems.get("h") or answer.problems["c"]
        lines.insert(1, f"Your function could not be shown here (the table has the truth only): {reason}")
    else:
        for quantity in ("h", "c"):
            wrong = np.flatnonzero(
                ~_close(
                    answer.values[quantity][1:], problem.truth[quantity], _tolerance(problem, quantity, LstmParams())
                )
            )
            if wrong.size:
                t = int(wrong[-1]) + 1
                lines.append(
                    f"Your {_label(quantity)} differs from the truth on this problem (first at t = {t}, going "
                    f"back from T), so your columns show what your equations do, not what the LSTM does."
                )
                break
    return Verdict(1.0, "\n\n".join(lines), data)
