"""Tests of the question-2 judge: verdicts, error carried forward, mistake hints, robustness, and the samples."""

import json
import math
import runpy
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml
from worker_reply import arguments, crossed

from autograder.config import TestSpec
from autograder.judge import lstm, lstm_model
from autograder.judge.adder_weights import read_adder_weights
from autograder.judge.lstm_problem import GRADED, Problem
from autograder.judge.mistakes import load_mistakes
from autograder.report.feedback import say_once
from autograder.worker.inside.guard import Describer

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(path for path in (ROOT / "submissions_sample").glob("lstm_*") if path.is_dir())
POINTS = {"h": 1, "c": 1, "g": 0.5, "o": 0.5, "f": 0.5, "i": 0.5}
PARAMS = lstm.LstmParams()
PROBLEMS = lstm_model.judged_problems(PARAMS)
DEMO = lstm_model.judged_demo_problem(lstm.DemoParams())


def load_function(path):
    """A trusted sample's lstm_bptt, run in-process (the real pipeline runs students in a worker)."""
    return runpy.run_path(str(path))["lstm_bptt"]


REFERENCE = load_function(ROOT / "reference" / "lstm_bptt.py")


def call(function, problem):
    """One reply as the worker sends it (see reply_to)."""
    return reply_to(function, lstm.call_arguments(problem))


def reply_to(function, call_data):
    """One reply as the worker sends it, made with the worker's own conversions: the arguments rebuilt from
    the JSON call and passed positionally, the result made plain, an exception described with the
    student's own frames."""
    try:
        return {"value": crossed(function(*arguments(call_data)))}
    except Exception as error:  # noqa: BLE001 (the student's exception, reported as the worker reports it)
        folder = Path(function.__code__.co_filename).parent if hasattr(function, "__code__") else ROOT
        return {"error": Describer(str(folder), None)(error)}


def replies_of(function, problems=PROBLEMS):
    return [call(function, problem) for problem in problems]


def judge_all(replies, params=PARAMS, problems=PROBLEMS):
    verdicts = {quantity: lstm.check_bar(quantity, problems, replies, params) for quantity in GRADED}
    verdicts["w_ix"] = lstm.check_weight(problems, replies, params)
    return verdicts


def scores(verdicts):
    return {"2a": sum(POINTS[q] * verdicts[q].fraction for q in GRADED), "2b": verdicts["w_ix"].fraction}


def reference_replies(change=None):
    """The reference's replies, with `change(k, result)` applied to each problem's plain result."""
    replies = replies_of(REFERENCE)
    if change is not None:
        for k, reply in enumerate(replies):
            change(k, reply["value"])
    return replies


# --- The samples -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", SAMPLES, ids=[path.name for path in SAMPLES])
def test_sample_scores_and_feedback(folder):
    """Every LSTM sample gets the 2a and 2b scores in its expected.yaml, and shows its phrases."""
    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    function = load_function(folder / "lstm_bptt.py")
    verdicts = judge_all([reply_to(function, c) for c in lstm.calls_of(PROBLEMS)])  # in order, as the worker calls
    verdicts["demo"] = lstm.check_vanishing_demo(DEMO, call(function, DEMO))
    assert scores(verdicts) == pytest.approx({"2a": expected["scores"]["2a"], "2b": expected["scores"]["2b"]})
    assert expected["scores"]["2c"] == 0
    output = "\n".join(verdict.output for verdict in verdicts.values())
    for phrase in expected.get("output_contains", []):
        assert phrase in output


MISTAKE_SAMPLES = list(load_mistakes())


@pytest.mark.parametrize("mistake", MISTAKE_SAMPLES, ids=[m.name for m in MISTAKE_SAMPLES])
def test_every_catalogued_mistake_has_a_sample_that_is_recognised(mistake):
    """Each catalogued mistake has a sample; only its quantity fails, with that mistake named; the rest
    is right or earns error-carried-forward credit."""
    function = load_function(ROOT / "submissions_sample" / f"lstm_{mistake.name}" / "lstm_bptt.py")
    verdicts = judge_all(replies_of(function))
    failed = {quantity for quantity, verdict in verdicts.items() if verdict.fraction < 1}
    assert failed == {mistake.quantity}
    assert verdicts[mistake.quantity].data["mistake"] == mistake.name
    assert mistake.hint in verdicts[mistake.quantity].output


def test_wrong_equation_feedback_wording():
    """A dropped c_bar^(t+1) f^(t+1) gets the first wrong step, the numbers, the hint and the tolerance."""
    function = load_function(ROOT / "submissions_sample" / "lstm_c_bar_without_carry" / "lstm_bptt.py")
    verdict = lstm.check_bar("c", PROBLEMS, replies_of(function), PARAMS)
    assert verdict.output == (
        "c_bar: wrong at t = 1 of 3 (problem 2, seed 1014).\n\n"
        "- got -0.03329, expected -0.1573 (relative error 0.79)\n"
        "- This matches c_bar without the c_bar^(t+1) f^(t+1) term: c^(t) also affects c^(t+1).\n"
        "- Wrong at 70 of 75 graded steps, in 4 of 5 problems; "
        "tolerance 1e-05 × the largest |expected c_bar| of each problem + 1e-09."
    )
    assert verdict.fraction == 0
    assert verdict.data == {
        "quantity": "c",
        "status": "wrong",
        "mistake": "c_bar_without_carry",
        "problem": 2,
        "seed": 1014,
        "t": 1,
        "actual": pytest.approx(-0.03329, rel=1e-3),
        "expected": pytest.approx(-0.1573, rel=1e-3),
    }


def test_carried_forward_feedback_wording():
    """A bar that follows from the student's own wrong bars says so, with the numbers, and earns full credit."""
    function = load_function(ROOT / "submissions_sample" / "lstm_c_bar_without_carry" / "lstm_bptt.py")
    replies = replies_of(function)
    g = lstm.check_bar("g", PROBLEMS, replies, PARAMS)
    assert g.fraction == 1.0 and g.data["status"] == "carried_forward"
    assert g.output == (
        "g_bar: differs from the truth at t = 1 of 3 (problem 2, seed 1014), but follows correctly "
        "from your own c_bar (error carried forward): full credit.\n\n"
        "- got -0.02307, expected -0.109 (relative error 0.79)"
    )
    h = lstm.check_bar("h", PROBLEMS, replies, PARAMS)
    assert "from your own i_bar^(t+1), f_bar^(t+1), o_bar^(t+1) and g_bar^(t+1) (error carried forward)" in h.output
    c = lstm.check_bar(
        "c",
        PROBLEMS,
        replies_of(load_function(ROOT / "submissions_sample" / "lstm_h_bar_without_recurrence" / "lstm_bptt.py")),
        PARAMS,
    )
    assert "from your own h_bar and c_bar^(t+1) (error carried forward)" in c.output


