"""Tests of the mistake catalogue: it loads, it is checked, and every mistake is visible on the default problems."""

import numpy as np
import pytest

from autograder.judge import lstm_model as model
from autograder.judge.mistakes import SUBSTITUTES, load_mistakes

MISTAKES = load_mistakes()


def test_catalogue_covers_the_specs_list():
    """The catalogue names every mistake docs/spec.md lists, each once."""
    names = [mistake.name for mistake in MISTAKES]
    assert len(names) == len(set(names))
    assert {
        "c_bar_without_carry",
        "f_bar_c_same_step",
        "c_bar_without_tanh_slope",
        "h_bar_without_tanh_slope",
        "c_bar_one_minus_c_squared",
        "h_bar_without_recurrence",
        "w_ix_without_sigmoid_slope",
        "w_ix_sigmoid_slope_twice",
        "w_ix_first_step_only",
        "w_ix_last_step_only",
        "c_bar_forget_gate_shifted",
        "h_bar_gate_slopes_shifted",
    } <= set(names)


def test_hints_are_sentences_that_start_with_this_matches():
    """Every hint says what the answer matches, in one line ending with a full stop."""
    for mistake in MISTAKES:
        assert mistake.hint.startswith("This matches ") and mistake.hint.endswith(".") and "\n" not in mistake.hint


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_every_mistake_is_visible_on_the_default_problems(mistake):
    """Built from the true bars, each mistaken equation is off by at least 1e-2 of its scale somewhere
    (1000 times the default rtol), so the default problems catch it."""
    worst = 0.0
    for problem in model.make_problems(model.LstmParams()):
        exact, exact_w_ix = model.complex_step_bars(problem)
        wrong = sum(model.mistake_chain_rule(problem, mistake, exact))
        right = exact_w_ix if mistake.quantity == "w_ix" else exact[mistake.quantity][1:]
        worst = max(worst, float(np.max(np.abs(wrong - right)) / np.max(np.abs(right))))
    assert worst > 1e-2


def test_cubic_has_the_slope_one_minus_z_squared():
    """The `cubic` substitute has slope 1 - z^2, the mistaken slope of tanh."""
    z = np.linspace(-2, 2, 9)
    slope = (SUBSTITUTES["cubic"](z + 1e-20j)).imag / 1e-20
    np.testing.assert_allclose(slope, 1 - z**2, atol=1e-14)


@pytest.mark.parametrize(
    "text, message",
    [
        ("- {name: x, quantity: c, hint: h, edits: [{link: c->q}]}", "unknown link 'c->q'"),
        ("- {name: x, quantity: z, hint: h, edits: [{link: c->c, drop: true}]}", "`quantity` must be one of"),
        ("- {name: x, quantity: c, hint: h}", "needs `edits`, `steps`, `times`, `as` or `initial`"),
        ("- {name: x, quantity: c, hint: h, steps: last}", "only w_ix may use first or last"),
        (
            "- {name: x, quantity: c, hint: h, edits: [{link: c->tanh_c, functions: {tanh: sin}}]}",
            "unknown function 'sin'",
        ),
        ("- {name: x, quantity: c, hint: h, colour: red}", "unknown key `colour`"),
        ("- {name: x, quantity: o, hint: h, times: [z_o->q]}", "unknown link 'z_o->q' in `times`"),
        ("- {name: x, quantity: f, hint: h, as: f}", "`as` must be another of"),
        ("- {name: x, quantity: w_ix, hint: h, initial: {x: 0}}", "`initial` must map h and/or c to a number"),
    ],
    ids=["link", "quantity", "no-edits", "steps", "function", "key", "times", "as", "initial"],
)
def test_a_malformed_catalogue_is_refused_with_the_reason(tmp_path, text, message):
    """A malformed entry raises ValueError that names the problem."""
    path = tmp_path / "mistakes.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("?", r"\?")):
        load_mistakes(path)


def test_a_new_mistake_is_data_only(tmp_path):
    """A mistake added to a catalogue file is loaded as edits of the graph, with no code change."""
    path = tmp_path / "mistakes.yaml"
    path.write_text(
        "- name: o_bar_with_c\n  quantity: o\n  hint: This matches o_bar with c.\n"
        "  edits:\n    - {link: o->h, functions: {}, shift_inputs: {tanh_c: -1}}\n"
    )
    (mistake,) = load_mistakes(path)
    assert mistake.edits[0].link == "o->h" and mistake.edits[0].shift_inputs == {"tanh_c": -1}
