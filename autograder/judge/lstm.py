"""The judge of question 2: the student's answers against the measured truth, with error carried forward.

The judge reads numbers only (lstm_problem.Problem: the call, the truth, and each equation as an
affine map of the bars it is built from); it never imports the builder (lstm_model.py), so the student
kit can ship it with the numbers of its visible problems and no solver. Every tolerance is scaled from
the truth, never from a value the student gave (docs/spec.md 5.2). Reading the replies into numbers, and
saying why a value cannot be read, is lstm_answer.py's job.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autograder.judge.causes import CAUSES
from autograder.judge.lstm_answer import Answer, read_answer, read_replies
from autograder.judge.lstm_problem import (
    GRADED,
    BarParams,
    DemoParams,
    LstmParams,
    Problem,
    call_arguments,
    calls_of,
)
from autograder.judge.verdict import Verdict
from autograder.record import Record
from autograder.text import literal_block

__all__ = [
    "BarParams",
    "DemoParams",
    "LstmParams",
    "Answer",
    "Problem",
    "call_arguments",
    "calls_of",
    "check_bar",
    "check_vanishing_demo",
    "check_weight",
    "read_answer",
    "read_replies",
]


# The rounding error allowed when a bar is evaluated on the student's own bars, per unit of the sum of the
# absolute values of its terms: 16 roundings of 2^-53 each, more than any way of writing the equation makes.
ROUNDING = 16 * 2.0**-53


def _label(quantity: str) -> str:
    return f"{quantity}_bar"


def _number(value: float) -> str:
    return f"{value + 0.0:.4g}"  # + 0.0: -0.0 reads as 0


def _relative(actual: float, expected: float) -> str:
    return f"relative error {abs(actual - expected) / abs(expected):.2g}" if expected != 0 else "expected exactly 0"


def _tolerance(problem: Problem, quantity: str, params: LstmParams) -> float:
    """The tolerance of a quantity in a problem: from the truth's largest magnitude there, never from the student."""
    return params.rtol * float(np.max(np.abs(problem.expected(quantity)))) + params.atol


def _close(actual: Any, expected: Any, tolerance: float | np.ndarray) -> np.ndarray:
    """Elementwise match within `tolerance`; a value that overflowed (built from huge bars) matches nothing."""
    with np.errstate(over="ignore", invalid="ignore"):
        difference = np.abs(np.asarray(actual) - np.asarray(expected))
    return np.isfinite(difference) & (difference <= tolerance)


def _student_bars(problem: Problem, answer: Answer) -> dict[str, np.ndarray]:
    """The student's usable bars over t = 0..T, the truth standing in for any they did not give."""
    bars = {key: np.concatenate(([0.0], problem.truth[key])) for key in GRADED}
    bars.update({key: answer.values[key] for key in GRADED if key in answer.values})
    return bars


def stand_ins(answer: Answer) -> list[str]:
    """The bars given only as a stand-in (1 at every step): an equation of answers.tex that cannot be read keeps
    a value for the others' sake, which is not the student's (lstm_answer.read_answer)."""
    return [key for key in GRADED if key in answer.values and key in answer.problems]


def _standing_in(names: Sequence[str]) -> str:
    """ ", with 1 standing in for h_bar, whose equation cannot be read" ("" for none)."""
    if not names:
        return ""
    whose = "whose equation cannot" if len(names) == 1 else "whose equations cannot"
    return f", with 1 standing in for {' and '.join(_label(q) for q in names)}, {whose} be read"


def _children_text(problem: Problem, quantity: str) -> str:
    terms = problem.equations[quantity].terms
    names = [f"{_label(t.child)}^(t+{t.offset})" if t.offset else _label(t.child) for t in terms]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class _Graded(Record):
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
    def follows_everywhere(self) -> bool:
        """Wrong, but in every problem right or following from the student's own bars through the right equation."""
        return (
            not self.correct
            and self.follows is not None
            and all(r.all() or f.all() for r, f in zip(self.right, self.follows, strict=True))
        )

    @property
    def carried(self) -> bool:
        """Error carried forward (5.2): it follows everywhere, and the part carried through the student's bars
        is not empty: it exceeds the tolerance at some step of some problem (T = 1, where it is legitimately
        0, voids nothing)."""
        return self.follows_everywhere and self.shows

    @property
    def empty(self) -> bool:
        """It follows everywhere, but from bars that carry nothing into it: no credit for empty work (5.2)."""
        return self.follows_everywhere and not self.shows


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
        # The student evaluated this equation in floating point on their own bars: a huge upstream value
        # brings a rounding error with it at the steps it enters, which cannot refute the equation there. Such
        # a step proves nothing either: the work must show at a step the tolerance decides. (Not in w_ix's
        # sum, where one huge value would make the only comparison loose: docs/spec.md 5.2.)
        rounding = 0.0 if weight else ROUNDING * equation.magnitude(answer.values)
        with np.errstate(over="ignore", invalid="ignore"):
            follows.append(_close(a, direct + carried, tol + rounding))
        shows = shows or bool(np.any(~_close(carried, 0.0, tol) & (rounding <= tol)))
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