def test_correct_feedback_names_the_seeds():
    """A right bar says so and names the seeds and lengths of the problems."""
    verdict = lstm.check_bar("h", PROBLEMS, reference_replies(), PARAMS)
    assert verdict.output == (
        "h_bar: matches the finite-difference truth at every step t = 1..T of 5 problems "
        "(seeds 1007, 1014, 1016, 1003, 1618; T = 1, 3, 6, 15, 50)."
    )
    assert verdict.fraction == 1.0


# --- Error carried forward -----------------------------------------------------------------------------------


def noisy_c_student(x, weights, forward, dL_dh):
    """Right equations, except that c_bar gets an arbitrary extra term; everything else is built from it."""
    i, f, o, g, c = (np.asarray(forward[k]) for k in "ifogc")
    T = len(x) - 1
    bar = {key: np.zeros(T + 1) for key in "hcgofi"}
    for t in range(T, 0, -1):
        bar["h"][t] = dL_dh[t]
        if t < T:
            bar["h"][t] += (
                bar["i"][t + 1] * i[t + 1] * (1 - i[t + 1]) * weights["w_ih"]
                + bar["f"][t + 1] * f[t + 1] * (1 - f[t + 1]) * weights["w_fh"]
                + bar["o"][t + 1] * o[t + 1] * (1 - o[t + 1]) * weights["w_oh"]
                + bar["g"][t + 1] * (1 - g[t + 1] ** 2) * weights["w_gh"]
            )
        bar["c"][t] = bar["h"][t] * o[t] * (1 - np.tanh(c[t]) ** 2) + 0.3 * math.sin(t)
        if t < T:
            bar["c"][t] += bar["c"][t + 1] * f[t + 1]
        bar["g"][t], bar["o"][t] = bar["c"][t] * i[t], bar["h"][t] * np.tanh(c[t])
        bar["f"][t], bar["i"][t] = bar["c"][t] * c[t - 1], bar["c"][t] * g[t]
    w_ix = float(np.sum(bar["i"][1:] * i[1:] * (1 - i[1:]) * x[1:]))
    return {**bar, "w_ix": w_ix}


def test_error_carried_forward_credits_bars_built_from_a_wrong_c_bar():
    """With an arbitrary error in c_bar, only c fails: g, o, f, i, h and w_ix follow from the student's c_bar."""
    verdicts = judge_all(replies_of(noisy_c_student))
    assert {q: v.fraction for q, v in verdicts.items()} == {"h": 1, "c": 0, "g": 1, "o": 1, "f": 1, "i": 1, "w_ix": 1}
    assert verdicts["c"].data["mistake"] is None
    assert all(verdicts[q].data["status"] == "carried_forward" for q in "hgofi")


def tampered(tamper, *, w_ix_slope=True, c_carry=True, h_direct=True):
    """The reference's equations, with `tamper(T, quantity, t, value)` applied to each bar as it is computed
    (what follows is built on the tampered value, as a student's code would), and optionally w_ix without sigma',
    c_bar without its carry term, h_bar without dL_dh."""

    def lstm_bptt(x, weights, forward, dL_dh):
        i, f, o, g, c = (np.asarray(forward[k]) for k in "ifogc")
        T = len(x) - 1
        bar = {key: np.zeros(T + 1) for key in "hcgofi"}
        for t in range(T, 0, -1):
            h = dL_dh[t] if h_direct else 0.0
            if t < T:
                h += (
                    bar["i"][t + 1] * i[t + 1] * (1 - i[t + 1]) * weights["w_ih"]
                    + bar["f"][t + 1] * f[t + 1] * (1 - f[t + 1]) * weights["w_fh"]
                    + bar["o"][t + 1] * o[t + 1] * (1 - o[t + 1]) * weights["w_oh"]
                    + bar["g"][t + 1] * (1 - g[t + 1] ** 2) * weights["w_gh"]
                )
            bar["h"][t] = tamper(T, "h", t, h)
            carry = bar["c"][t + 1] * f[t + 1] if t < T and c_carry else 0.0
            bar["c"][t] = tamper(T, "c", t, bar["h"][t] * o[t] * (1 - np.tanh(c[t]) ** 2) + carry)
            bar["g"][t] = tamper(T, "g", t, bar["c"][t] * i[t])
            bar["o"][t] = tamper(T, "o", t, bar["h"][t] * np.tanh(c[t]))
            bar["f"][t] = tamper(T, "f", t, bar["c"][t] * c[t - 1])
            bar["i"][t] = tamper(T, "i", t, bar["c"][t] * g[t])
        slope = i[1:] * (1 - i[1:]) if w_ix_slope else 1.0
        return {**bar, "w_ix": float(np.sum(bar["i"][1:] * slope * x[1:]))}

    return lstm_bptt


def fractions(verdicts):
    return {quantity: verdict.fraction for quantity, verdict in verdicts.items()}


ALL_RIGHT = {"h": 1, "c": 1, "g": 1, "o": 1, "f": 1, "i": 1, "w_ix": 1}


@pytest.mark.parametrize(
    "quantity, step", [("h", "first"), ("h", "last"), ("c", "first"), ("c", "last"), ("i", "first"), ("o", "last")]
)
def test_a_bar_emptied_in_the_t1_problem_only_voids_no_credit(quantity, step):
    """An upstream mistake that zeroes a bar at one step makes it 0 in the T = 1 problem: that problem shows no
    carried work, the longer ones do, so only the mistaken equation loses its points (5.2)."""

    def tamper(T, q, t, value):
        return 0.0 if q == quantity and t == (1 if step == "first" else T) else value

    verdicts = judge_all(replies_of(tampered(tamper)))
    assert fractions(verdicts) == {**ALL_RIGHT, quantity: 0}
    assert verdicts[quantity].data["problem"] == 1


def test_a_bar_emptied_everywhere_costs_what_is_built_only_on_it():
    """c_bar = 0 everywhere: g, f, i and w_ix, built only on c_bar, earn nothing; h still follows from o_bar."""
    verdicts = judge_all(replies_of(tampered(lambda T, q, t, value: 0.0 if q == "c" else value)))
    assert fractions(verdicts) == {"h": 1, "c": 0, "g": 0, "o": 1, "f": 0, "i": 0, "w_ix": 0}
    assert verdicts["h"].data["status"] == "carried_forward" and verdicts["g"].data["status"] == "wrong"


WILD = 1e9


