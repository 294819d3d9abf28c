"""Tests of the LSTM model: the forward pass, the finite-difference truth and its witnesses, the chain rule."""

import json
import runpy
from pathlib import Path

import numpy as np
import pytest

from autograder.judge import lstm_graph as graph
from autograder.judge import lstm_model as model
from autograder.judge import lstm_problem as judged
from autograder.judge.mistakes import load_mistakes

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = runpy.run_path(str(ROOT / "reference" / "lstm_bptt.py"))["lstm_bptt"]
DEFAULTS = model.LstmParams()


def random_problems(count, seed=0):
    """Problems of the default kind with random seeds and lengths 1..50 (T = 1 and 50 always included)."""
    rng = np.random.default_rng(seed)
    settings = {
        name: getattr(DEFAULTS, name)
        for name in (
            "weight_range",
            "input_scale",
            "initial_h_range",
            "initial_c_range",
            "loss_linear",
            "loss_quadratic",
        )
    }
    settings["fd_step"] = DEFAULTS.fd_step
    lengths = [1, 50] + [int(n) for n in rng.integers(1, 51, count - 2)]
    return [model._random_problem(int(rng.integers(2**31)), length, settings) for length in lengths]


def reference_bars(problem):
    forward = {key: problem.values[key].copy() for key in model.FORWARD_KEYS}
    return REFERENCE(problem.x.copy(), dict(problem.weights), forward, problem.dL_dh.copy())


def worst_error(bars, w_ix, witness, witness_w_ix):
    """The largest difference over all bars, each divided by the largest |witness| of its quantity, and for w_ix."""
    bar_error = max(np.max(np.abs(bars[q][1:] - witness[q][1:])) / np.max(np.abs(witness[q][1:])) for q in model.GRADED)
    return bar_error, abs(w_ix - witness_w_ix) / abs(witness_w_ix)


PROBLEMS = random_problems(60)


def test_finite_differences_match_the_complex_step():
    """On 60 random problems the finite-difference truth is within 1e-8 of the exact complex-step derivatives.

    Measured: at most 8.8e-10 of each quantity's scale for the bars and 3.5e-9 of |w_ix_bar| (see lstm_model).
    """
    for problem in PROBLEMS:
        bars, w_ix = model.finite_difference_bars(problem, DEFAULTS.fd_step)
        bar_error, w_error = worst_error(bars, w_ix, *model.complex_step_bars(problem))
        assert bar_error < 1e-8 and w_error < 1e-7, (problem.seed, problem.length, bar_error, w_error)


def test_reference_matches_the_complex_step():
    """The closed-form reference agrees with the complex-step derivatives to rounding (measured 6e-14)."""
    for problem in PROBLEMS:
        result = reference_bars(problem)
        bar_error, w_error = worst_error(result, result["w_ix"], *model.complex_step_bars(problem))
        assert bar_error < 1e-12 and w_error < 1e-11, (problem.seed, problem.length, bar_error, w_error)


def test_reference_matches_the_truth_within_the_tolerance_margin():
    """The reference is within 1e-3 of rtol of the stored truth in every default problem."""
    for problem in model.make_problems(DEFAULTS):
        result = reference_bars(problem)
        bar_error, w_error = worst_error(result, result["w_ix"], problem.truth, problem.truth_w_ix)
        assert max(bar_error, w_error) < 1e-3 * DEFAULTS.rtol


def test_a_wrong_step_size_would_be_caught():
    """A step far too large gives a truth measurably off the complex step (the comparison can fail)."""
    problem = PROBLEMS[1]
    bars, w_ix = model.finite_difference_bars(problem, 1e-1)
    assert worst_error(bars, w_ix, *model.complex_step_bars(problem))[0] > 1e-4


def test_demo_truth_is_accurate():
    """The part (c) truth, where gradients are small, agrees with the complex step to 1e-6 of its scale."""
    problem = model.make_demo_problem(model.DemoParams())
    bar_error, w_error = worst_error(problem.truth, problem.truth_w_ix, *model.complex_step_bars(problem))
    assert bar_error < 1e-6


def test_forward_pass_is_the_handouts():
    """The forward pass follows the handout's six equations, from the given initial states."""
    problem = PROBLEMS[5]
    w, x, v = problem.weights, problem.x, problem.values
    sigma = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    for t in range(1, problem.length + 1):
        h_prev = v["h"][t - 1]
        assert v["i"][t] == pytest.approx(sigma(w["w_ix"] * x[t] + w["w_ih"] * h_prev), abs=1e-15)
        assert v["f"][t] == pytest.approx(sigma(w["w_fx"] * x[t] + w["w_fh"] * h_prev), abs=1e-15)
        assert v["o"][t] == pytest.approx(sigma(w["w_ox"] * x[t] + w["w_oh"] * h_prev), abs=1e-15)
        assert v["g"][t] == pytest.approx(np.tanh(w["w_gx"] * x[t] + w["w_gh"] * h_prev), abs=1e-15)
        assert v["c"][t] == pytest.approx(v["f"][t] * v["c"][t - 1] + v["i"][t] * v["g"][t], abs=1e-15)
        assert v["h"][t] == pytest.approx(v["o"][t] * np.tanh(v["c"][t]), abs=1e-15)


