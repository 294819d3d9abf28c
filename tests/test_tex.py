"""Reading answers.tex: each grammar rule, the evaluation backwards in time, and every message naming a line."""

import importlib.util
import os
import re
import time
from fractions import Fraction

import numpy as np
import pytest

from autograder.judge.lstm_model import judged_problems
from autograder.judge.lstm_problem import LstmParams, call_arguments
from autograder.locate import locate
from autograder.worker import tex
from autograder.worker.inside.values import rebuild
from autograder.worker.tex.answers import Answers
from autograder.worker.tex.document import decode, read_document
from conftest import ROOT

_spec = importlib.util.spec_from_file_location("reference_lstm_bptt", ROOT / "reference" / "lstm_bptt.py")
reference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reference)
PROBLEMS = judged_problems(LstmParams())

H = (
    r"\overline{h^{(t)}} = \frac{\partial L}{\partial h^{(t)}} + \overline{i^{(t+1)}} i^{(t+1)}(1-i^{(t+1)}) w_{ih}"
    r" + \overline{f^{(t+1)}} f^{(t+1)}(1-f^{(t+1)}) w_{fh} + \overline{o^{(t+1)}} o^{(t+1)}(1-o^{(t+1)}) w_{oh}"
    r" + \overline{g^{(t+1)}} (1-(g^{(t+1)})^2) w_{gh}"
)
C = r"\overline{c^{(t)}} = \overline{h^{(t)}} o^{(t)} (1 - \tanh^2(c^{(t)})) + \overline{c^{(t+1)}} f^{(t+1)}"
G = r"\overline{g^{(t)}} = \overline{c^{(t)}} i^{(t)}"
O_ = r"\overline{o^{(t)}} = \overline{h^{(t)}} \tanh(c^{(t)})"
F = r"\overline{f^{(t)}} = \overline{c^{(t)}} c^{(t-1)}"
I_ = r"\overline{i^{(t)}} = \overline{c^{(t)}} g^{(t)}"
W = r"\overline{w_{ix}} = \sum_{t=1}^{T} \overline{i^{(t)}} i^{(t)} (1 - i^{(t)}) x^{(t)}"
EQUATIONS = {"h": H, "c": C, "g": G, "o": O_, "f": F, "i": I_, "w_ix": W}


def document(**replace: str) -> str:
    """The seed's template filled correctly, with some equations replaced (an empty string drops one)."""
    lines = [replace.get(key, equation) for key, equation in EQUATIONS.items()]
    body = " \\\\\n".join(line.replace(" = ", " &= ", 1) for line in lines[:-1] if line)
    return (
        f"\\begin{{align*}}\n{body}\n\\end{{align*}}\n$${lines[-1]}$$\n"
        if lines[-1]
        else f"\\begin{{align*}}\n{body}\n\\end{{align*}}\n"
    )


def evaluate(text: str, problems=PROBLEMS) -> list:
    module = tex.read(text.encode())
    return [module.lstm_bptt(**rebuild(call_arguments(problem))) for problem in problems]


def wrong_keys(text: str) -> set:
    """The keys whose values differ from the reference (or are missing) on any problem."""
    wrong = set()
    for problem, got in zip(PROBLEMS, evaluate(text), strict=True):
        want = reference.lstm_bptt(**rebuild(call_arguments(problem)))
        for key, value in want.items():
            actual = got.get(key)
            if actual is None or not np.allclose(
                np.asarray(actual)[1:] if key != "w_ix" else actual,
                np.asarray(value)[1:] if key != "w_ix" else value,
                atol=1e-12,
            ):
                wrong.add(key)
    return wrong


def notes(text: str) -> dict:
    return evaluate(text, PROBLEMS[:2])[-1].notes


def test_the_seed_template_filled_matches_the_reference():
    """The template's six bars and w_ix, filled correctly, give the reference's numbers on every problem."""
    assert wrong_keys(document()) == set()


NOTATIONS = {
    "bar_then_step": {
        "c": C.replace(r"\overline{c^{(t)}}", r"\bar{c}^{(t)}").replace(r"\overline{h^{(t)}}", r"\bar h^{(t)}")
    },
    "overline_then_step": {"g": r"\overline{g}^{(t)} = \overline{c}^{(t)} i^{(t)}"},
    "subscript_steps": {"f": r"\bar{f}_t = \bar{c}_t c_{t-1}", "o": r"\bar{o}_{t} = \bar{h}_t \tanh c_t"},
    "plain_superscript": {"i": r"\overline{i^{t}} = \overline{c^{t}} g^{t}"},
    "odot_and_cdot": {
        "i": r"\overline{i^{(t)}} = \overline{c^{(t)}} \odot g^{(t)}",
        "g": r"\overline{g^{(t)}} = \overline{c^{(t)}} \cdot i^{(t)}",
    },
    "circ_and_ast": {
        "i": r"\overline{i^{(t)}} = \overline{c^{(t)}} \circ g^{(t)}",
        "g": r"\overline{g^{(t)}} = \overline{c^{(t)}} \ast i^{(t)}",
    },
    "sech_squared": {"c": C.replace(r"(1 - \tanh^2(c^{(t)}))", r"\operatorname{sech}^2(c^{(t)})")},
    "tanh_prime": {"c": C.replace(r"(1 - \tanh^2(c^{(t)}))", r"\tanh'(c^{(t)})")},
    "tanh_squared_after": {"c": C.replace(r"\tanh^2(c^{(t)})", r"\tanh(c^{(t)})^2")},
    "text_tanh": {"o": r"\overline{o^{(t)}} = \overline{h^{(t)}} \text{tanh}(c^{(t)})"},
    "left_right": {"c": C.replace(r"(1 - \tanh^2(c^{(t)}))", r"\left(1 - \tanh^{2}\left(c^{(t)}\right)\right)")},
    "sigma_prime_of_preactivation": {
        "w_ix": r"\overline{w_{ix}} = \sum_{t=1}^T \overline{i^{(t)}} "
        r"\sigma'(w_{ix} x^{(t)} + w_{ih} h^{(t-1)}) x^{(t)}"
    },
    "sigma_prime_braces": {
        "w_ix": r"\overline{w_{ix}} = \sum_t \overline{i^{(t)}} \sigma^{\prime}"
        r"(w_{ix} x^{(t)} + w_{ih} h^{(t-1)}) x^{(t)}"
    },
    "mathcal_loss": {
        "h": H.replace(r"\frac{\partial L}{\partial h^{(t)}}", r"\frac{\partial \mathcal{L}^{(t)}}{\partial h^{(t)}}")
    },
    "d_for_partial": {"h": H.replace(r"\frac{\partial L}{\partial h^{(t)}}", r"\dfrac{dL}{dh^{(t)}}")},
    "chain": {
        "g": r"\overline{g^{(t)}} = \frac{\partial L}{\partial c^{(t)}}\frac{\partial c}{\partial g} "
        r"= \overline{c^{(t)}} i^{(t)}"
    },
    "helpers": {
        "w_ix": r"z_i^{(t)} = w_{ix} x^{(t)} + w_{ih} h^{(t-1)}, \quad "
        r"\overline{w_{ix}} = \sum_{t=1}^{T} \overline{i^{(t)}} \sigma(z_i^{(t)})"
        r"(1 - \sigma(z_i^{(t)})) x^{(t)}"
    },
    "equation_for_t_minus_1": {"f": r"\overline{f^{(t-1)}} = \overline{c^{(t-1)}} c^{(t-2)}"},
    "fixed_last_step": {"c": r"\overline{c^{(T)}} = \overline{h^{(T)}} o^{(T)} (1 - \tanh^2(c^{(T)})), \quad " + C},
    "products_with_star": {"i": r"\overline{i^{(t)}} = \overline{c^{(t)}} * g^{(t)}."},
    "bold_names": {"o": r"\overline{\mathbf{o}^{(t)}} = \overline{\mathbf{h}^{(t)}} \tanh(\mathbf{c}^{(t)})"},
}