@pytest.mark.parametrize(
    "wild, wrong",
    [
        (("h", 4, 7), ("c", 4, 12)),
        (("h", 4, 7), ("c", 2, 2)),
        (("i", 4, 30), ("g", 4, 3)),
        (("c", 3, 1), ("f", 4, 40)),
        (("g", 4, 20), ("h", 4, 2)),
    ],
    ids=["same-problem-later-step", "other-problem", "i-then-g", "c-then-f-elsewhere", "g-then-h-earlier"],
)
def test_a_wild_value_does_not_widen_any_other_comparison(wild, wrong):
    """One wild upstream value (1e9 at one step) cannot loosen the check at another step or problem: a small
    real mistake elsewhere (1e-3 of the quantity's scale) still costs its points (5.2)."""
    lengths = [p.length for p in PROBLEMS]

    def tamper(T, q, t, value):
        for (name, k, step), change in ((wild, lambda v: WILD), (wrong, lambda v: v + 1e-3 * scale)):
            if q == name and T == lengths[k] and t == step:
                return change(value)
        return value

    scale = float(np.max(np.abs(PROBLEMS[wrong[1]].truth[wrong[0]])))
    verdicts = judge_all(replies_of(tampered(tamper)))
    lost = {q for q, fraction in fractions(verdicts).items() if fraction < 1}
    assert lost == {wild[0], wrong[0]}


def test_a_wild_value_does_not_hide_a_mistake_in_the_w_ix_sum():
    """i_bar^(2) = 1e9 and w_ix without sigma': w_ix_bar fails and is named as that mistake; i_bar alone else."""
    function = tampered(lambda T, q, t, value: WILD if (q, t) == ("i", 2) else value, w_ix_slope=False)
    verdicts = judge_all(replies_of(function))
    assert fractions(verdicts) == {**ALL_RIGHT, "i": 0, "w_ix": 0}
    assert verdicts["w_ix"].data["mistake"] == "w_ix_without_sigmoid_slope"
    longer = PROBLEMS[1:]  # every problem holds the wild value: no T = 1 problem to give a mistake away

    def last_term_left_out(x, weights, forward, dL_dh):  # the sum over range(1, T): off by one at the end
        result = tampered(lambda T, q, t, value: WILD if (q, t) == ("i", 2) else value)(x, weights, forward, dL_dh)
        i = np.asarray(forward["i"])
        result["w_ix"] -= result["i"][-1] * i[-1] * (1 - i[-1]) * x[-1]
        return result

    verdict = lstm.check_weight(longer, replies_of(last_term_left_out, longer), PARAMS)
    assert verdict.fraction == 0 and verdict.data["status"] == "wrong"


@pytest.mark.parametrize("wild", [1e9, 1e12, 1e15, -3e14])
def test_a_huge_value_costs_only_its_own_equation_whatever_the_rounding(wild):
    """i_bar^(2) huge in every problem: the bars built on it carry rounding errors far above the truth-scaled
    tolerance, which the student's float64 cannot avoid; they still follow from the student's own bars and
    keep their credit, at the steps the value enters (5.2: a mistake costs its own equation's points once)."""
    verdicts = judge_all(replies_of(tampered(lambda T, q, t, value: wild if (q, t) == ("i", 2) else value)))
    bars = {q: f for q, f in fractions(verdicts).items() if q != "w_ix"}
    assert bars == {q: (0 if q == "i" else 1) for q in "hcgofi"}
    assert {verdicts[q].data["status"] for q in "hcgof"} <= {"correct", "carried_forward"}


def test_huge_values_at_every_step_cannot_buy_credit_for_a_wrong_equation():
    """h_bar without dL_dh, and i_bar = 1e16 at every step to drown it in rounding: the steps where the huge
    value enters prove nothing, and with no step left to decide, h_bar earns nothing (nor does i_bar)."""
    function = tampered(lambda T, q, t, value: 1e16 if q == "i" else value, h_direct=False)
    verdicts = judge_all(replies_of(function))
    assert verdicts["h"].fraction == 0 and verdicts["i"].fraction == 0


def test_a_catalogued_mistake_is_named_beside_a_wild_value():
    """c_bar without its carry term, built on a wild h_bar^(3), is still recognised within the truth-scaled
    tolerance; h_bar loses its point, o_bar follows from it."""
    function = tampered(lambda T, q, t, value: WILD if (q, t) == ("h", 3) else value, c_carry=False)
    verdicts = judge_all(replies_of(function))
    assert fractions(verdicts) == {**ALL_RIGHT, "h": 0, "c": 0}
    assert verdicts["c"].data["mistake"] == "c_bar_without_carry"
    assert verdicts["o"].data["status"] == "carried_forward"

    scale = float(np.max(np.abs(PROBLEMS[4].truth["c"])))
    also_off = tampered(
        lambda T, q, t, value: (
            WILD if (q, t) == ("h", 3) else value + 1e-3 * scale if (q, T, t) == ("c", 50, 40) else value
        ),
        c_carry=False,
    )
    assert lstm.check_bar("c", PROBLEMS, replies_of(also_off), PARAMS).data["mistake"] is None


def test_carried_forward_credit_is_configurable():
    """carried_forward_credit = 0.5 gives half the points, and says so."""
    params = lstm.LstmParams(carried_forward_credit=0.5)
    verdict = lstm.check_bar("g", PROBLEMS, replies_of(noisy_c_student), params)
    assert verdict.fraction == 0.5 and "(error carried forward): 50% credit." in verdict.output


def test_a_bar_inconsistent_with_its_own_children_gets_nothing():
    """A g_bar that neither matches the truth nor follows from the student's c_bar earns 0."""

    def change(k, result):
        result["g"] = [value * 1.5 for value in result["g"]]

    verdict = lstm.check_bar("g", PROBLEMS, reference_replies(change), PARAMS)
    assert verdict.fraction == 0 and verdict.data["status"] == "wrong"


def test_zeros_earn_nothing():
    """A function returning zeros earns 0 everywhere: error carried forward needs non-zero inputs."""
    verdicts = judge_all(
        replies_of(lambda x, weights, forward, dL_dh: {**{key: np.zeros(len(x)) for key in "hcgofi"}, "w_ix": 0.0})
    )
    assert scores(verdicts) == {"2a": 0, "2b": 0}
    assert all(verdict.data["mistake"] is None for verdict in verdicts.values())


@pytest.mark.parametrize("constant", [1.0, -0.5, 2])
def test_constants_earn_nothing(constant):
    """A function returning the same constant everywhere earns 0."""
    verdicts = judge_all(
        replies_of(
            lambda x, weights, forward, dL_dh: {**{key: [constant] * len(x) for key in "hcgofi"}, "w_ix": constant}
        )
    )
    assert scores(verdicts) == {"2a": 0, "2b": 0}