def test_dl_dh_is_the_derivative_of_the_per_step_loss():
    """dL_dh[t] = a_t + b_t h^(t) (never trivial), and 0 at t = 0."""
    problem = PROBLEMS[5]
    expected = problem.loss_a + problem.loss_b * problem.values["h"]
    assert problem.dL_dh[0] == 0
    np.testing.assert_allclose(problem.dL_dh[1:], expected[1:], rtol=1e-15)
    assert np.all(problem.loss_b[1:] != 0)


def test_the_graph_has_the_handouts_links():
    """The links read off the equations are exactly the handout's dependencies."""
    expected = {
        "h->z_i",
        "h->z_f",
        "h->z_o",
        "h->z_g",
        "w_ix->z_i",
        "w_ih->z_i",
        "w_fx->z_f",
        "w_fh->z_f",
        "w_ox->z_o",
        "w_oh->z_o",
        "w_gx->z_g",
        "w_gh->z_g",
        "z_i->i",
        "z_f->f",
        "z_o->o",
        "z_g->g",
        "f->c",
        "c->c",
        "i->c",
        "g->c",
        "c->tanh_c",
        "o->h",
        "tanh_c->h",
    }
    assert set(graph.LINK_KEYS) == expected
    assert {link.key: link.offset for link in graph.LINKS}["h->z_i"] == 1


def test_chain_rule_with_true_bars_gives_the_true_bars():
    """Each bar's one-step chain rule, fed the exact bars of its children, reproduces the exact bar."""
    for problem in PROBLEMS[:20]:
        exact, exact_w_ix = model.complex_step_bars(problem)
        for quantity in model.GRADED:
            direct, through = model.chain_rule(problem, quantity, exact)
            np.testing.assert_allclose(direct + through, exact[quantity][1:], rtol=1e-12, atol=1e-14)
        assert sum(model.chain_rule(problem, "w_ix", exact)) == pytest.approx(exact_w_ix, rel=1e-12)


def test_chain_rule_uses_only_the_given_children():
    """The chain rule of c reads h_bar and c_bar only: changing g_bar changes nothing, changing h_bar does."""
    problem = PROBLEMS[3]
    exact, _ = model.complex_step_bars(problem)
    changed = {**exact, "g": exact["g"] + 1.0}
    unchanged = sum(model.chain_rule(problem, "c", exact))
    np.testing.assert_array_equal(sum(model.chain_rule(problem, "c", changed)), unchanged)
    changed = {**exact, "h": exact["h"] + 1.0}
    assert not np.allclose(sum(model.chain_rule(problem, "c", changed)), unchanged)


def test_link_edits_change_the_local_partial():
    """Dropping, powering, shifting and swapping a link's function give the expected local partials."""
    problem = PROBLEMS[4]
    steps = np.arange(2, problem.length + 1)
    links = {link.key: link for link in graph.LINKS}
    v = problem.values
    np.testing.assert_allclose(model.local_partial(problem, links["f->c"], steps), v["c"][steps - 1], rtol=1e-14)
    shifted = graph.LinkEdit("f->c", shift_inputs={"c": 1})
    np.testing.assert_allclose(model.local_partial(problem, links["f->c"], steps, shifted), v["c"][steps], rtol=1e-14)
    slope = model.local_partial(problem, links["z_i->i"], steps)
    np.testing.assert_allclose(slope, v["i"][steps] * (1 - v["i"][steps]), rtol=1e-12)
    twice = model.local_partial(problem, links["z_i->i"], steps, graph.LinkEdit("z_i->i", power=2))
    np.testing.assert_allclose(twice, slope**2, rtol=1e-12)
    identity = graph.LinkEdit("c->tanh_c", functions={"tanh": lambda z: z})
    np.testing.assert_allclose(model.local_partial(problem, links["c->tanh_c"], steps, identity), 1.0)


def test_default_problems_cover_the_hard_cases():
    """The default problems include T = 1 and T = 50, non-zero initial states, |c| of order 1,
    non-zero recurrent weights and inputs."""
    problems = model.make_problems(DEFAULTS)
    assert [p.length for p in problems] == [1, 3, 6, 15, 50]
    assert [p.seed for p in problems] == list(DEFAULTS.seeds)
    for problem in problems:
        assert abs(problem.values["h"][0]) >= 0.2 and abs(problem.values["c"][0]) >= 0.5
        assert 0.8 <= np.max(np.abs(problem.values["c"][1:])) <= 3
        assert min(abs(problem.weights[name]) for name in ("w_ih", "w_fh", "w_oh", "w_gh")) >= 0.5
        assert np.all(problem.x[1:] != 0)