@pytest.mark.parametrize("replace", NOTATIONS.values(), ids=NOTATIONS.keys())
def test_each_notation_reads_as_the_same_equations(replace):
    """Every notation docs/spec.md allows (bars, steps, products, functions, helpers, chains) gives the same numbers."""
    assert wrong_keys(document(**replace)) == set()


def test_same_step_references_are_ordered_whatever_the_order_in_the_file():
    """Equations listed in reverse dependency order are still evaluated in the order they need."""
    text = "$$" + " \\\\ ".join(reversed(list(EQUATIONS.values()))) + "$$"
    assert wrong_keys(text) == set()


def test_a_whole_overleaf_document_with_comments_and_prose_is_read():
    """A complete document: preamble, comments, prose with inline math, the forward pass (ignored)."""
    text = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n% \\overline{h^{(t)}} = 0\n"
        "The forward pass is $c^{(t)} = f^{(t)} c^{(t-1)} + i^{(t)} g^{(t)}$ and 50\\% of it.\n"
        + document()
        + "\\end{document}\n"
    )
    assert wrong_keys(text) == set()


def test_a_wrong_equation_gives_wrong_numbers_only_there():
    """A wrong w_ix equation makes only w_ix wrong; dropping c_bar^(t+1) f^(t+1) makes c wrong and, through it, h."""
    assert wrong_keys(document(w_ix=W.replace(" x^{(t)}", ""))) == {"w_ix"}
    assert {"c", "h"} <= wrong_keys(
        document(c=r"\overline{c^{(t)}} = \overline{h^{(t)}} o^{(t)} (1 - \tanh^2(c^{(t)}))")
    )


def test_a_missing_equation_is_a_note_and_the_others_still_count():
    """Without g's equation, g is missing with a note; h c o f i and w_ix still come back."""
    result = evaluate(document(g=""), PROBLEMS[:1])[0]
    assert "g" not in result and set(result) == {"h", "c", "o", "f", "i", "w_ix"}
    assert result.notes == {"g": "no equation for \\overline{g^{(t)}} was found"}


@pytest.mark.parametrize(
    "replace, key, message",
    [
        (
            {"w_ix": r"\overline{w_{ix}} = \sum_t \overline{i^{(t)}} i^{(t)} (1 - i^{(t)}) w_ix"},
            "w_ix",
            "line 9, column 71: `w_i` is not a weight: did you mean w_{ix} or w_{ih}? "
            "Without braces, w_ix is w_i times x",
        ),
        (
            {"o": r"\overline{o^{(t)}} = \overline{h^{(t)}} \sigma^'(c^{(t)})"},
            "o",
            "line 5, column 49: found `'`; expected `{`, a command, a letter or a number: did you mean \\sigma'(…) or "
            "\\sigma^{\\prime}(…)?",
        ),
        (
            {"g": r"\overline{g^{(t)} = \overline{c^{(t)}} i^{(t)}"},
            "g",
            "line 4, column 10: this `{` is never closed: did you mean `\\overline{g^{(t)}}`?",
        ),
        (
            {"i": r"\overline{i^{(t)}} = \overline{c^{(t)}} \gamma(t)"},
            "i",
            "line 7, column 42: unknown symbol `\\gamma`",
        ),
        (
            {"i": r"\overline{i^{(t)}} = \overline{c^{(t)}} \simga(g^{(t)})"},
            "i",
            "unknown command `\\simga`: did you mean `\\sigma`?",
        ),
        (
            {"w_ix": r"\overline{w_{ix}} = \overline{i^{(t)}} i^{(t)} (1 - i^{(t)}) x^{(t)}"},
            "w_ix",
            "line 9, column 22: `t` is left free in \\overline{w_{ix}}",
        ),
        ({"f": r"\overline{f^{(t)}} = \begin{cases} 0 \end{cases}"}, "f", "the `cases` environment is not read"),
        (
            {"o": r"\overline{o^{(t)}} = \overline{h^{(t)}} \tanh(c^(t))"},
            "o",
            "line 5, column 50: found `(`; expected `{`, a command, a letter or a number: write "
            "c^{(t)}: a superscript longer than one character needs braces",
        ),
        ({"c": r"\overline{c^{(t)}} = \overline{c^{(t-1)}}"}, "c", "is not known yet: the equations run backwards"),
    ],
)
def test_an_unreadable_equation_costs_that_equation_with_a_message_naming_the_line(replace, key, message):
    """A mistake in one equation drops that key with a message (line, column, what was expected, a hint)."""
    result = evaluate(document(**replace), PROBLEMS[:2])[-1]
    assert message in result.notes[key]
    assert result.notes[key].startswith("line ")
    assert set(result) == {"h", "c", "g", "o", "f", "i", "w_ix"}  # the others are graded; this one stands in


def test_a_macro_is_named_as_a_macro():
    """A \\newcommand-defined macro is not read, and the message says so and where it was defined."""
    text = "\\newcommand{\\hb}{\\overline{h}}\n" + document(o=r"\overline{o^{(t)}} = \hb^{(t)} \tanh(c^{(t)})")
    assert "`\\hb` is a macro (\\newcommand, line 1): macros are not read" in notes(text)["o"]


def test_a_circular_definition_names_the_bars_involved():
    """h uses c at the same step and c uses h: both are missing, the note says "circular" and names them."""
    text = document(h=r"\overline{h^{(t)}} = \overline{c^{(t)}} o^{(t)}")
    got = notes(text)
    assert got["h"] == (
        "circular definition: \\overline{c^{(t)}} (line 3) -> \\overline{h^{(t)}} (line 2) -> \\overline{c^{(t)}}"
    )
    assert "circular" in got["c"]


def test_an_unreadable_bar_stands_in_so_that_what_uses_it_is_still_computed():
    """c cannot be read: its note says why, and g, f, i are computed from c's stand-in (1 at every step)."""
    result = evaluate(document(c=r"\overline{c^{(t)}} = \overline{h^{(t)}} \foo"), PROBLEMS[:1])[0]
    assert result.notes == {"c": "line 3, column 42: unknown command `\\foo`"}
    assert list(result["c"][1:]) == [1.0] * PROBLEMS[0].length
    assert np.allclose(result["g"][1:], np.asarray(call_arguments(PROBLEMS[0])["forward"]["i"]["__array__"])[1:])