def test_direct_term_alone_with_empty_gates_earns_nothing():
    """h_bar = dL/dh with all-zero gate bars is not credited by error carried forward (nothing to carry)."""
    verdicts = judge_all(
        replies_of(
            lambda x, weights, forward, dL_dh: {
                **{key: np.zeros(len(x)) for key in "cgofi"},
                "h": np.array(dL_dh),
                "w_ix": 0.0,
            }
        )
    )
    assert verdicts["h"].fraction == 0


def test_huge_values_that_overflow_earn_nothing():
    """Gate bars so large that the carried-forward equation overflows give h_bar no credit."""

    def huge(x, weights, forward, dL_dh):
        bars = {key: [math.copysign(1.7e308, weights[f"w_{key}h"])] * len(x) for key in "ifog"}
        return {**bars, "c": [1.0] * len(x), "h": [0.5] * (len(x) - 1) + [float(dL_dh[-1])], "w_ix": 1.0}

    params = lstm.LstmParams(seeds=(1014, 1016), lengths=(3, 6))
    problems = lstm_model.judged_problems(params)
    verdict = lstm.check_bar("h", problems, replies_of(huge, problems), params)
    assert verdict.fraction == 0 and verdict.data["status"] == "wrong"


def test_small_values_do_not_hide_a_wrong_equation():
    """With a loss a million times smaller every bar is tiny, yet a wrong c_bar still fails and the reference passes."""
    params = lstm.LstmParams(loss_linear=1e-6, loss_quadratic=1e-6)
    problems = lstm_model.judged_problems(params)
    wrong = load_function(ROOT / "submissions_sample" / "lstm_c_bar_without_carry" / "lstm_bptt.py")
    assert lstm.check_bar("c", problems, replies_of(wrong, problems), params).fraction == 0
    assert scores(judge_all(replies_of(REFERENCE, problems), params, problems)) == {"2a": 4, "2b": 1}


# --- What students return -------------------------------------------------------------------------------------


def test_wrong_length_is_reported_with_the_expected_length():
    """Arrays of length T instead of T+1 fail with a message giving the length expected and why."""

    def change(k, result):
        result["h"] = result["h"][1:]

    verdict = lstm.check_bar("h", PROBLEMS, reference_replies(change), PARAMS)
    assert verdict.fraction == 0
    assert verdict.output == (
        "h_bar: expected a list or array of T+1 = 2 numbers (index 0 to T = 1) on problem 1 "
        "(seed 1007, T = 1), got 1 number. Index t holds the value at time t, so index 0 must "
        "be there too (it is not graded)."
    )


def test_a_wrong_shape_is_reported():
    """A (T+1, 2) array fails with its shape; a (T+1, 1) column is accepted."""

    def two_columns(k, result):
        result["c"] = [[v, v] for v in result["c"]]

    verdict = lstm.check_bar("c", PROBLEMS, reference_replies(two_columns), PARAMS)
    assert verdict.output.endswith("got an array of shape (2, 2).")

    def column(k, result):
        result["c"] = [[v] for v in result["c"]]

    assert lstm.check_bar("c", PROBLEMS, reference_replies(column), PARAMS).fraction == 1


@pytest.mark.parametrize(
    "bad, shown", [(float("nan"), "NaN"), (float("inf"), "infinity"), (-float("inf"), "minus infinity")]
)
def test_non_finite_values_are_reported(bad, shown):
    """NaN or infinity at a graded step fails with where it is."""

    def change(k, result):
        if k == 2:
            result["o"][4] = bad

    verdict = lstm.check_bar("o", PROBLEMS, reference_replies(change), PARAMS)
    assert verdict.fraction == 0
    assert verdict.output == f"o_bar: not finite at t = 4 on problem 3 (seed 1016, T = 6): got {shown}."


@pytest.mark.parametrize(
    "index_zero",
    [float("nan"), 123.0, None, "<not a number: type 'NoneType'>", [1.0, 2.0], {"a": 1.0}, "text"],
    ids=["nan", "number", "None", "marker", "list", "dict", "string"],
)
def test_index_zero_is_ignored_entirely(index_zero):
    """Whatever stands at index 0 (any value of any type, None included) is ignored (docs/spec.md 5.1)."""

    def change(k, result):
        for key in GRADED:
            result[key][0] = index_zero
        result["c"] = [[value] for value in result["c"]]  # a column, index 0 included

    assert scores(judge_all(reference_replies(change))) == {"2a": 4, "2b": 1}


def test_index_zero_does_not_count_as_an_element_in_messages():
    """Elements are named by their step: a bad element at index 2 is at t = 2."""

    def change(k, result):
        result["g"][0] = None
        if k == 1:
            result["g"][2] = "<not a number: type 'Foo'>"

    verdict = lstm.check_bar("g", PROBLEMS[1:], reference_replies(change)[1:], PARAMS)
    assert verdict.output == (
        "g_bar: not a number at t = 2 on problem 1 (seed 1014, T = 3): got a value of type `Foo`."
    )


def test_a_missing_key_fails_only_that_quantity():
    """A result without 'c' fails c_bar with the keys expected; the other bars are still graded."""

    def change(k, result):
        del result["c"]

    replies = reference_replies(change)
    verdict = lstm.check_bar("c", PROBLEMS, replies, PARAMS)
    assert verdict.output == (
        "c_bar: the dict your function returned on problem 1 (seed 1007, T = 1) has no key 'c'; "
        "expected keys h, c, g, o, f, i and w_ix (it has `h`, `g`, `o`, `f`, `i`, `w_ix`)."
    )
    assert lstm.check_bar("h", PROBLEMS, replies, PARAMS).fraction == 1


def test_extra_keys_are_ignored():
    """Extra keys in the result, even unreadable ones, change nothing."""

    def change(k, result):
        result["notes"] = "<not a number: type 'Foo'>"
        result["w_ih"] = [1, 2, 3]

    assert scores(judge_all(reference_replies(change))) == {"2a": 4, "2b": 1}


def test_lists_of_ints_and_floats_are_read_as_float64():
    """Lists mixing int and float are accepted and read as float64 arrays."""
    answers = lstm.read_replies(PROBLEMS[:1], [{"value": {"h": [0, 1], "c": [0.5, 2], "w_ix": 3}}])
    assert answers[0].values["h"].dtype == np.float64 and list(answers[0].values["c"]) == [0.0, 2.0]
    assert answers[0].values["w_ix"] == 3.0 and "g" in answers[0].problems


def returning(convert, w_ix=float):
    """The reference, its arrays returned as `convert(array)` makes them and w_ix as `w_ix(value)` does."""

    def student(x, weights, forward, dL_dh):
        result = REFERENCE(x, weights, forward, dL_dh)
        return {key: w_ix(value) if key == "w_ix" else convert(value) for key, value in result.items()}

    return student