STATE_BETWEEN_CALLS = "state_between_calls"  # titled in causes.py, like ONE_INDEX_EARLY
ONE_INDEX_EARLY = "one_index_early"  # the name the TA's report shows, beside the catalogued mistakes
assert STATE_BETWEEN_CALLS in CAUSES and ONE_INDEX_EARLY in CAUSES
ONE_INDEX_EARLY_HINT = (
    "These are the true values one index early: index t holds the bar of step t+1. Index t must hold step t "
    "(index 0 is the unused step, not graded; index T is the last step), as in the arrays of `forward` you "
    "were given."
)


def _one_index_early(graded: _Graded) -> bool:
    """Whether the answer is the truth stored one index early (index t holding step t+1) in every problem
    where that shows (T >= 2 and a truth that is not zero there)."""
    shown = False
    for actual, expected, tol in zip(graded.actual, graded.expected, graded.tolerance, strict=True):
        if len(expected) < 2:
            continue
        if not _close(actual[:-1], expected[1:], tol).all():
            return False
        shown = shown or bool(np.any(~_close(expected[1:], 0.0, tol)))
    return shown


def _empty_text(problem: Problem, quantity: str) -> str:
    those = "that bar" if len(problem.equations[quantity].children) == 1 else "those bars"
    return (
        f"It does follow from your own {_children_text(problem, quantity)} through the right equation, but the "
        f"part built from {those} is zero (within the tolerance) at every step of every problem, and an empty "
        f"result earns no carried-forward credit. Fix {those} first."
    )


def _usable(quantity: str, answers: Sequence[Answer]) -> Verdict | None:
    for answer in answers:
        if quantity in answer.problems:
            why = answer.problems[quantity]
            if quantity in answer.of_the_reply and len(answer.of_the_reply) > 1:  # one reason, its own block, said once
                text = f"{_label(quantity)} cannot be graded:\n\n{why[:1].upper()}{why[1:]}"
            else:
                text = f"{_label(quantity)}: {why}"
            return Verdict(0.0, text, {"quantity": quantity, "status": "unusable"})
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


def _state_text(
    quantity: str, problem: Problem, first: Answer, again: Mapping[str, Any] | None, params: LstmParams
) -> str | None:
    """Whether the repeat of the first call (calls_of) gave another answer for this quantity: then the function's
    later calls depend on earlier ones, and this says so with the two values; else None."""
    if again is None or quantity not in first.values or quantity in first.problems:
        return None
    repeat = read_answer(problem, again, "the repeat")
    name = _label(quantity)
    before = np.atleast_1d(first.values[quantity] if quantity == "w_ix" else first.values[quantity][1:])
    if quantity in repeat.values and quantity not in repeat.problems:
        after = np.atleast_1d(repeat.values[quantity] if quantity == "w_ix" else repeat.values[quantity][1:])
        if _close(after, before, _tolerance(problem, quantity, params)).all():
            return None
        step = int(np.flatnonzero(~_close(after, before, _tolerance(problem, quantity, params)))[0])
        values = f"{name} {_number(float(after[step]))} where the first call gave {_number(float(before[step]))}"
    else:
        values = f"no usable {name}, where the first call gave one"
    return (
        f"Called again on problem 1 (seed {problem.seed}, T = {problem.length}) after the other problems, your "
        f"function returned {values}: its later calls depend on earlier ones. Something survives from one call "
        "to the next (a global list or dict it appends to, a default argument it changes, a module-level "
        "variable): each call must depend on its arguments only, so it is right on every problem, not only the "
        "first."
    )