def test_what_needs_a_missing_answer_is_missing_too():
    """With no equation for c at all, g, f and i (built on c) are missing and say what they need."""
    got = notes(document(c=""))
    assert got["c"] == "no equation for \\overline{c^{(t)}} was found"
    assert (
        got["g"]
        == "it needs \\overline{c^{(t)}}, which could not be computed: no equation for \\overline{c^{(t)}} was found"
    )


def test_a_definition_given_twice_counts_the_last_with_a_remark():
    """Two equations for o: the last counts, and a remark names both lines."""
    text = document() + "$$\\overline{o^{(t)}} = 0$$\n"
    result = evaluate(text, PROBLEMS[:1])[0]
    assert np.all(result["o"] == 0) and result.notes == {}
    assert result.remarks == [
        "\\overline{o^{(t)}} is defined more than once (line 5 and line 10): the last definition counts"
    ]


def test_question_1_matrices_are_exact():
    """Matrices in bmatrix/pmatrix, decimals and fractions exact, b_h as a column, v^T as a row."""
    module = tex.read(rb"""
    \[ \mathbf{U} = \begin{bmatrix} 1 & 1 \\ 1 & 1 \\ 1 & 1 \end{bmatrix}, \quad
       \mathbf{W} = \begin{pmatrix} 0 & 0 & 0 \\ 0 & 0 & 0 \\ 0 & 0 & 0 \end{pmatrix} \]
    $$\mathbf{v}^\top = \begin{bmatrix} 1 & -1 & 1 \end{bmatrix}^T, \mathbf{b}_{\mathbf{h}} =
      \begin{bmatrix} -0.5 \\ -\frac{3}{2} \\ -2.5 \end{bmatrix}, \quad b_y = -0.1$$""")
    assert module.U == [[1, 1], [1, 1], [1, 1]]
    assert module.V == [[1, -1, 1]]
    assert module.b_h == [[Fraction(-1, 2)], [Fraction(-3, 2)], [Fraction(-5, 2)]]
    assert module.b_y == Fraction(-1, 10)
    assert not hasattr(module, "lstm_bptt")


def test_an_unreadable_matrix_is_a_message_in_place_of_the_value():
    """A matrix entry that is not a number becomes the worker's "<not a number: …>" text, with its line."""
    module = tex.read(b"$$U = \\begin{bmatrix} 1 & x \\\\ 1 & 1 \\end{bmatrix}$$")
    assert module.U.startswith("<not a number: line 1, column 27: a matrix entry must be a number")


@pytest.mark.parametrize(
    "text, message",
    [
        (
            b"x" * 1_000_001,
            "answers.tex cannot be read: it is 1,000,001 bytes; answers.tex is read up to 1,000,000 bytes",
        ),
        (b"$a=b$ " * 2001, "answers.tex cannot be read: it holds more than 2,000 equations"),
    ],
    ids=["size", "equations"],
)
def test_a_file_past_the_bounds_is_a_message(text, message):
    """Past the size or equation-count bound, the whole file is a clear message."""
    with pytest.raises(ValueError) as error:
        tex.read(text)
    assert str(error.value) == message


@pytest.mark.parametrize(
    "body",
    [
        "{" * 5000 + "}" * 5000,
        "(" * 3000 + "x" + ")" * 3000,
        "\\tanh " * 2000 + "x",
        "x + " * 900 + "x",
        "\\overline{" * 500,
    ],
    ids=["braces", "parentheses", "functions", "terms", "unclosed"],
)
def test_hostile_equations_are_messages_quickly(body):
    """Deep nesting, long chains and unclosed braces: a message for that equation, never a crash or a stall."""
    text = document(o=r"\overline{o^{(t)}} = " + body)
    started = time.monotonic()
    got = notes(text)
    assert "o" in got and got["o"].startswith("line ")
    assert time.monotonic() - started < 10  # generous; the benchmark is the place for timings


def test_the_vendored_lark_is_the_pinned_version():
    """autograder/vendor/ holds the lark version requirements.txt names, with its licence."""
    import lark

    pinned = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if "lark==" in line]
    assert pinned and f"lark=={lark.__version__}" in pinned[0]
    assert os.path.dirname(lark.__file__) == str(ROOT / "autograder" / "vendor" / "lark")
    assert (ROOT / "autograder" / "vendor" / "lark" / "LICENSE").is_file()


def test_the_worker_reads_answers_tex_and_sends_notes_beside_the_value():
    """Through the sandbox: question 1's exact numbers as {"rational": [p, q]}, question 2's keys and notes."""
    from autograder.worker import Limits, Sandbox

    text = (
        document(g=r"\overline{g^{(t)}} = \overline{c^{(t)}} \foo") + "$$U = \\begin{bmatrix} 0.1 & 1 \\end{bmatrix}$$"
    ).encode()
    user = "rnn-worker" if os.geteuid() == 0 else None
    with Sandbox(user=user) as sandbox:
        names = sandbox.run(
            {"task": "names", "module": "answers.tex", "names": ["U", "W"]}, {"answers.tex": text}, Limits()
        )
        calls = sandbox.run(
            {"task": "call", "module": "answers.tex", "function": "lstm_bptt", "calls": [call_arguments(PROBLEMS[0])]},
            {"answers.tex": text},
            Limits(),
        )
    assert names.replies == [{"names": {"U": [[{"rational": [1, 10]}, 1.0]]}}]
    reply = calls.replies[0]
    assert set(reply["value"]) == {"h", "c", "g", "o", "f", "i", "w_ix"}  # g stands in
    assert reply["notes"] == {"g": "line 4, column 42: unknown command `\\foo`"}


def test_a_name_with_a_step_that_nothing_defines_is_an_unknown_symbol():
    """z^{(t)} used but never defined: the equation using it says "unknown symbol" and names it."""
    got = notes(document(o=r"\overline{o^{(t)}} = \overline{h^{(t)}} \tanh(z^{(t)})"))
    assert got["o"] == (
        "line 5, column 22: unknown symbol `z^{(t)}`: no equation defines it (a helper needs its own, "
        "such as z^{(t)} = …)"
    )


def test_e_to_a_power_is_the_exponential_and_e_with_a_step_is_a_helper():
    """e^{-x^{(t)}} is exp(-x^{(t)}) (the notation of most notes); e^{(t)}, with a step, stays a helper's name."""
    text = (
        document(
            o=r"\overline{o^{(t)}} = e^{(t)} + e^{-x^{(t)}} - \exp(-x^{(t)}) + \overline{h^{(t)}} \tanh(c^{(t)})",
        )
        + r"$$e^{(t)} = 0$$"
    )
    problem = PROBLEMS[2]
    result = tex.read(text.encode()).lstm_bptt(**rebuild(call_arguments(problem)))
    assert "o" not in result.notes
    assert np.allclose(result["o"][1:], problem.truth["o"])