@pytest.mark.parametrize(
    "convert, w_ix",
    [
        (lambda v: v.astype(np.longdouble), np.longdouble),
        (lambda v: [Fraction(value) for value in v.tolist()], Fraction),
        (lambda v: np.array([Fraction(value) for value in v.tolist()], dtype=object), Fraction),
        (lambda v: [0, *v[1:].astype(np.longdouble)], lambda w: np.array([[np.longdouble(w)]])),
        (lambda v: [np.int64(0), *(Fraction(value) for value in v[1:].tolist())], lambda w: [Fraction(w)]),
    ],
    ids=["long double", "Fractions", "object array of Fractions", "long doubles after an int", "numpy int at index 0"],
)
def test_every_real_number_type_is_graded_as_its_value(convert, w_ix):
    """A correct answer returned as long doubles, Fractions (in a list or an object array) or with an int at
    index 0 earns full marks: the worker sends each exactly and the judge reads it as its value."""
    assert scores(judge_all(replies_of(returning(convert, w_ix)))) == {"2a": 4, "2b": 1}


@pytest.mark.parametrize(
    "ints",
    [lambda n: np.arange(n), lambda n: np.arange(n, dtype=np.uint8), lambda n: list(range(n))],
    ids=["int64 array", "uint8 array", "list of ints"],
)
def test_integers_are_graded_as_their_values(ints):
    """An array of integers is read as the numbers it holds: a wrong answer is wrong by its values, not "not a
    number"."""

    def student(x, weights, forward, dL_dh):
        return {**REFERENCE(x, weights, forward, dL_dh), "h": ints(len(x))}

    replies = replies_of(student)
    assert list(lstm.read_answer(PROBLEMS[3], replies[3], "here").values["h"]) == list(range(PROBLEMS[3].length + 1))
    verdict = lstm.check_bar("h", PROBLEMS, replies, PARAMS)
    assert verdict.fraction == 0 and verdict.output.startswith("h_bar: wrong at t = 1 of 1 (problem 1, seed 1007)")
    assert "- got 1, expected" in verdict.output


def test_an_object_array_with_none_at_index_0_is_graded():
    """np.array([None, ...], dtype=object) (a common way to leave step 0 empty) is read element by element:
    index 0 is ignored and the rest graded; a None at a graded step is named there."""

    def with_none(v):
        return np.array([None, *v[1:].tolist()], dtype=object)

    assert scores(judge_all(replies_of(returning(with_none)))) == {"2a": 4, "2b": 1}

    def none_at_2(v):
        return np.array([0.0, v[1], None, *v[3:].tolist()], dtype=object) if len(v) > 2 else v

    verdict = lstm.check_bar("c", PROBLEMS, replies_of(returning(none_at_2)), PARAMS)
    assert verdict.output == "c_bar: not a number at t = 2 on problem 2 (seed 1014, T = 3): got None."


def test_a_number_beyond_the_float_range_is_named():
    """A finite number too large for a float (an int of 400 digits) is not called infinite."""

    def student(x, weights, forward, dL_dh):
        result = REFERENCE(x, weights, forward, dL_dh)
        return {**result, "h": [0, 10**400, *result["h"][2:].tolist()]}

    verdict = lstm.check_bar("h", PROBLEMS, replies_of(student), PARAMS)
    assert verdict.output == (
        "h_bar: too large at t = 1 on problem 1 (seed 1007, T = 1): got a number beyond the range of a float "
        "(about ±1.8e308)."
    )


@pytest.mark.parametrize(
    "bad, described",
    [
        (float("nan"), "NaN"),
        (np.float32("-inf"), "minus infinity"),
        (np.longdouble("inf"), "infinity"),
        (1j, "a value of type `complex`"),
        (np.complex128(1), "a value of type `complex128`"),
        ("0.5", "text (a `str`); write the numbers without quotes"),
        (None, "None"),
        (True, "True or False (a `bool`); write 1 or 0"),
        (np.array(["a"]), "an array of type `ndarray` holding `<U1`; use numbers"),
        (object(), "a value of type `object`"),
    ],
    ids=[
        "nan",
        "-inf float32",
        "inf long double",
        "complex",
        "numpy complex",
        "str",
        "None",
        "bool",
        "array",
        "object",
    ],
)
def test_a_bad_value_is_described_the_same_in_both_questions(bad, described):
    """Question 1 and question 2 describe a bad value in the same words (numbers.describe, one definition)."""

    def student(x, weights, forward, dL_dh):
        result = REFERENCE(x, weights, forward, dL_dh)
        return {**result, "h": [0.0, bad, *result["h"][2:].tolist()]}

    question_2 = lstm.check_bar("h", PROBLEMS, replies_of(student), PARAMS).output
    question_1 = read_adder_weights(
        {"U": [[1, 1]] * 3, "W": [[0] * 3] * 3, "V": crossed([[1, bad, 1]]), "b_h": [0] * 3, "b_y": 0}
    )
    if described in ("NaN", "infinity", "minus infinity"):
        assert question_2 == f"h_bar: not finite at t = 1 on problem 1 (seed 1007, T = 1): got {described}."
        assert question_1 == f"- `V` contains {described} at [0, 1]: every weight must be a finite number"
    else:
        assert question_2 == f"h_bar: not a number at t = 1 on problem 1 (seed 1007, T = 1): got {described}."
        assert question_1 == f"- `V` has a non-number at [0, 1]: it is {described}"


def test_non_numbers_are_reported():
    """An element the worker could not convert is named, with what it was."""

    def change(k, result):
        result["g"][1] = "<not a number: type 'Foo'>"

    verdict = lstm.check_bar("g", PROBLEMS, reference_replies(change), PARAMS)
    assert verdict.output == (
        "g_bar: not a number at t = 1 on problem 1 (seed 1007, T = 1): got a value of type `Foo`."
    )


@pytest.mark.parametrize(
    "returned, described",
    [
        ([1.0, 2.0], "a list or tuple"),
        (Fraction(1, 2), "the number 0.5"),
        (np.longdouble(2), "the number 2"),
        (None, "None"),
        ("done", "text (a `str`); write the numbers without quotes"),
        ({1, 2}, "a value of type `set`"),
    ],
    ids=["list", "Fraction", "long double", "None", "str", "set"],
)
def test_a_result_that_is_not_a_dict_is_reported(returned, described):
    """Returning anything but a dict fails every quantity with what was returned (a number as its value, in
    question 1's words otherwise) and what a result must be."""
    verdict = lstm.check_bar("h", PROBLEMS, replies_of(lambda x, weights, forward, dL_dh: returned), PARAMS)
    assert verdict.output == (
        f"h_bar cannot be graded:\n\nYour function returned {described} on problem 1 (seed 1007, T = 1); "
        "expected a dict with keys h, c, g, o, f, i and w_ix."
    )


