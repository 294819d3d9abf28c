"""A net under error carried forward: random single-equation mutations of the reference cost exactly that
equation's points, never more (issue 9, docs/spec.md 5.2)."""

import dataclasses

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from worker_reply import arguments, crossed

from autograder.judge import lstm, lstm_model
from autograder.judge.lstm_problem import GRADED

PARAMS = lstm.LstmParams()
PROBLEMS = lstm_model.judged_problems(PARAMS)
POINTS = {"h": 1, "c": 1, "g": 0.5, "o": 0.5, "f": 0.5, "i": 0.5, "w_ix": 1}
CALLS = [arguments(lstm.call_arguments(problem)) for problem in PROBLEMS]


@dataclasses.dataclass(frozen=True)
class Factor:
    """One factor of a term: `kind` of the value `name` at step t + `offset` (a bar, a forward value, a
    weight, the loss's direct term, or a slope written from the forward value)."""

    kind: str  # bar | value | weight | loss | sigmoid_slope | tanh_slope | tanh
    name: str = ""
    offset: int = 0


def _f(kind, name="", offset=0):
    return Factor(kind, name, offset)


# The handout's backprop, each equation a sum of products, in the order they are computed at each step.
EQUATIONS = {
    "h": [
        [_f("loss")],
        [_f("bar", "i", 1), _f("sigmoid_slope", "i", 1), _f("weight", "w_ih")],
        [_f("bar", "f", 1), _f("sigmoid_slope", "f", 1), _f("weight", "w_fh")],
        [_f("bar", "o", 1), _f("sigmoid_slope", "o", 1), _f("weight", "w_oh")],
        [_f("bar", "g", 1), _f("tanh_slope", "g", 1), _f("weight", "w_gh")],
    ],
    "c": [[_f("bar", "h"), _f("value", "o"), _f("tanh_slope", "tanh_c")], [_f("bar", "c", 1), _f("value", "f", 1)]],
    "g": [[_f("bar", "c"), _f("value", "i")]],
    "o": [[_f("bar", "h"), _f("tanh", "c")]],
    "f": [[_f("bar", "c"), _f("value", "c", -1)]],
    "i": [[_f("bar", "c"), _f("value", "g")]],
    "w_ix": [[_f("bar", "i"), _f("sigmoid_slope", "i"), _f("value", "x")]],  # summed over t = 1..T
}


def evaluate(factor, t, x, weights, forward, dL_dh, bars):
    """A factor's value at step t; a step outside 0..T reads 0 (the handout's "absent at t = T")."""
    s = t + factor.offset
    length = len(x) - 1
    if factor.kind == "weight":
        return weights[factor.name]
    if not 0 <= s <= length:
        return 0.0
    if factor.kind == "loss":
        return dL_dh[s]
    if factor.kind == "bar":
        return bars[factor.name][s]
    value = (
        x[s] if factor.name == "x" else np.tanh(forward["c"][s]) if factor.name == "tanh_c" else forward[factor.name][s]
    )
    if factor.kind == "sigmoid_slope":
        return value * (1 - value)
    if factor.kind == "tanh_slope":
        return 1 - value**2
    if factor.kind == "tanh":
        return np.tanh(value)
    return value  # "value", and a slope swapped for its function (see `swap`)


def student(equations):
    """An lstm_bptt computing `equations`, step t = T down to 1 (a bar not computed yet reads 0)."""

    def lstm_bptt(x, weights, forward, dL_dh):
        length = len(x) - 1
        bars = {key: np.zeros(length + 1) for key in GRADED}
        for t in range(length, 0, -1):
            for quantity in GRADED:
                bars[quantity][t] = sum(
                    np.prod([evaluate(f, t, x, weights, forward, dL_dh, bars) for f in term])
                    for term in equations[quantity]
                )
        w_ix = sum(
            np.prod([evaluate(f, t, x, weights, forward, dL_dh, bars) for f in term])
            for t in range(1, length + 1)
            for term in equations["w_ix"]
        )
        return {**bars, "w_ix": float(w_ix)}

    return lstm_bptt