@pytest.mark.parametrize("form", ["as shipped", "crlf", "overleaf main.tex"])
def test_the_kit_starter_untouched_answers_nothing(form):
    """kit/answers.tex as it comes answers no question, whatever its bytes (line endings, pasted into a
    document): decided by content, so an unfilled template is not a form the student chose."""
    text = (ROOT / "kit" / "answers.tex").read_text()
    if form == "crlf":
        text = text.replace("\n", "\r\n")
    elif form == "overleaf main.tex":
        text = f"\\documentclass{{article}}\n\\begin{{document}}\n{text}\n\\end{{document}}\n"
    module = tex.read(text.encode())
    assert not [name for name in ("U", "V", "W", "b_h", "b_y", "lstm_bptt") if hasattr(module, name)]


def test_the_kit_starter_half_filled_says_what_is_left_to_fill_in():
    """One answer of a question written: the question is answered, and each placeholder or empty right side
    left is an error with its line."""
    text = (ROOT / "kit" / "answers.tex").read_text().replace("b_y = ?", "b_y = -0.5")
    text = text.replace("\\overline{w_{ix}} = $$", f"{EQUATIONS['w_ix']}$$")
    module = tex.read(text.encode())
    result = module.lstm_bptt(**rebuild(call_arguments(PROBLEMS[0])))
    empty = {"h", "c", "g", "o", "f", "i"}
    assert all("nothing after `=`: write this equation's right side" in result.notes[key] for key in empty)
    assert "nothing after" not in result.notes.get("w_ix", "")
    assert module.b_y == Fraction(-1, 2)
    assert module.U.startswith("<not a number: line 7, column")
    assert module.U.endswith("`?` cannot be read here: it is the template's placeholder, replace it by your number>")


def test_the_seed_template_filled_in_place_scores_like_the_reference():
    """The kit's starter with the reference equations written after each `=` gives the reference's numbers."""
    text = (ROOT / "kit" / "answers.tex").read_text()
    for equation in EQUATIONS.values():
        left, right = equation.split(" = ", 1)
        text = text.replace(f"{left} &=", f"{left} &= {right}").replace(f"{left} = $$", f"{left} = {right}$$")
    assert wrong_keys(text) == set()


ROWS = {
    "continuation_rows": "\\begin{align*}\n"
    + H.replace(" + \\overline{o", " \\\\\n  &\\quad + \\overline{o").replace(" = ", " &= ", 1)
    + " \\\\\n"
    + C.replace(" = ", " &= ")
    + "\n\\end{align*}",
    "two_equations_per_row": "\\begin{align*}"
    + G.replace(" = ", " &= ")
    + " & "
    + O_.replace(" = ", " &= ")
    + "\\end{align*}",
    "commas_and_quads": f"$${F}, \\quad {I_}; \\qquad {W}.$$",
    "row_spacing_and_labels": "\\begin{align}"
    + F
    + " \\label{eq:f} \\nonumber \\\\[4pt] "
    + I_
    + " \\tag{2}\\end{align}",
    "text_words_ignored": f"\\[ {I_} \\quad \\text{{for all }} t \\]",
    "comment_inside_math": f"$${F} % not {I_}\n$$",
    "escaped_dollar_outside_math": f"It costs \\$5. ${F}$",
}


@pytest.mark.parametrize("math", ROWS.values(), ids=ROWS.keys())
def test_document_structure_rules(math):
    """Rows, continuation rows, several equations per row, labels, spacing, words and comments are read as written."""
    module = tex.read(math.encode())
    definitions = module.lstm_bptt.answers.definitions
    assert {unit[1] for unit, _ in definitions} >= ({"h", "c"} if "continuation" in math else set())
    expected = {
        "continuation_rows": {"h", "c"},
        "two_equations_per_row": {"g", "o"},
        "commas_and_quads": {"f", "i", "ix"},
        "row_spacing_and_labels": {"f", "i"},
        "text_words_ignored": {"i"},
        "comment_inside_math": {"f"},
        "escaped_dollar_outside_math": {"f"},
    }
    name = next(key for key, value in ROWS.items() if value == math)
    assert {unit[1] for unit, _ in definitions} == expected[name]
    assert all(d.error is None for d in definitions.values())


def test_a_continuation_row_belongs_to_its_equation():
    """h_bar split over two rows (the second starting with `&\\quad +`) is read whole: the right numbers."""
    assert wrong_keys(document(h=H.replace(" + \\overline{o", " \\\\\n  &\\quad + \\overline{o"))) == set()


QUESTION_1 = {
    "array_and_tfrac": (
        r"$b_h = \left( \begin{array}{c} -\tfrac{1}{2} \\ -\frac32 \\ -2.5 \end{array} \right)$",
        "b_h",
        [[Fraction(-1, 2)], [Fraction(-3, 2)], [Fraction(-5, 2)]],
    ),
    "v_transposed_on_the_left": (
        r"$\mathbf{v}^{\top} = \begin{pmatrix} 1 & -1 & 1 \end{pmatrix}$",
        "V",
        [[1], [-1], [1]],
    ),
    "matrix_transposed": (r"$V = \begin{bmatrix} 1 \\ -1 \\ 1 \end{bmatrix}^T$", "V", [[1, -1, 1]]),
    "w_transposed_on_the_left": (
        r"$\mathbf{W}^\top = \begin{bmatrix} 0 & 0 & 0 \\ 1 & 1 & 1 \\ 0 & 0 & 0 \end{bmatrix}$",
        "W",
        [[0, 1, 0]] * 3,
    ),
    "u_transposed_on_the_left": (
        r"$U^T = \begin{bmatrix} 1 & 2 & 3 \\ 4 & 5 & 6 \end{bmatrix}$",
        "U",
        [[1, 4], [2, 5], [3, 6]],
    ),
    "bold_subscript": (
        r"$\mathbf{b}_{\mathbf{h}} = \begin{bmatrix} 0.1 & 0.2 & 0.3 \end{bmatrix}$",
        "b_h",
        [[Fraction(1, 10), Fraction(1, 5), Fraction(3, 10)]],
    ),
    "commas_between_entries": (
        r"$W = \begin{bmatrix} 0, 1, 0 \\ 0, 1, 0 \\ 0, 1, 0 \end{bmatrix}$",
        "W",
        [[0, 1, 0]] * 3,
    ),
    "scalar_fraction": (r"$b_y = -\frac{1}{2}$", "b_y", Fraction(-1, 2)),
    "bracketed_matrix": (r"$U = \left[\begin{matrix} 1 & 1 \\ 1 & 1 \\ 1 & 1 \end{matrix}\right]$", "U", [[1, 1]] * 3),
}


@pytest.mark.parametrize("math, name, value", QUESTION_1.values(), ids=QUESTION_1.keys())
def test_question_1_notations(math, name, value):
    """Question 1's names and matrices in the notations of docs/spec.md 5.3, read exactly."""
    assert getattr(tex.read(math.encode()), name) == value