@pytest.mark.parametrize(
    "value, message",
    [
        ([0.5, 0.25], "got 2 numbers."),
        (
            "<not a number: type 'Tensor'>",
            "not a number on problem 1 (seed 1007, T = 1): got a value of type `Tensor`.",
        ),
        (float("nan"), "not finite on problem 1 (seed 1007, T = 1): got NaN."),
    ],
    ids=["list", "object", "nan"],
)
def test_w_ix_must_be_one_finite_number(value, message):
    """w_ix_bar must be a single finite number (a one-element list is fine)."""

    def change(k, result):
        result["w_ix"] = value

    verdict = lstm.check_weight(PROBLEMS, reference_replies(change), PARAMS)
    assert verdict.fraction == 0 and verdict.output.endswith(message)

    def one_element(k, result):
        result["w_ix"] = [result["w_ix"]]

    assert lstm.check_weight(PROBLEMS, reference_replies(one_element), PARAMS).fraction == 1


@pytest.mark.parametrize(
    "result",
    [(1.0, 2.0), {"h_bar": [0.0, 1.0]}, None],
    ids=["tuple", "keys named h_bar", "None"],
)
def test_a_reason_that_fails_every_answer_is_said_once(result):
    """What the whole reply gets wrong fails seven tests; the first says it, the six others refer to it (5.7)."""
    verdicts = judge_all(replies_of(lambda x, weights, forward, dL_dh: result))
    specs = [
        TestSpec(name=q, number=f"2.{k}", question="2a", max_score=1, check="toy", visibility="visible")
        for k, q in enumerate(verdicts, start=1)
    ]
    said, _ = say_once(list(zip(specs, verdicts.values(), strict=True)), "")
    outputs = [verdict.output for _, verdict in said]
    assert outputs[0].startswith("h_bar cannot be graded:\n\n") and len(outputs[0]) > 80
    assert outputs[1:] == [f"{q}_bar cannot be graded:\n\n(Same as in test 2.1 above.)" for q in list(verdicts)[1:]]


def test_an_exception_shows_the_students_traceback():
    """A raising function fails with its own traceback in a code block."""
    function = load_function(ROOT / "submissions_sample" / "lstm_exception" / "lstm_bptt.py")
    replies = replies_of(function)
    verdict = lstm.check_bar("i", PROBLEMS, replies, PARAMS)
    assert verdict.fraction == 0
    assert verdict.output == (
        "i_bar cannot be graded:\n\nYour function failed on problem 1 (seed 1007, T = 1):\n\n```text\n"
        + replies[0]["error"]
        + "\n```"
    )
    assert 'File "lstm_bptt.py", line 11, in lstm_bptt' in verdict.output


def test_other_worker_text_is_shown_literally():
    """The worker's error text (a crash) is shown as it came, in a code block."""
    replies = [{"error": "Your `lstm_bptt.py` exited early with status 3 (sys.exit?)."}] * len(PROBLEMS)
    assert (
        "failed on problem 1 (seed 1007, T = 1):\n\n```text\nYour `lstm_bptt.py` exited early with status 3 "
        "(sys.exit?).\n```"
    ) in lstm.check_weight(PROBLEMS, replies, PARAMS).output


def test_a_timeout_says_what_usually_causes_it():
    """A call that timed out says so, what usually causes it and what to check; later calls say they were not made."""
    replies = [{"error": "timed out after 5 s"}] + [{"error": "not called: an earlier call timed out after 5 s"}] * 4
    verdict = lstm.check_weight(PROBLEMS, replies, PARAMS)
    assert verdict.fraction == 0
    assert verdict.output == (
        "w_ix_bar cannot be graded:\n\nYour code timed out after 5 s on problem 1 (seed 1007, T = 1): it did not "
        "finish. This usually "
        "means an endless loop (a `while` whose condition never changes), a loop over a huge range (here `len(x)` is "
        "T+1 = 2), or waiting for input (`input()` waits forever). Check the bounds of each loop, and what runs when "
        "the file is imported (everything outside a function)."
    )
    later = lstm.check_weight(PROBLEMS[1:], replies[1:], PARAMS).output
    assert "Your function was not called on problem 1 (seed 1014, T = 3): an earlier call timed out after 5 s" in later
    assert "timed out after 5 s on" not in later  # it did not time out itself


@pytest.mark.parametrize(
    "error, said",
    [
        (
            "Importing lstm_bptt.py failed:\n  File \"lstm_bptt.py\", line 2\nSyntaxError: expected ':'",
            "Your file could not be imported, so your function was never called:\n\n```text\nImporting lstm_bptt.py",
        ),
        (
            "lstm_bptt.py defines no function named 'lstm_bptt'.",
            "Your function was never called:\n\n```text\nlstm_bptt.py defines no function named 'lstm_bptt'.\n```",
        ),
        (
            "'lstm_bptt' in lstm_bptt.py is not a function (it is of type 'int').",
            "Your function was never called:\n\n```text\n'lstm_bptt' in lstm_bptt.py is not a function",
        ),
        (
            "Importing lstm_bptt.py failed:\ntimed out after 5 s",
            "Importing your file timed out after 5 s, before any call of your function: it did not finish.",
        ),
    ],
)
def test_a_file_that_gave_no_function_says_so_not_a_problem(error, said):
    """A file that could not be imported (or timed out importing, where the worker says so), or that holds no
    function of that name, never reached a problem: the message says what happened to the file, and names no
    problem it "failed on"."""
    output = lstm.check_bar("h", PROBLEMS, [{"error": error}] * len(PROBLEMS), PARAMS).output
    assert said in output
    assert "problem 1" not in output and "failed on" not in output


def test_a_call_that_does_not_fit_the_signature_says_what_it_must_be():
    """A TypeError raised at the call itself (no frame of the student's file) names the signature."""
    error = "TypeError: lstm_bptt() takes 3 positional arguments but 4 were given"
    verdict = lstm.check_bar("h", PROBLEMS, [{"error": error}] * len(PROBLEMS), PARAMS)
    assert verdict.output == (
        "h_bar cannot be graded:\n\nYour function could not be called as `lstm_bptt(x, weights, forward, dL_dh)` "
        "on problem 1 "
        "(seed 1007, T = 1):\n\n```text\n" + error + "\n```\n\nIt is called with four positional arguments, in "
        "this order: define it as `def lstm_bptt(x, weights, forward, dL_dh):` (the parameter names are yours to "
        "choose; no other parameter may be required)."
    )
    inside = 'Traceback (most recent call last):\n  File "lstm_bptt.py", line 3, in lstm_bptt\nTypeError: bad operand'
    assert "could not be called" not in lstm.check_bar("h", PROBLEMS, [{"error": inside}] * 5, PARAMS).output