def _judge(
    quantity: str,
    problems: Sequence[Problem],
    replies: Sequence[Mapping[str, Any]],
    params: LstmParams,
    memo: dict[Any, Any] | None = None,
) -> Verdict:
    replies, repeats = replies[: len(problems)], replies[len(problems) :]  # calls_of: the first problem again
    answers = read_replies(problems, replies, memo)
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
        children = {term.child for term in problems[0].equations[quantity].terms}
        standing = _standing_in([q for q in stand_ins(answers[0]) if q in children])  # never "your own" 1s
        return Verdict(
            credit,
            f"{name}: differs from the truth {place}, but follows correctly from your own "
            f"{_children_text(problems[0], quantity)}{standing} (error carried forward): {worth}.\n\n"
            + _items(numbers),
            {"quantity": quantity, "status": "carried_forward", **data},
        )
    mistake: str | None
    state = _state_text(quantity, problems[0], answers[0], repeats[0] if repeats else None, params)
    if state is not None:
        mistake, hints = STATE_BETWEEN_CALLS, [state]
    elif quantity != "w_ix" and _one_index_early(graded):
        mistake, hints = ONE_INDEX_EARLY, [ONE_INDEX_EARLY_HINT]
    else:
        mistake = _recognise(graded, problems, answers)
        hints = [m.hint for m in problems[0].mistakes if m.name == mistake]
    if graded.empty:
        hints.insert(0, _empty_text(problems[0], quantity))
    text = f"{name}: wrong {place}.\n\n" + _items(numbers, *hints, _summary(graded, params))
    return Verdict(0.0, text, {"quantity": quantity, "status": "wrong", "mistake": mistake, **data})


def check_bar(
    quantity: str,
    problems: Sequence[Problem],
    replies: Sequence[Mapping[str, Any]],
    params: LstmParams,
    memo: dict[Any, Any] | None = None,
) -> Verdict:
    """Question 2(a): one bar (h c g o f i) at every graded step of every problem. `memo` (the submission's:
    collect.Collected) shares the replies read among the tests that read the same (read_replies)."""
    if quantity not in GRADED:
        raise ValueError(f"unknown quantity {quantity!r}; expected one of {', '.join(GRADED)}")
    return _judge(quantity, problems, replies, params, memo)


def check_weight(
    problems: Sequence[Problem],
    replies: Sequence[Mapping[str, Any]],
    params: LstmParams,
    memo: dict[Any, Any] | None = None,
) -> Verdict:
    """Question 2(b): the gradient of w_ix in every problem (`memo`: as check_bar's)."""
    return _judge("w_ix", problems, replies, params, memo)