HOSTILE_DOCUMENTS = {
    "dollars": b"$" * 999_000,
    "unclosed_text": b"$" + b"\\text{" * 160_000,
    "unclosed_labels": b"\\begin{align}" + b"\\label{" * 120_000,
    "unclosed_environments": b"\\begin{align}" * 70_000,
    "one_row_of_braces": b"$\\overline{h^{(t)}} = " + b"{" * 900_000 + b"$",
    "one_row_of_ampersands": b"$a=" + b"&" * 990_000 + b"$",
    "one_long_sum": b"$\\overline{h^{(t)}} = " + b"x^{(t)} + " * 99_000 + b"1$",
    "empty_rows": b"$" + b"\\\\" * 450_000 + b"$",
    "comments": b"%" * 999_000,
    "unclosed_verbs": b"\\verb|" * 160_000,
    "unclosed_lstinlines": b"\\lstinline{" * 80_000,
    "alignat_without_arguments": b"\\begin{alignat}" * 60_000,
    "multline_rows": b"\\begin{multline}a=" + b"b \\\\ " * 150_000,
    "rows_ending_with_plus": b"\\begin{align}a=" + b"b + \\\\ " * 120_000,
}


@pytest.mark.parametrize("data", HOSTILE_DOCUMENTS.values(), ids=HOSTILE_DOCUMENTS.keys())
def test_hostile_documents_are_read_without_crash(data):
    """About 1 MB of pathological LaTeX: a module (perhaps empty) or a message, never a crash or a stall.

    The time each takes is measured by benchmarks/answers_tex.py; here only that reading finishes.
    """
    module = tex.read(data)
    if hasattr(module, "lstm_bptt"):
        result = module.lstm_bptt(**rebuild(call_arguments(PROBLEMS[0])))
        assert all(note.startswith(("line ", "no equation", "it needs")) for note in result.notes.values())


def test_an_answer_defined_at_fixed_steps_only_says_so():
    """Only \\overline{c^{(T)}} given: at other steps c has no equation; the note says where it is and what to add."""
    fixed = r"\overline{c^{(T)}} = \overline{h^{(T)}} o^{(T)} (1 - \tanh^2(c^{(T)}))"
    got = notes(document(c=fixed))
    assert got["c"] == (
        "\\overline{c^{(t)}} has no equation for step t = 2 (T = 3): it is defined at fixed steps "
        "only (line 3); add the general equation"
    )


def test_a_pasted_unicode_symbol_says_which_latex_to_write():
    """A Unicode minus (pasted from a PDF) is named, with the LaTeX to write instead."""
    got = notes(document(f="\\overline{f^{(t)}} = \\overline{c^{(t)}} c^{(t\u22121)}"))
    assert (
        got["f"] == "line 6, column 47: `\u2212` cannot be read here: write `-` instead (LaTeX, not the symbol itself)"
    )


PIECES = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\\\\",
    "&",
    "=",
    "^",
    "_",
    "'",
    "\\bar",
    "\\overline",
    "\\frac",
    "\\sum",
    "\\tanh",
    "\\sigma",
    "$",
    "$$",
    "\\begin{cases}",
    "\\end{cases}",
    "\\begin{bmatrix}",
    "\\end{bmatrix}",
    "t",
    "T",
    "+",
    "-",
    "x",
    "h",
    "1",
    "0.5",
    ",",
    ";",
    "\\quad",
    "%",
    "\n",
    "\\left(",
    "\\text{",
    "\\label{",
    "w_{ix}",
    "z_{i,t}",
    "\\begin{align}",
    "\\end{align}",
    "\\mathbf{",
    "\\partial",
    "\\odot",
    "\\overline{w_{ix}}",
    " ",
]


@pytest.mark.slow
def test_random_edits_of_a_correct_file_never_break_the_reader():
    """300 seeded random edits of a correct answers.tex: always a module or the file's message, every note a
    sentence, never an exception of the reader's own (which would cost every answer instead of one)."""
    import random

    generator = random.Random(12)
    base = (ROOT / "submissions_sample" / "tex_seed_template" / "answers.tex").read_text()
    arguments = rebuild(call_arguments(PROBLEMS[2]))
    for _ in range(300):
        text = list(base)
        for _ in range(generator.randint(1, 8)):
            at = generator.randrange(len(text))
            text[at : at + generator.choice((0, 1, 3))] = [generator.choice(PIECES)]
        try:
            module = tex.read("".join(text).encode())
        except ValueError as error:
            assert str(error).startswith("answers.tex cannot be read")
            continue
        if hasattr(module, "lstm_bptt"):
            result = module.lstm_bptt(**arguments)
            assert all(isinstance(note, str) and note for note in result.notes.values())
            assert all("could not read this equation" not in note for note in result.notes.values()), result.notes


def test_a_row_starting_with_an_ampersand_continues_unless_it_has_its_own_equation():
    """`& \\quad + …` and `& w_{oh} …` (no `=`) continue the equation above; `& \\overline{g^{(t)}} = …` is new."""
    text = ("\\begin{align*}" + C + " \\\\ & \\quad + 0 \\\\ & " + G + " \\\\ " + O_ + "\\end{align*}").replace(
        " = ", " &= "
    )
    definitions = tex.read(text.encode()).lstm_bptt.answers.definitions
    assert {unit[1] for unit, _ in definitions} == {"c", "g", "o"}
    assert all(d.error is None for d in definitions.values())


def test_question_1_output_and_forward_equations_are_never_helpers():
    """y^{(t)} = … and h^{(t)} = … (the forward passes) are ignored; a helper defined twice gets a remark."""
    text = (
        "$$y^{(t)} = \\phi(V h^{(t)} + b_y), \\quad h^{(t)} = o^{(t)} \\tanh(c^{(t)})$$ $$z^{(t)} = 1$$ $$z^{(t)} = 2$$"
    )
    answers = tex.read(text.encode()).lstm_bptt.answers
    assert {unit for unit, _ in answers.definitions} == {("helper", "z")}
    assert answers.remarks == ["z^{(t)} is defined more than once (line 1 and line 1): the last definition counts"]


def test_the_judge_shows_a_note_and_keeps_the_stand_in_for_carried_forward_credit():
    """A reply with notes: the noted key is unusable with its note as the message (shown literally); its
    stand-in value stays in the answer's values, the upstream bar of the others' carried-forward credit."""
    from autograder.judge.lstm import read_answer

    text = document(c=r"\overline{c^{(t)}} = \overline{h^{(t)}} \foo")
    problem = PROBLEMS[1]
    result = tex.read(text.encode()).lstm_bptt(**rebuild(call_arguments(problem)))
    reply = {
        "value": {key: value.tolist() if hasattr(value, "tolist") else value for key, value in result.items()},
        "notes": result.notes,
    }
    answer = read_answer(problem, reply, "problem 2")
    assert answer.problems == {
        "c": "your equation cannot be graded:\n\n```text\nline 3, column 42: unknown command `\\foo`\n```"
    }
    assert list(answer.values["c"][1:]) == [1.0] * problem.length


def test_credit_carried_from_a_stand_in_says_it_was_not_the_students():
    """An unreadable h_bar equation leaves 1 standing in for h_bar; a right c_bar equation built on it keeps its
    carried-forward credit, and the feedback says the h_bar it follows from is that stand-in, not the student's."""
    from autograder.judge.lstm import check_bar

    text = document(h=r"\overline{h^{(t)}} = \foo")
    replies = [
        {"value": {k: v.tolist() if hasattr(v, "tolist") else v for k, v in got.items()}, "notes": got.notes}
        for got in evaluate(text)
    ]
    c = check_bar("c", PROBLEMS, replies, LstmParams())
    assert c.data["status"] == "carried_forward"
    assert (
        "follows correctly from your own h_bar and c_bar^(t+1), with 1 standing in for h_bar, whose equation "
        "cannot be read (error carried forward): full credit."
    ) in c.output
    right = check_bar("c", PROBLEMS, [{"value": v} for v in evaluate(document())], LstmParams())
    assert "standing in" not in right.output  # a readable document: no stand-in to speak of