def test_the_function_is_called_positionally():
    """The call's arguments come in the specification's order, so any parameter names work (docs/spec.md 5.1)."""
    function = load_function(ROOT / "submissions_sample" / "lstm_other_parameter_names" / "lstm_bptt.py")
    assert scores(judge_all(replies_of(function))) == {"2a": 4, "2b": 1}


def test_replies_must_pair_with_problems():
    """A reply count that differs from the problem count is the grader's own error, not a verdict."""
    with pytest.raises(ValueError):
        lstm.check_bar("h", PROBLEMS, reference_replies()[:2], PARAMS)


# --- Part (c) --------------------------------------------------------------------------------------------------


HEADER = (
    "   t  |h_bar| yours  |h_bar| true  |c_bar| yours  |c_bar| true   h factor   c factor  f^(t+1)  i^(t+1)  o^(t+1)"
)


@pytest.mark.parametrize("form, named", [("PYTHON", "your function"), ("LATEX", "your equations")])
def test_the_demo_names_what_gave_the_students_bars(form, named):
    """Part (c)'s table shows the bars of the student's function, or of their equations when answers.tex gave them."""
    from autograder import collect
    from autograder.kinds import KINDS, _demo_calls, _demo_problems

    params = lstm.DemoParams()
    problem, demo_call = _demo_problems(params)[0], _demo_calls(params)[0]
    collected = collect.Collected(
        adder={}, form=getattr(collect, form), replies={collect.call_key(demo_call): call(REFERENCE, problem)}
    )
    output = KINDS["lstm_vanishing_demo"].run(params, collected).output
    assert f"(no points; part (c) is graded by hand): {named} on a problem" in output
    broken = collect.Collected(adder={}, form=getattr(collect, form), replies={collect.call_key(demo_call): {}})
    assert f"{named.capitalize()} could not be shown here" in KINDS["lstm_vanishing_demo"].run(params, broken).output


def test_demo_shows_numbers_only_beside_the_truth():
    """The demonstration shows |h_bar| and |c_bar| every 10 steps beside the truth, the truth's per-step factors and
    the gates, and no explanation: part (c) asks why, and is graded by hand."""
    verdict = lstm.check_vanishing_demo(DEMO, call(REFERENCE, DEMO))
    assert verdict.fraction == 1.0 and verdict.data["status"] == "shown"
    assert f"```text\n{HEADER}\n  60      1.000e+00     1.000e+00" in verdict.output
    assert "  50      6.012e-05     6.012e-05      3.982e-03     3.982e-03  9.923e-01  9.934e-01   0.9934   0.0181" in (
        verdict.output
    )
    assert verdict.data["t"] == [60, 50, 40, 30, 20, 10, 1]
    assert verdict.data["c_bar"]["actual"] == pytest.approx(verdict.data["c_bar"]["expected"], rel=1e-6)
    assert "forget gates near 1 (f about 0.993)" in verdict.output
    for answer in ("What", "explode", "vanish", "carries", "because", "so the"):
        assert answer not in verdict.output
    assert "differs from the truth" not in verdict.output


def test_the_explanation_is_its_own_test():
    """With `explain` (a test for after the due date) the demonstration says why the gradient does not explode, in
    the problem's numbers, and shows no student value."""
    verdict = lstm.check_vanishing_demo(DEMO, call(REFERENCE, DEMO), lstm.DemoParams(explain=True))
    assert verdict.output.startswith("What the demonstration of part (c) shows (T = 60, the loss on h^(60) only).")
    assert "every f^(t+1) here is about 0.9934: below 1" in verdict.output
    assert "so the gradient does not explode." in verdict.output and "yours" not in verdict.output


def test_an_equation_that_cannot_be_read_shows_no_stand_in():
    """An equation of answers.tex that cannot be read comes with a stand-in value (1) for the others' sake: the
    demonstration shows a dash and the reason, never the stand-in as the student's |c_bar|."""
    reply = call(REFERENCE, DEMO)
    reply["value"]["c"] = [1.0] * (DEMO.length + 1)
    reply["notes"] = {"c": "line 4: `\\overline{c^{(t)}}` cannot be read: unknown symbol `\\foo`"}
    verdict = lstm.check_vanishing_demo(DEMO, reply)
    assert verdict.data["status"] == "partly shown" and verdict.data["c_bar"]["actual"] is None
    assert "  60      1.000e+00     1.000e+00              -     4.220e-03" in verdict.output
    assert "1.000e+00     4.220e-03" not in verdict.output
    assert "Your c_bar could not be shown here (its column has a dash): your equation cannot be graded:" in (
        verdict.output
    )
    assert "Your h_bar column is what your equations give, with 1 standing in for c_bar, whose equation cannot " in (
        verdict.output
    )


def test_demo_with_a_wrong_h_bar_says_so_and_is_information():
    """A wrong h_bar is never shown as "ok": the demonstration says the columns show the student's equations."""
    function = load_function(ROOT / "submissions_sample" / "lstm_h_bar_without_recurrence" / "lstm_bptt.py")
    verdict = lstm.check_vanishing_demo(DEMO, call(function, DEMO))
    assert verdict.output.startswith("For information (no points; part (c) is graded by hand)")
    assert (
        "Your h_bar differs from the truth on this problem (first at t = 59, going back from T), so your "
        "columns show what your equations do, not what the LSTM does."
    ) in verdict.output


def test_demo_that_cannot_run_says_why_and_shows_the_truth():
    """A raising function gets the reason and the true columns, as information (never a failed 0/0 test)."""
    function = load_function(ROOT / "submissions_sample" / "lstm_exception" / "lstm_bptt.py")
    verdict = lstm.check_vanishing_demo(DEMO, call(function, DEMO))
    assert verdict.fraction == 1.0 and verdict.data["status"] == "unusable"
    assert (
        "Your function could not be shown here (the table has the truth only): your function failed on the "
        "demonstration problem (T = 60):"
    ) in verdict.output
    assert "  60              -     1.000e+00" in verdict.output and "What" not in verdict.output


