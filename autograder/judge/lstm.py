"""The judge of question 2: the student's answers against the measured truth, with error carried forward."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from autograder.judge.lstm_model import (GRADED, PATHS, DemoParams, LstmParams, Problem, call_arguments,
                                         chain_rule, make_demo_problem, make_problems)
from autograder.judge.mistakes import Mistake, load_mistakes
from autograder.judge.verdict import Verdict

__all__ = ["BarParams", "DemoParams", "LstmParams", "Answer", "call_arguments", "check_bar", "check_vanishing_demo",
           "check_weight", "make_demo_problem", "make_problems", "read_answer", "read_replies"]

KEYS_TEXT = "h, c, g, o, f, i and w_ix"
HANDOUT_ORDER = ("h", "c", "i", "f", "o", "g")
CHILDREN = {name: sorted({(path[-1].child, sum(link.offset for link in path)) for path in PATHS[name]},
                         key=lambda child: (child[1], HANDOUT_ORDER.index(child[0])))
            for name in PATHS}


@dataclass(frozen=True, kw_only=True)
class BarParams(LstmParams):
    """The YAML `params` of an `lstm_bar` test: the problems and grading rule, and which bar it grades."""

    quantity: str = field(metadata={"doc": "The bar this test grades: one of " + ", ".join(GRADED) + "."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.quantity not in GRADED:
            raise ValueError(f"`quantity` must be one of {', '.join(GRADED)}, not {self.quantity!r}")


@dataclass(frozen=True)
class Answer:
    """One reply, read: each usable key's value (a float64 array over t = 0..T, or w_ix's number),
    and for every other key why it cannot be used (a sentence naming the problem)."""

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
    return [read_answer(problem, reply, _where(problem, index))
            for index, (problem, reply) in enumerate(zip(problems, replies))]


def read_answer(problem: Problem, reply: Mapping[str, Any], place: str) -> Answer:
    """Read one reply; `place` names the problem in messages ("problem 2 (seed 1014, T = 3)")."""
    keys = GRADED + ("w_ix",)
    if not isinstance(reply, Mapping) or "value" not in reply:
        text = str(reply.get("error", "no answer")) if isinstance(reply, Mapping) else "no answer"
        text = text.replace("```", "'''").rstrip()
        return Answer({}, {key: f"your function failed on {place}:\n\n```\n{text}\n```" for key in keys})
    result = reply["value"]
    if not isinstance(result, Mapping):
        message = f"your function returned {_describe(result)} on {place}; expected a dict with keys {KEYS_TEXT}."
        return Answer({}, {key: message for key in keys})
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for key in keys:
        if key not in result:
            problems[key] = f"the dict your function returned on {place} has no key '{key}'; expected keys {KEYS_TEXT}."
            continue
        read = _read_number(result[key], place) if key == "w_ix" else _read_array(result[key], problem.length, place)
        (values if not isinstance(read, str) else problems)[key] = read
    return Answer(values, problems)


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return value if value.startswith("<") else "a string"
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
    if None in shapes or len(shapes) > 1:
        return None
    return (len(value),) + (shapes.pop() if shapes else ())


def _flatten(value: Any) -> list[Any]:
    return [leaf for item in value for leaf in _flatten(item)] if isinstance(value, list) else [value]


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
    wanted = f"expected a list or array of T+1 = {length + 1} numbers (index 0 to T = {length}) on {place}"
    shape = _shape(value)
    if shape is None:
        return f"{wanted}, got nested lists of different lengths."
    if shape == ():
        return f"{wanted}, got {_describe(value)}."
    if tuple(size for size in shape if size != 1) != (length + 1,):
        if len(shape) > 1:
            return f"{wanted}, got an array of shape {shape}."
        note = (" Index t holds the value at time t, so index 0 must be there too (it is not graded)."
                if shape[0] == length else "")
        return f"{wanted}, got {_count(shape[0])}.{note}"
    items = _flatten(value)
    numbers, bad = _to_floats(items)
    if bad is not None:
        return f"element {bad} is not a number on {place}: got {_describe(items[bad])}."
    infinite = np.flatnonzero(~np.isfinite(numbers[1:]))
    if infinite.size:
        t = int(infinite[0]) + 1
        return f"not finite at t = {t} on {place}: got {numbers[t]}."
    return numbers


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


def _tolerance(params: LstmParams, scale: float) -> float:
    return params.rtol * scale + params.atol


def _close(actual: np.ndarray, expected: np.ndarray, params: LstmParams) -> np.ndarray:
    """Elementwise match, with a tolerance scaled by the largest |expected| (a small wrong equation still fails).

    An expected value that overflowed (built from a student's huge bars) matches nothing.
    """
    expected = np.atleast_1d(expected)
    if not np.isfinite(expected).all():
        return np.zeros(expected.shape, dtype=bool)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.abs(np.atleast_1d(actual) - expected) <= _tolerance(params, float(np.max(np.abs(expected))))


def _own(problem: Problem, quantity: str, bars: Mapping[str, Any], mistake: Mistake | None = None) -> tuple[Any, Any]:
    """The quantity's own equation (or a known mistake's), built from `bars` (huge student values may overflow)."""
    with np.errstate(all="ignore"):
        if mistake is None:
            return chain_rule(problem, quantity, bars)
        return chain_rule(problem, quantity, bars, mistake.edits, mistake.steps)


def _children_text(quantity: str) -> str:
    names = [f"{_label(child)}^(t+{offset})" if offset else _label(child) for child, offset in CHILDREN[quantity]]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass(frozen=True)
class _Graded:
    """One quantity across the problems: what was given, the truth, and what matched."""

    quantity: str
    actual: list[np.ndarray]
    expected: list[np.ndarray]
    right: list[np.ndarray]
    carried: list[bool]

    @property
    def ok(self) -> list[bool]:
        return [bool(right.all()) or carried for right, carried in zip(self.right, self.carried)]


def _grade(quantity: str, problems: Sequence[Problem], answers: Sequence[Answer], params: LstmParams) -> _Graded:
    weight = quantity == "w_ix"
    actual = [np.atleast_1d(answer.values[quantity] if weight else answer.values[quantity][1:]) for answer in answers]
    expected = [np.atleast_1d(problem.truth_w_ix if weight else problem.truth[quantity][1:]) for problem in problems]
    right = [_close(a, e, params) for a, e in zip(actual, expected)]
    carried = []
    for problem, answer, a, e, r in zip(problems, answers, actual, expected, right):
        children = [child for child, _ in CHILDREN[quantity]]
        if r.all() or any(child not in answer.values for child in children):
            carried.append(False)
            continue
        direct, through = _own(problem, quantity, answer.values)
        own = np.atleast_1d(direct + through)
        shows = np.max(np.abs(through)) > _tolerance(params, float(np.max(np.abs(e))))
        carried.append(bool(shows and _close(a, own, params).all()))
    return _Graded(quantity, actual, expected, right, carried)


def _recognise(graded: _Graded, problems: Sequence[Problem], answers: Sequence[Answer],
               params: LstmParams) -> Mistake | None:
    """The known mistake the wrong answer equals everywhere, built from the student's own bars (or the true ones).

    As for error carried forward, a match counts only if it discriminates: where the answer is wrong,
    the mistaken equation must not be (all but) zero there, so an answer of zeros matches nothing.
    """
    for mistake in load_mistakes():
        if mistake.quantity != graded.quantity:
            continue
        for source in ("student", "truth"):
            matched, visible = True, False
            for problem, answer, actual, expected, right in zip(problems, answers, graded.actual, graded.expected,
                                                                graded.right):
                bars = {**problem.truth, **answer.values} if source == "student" else problem.truth
                own = np.atleast_1d(sum(_own(problem, graded.quantity, bars, mistake)))
                if not _close(actual, own, params).all():
                    matched = False
                    break
                scale = float(np.max(np.abs(expected)))
                visible = visible or (not right.all() and np.max(np.abs(own)) > _tolerance(params, scale))
            if matched and visible:
                return mistake
    return None


def _usable(quantity: str, answers: Sequence[Answer]) -> Verdict | None:
    for answer in answers:
        if quantity in answer.problems:
            return Verdict(0.0, f"{_label(quantity)}: {answer.problems[quantity]}",
                           {"quantity": quantity, "status": "unusable"})
    return None


def _first_difference(graded: _Graded) -> tuple[int, int]:
    """The first problem that is not right (preferring one that is wrong outright), and its first wrong step."""
    order = [k for k, ok in enumerate(graded.ok) if not ok] + [k for k, r in enumerate(graded.right) if not r.all()]
    k = order[0]
    return k, int(np.flatnonzero(~graded.right[k])[0])


def _difference_text(graded: _Graded, problems: Sequence[Problem], k: int, step: int) -> tuple[str, str, dict]:
    """Where the first difference from the truth is, the numbers there, and the same as data."""
    problem = problems[k]
    got, want = float(graded.actual[k][step]), float(graded.expected[k][step])
    if graded.quantity == "w_ix":
        place = f"on problem {k + 1} (seed {problem.seed}, T = {problem.length})"
    else:
        place = f"at t = {step + 1} of {problem.length} (problem {k + 1}, seed {problem.seed})"
    numbers = f"got {_number(got)}, expected {_number(want)} ({_relative(got, want)})"
    data = {"problem": k + 1, "seed": problem.seed, "t": None if graded.quantity == "w_ix" else step + 1,
            "actual": got, "expected": want}
    return place, numbers, data


def _summary(graded: _Graded, params: LstmParams) -> str:
    wrong_steps = sum(int((~r).sum()) for r in graded.right)
    wrong_problems = sum(1 for r in graded.right if not r.all())
    if graded.quantity == "w_ix":
        return (f"Wrong on {wrong_problems} of {len(graded.right)} problems; "
                f"tolerance {params.rtol:g} × |expected| + {params.atol:g}.")
    return (f"Wrong at {wrong_steps} of {sum(r.size for r in graded.right)} graded steps, in {wrong_problems} of "
            f"{len(graded.right)} problems; tolerance {params.rtol:g} × the largest |{_label(graded.quantity)}| "
            f"of each problem + {params.atol:g}.")


def _judge(quantity: str, problems: Sequence[Problem], replies: Sequence[Mapping[str, Any]],
           params: LstmParams) -> Verdict:
    answers = read_replies(problems, replies)
    unusable = _usable(quantity, answers)
    if unusable is not None:
        return unusable
    graded = _grade(quantity, problems, answers, params)
    name = _label(quantity)
    if all(r.all() for r in graded.right):
        seeds = ", ".join(str(p.seed) for p in problems)
        lengths = ", ".join(str(p.length) for p in problems)
        checked = "in all" if quantity == "w_ix" else "at every step t = 1..T of"
        return Verdict(1.0, f"{name}: matches the finite-difference truth {checked} {len(problems)} problems "
                            f"(seeds {seeds}; T = {lengths}).", {"quantity": quantity, "status": "correct"})
    k, step = _first_difference(graded)
    place, numbers, data = _difference_text(graded, problems, k, step)
    if all(graded.ok):
        credit = params.carried_forward_credit
        worth = "full credit" if credit == 1 else f"{credit:.0%} credit"
        return Verdict(credit, f"{name}: differs from the truth {place}, but follows correctly from your own "
                               f"{_children_text(quantity)} (error carried forward): {worth}.\n  {numbers}",
                       {"quantity": quantity, "status": "carried_forward", **data})
    mistake = _recognise(graded, problems, answers, params)
    hint = [f"  {mistake.hint}"] if mistake else []
    lines = [f"{name}: wrong {place}.", f"  {numbers}", *hint, f"  {_summary(graded, params)}"]
    return Verdict(0.0, "\n".join(lines), {"quantity": quantity, "status": "wrong",
                                          "mistake": mistake.name if mistake else None, **data})


def check_bar(quantity: str, problems: Sequence[Problem], replies: Sequence[Mapping[str, Any]],
              params: LstmParams) -> Verdict:
    """Question 2(a): one bar (h c g o f i) at every graded step of every problem."""
    if quantity not in GRADED:
        raise ValueError(f"unknown quantity {quantity!r}; expected one of {', '.join(GRADED)}")
    return _judge(quantity, problems, replies, params)


def check_weight(problems: Sequence[Problem], replies: Sequence[Mapping[str, Any]], params: LstmParams) -> Verdict:
    """Question 2(b): the gradient of w_ix in every problem."""
    return _judge("w_ix", problems, replies, params)


def check_vanishing_demo(problem: Problem, reply: Mapping[str, Any]) -> Verdict:
    """Part (c), informational: how the student's |h_bar| and |c_bar| evolve back in time, beside the truth."""
    answer = read_answer(problem, reply, f"the demonstration problem (T = {problem.length})")
    for quantity in ("h", "c"):
        if quantity in answer.problems:
            return Verdict(0.0, f"The demonstration could not run. {_label(quantity)}: {answer.problems[quantity]}",
                           {"status": "unusable"})
    length = problem.length
    steps = sorted(set(range(length, 0, -10)) | {1}, reverse=True)
    mean = {gate: float(np.mean(problem.values[gate][1:])) for gate in ("f", "i", "o")}
    rows = [f"{'t':>4} {'|h_bar| yours':>15} {'|h_bar| true':>14} {'|c_bar| yours':>15} {'|c_bar| true':>14}"]
    data: dict[str, Any] = {"status": "shown", "t": steps}
    for quantity in ("h", "c"):
        data[_label(quantity)] = {"actual": [abs(float(answer.values[quantity][t])) for t in steps],
                                 "expected": [abs(float(problem.truth[quantity][t])) for t in steps]}
    for row, t in enumerate(steps):
        cells = [data[_label(q)][side][row] for q in ("h", "c") for side in ("actual", "expected")]
        rows.append(f"{t:>4} {cells[0]:>15.3e} {cells[1]:>14.3e} {cells[2]:>15.3e} {cells[3]:>14.3e}")
    text = (f"Your function with forget gates near 1 (f about {mean['f']:.3f}) and input and output gates near 0 "
            f"(i about {mean['i']:.3f}, o about {mean['o']:.3f}), over T = {length} steps; the loss depends on "
            f"h^({length}) only. How far back the error signals reach, beside the truth:\n\n```\n"
            + "\n".join(rows) + "\n```")
    return Verdict(1.0, text, data)