MATRIX_ENVIRONMENTS = ["bmatrix", "pmatrix", "matrix", "Bmatrix", "vmatrix", "smallmatrix", "array}{cc"]


@pytest.mark.parametrize("environment", MATRIX_ENVIRONMENTS)
@pytest.mark.parametrize("trailing", ["\\\\", "\\\\[2pt]", "\\\\ \\hline", "\\\\\n"])
def test_a_trailing_row_separator_before_end_is_no_row(environment, trailing):
    """Overleaf's `\\\\` after the last row (an empty last row, which LaTeX does not print) is ignored in every
    matrix environment: the matrix is read as written."""
    name = environment.split("}")[0]
    math = (
        f"$$U = \\begin{{{environment}}}\n 1 & 1 \\\\\n 1 & 1 \\\\\n 1 & 2 {trailing}\n\\end{{{name}}}$$\n"
        f"$$b_h = \\begin{{{environment}}} -\\frac{{1}}{{2}} \\\\ -1.5 \\\\ \\end{{{name}}}$$"
    ).replace("{cc}", "{cc}" if "array" in environment else "")
    module = tex.read(math.encode())
    assert module.U == [[1, 1], [1, 1], [1, 2]]
    assert module.b_h == [[Fraction(-1, 2)], [Fraction(-3, 2)]]


@pytest.mark.parametrize(
    "matrix, message",
    [
        ("1 & 1 \\\\\n \\\\\n 1 & 1", "line 3, column 2: a row of this matrix is empty"),
        ("1 & 1 \\\\\n 1 & \\\\\n 1 & 1", "line 3, column 6: a matrix entry is empty"),
        ("1 & 1 \\\\\n & 1 \\\\", "line 3, column 2: a matrix entry is empty"),
    ],
    ids=["empty_middle_row", "empty_last_entry", "empty_first_entry_of_last_row"],
)
def test_an_empty_row_or_entry_inside_a_matrix_is_an_error_at_its_own_line(matrix, message):
    """Only the trailing empty row is dropped: an empty row between rows, or an empty entry, is an error naming
    its own line (not the line of \\begin)."""
    module = tex.read(f"$$U = \\begin{{bmatrix}}\n{matrix}\n\\end{{bmatrix}}$$".encode())
    assert module.U == f"<not a number: {message}>"


LOSSES = ["L", "L^{(t)}", "L^t", "L^{t}", "L_t", "L_{t}", "L_{(t)}", r"\mathcal{L}_t", r"\mathcal{L}^{(t)}"]
STATES = ["h^{(t)}", "h_t", "h_{t}", "h^t", "h^{t}", r"\mathbf{h}_t", r"\mathbf{h}^{(t)}"]


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("state", STATES)
def test_the_loss_derivative_reads_every_step_notation_on_l_and_h(loss, state):
    """dL/dh with the step as a superscript or subscript, with or without parentheses or braces, on L and on h
    alike: always the given dL_dh at step t."""
    derivative = rf"\frac{{\partial {loss}}}{{\partial {state}}}"
    assert wrong_keys(document(h=H.replace(r"\frac{\partial L}{\partial h^{(t)}}", derivative))) == set()


def test_the_loss_at_another_step_than_h_is_an_error_naming_it():
    text = document(h=H.replace(r"\frac{\partial L}{\partial h^{(t)}}", r"\frac{\partial L_{t+1}}{\partial h_t}"))
    assert "the loss's step must be h's step (t)" in notes(text)["h"]


EQNARRAY_ROWS = {
    "ampersand_equal_ampersand": "\\begin{eqnarray}\n"
    + " \\\\\n".join(line.replace(" = ", " &=& ", 1) for line in EQUATIONS.values())
    + "\n\\end{eqnarray}",
    "equal_in_a_sum_after_an_ampersand": "\\begin{align*}\n"
    + " \\\\\n".join(line.replace(" = ", " &= ", 1) for line in EQUATIONS.values()).replace(
        r"&= \sum_{t=1}^{T}", r"&= & \sum_{t=1}^{T}"
    )
    + "\n\\end{align*}",
}


@pytest.mark.parametrize("text", EQNARRAY_ROWS.values(), ids=EQNARRAY_ROWS.keys())
def test_a_row_splits_only_at_a_top_level_equal_sign(text):
    """eqnarray's `&=&`, and an `&` before `\\sum_{t=1}^{T}`: the `=` inside the sum's subscript is not a second
    equation on the row, so every equation (w_ix's too) is read whole."""
    assert wrong_keys(text) == set()


ARGUMENTS = {
    "alignat_star": ("\\begin{alignat*}{2}", "\\end{alignat*}"),
    "alignat": ("\\begin{alignat}{3}", "\\end{alignat}"),
    "aligned_top": ("\\begin{equation}\\begin{aligned}[t]", "\\end{aligned}\\end{equation}"),
    "alignedat": ("\\[\\begin{alignedat}{2}", "\\end{alignedat}\\]"),
    "alignedat_option": ("\\[\\begin{alignedat}[b]{2}", "\\end{alignedat}\\]"),
    "gathered_option": ("$$\\begin{gathered}[c]", "\\end{gathered}$$"),
}


@pytest.mark.parametrize("begin, end", ARGUMENTS.values(), ids=ARGUMENTS.keys())
def test_an_environments_layout_arguments_are_not_math(begin, end):
    """alignat's column count, aligned's [t] and the like are layout: the first row is read as written."""
    rows = " \\\\\n".join(line.replace(" = ", " &= ", 1) for line in EQUATIONS.values())
    assert wrong_keys(f"{begin}\n{rows}\n{end}") == set()


@pytest.mark.parametrize(
    "math",
    [
        r"$U = \begin{array}{|c|c|} 1 & 1 \\ 1 & 1 \\ 1 & 1 \end{array}$",
        r"$U = \left[\begin{array}[t]{rr} 1 & 1 \\ 1 & 1 \\ 1 & 1 \end{array}\right]$",
        r"$U = \begin{bmatrix*}[r] 1 & 1 \\ 1 & 1 \\ 1 & 1 \end{bmatrix*}$",
    ],
    ids=["array_column_spec", "array_position_and_spec", "bmatrix_star_alignment"],
)
def test_a_matrix_environments_arguments_are_not_entries(math):
    assert tex.read(math.encode()).U == [[1, 1], [1, 1], [1, 1]]