def test_a_function_whose_later_calls_depend_on_earlier_ones_is_told_so():
    """The first problem is called again at the end (x[0], unused, as -0.0); a function that keeps state between
    calls answers it differently, and the hint says so with both values; a stateless one is never told so."""
    calls = lstm.calls_of(PROBLEMS)
    assert len(calls) == len(PROBLEMS) + 1 and calls[-1]["x"]["__array__"][0] == 0.0
    assert (
        str(calls[-1]["x"]["__array__"][0]) == "-0.0"
        and calls[-1]["x"]["__array__"][1:] == (calls[0]["x"]["__array__"][1:])
    )
    total = {"w_ix": 0.0}

    def stateful(x, weights, forward, dL_dh):
        result = REFERENCE(x, weights, forward, dL_dh)
        total["w_ix"] += result["w_ix"]  # a running sum kept between calls
        return {**result, "w_ix": total["w_ix"]}

    verdict = lstm.check_weight(PROBLEMS, [reply_to(stateful, c) for c in calls], PARAMS)
    assert verdict.data["mistake"] == "state_between_calls"
    assert "Called again on problem 1 (seed 1007, T = 1) after the other problems, your function returned " in (
        verdict.output
    )
    assert "its later calls depend on earlier ones" in verdict.output
    right = lstm.check_weight(PROBLEMS, [reply_to(REFERENCE, c) for c in calls], PARAMS)
    wrong_alone = lstm.check_bar(
        "h", PROBLEMS, [reply_to(lambda *a: {**REFERENCE(*a), "h": [0.0] * len(a[0])}, c) for c in calls], PARAMS
    )
    assert right.passed and "Called again" not in wrong_alone.output


# --- Parameters and packaging ----------------------------------------------------------------------------------


def test_bar_params_need_a_known_quantity():
    """An lstm_bar test's quantity must be one of h c g o f i."""
    assert lstm.BarParams(quantity="g").quantity == "g"
    with pytest.raises(ValueError):
        lstm.BarParams(quantity="w_ix")
    with pytest.raises(ValueError):
        lstm.check_bar("x", PROBLEMS, reference_replies(), PARAMS)


def test_problems_are_shared_between_quantities():
    """The six bar tests, differing only in quantity, share one set of problems (measured once)."""
    assert (
        lstm_model.judged_problems(lstm.BarParams(quantity="h"))[0]
        is lstm_model.judged_problems(lstm.BarParams(quantity="c"))[0]
    )


def test_the_judge_does_not_import_the_reference_nor_the_solver():
    """The judge reads numbers only: importing it and judging built problems loads neither reference/ nor
    lstm_model.py nor the mistake catalogue's reader (the student kit ships the judge without them)."""
    data = json.dumps([PROBLEMS[0].to_data()])
    reply = json.dumps([call(REFERENCE, PROBLEMS[0])])
    code = (
        "import json, sys; import autograder.judge.lstm as j; from autograder.judge.lstm_problem import Problem; "
        f"problems = [Problem.from_data(d) for d in json.loads({data!r})]; "
        f"v = j.check_bar('h', problems, json.loads({reply!r}), j.LstmParams(seeds=(1,), lengths=(1,))); "
        "files = [getattr(m, '__file__', '') or '' for m in list(sys.modules.values())]; "
        "print(v.fraction, [f for f in files if 'reference' in f or 'lstm_model' in f or 'mistakes' in f "
        "or 'yaml' in f])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "1.0 []"


def test_problems_round_trip_through_plain_data():
    """to_data() is plain JSON (lists of floats) and from_data() gives back a problem that judges the same."""
    for problem in PROBLEMS:
        data = json.loads(json.dumps(problem.to_data(), allow_nan=False))
        again = Problem.from_data(data)
        assert again.to_data() == data
        assert again.length == problem.length and len(again.mistakes) == len(problem.mistakes)
    replies = replies_of(load_function(ROOT / "submissions_sample" / "lstm_c_bar_without_carry" / "lstm_bptt.py"))
    rebuilt = [Problem.from_data(json.loads(json.dumps(p.to_data()))) for p in PROBLEMS]
    for quantity in GRADED:
        assert lstm.check_bar(quantity, rebuilt, replies, PARAMS) == lstm.check_bar(quantity, PROBLEMS, replies, PARAMS)


# --- Feedback as Gradescope renders it (CommonMark) -------------------------------------------------------------


def blocks(markdown):
    """The top-level blocks CommonMark makes of `markdown` (paragraph, bullet_list with its item count, fence),
    and whether any raw HTML got through."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown)
    shape = []
    for index, token in enumerate(tokens):
        if token.level != 0 or token.nesting == -1:
            continue
        if token.type == "bullet_list_open":
            items = sum(
                1 for t in tokens[index:] if t.type == "list_item_open" and t.level == 1 and t.map[0] < token.map[1]
            )
            shape.append(f"list of {items}")
        else:
            shape.append(token.type.replace("_open", ""))
    html = any(t.type.startswith("html") or any(c.type.startswith("html") for c in t.children or ()) for t in tokens)
    return shape, html


def test_feedback_renders_as_separate_blocks_in_commonmark():
    """Got/expected, the hint and the tolerance render as separate list items, never one joined paragraph;
    exception text is a code block; student-controlled markers never become HTML."""
    wrong = load_function(ROOT / "submissions_sample" / "lstm_c_bar_without_carry" / "lstm_bptt.py")
    replies = replies_of(wrong)
    assert blocks(lstm.check_bar("c", PROBLEMS, replies, PARAMS).output) == (["paragraph", "list of 3"], False)
    assert blocks(lstm.check_bar("g", PROBLEMS, replies, PARAMS).output) == (["paragraph", "list of 1"], False)
    crash = replies_of(load_function(ROOT / "submissions_sample" / "lstm_exception" / "lstm_bptt.py"))
    assert blocks(lstm.check_bar("h", PROBLEMS, crash, PARAMS).output) == (["paragraph", "paragraph", "fence"], False)
    signature = [{"error": "TypeError: lstm_bptt() takes 3 positional arguments but 4 were given"}] * len(PROBLEMS)
    said = (["paragraph", "paragraph", "fence", "paragraph"], False)  # "w_ix_bar cannot be graded:", then the reason
    assert blocks(lstm.check_weight(PROBLEMS, signature, PARAMS).output) == said

    def marker(k, result):
        result["g"][1] = "<img src=x onerror=alert(1)>"

    assert blocks(lstm.check_bar("g", PROBLEMS, reference_replies(marker), PARAMS).output) == (["paragraph"], False)
    demo = lstm.check_vanishing_demo(DEMO, call(wrong, DEMO)).output
    assert blocks(demo) == (["paragraph", "fence", "paragraph"], False)


def test_the_handout_says_how_answers_are_read():
    """docs/student.md tells the student what the reader does: a positional call, index 0 ignored, and each
    number type the judge grades as its value."""
    text = " ".join((ROOT / "docs" / "student.md").read_text(encoding="utf-8").split())
    assert "It is called with four positional arguments, in this order: `lstm_bptt(x, weights, forward, dL_dh)`" in text
    assert "The parameter names are yours to choose" in text
    assert "Index 0 of every returned array is ignored entirely: it may hold anything (0, `None`, ...)" in text
    for kind in ("Python ints and floats", "long double", "`fractions.Fraction`", "object arrays too"):
        assert kind in text