def replies(function):
    return [{"value": crossed(function(*call))} for call in CALLS]


def scores(answers):
    verdicts = {q: lstm.check_bar(q, PROBLEMS, answers, PARAMS) for q in GRADED}
    verdicts["w_ix"] = lstm.check_weight(PROBLEMS, answers, PARAMS)
    return {q: POINTS[q] * v.fraction for q, v in verdicts.items()}


REFERENCE = replies(student(EQUATIONS))


def swapped(factor):
    """sigma' written as sigma, tanh' as tanh: the slope's own function in its place."""
    return dataclasses.replace(factor, kind="value")


@st.composite
def mutations(draw):
    """One equation changed once: a term dropped or scaled, one time index shifted, or a slope swapped."""
    quantity = draw(st.sampled_from(sorted(EQUATIONS)))
    terms = [list(term) for term in EQUATIONS[quantity]]
    j = draw(st.integers(0, len(terms) - 1))
    kind = draw(st.sampled_from(["drop", "scale", "shift", "swap"]))
    if kind == "drop":
        del terms[j]
    elif kind == "scale":
        terms[j].append(Factor("weight", draw(st.sampled_from(["half", "double", "minus"]))))
    else:
        choices = [
            k
            for k, f in enumerate(terms[j])
            if (f.kind != "weight" if kind == "shift" else f.kind in ("sigmoid_slope", "tanh_slope"))
        ]
        if not choices:
            kind = "drop"
            del terms[j]
        else:
            k = draw(st.sampled_from(choices))
            factor = terms[j][k]
            terms[j][k] = (
                dataclasses.replace(factor, offset=factor.offset + draw(st.sampled_from([-1, 1])))
                if kind == "shift"
                else swapped(factor)
            )
    return quantity, {**EQUATIONS, quantity: terms}


SCALES = {"half": 0.5, "double": 2.0, "minus": -1.0}


def answers_of(equations):
    """The mutated student's replies (a scaling weight is one of SCALES, passed through the weights)."""
    function = student(equations)

    def with_scales(x, weights, forward, dL_dh):
        return function(x, {**weights, **SCALES}, forward, dL_dh)

    return [{"value": crossed(with_scales(*call))} for call in CALLS]


def within_tolerance(answers, quantity):
    """The mutated quantity still equals the reference within the grading tolerance in every problem."""
    for problem, mine, right in zip(PROBLEMS, answers, REFERENCE, strict=True):
        ours = np.atleast_1d(mine["value"][quantity])[0 if quantity == "w_ix" else 1 :]
        truth = np.atleast_1d(right["value"][quantity])[0 if quantity == "w_ix" else 1 :]
        tolerance = PARAMS.rtol * np.max(np.abs(problem.expected(quantity))) + PARAMS.atol
        if np.any(np.abs(np.array(ours) - truth) > tolerance):
            return False
    return True


def empties_a_bar(answers):
    """Some bar is zero (within the truth-scaled tolerance) at every step of every problem."""
    return any(
        all(
            np.max(np.abs(np.array(reply["value"][q][1:])))
            <= PARAMS.rtol * np.max(np.abs(problem.truth[q])) + PARAMS.atol
            for problem, reply in zip(PROBLEMS, answers, strict=True)
        )
        for q in GRADED
    )


def test_the_reference_written_as_terms_scores_full_marks():
    """The term-by-term reference the mutations start from is right (else the property test proves nothing)."""
    assert sum(scores(REFERENCE).values()) == 5


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True, database=None)
@given(mutations())
def test_a_single_equation_mutation_costs_exactly_that_equations_points(mutation):
    """Drop a term, shift one time index, swap a slope for its function or scale a term, in one equation:
    the score drops by exactly that equation's points (error carried forward), never more, unless the
    change stays inside the tolerance (no drop) or empties a bar everywhere (empty work earns nothing)."""
    quantity, equations = mutation
    answers = answers_of(equations)
    if empties_a_bar(answers):
        return
    got = scores(answers)
    lost = {q for q, points in got.items() if points < POINTS[q]}
    assert lost == (set() if within_tolerance(answers, quantity) else {quantity}), (mutation, got)