WRONG = r"$\overline{h^{(t)}} = 0$ and $\overline{w_{ix}} = 1$ $$U = 2$$"
VERBATIM = {
    "lstlisting": f"\\begin{{lstlisting}}[language=Python]\n# costs $0\n{WRONG}\n\\end{{lstlisting}}",
    "verbatim": f"\\begin{{verbatim}}\nprice: $5\n{WRONG}\n\\end{{verbatim}}",
    "minted": f"\\begin{{minted}}{{python}}\nx = '$'\n{WRONG}\n\\end{{minted}}",
    "comment": f"\\begin{{comment}}\n{WRONG} $ \n\\end{{comment}}",
    "verb_bars": "See \\verb|$x = 1$| and \\verb|h_bar[t] = $|, then \\verb+$+.",
    "verb_star": "See \\verb*|$ $|.",
    "lstinline": "See \\lstinline{$x$} and \\lstinline!$!.",
    "unclosed_verbatim": f"\\begin{{verbatim}}\n{WRONG}",
}


@pytest.mark.parametrize("name, verbatim", VERBATIM.items(), ids=VERBATIM.keys())
def test_verbatim_text_is_never_math(name, verbatim):
    """A `$` or an equation inside lstlisting, verbatim, minted, comment, \\verb or \\lstinline is text that LaTeX
    prints as it is: it neither opens math (swallowing the answers after it) nor defines an answer."""
    text = r"$$U = \begin{bmatrix} 1 & 1 \\ 1 & 1 \\ 1 & 1 \end{bmatrix}$$" + "\n" + document() + "\n" + verbatim + "\n"
    if name != "unclosed_verbatim":  # before the answers too: it must not swallow them
        text = verbatim + "\n" + text + verbatim
    module = tex.read(text.encode())
    assert module.U == [[1, 1], [1, 1], [1, 1]]
    assert wrong_keys(text) == set()


H_TERMS = H.split(" + ")  # h_bar's left side and direct term, then its four terms
SPLIT_H = {
    "align_row_ends_with_plus": ("align*", " + ".join(H_TERMS[:3]) + " + \\\\\n " + " + ".join(H_TERMS[3:])),
    "align_row_ends_with_minus": ("align*", " + ".join(H_TERMS[:3]) + " - \\\\\n (-1) " + " + ".join(H_TERMS[3:])),
    "align_row_ends_with_cdot": (
        "align*",
        H.replace("f^{(t+1)}(1-f^{(t+1)})", "f^{(t+1)} \\cdot \\\\\n (1-f^{(t+1)})"),
    ),
    "align_row_ends_with_plus_then_space": (
        "align*",
        " + ".join(H_TERMS[:2]) + " + \\quad \\\\\n &\\quad " + " + ".join(H_TERMS[2:]),
    ),
    "multline": ("multline", " + ".join(H_TERMS[:3]) + " + \\\\\n " + " + ".join(H_TERMS[3:])),
    "multline_star_product_across_rows": (
        "multline*",
        H.replace("f^{(t+1)}(1-f^{(t+1)})", "f^{(t+1)} \\\\\n (1-f^{(t+1)})"),
    ),
    "split": ("split", " + ".join(H_TERMS[:4]) + " + \\\\\n & " + H_TERMS[4]),
}


@pytest.mark.parametrize("environment, h", SPLIT_H.values(), ids=SPLIT_H.keys())
def test_an_equation_over_several_rows_is_joined(environment, h):
    """h_bar broken over rows: after a trailing `+`/`-`/`\\cdot`, or anywhere in multline (one equation over several
    rows): read whole, with the right numbers."""
    if environment != "multline" and environment != "multline*":
        h = h.replace(" = ", " &= ", 1)
    math = f"\\begin{{{environment}}}\n{h}\n\\end{{{environment}}}"
    if environment == "split":
        math = f"\\begin{{equation}}{math}\\end{{equation}}"
    assert wrong_keys(math + "\n" + document(h="")) == set()


JOINS = {
    "row_starting_with_plus": ("align*", " \\\\\n + \\overline{"),
    "row_ending_with_plus": ("align*", " + \\\\\n \\overline{"),
    "row_starting_with_ampersand": ("align*", " + \\\\\n &\\quad \\overline{"),
    "multline": ("multline*", " \\\\\n + \\overline{"),
}


@pytest.mark.parametrize("environment, cut", JOINS.values(), ids=JOINS.keys())
def test_a_message_after_joined_rows_names_the_files_own_line(environment, cut):
    """Joining rows never shifts a line: `\\tahn` below an h_bar joined from four rows is reported on its own line."""
    h = H if environment.startswith("multline") else H.replace(" = ", " &= ", 1)
    h = h.replace(" + \\overline{", cut)
    o = O_.replace(" = ", " &= ").replace("tanh", "tahn")
    text = f"\\begin{{{environment}}}\n{h}\n\\end{{{environment}}}\n\\begin{{align*}}\n{o}\n\\end{{align*}}"
    assert text.splitlines()[8].startswith(r"\overline{o^{(t)}}")
    assert notes(text)["o"].startswith("line 9, column 42: unknown command `\\tahn`")


ANNOTATIONS = {
    "shape_after_a_matrix": r"$$U = \begin{bmatrix} 1 & 1 \\ 1 & 1 \\ 1 & 1 \end{bmatrix} \in \mathbb{R}^{3\times2}$$",
    "shape_then_ampersand": "\\begin{align*} U &= \\begin{bmatrix} 1 & 1 \\\\ 1 & 1 \\\\ 1 & 1 \\end{bmatrix} "
    "\\in \\mathbb{R}^{3\\times 2}, & b_y &= 2 \\in \\mathbb{R} \\end{align*}",
}


@pytest.mark.parametrize("math", ANNOTATIONS.values(), ids=ANNOTATIONS.keys())
def test_a_trailing_membership_annotation_is_not_part_of_the_value(math):
    """`U = … \\in \\mathbb{R}^{3 \\times 2}` states the shape: the value is what comes before `\\in`."""
    assert tex.read(math.encode()).U == [[1, 1], [1, 1], [1, 1]]


def test_an_annotation_after_a_bar_is_not_part_of_the_equation():
    assert wrong_keys(document(o=O_ + r" \in \mathbb{R}^{n}")) == set()


def test_a_matrix_with_more_after_it_is_a_question_1_message():
    """Question 1's value with something after the matrix says so in question 1's terms (never "question 2")."""
    value = tex.read(rb"$U = \begin{bmatrix} 1 \end{bmatrix} \times 2$").U
    assert value.startswith("<not a number: line 1, column 6: only a matrix is read here")
    assert "question 2" not in value


SLASHES = [
    r"\partial L / \partial h^{(t)}",
    r"\partial L/\partial h_t",
    r"\partial \mathcal{L} / \partial \mathbf{h}^{(t)}",
    r"\partial L_t / \partial h_t",
    r"dL/dh^{(t)}",
]


@pytest.mark.parametrize("derivative", SLASHES)
def test_the_loss_derivative_with_a_slash_is_read(derivative):
    assert wrong_keys(document(h=H.replace(r"\frac{\partial L}{\partial h^{(t)}}", derivative))) == set()