def test_make_problems_is_deterministic_and_cached():
    """The same parameters give the same problems (computed once); another seed gives another problem."""
    first = model.make_problems(DEFAULTS)
    assert first[2] is model.make_problems(model.LstmParams(rtol=1e-3))[2]
    model._make_problems.cache_clear()
    again = model.make_problems(DEFAULTS)
    np.testing.assert_array_equal(first[4].truth["c"], again[4].truth["c"])
    other = model.make_problems(model.LstmParams(seeds=(1,), lengths=(3,)))
    assert not np.array_equal(other[0].x, again[1].x)


@pytest.mark.parametrize(
    "change",
    [
        {"seeds": (1, 2), "lengths": (3,)},
        {"lengths": (0, 1, 2, 3, 4)},
        {"carried_forward_credit": 1.5},
        {"rtol": 0.0},
        {"weight_range": (2.0, 1.0)},
    ],
    ids=["lengths-mismatch", "zero-length", "credit-above-1", "zero-rtol", "empty-range"],
)
def test_invalid_params_are_refused(change):
    """Inconsistent parameters raise ValueError (the configuration loader reports it with the line)."""
    with pytest.raises(ValueError):
        model.LstmParams(**change)


def test_yaml_lists_become_tuples():
    """Lists from YAML are stored as tuples, so the parameters stay hashable (problems are cached by them)."""
    params = model.LstmParams(seeds=[5, 6], lengths=[2, 3])
    assert params.seeds == (5, 6) and hash(params)


def test_call_arguments_are_json_and_follow_the_spec():
    """The call is JSON-able, in the positional order x, weights, forward, dL_dh: arrays of T+1 floats
    marked __array__, the eight weights, gates 0 at index 0."""
    problem = model.judged_problems(DEFAULTS)[1]
    call = json.loads(json.dumps(judged.call_arguments(problem)))
    assert tuple(call) == judged.CALL_ORDER == ("x", "weights", "forward", "dL_dh")
    assert sorted(call["weights"]) == sorted(model.WEIGHT_NAMES)
    assert sorted(call["forward"]) == sorted(model.FORWARD_KEYS)
    assert len(call["x"]["__array__"]) == problem.length + 1 and call["x"]["__array__"][0] == 0
    assert all(call["forward"][key]["__array__"][0] == 0 for key in "ifog")
    assert call["forward"]["h"]["__array__"][0] != 0 and call["forward"]["c"]["__array__"][0] != 0
    assert call["dL_dh"]["__array__"][1:] == [float(v) for v in problem.dL_dh[1:]]


def test_judged_problems_carry_the_equations_as_affine_maps():
    """The judge's numbers reproduce the model: each right equation, fed the exact bars, gives the exact bar,
    and each mistake's equation equals the edited chain rule, on every default problem."""
    for measured, problem in zip(model.make_problems(DEFAULTS), model.judged_problems(DEFAULTS), strict=True):
        exact, exact_w_ix = model.complex_step_bars(measured)
        for quantity in judged.QUANTITIES:
            own = sum(problem.equations[quantity].parts(exact))
            expected = [exact_w_ix] if quantity == "w_ix" else exact[quantity][1:]
            np.testing.assert_allclose(own, expected, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(problem.truth["c"], measured.truth["c"][1:], rtol=0)
        for mistake, catalogued in zip(problem.mistakes, load_mistakes(), strict=True):
            assert (mistake.name, mistake.hint) == (catalogued.name, catalogued.hint)
            noise = {key: exact[key] + np.sin(np.arange(len(exact[key]))) for key in exact}
            wrong = sum(model.chain_rule(measured, catalogued.quantity, noise, catalogued.edits, catalogued.steps))
            if catalogued.times or catalogued.as_quantity or catalogued.initial:
                wrong = _written_out(measured, catalogued.name, noise)  # the other keys, by their formulas
            np.testing.assert_allclose(sum(mistake.equation.parts(noise)), wrong, rtol=1e-12, atol=1e-14)


def _written_out(problem, name, bars):
    """The catalogue's mistakes that use `times`, `as` or `initial`, written out by hand (t = 1..T)."""
    v, w, steps = problem.values, problem.weights, slice(1, None)
    slope = {gate: v[gate][steps] * (1 - v[gate][steps]) for gate in ("i", "f", "o")}
    if name == "w_ix_initial_h_zero":
        z = v["z_i"][steps].copy()
        z[0] = w["w_ix"] * problem.x[1]  # h^(0) taken as 0
        sigmoid = 1 / (1 + np.exp(-z))
        return np.sum(bars["i"][steps] * sigmoid * (1 - sigmoid) * problem.x[steps])
    formulas = {
        "o_bar_times_sigmoid_slope": bars["h"][steps] * np.tanh(v["c"][steps]) * slope["o"],
        "f_bar_times_sigmoid_slope": bars["c"][steps] * v["c"][:-1] * slope["f"],
        "i_bar_times_sigmoid_slope": bars["c"][steps] * v["g"][steps] * slope["i"],
        "f_bar_is_i_bar": bars["c"][steps] * v["g"][steps],
        "i_bar_is_f_bar": bars["c"][steps] * v["c"][:-1],
    }
    return formulas[name]