def _ratios(values: np.ndarray) -> np.ndarray:
    """|v^(t) / v^(t+1)| for t = 1..T-1 (values over t = 1..T), NaN where v^(t+1) is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(values[:-1] / np.where(values[1:] == 0, np.nan, values[1:]))


def _cell(value: float | None, width: int) -> str:
    return f"{'-':>{width}}" if value is None or not np.isfinite(value) else f"{value:>{width}.3e}"


def check_vanishing_demo(
    problem: Problem, reply: Mapping[str, Any], params: DemoParams | None = None, *, source: str = "your function"
) -> Verdict:
    """Part (c), for information only: |h_bar| and |c_bar| back in time, the student's beside the truth, the true
    per-step factors (how much one step back multiplies each) and the gates that set them. Numbers only: part (c)
    asks why the gradient does not explode there, and is graded by hand, so the explanation is shown only with
    `explain` (a test for after the due date). It never passes or fails. `source` names what gave the student's bars
    ("your equations" for answers.tex)."""
    length = problem.length
    truth = {q: problem.truth[q] for q in ("h", "c")}  # over t = 1..T
    factors = {q: _ratios(truth[q]) for q in ("h", "c")}  # index t - 1: |bar^(t) / bar^(t+1)|
    if params is not None and params.explain:  # after the due date: the answer, beside the numbers already shown
        return Verdict(1.0, _explanation(problem, factors), {"status": "explained"})
    answer = read_answer(problem, reply, f"the demonstration problem (T = {length})")
    # a value beside a reason (an equation of answers.tex that cannot be read) is a stand-in, not the student's
    usable = {q: q in answer.values and q not in answer.problems for q in ("h", "c")}
    steps = sorted(set(range(length, 0, -10)) | {1}, reverse=True)
    mean = {gate: float(np.mean(problem.forward[gate][1:])) for gate in ("f", "i", "o")}
    status = "shown" if all(usable.values()) else "partly shown" if any(usable.values()) else "unusable"
    data: dict[str, Any] = {"status": status, "t": steps}
    for quantity in ("h", "c"):
        true = [abs(float(truth[quantity][t - 1])) for t in steps]
        yours = [abs(float(answer.values[quantity][t])) for t in steps] if usable[quantity] else None
        data[_label(quantity)] = {
            "actual": yours,
            "expected": true,
            "factor": [float(factors[quantity][t - 1]) if t < length else None for t in steps],
        }
    header = (
        f"{'t':>4} {'|h_bar| yours':>14} {'|h_bar| true':>13} {'|c_bar| yours':>14} {'|c_bar| true':>13} "
        f"{'h factor':>10} {'c factor':>10} {'f^(t+1)':>8} {'i^(t+1)':>8} {'o^(t+1)':>8}"
    )
    rows = [header]
    for row, t in enumerate(steps):
        mine = [data[_label(q)]["actual"][row] if usable[q] else None for q in ("h", "c")]
        gates = [f"{problem.forward[g][t + 1]:>8.4f}" if t < length else f"{'-':>8}" for g in ("f", "i", "o")]
        rows.append(
            f"{t:>4} {_cell(mine[0], 14)} {_cell(data['h_bar']['expected'][row], 13)} {_cell(mine[1], 14)} "
            f"{_cell(data['c_bar']['expected'][row], 13)} {_cell(data['h_bar']['factor'][row], 10)} "
            f"{_cell(data['c_bar']['factor'][row], 10)} " + " ".join(gates)
        )
    lines = [
        f"For information (no points; part (c) is graded by hand): {source} on a problem with forget "
        f"gates near 1 (f about {mean['f']:.3f}) and input and output gates near 0 (i about {mean['i']:.3f}, "
        f"o about {mean['o']:.3f}), over T = {length} steps, where the loss depends on h^({length}) only. "
        f"Yours beside the truth; the factors are the truth's, one step back: h factor = |h_bar^(t) / "
        f"h_bar^(t+1)|, c factor = |c_bar^(t) / c_bar^(t+1)|.",
        literal_block("\n".join(rows)),
    ]
    unusable = [q for q in ("h", "c") if not usable[q]]
    if len(unusable) == 2 and answer.problems["h"] == answer.problems["c"]:  # one reason for both: said once
        why = answer.problems["h"]
        lines.insert(1, f"{source.capitalize()} could not be shown here (the table has the truth only): {why}")
    else:
        for quantity in unusable:
            reason = answer.problems[quantity]
            lines.insert(1, f"Your {_label(quantity)} could not be shown here (its column has a dash): {reason}")
    standing = _standing_in(stand_ins(answer))
    shown = [_label(q) for q in ("h", "c") if usable[q]]
    if standing and shown:
        lines.insert(
            len(lines) - 1,
            f"Your {' and '.join(shown)} column{'s are' if len(shown) > 1 else ' is'} what your equations give"
            f"{standing}.",
        )
    for quantity in ("h", "c"):
        if not usable[quantity]:
            continue
        wrong = np.flatnonzero(
            ~_close(answer.values[quantity][1:], truth[quantity], _tolerance(problem, quantity, LstmParams()))
        )
        if wrong.size:
            lines.append(
                f"Your {_label(quantity)} differs from the truth on this problem (first at t = {int(wrong[-1]) + 1}, "
                f"going back from T), so your columns show what your equations do, not what the LSTM does."
            )
            break
    return Verdict(1.0, "\n\n".join(lines), data)


def _explanation(problem: Problem, factors: Mapping[str, np.ndarray]) -> str:
    """What the demonstration shows, in the terms of part (c)'s question (why the gradient does not explode):
    for a test shown after the due date only."""
    length = problem.length
    forget = problem.forward["f"][2:] if length > 1 else problem.forward["f"][1:]  # f^(t+1), t = 1..T-1
    low, high = float(np.min(forget)), float(np.max(forget))
    gates = f"about {low:.4f}" if high - low < 5e-5 else f"between {low:.4f} and {high:.4f}"
    c_true, h_true = np.abs(problem.truth["c"]), np.abs(problem.truth["h"])
    measured = ""
    if length > 3:  # steps 1..T-3: away from the loss, which enters at T (and h^(T-1) feeds it)
        inner = length - 3
        largest = float(np.nanmax(np.concatenate([factors["h"][:inner], factors["c"][:inner]])))
        share = float(np.max(h_true[:inner] / c_true[1 : inner + 1]))
        measured = (
            f": away from the last steps, where the loss enters, |h_bar^(t)| is at most {share:.3g} times "
            f"|c_bar^(t+1)|, and every per-step factor of the error signal is below 1 (at most {largest:.4f} for "
            f"h_bar and c_bar up to t = {inner})"
        )
    return (
        f"What the demonstration of part (c) shows (T = {length}, the loss on h^({length}) only). Going back one "
        f"step, c_bar^(t) gets c_bar^(t+1) times f^(t+1) (the term c_bar^(t+1) f^(t+1)), and every f^(t+1) here is "
        f"{gates}: below 1, so this path cannot make |c_bar| grow from step to step. h^(t) reaches step t+1 only "
        f"through the gates and g, whose terms carry o^(t+1), i^(t+1) or a sigmoid slope, all near 0 here, so "
        f"what reaches h_bar^(t) is small{measured}. No product of factors above 1 builds up, so the gradient does "
        f"not explode. (With f near 1 the cell still carries it far back: from t = {length} to t = 1, |c_bar| keeps "
        f"{c_true[0] / c_true[-1]:.0%} of its size, so it does not vanish either.)"
    )