@pytest.mark.parametrize(
    "derivative, message",
    [
        (r"\partial L", "`\\partial` is read only in the loss's derivative"),
        (r"\partial L / \partial c^{(t)}", "only the derivative with respect to h is given"),
        (r"\prime", "`\\prime` cannot be read here"),
    ],
    ids=["partial_alone", "partial_of_c", "known_command_out_of_place"],
)
def test_a_known_command_out_of_place_is_never_suggested_as_itself(derivative, message):
    """A command the reader knows, used where it means nothing, says so: never "did you mean" the same command."""
    note = notes(document(h=H.replace(r"\frac{\partial L}{\partial h^{(t)}}", derivative)))["h"]
    assert message in note
    assert "did you mean" not in note


PRIMES = {
    "sigma_braced_prime": r"\sigma^{'}(w_{ix} x^{(t)} + w_{ih} h^{(t-1)})",
    "sigma_braced_prime_spaced": r"\sigma^{ ' }(w_{ix} x^{(t)} + w_{ih} h^{(t-1)})",
    "sigma_dot_braced": r"\dot{\sigma}(w_{ix} x^{(t)} + w_{ih} h^{(t-1)})",
    "sigma_dot": r"\dot\sigma(w_{ix} x^{(t)} + w_{ih} h^{(t-1)})",
}


@pytest.mark.parametrize("slope", PRIMES.values(), ids=PRIMES.keys())
def test_primes_in_braces_and_newtons_dot_are_derivatives(slope):
    """`\\sigma^{'}` is LaTeX's own spelling of `\\sigma'`; `\\dot{\\sigma}` is Newton's notation for the same."""
    w = r"\overline{w_{ix}} = \sum_{t=1}^{T} \overline{i^{(t)}} " + slope + " x^{(t)}"
    assert wrong_keys(document(w_ix=w)) == set()


def test_tanh_with_a_braced_prime_or_a_dot_is_its_derivative():
    for slope in (r"\tanh^{'}(c^{(t)})", r"\dot{\tanh}(c^{(t)})"):
        assert wrong_keys(document(c=C.replace(r"(1 - \tanh^2(c^{(t)}))", slope))) == set()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_utf16_or_utf32_answers_tex_is_decoded_as_such(tmp_path, encoding):
    """Notepad's "Unicode" (UTF-16 with a byte-order mark) is read as UTF-16, and the note says UTF-16, not
    Windows-1252."""
    text = r"$$U = \begin{bmatrix} 1 & 1 \\ 1 & 1 \\ 1 & 1 \end{bmatrix}$$ % é"
    data = (b"\xfe\xff" + text.encode(encoding)) if encoding == "utf-16-be" else text.encode(encoding)
    (tmp_path / "answers.tex").write_bytes(data)
    found = locate(tmp_path)
    assert tex.read(found.files["answers.tex"]).U == [[1, 1], [1, 1], [1, 1]]
    shown = "UTF-32" if encoding == "utf-32" else "UTF-16"
    assert found.notes == (f"`answers.tex` is not UTF-8 text; it was read as {shown} (save it as UTF-8).",)


@pytest.mark.parametrize("name", ["answers.tex", "main.tex"])
def test_a_tex_file_that_includes_others_says_they_are_not_read(tmp_path, name):
    """\\input and \\include are never followed (nothing is compiled): the note says so and names the files."""
    (tmp_path / name).write_bytes(b"% \\input{commented}\n\\input{q1}\n\\include{sections/q2} $a=b$\n")
    (tmp_path / "q1.tex").write_bytes(b"$U = 1$")
    notes_ = locate(tmp_path).notes
    if name == "main.tex":  # with no answers.tex, several .tex files: none is read, and the note says why
        assert notes_ == (
            "No `answers.tex` was found, but several other .tex files (`main.tex`, `q1.tex`): none was read. "
            "Name the file with your answers `answers.tex`: it is the one file read (`\\input` and `\\include` "
            "are not followed).",
        )
    else:
        assert notes_ == (
            "`answers.tex` includes other files (`q1`, `sections/q2`) with `\\input` or `\\include`: they are not "
            "read (nothing is compiled; only `answers.tex` itself is). Put all your answers in `answers.tex`.",
        )


@pytest.mark.parametrize("right", [r"\dot + x^{(t)}", r"\mathrm / x^{(t)}", r"\operatorname - 1", r"\dot"])
def test_a_font_or_dot_without_its_argument_says_so(right):
    """`\\dot`, `\\mathrm`, `\\operatorname` followed by an operator (or nothing) is the student's mistake, said so."""
    note = notes(document(g=r"\overline{g^{(t)}} = " + right))["g"]
    assert note.endswith("needs an argument after it")


def test_every_product_the_reader_takes_is_documented():
    """Each operator of the grammar's products is in answers-tex.md and in the handout (docs/student.md)."""
    from autograder.worker.tex import grammar

    words = re.search(r"MULOP[^\n]*\(\?:([a-z|]+)\)", grammar.GRAMMAR).group(1).split("|")
    assert "circ" in words
    for doc in ("answers-tex.md", "student.md"):
        text = (ROOT / "docs" / doc).read_text()
        assert [word for word in words if f"`\\{word}`" not in text] == [], doc


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        (
            r"\begin{bmatrix} 1 & 1 \\ 1 & 1 & 1 \\ 1 & 1 \end{bmatrix}",
            "line 1, column 32: row 2 of this matrix has 3 entries and row 1 has 2 entries",
        ),
        (r"\begin{bmatrix} 1 & 1 \\ 1 \end{bmatrix}", "line 1, column 32: row 2 of this matrix has 1 entry"),
        (r"\begin{bmatrix} 1 & 1 \\ 1 \end{bmatrix}^T", "line 1, column 32: row 2 of this matrix has 1 entry"),
        (
            r"\begin{bmatrix} 1 & 1 \\ 1 & 1 \end{pmatrix}",
            "line 1, column 38: `\\end{pmatrix}` closes `\\begin{bmatrix}`: the document does not compile",
        ),
    ],
    ids=["ragged", "short_row", "short_row_transposed", "mismatched_end"],
)
def test_a_matrix_latex_would_not_print_says_where(matrix, message):
    """A ragged question 1 matrix names its row and line; `\\begin{bmatrix} … \\end{pmatrix}` is not read past."""
    module = tex.read(f"$$U = {matrix}$$".encode())
    assert module.U.startswith(f"<not a number: {message}")


@pytest.mark.parametrize(
    "text",
    [
        r"$$\begin{aligned} \overline{o^{(t)}} &= \overline{h^{(t)}} \tanh(c^{(t)}) \end{align}$$",
        "\\begin{align} \\overline{o^{(t)}} &= \\overline{h^{(t)}} \\tanh(c^{(t)}) \\end{equation}\n"
        "$$\\overline{g^{(t)}} = \\overline{c^{(t)}} i^{(t)}$$",
    ],
    ids=["aligned_ended_by_align", "align_ended_by_equation"],
)
def test_an_environment_ended_by_another_name_is_an_error_at_that_end(text):
    """`\\begin{align} … \\end{equation}` does not compile: the equation before it says so at its line, and the
    math after it is read on its own (not swallowed into that equation)."""
    answers = Answers(read_document(decode(text.encode())))
    errors = {unit[1]: d.error for (unit, _), d in answers.definitions.items()}
    assert "line 1, column" in errors["o"] and "ends an environment that this equation did not begin" in errors["o"]
    assert errors.get("g") is None
