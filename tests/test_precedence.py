"""Tests of precedence between forms: per question the best form counts; ties go to Python, LaTeX, the notebook."""

import json

import pytest

from autograder import engine
from autograder.collect import LATEX, NOTEBOOK, PYTHON, Collected
from autograder.config import TestSpec
from autograder.judge.verdict import Verdict
from autograder.kinds import load_config
from autograder.precedence import choose, question_of
from autograder.worker.sandbox import Sandbox
from conftest import ROOT

TESTS = [
    TestSpec(name="adds", number="1.1", question="1", max_score=5, check="x"),
    TestSpec(name="h", number="2.1", question="2a", max_score=4, check="x"),
    TestSpec(name="w", number="2.7", question="2b", max_score=1, check="x"),
    TestSpec(name="demo", number="2.8", question="2c", max_score=0, check="x"),
]


def form(kind, name, answers=("1", "2"), **fractions):
    """A collected form whose verdicts are given per test number (as 1_1=0.5), for a judge that reads them back."""
    python = kind == PYTHON
    return Collected(
        adder=json.dumps(fractions),
        adder_file="adder.py" if python else name,
        lstm_file="lstm_bptt.py" if python else name,
        form=kind,
        answers=frozenset(answers),
    )


def judge(spec, collected):
    fraction = json.loads(collected.adder).get(spec.number.replace(".", "_"), 0.0)
    return Verdict(fraction, f"{spec.number} from {collected.file(question_of(spec))}")


def outputs(chosen):
    return [verdict.output for _, verdict in chosen.outcomes]


def test_the_best_form_counts_per_question():
    """Each question takes the form with the most points: here the notebook for question 1, Python for question 2."""
    python = form(PYTHON, "", **{"1_1": 0.2, "2_1": 1, "2_7": 1})
    notebook = form(NOTEBOOK, "hw.ipynb", **{"1_1": 1, "2_1": 0.5, "2_7": 1})
    chosen = choose(TESTS, [python, notebook], judge)
    assert outputs(chosen) == [
        "1.1 from hw.ipynb",
        "2.1 from lstm_bptt.py",
        "2.7 from lstm_bptt.py",
        "2.8 from lstm_bptt.py",
    ]
    assert chosen.forms == {"1": "hw.ipynb", "2": "lstm_bptt.py"}
    assert chosen.notes == [
        "Question 1 was answered in several forms; the best counts: `hw.ipynb`, 5 / 5 (`adder.py` would get 1 / 5; "
        "equal points go to the Python file, then LaTeX, then the notebook).",
        "Question 2 was answered in several forms; the best counts: `lstm_bptt.py`, 5 / 5 (`hw.ipynb` would get 3 / 5; "
        "equal points go to the Python file, then LaTeX, then the notebook).",
    ]


@pytest.mark.parametrize(
    "present, winner",
    [
        ((PYTHON, LATEX, NOTEBOOK), "adder.py"),
        ((NOTEBOOK, LATEX), "answers.tex"),
        ((NOTEBOOK,), "hw.ipynb"),
    ],
    ids=["python-first", "latex-before-notebook", "notebook-alone"],
)
def test_ties_go_to_python_then_latex_then_the_notebook(present, winner):
    """Equal points: the Python file counts, else the LaTeX, else the notebook, whatever the order collected."""
    names = {PYTHON: "", LATEX: "answers.tex", NOTEBOOK: "hw.ipynb"}
    forms = [form(kind, names[kind], **{"1_1": 0.6}) for kind in present]
    chosen = choose(TESTS[:1], forms, judge)
    assert chosen.forms == {"1": winner} and outputs(chosen) == [f"1.1 from {winner}"]


def test_question_2_counts_its_parts_together_and_part_c_follows():
    """2(a) and 2(b) are summed to compare (4 + 0 beats 3 + 0.5); 2(c) is shown from the form that counted."""
    python = form(PYTHON, "", **{"2_1": 0.75, "2_7": 0.5, "2_8": 1})
    notebook = form(NOTEBOOK, "hw.ipynb", **{"2_1": 1.0, "2_7": 0.0, "2_8": 0})
    chosen = choose(TESTS[1:], [python, notebook], judge)
    assert chosen.forms == {"2": "hw.ipynb"}
    assert outputs(chosen) == ["2.1 from hw.ipynb", "2.7 from hw.ipynb", "2.8 from hw.ipynb"]
    assert question_of(TESTS[3]) == "2" and question_of(TESTS[0]) == "1"


def test_a_single_answer_file_is_named():
    """When a question is answered only by a notebook (or LaTeX), a note names the file that was graded."""
    python = form(PYTHON, "", answers=("1",), **{"1_1": 1})
    notebook = form(NOTEBOOK, "hw.ipynb", answers=("2",), **{"2_1": 1, "2_7": 1})
    chosen = choose(TESTS, [python, notebook], judge)
    assert chosen.forms == {"1": "adder.py", "2": "hw.ipynb"}
    assert chosen.notes == ["Question 2 was graded from your notebook `hw.ipynb`."]
    only = choose(TESTS, [form(PYTHON, "", answers=()), form(NOTEBOOK, "hw.ipynb", **{"1_1": 1})], judge)
    assert only.notes == ["Questions 1 and 2 were graded from your notebook `hw.ipynb`."]


def test_hidden_tests_are_never_revealed_by_the_comparison():
    """The note counts the visible tests' points only (the check shows the same); with none visible, no points.
    Nor does the choice count a hidden test (docs/spec.md 6.2): a notebook better on it alone does not count."""
    hidden = TestSpec(name="more", number="1.2", question="1", max_score=2, check="x", visibility="hidden")
    python = form(PYTHON, "", **{"1_1": 1, "1_2": 0})
    notebook = form(NOTEBOOK, "hw.ipynb", **{"1_1": 1, "1_2": 1})
    chosen = choose([TESTS[0], hidden], [python, notebook], judge)
    assert chosen.forms == {"1": "adder.py"}
    assert chosen.notes == [
        "Question 1 was answered in several forms; the best counts: `adder.py`, 5 / 5 (`hw.ipynb` "
        "would get 5 / 5; equal points go to the Python file, then LaTeX, then the notebook)."
    ]
    chosen = choose([hidden], [python, notebook], judge)
    assert chosen.notes == [
        "Question 1 was answered in several forms; the best counts: `adder.py` (also answered in `hw.ipynb`)."
    ]


def test_a_form_that_answers_nothing_is_not_judged_but_noted():
    """A notebook that could not be run does not compete with the Python files; why it was not graded is a note."""
    python = form(PYTHON, "", **{"1_1": 0, "2_1": 0, "2_7": 0})
    problem = "Your notebook `hw.ipynb` could not be used: ..."
    broken = Collected(
        adder=problem,
        lstm_problem=problem,
        adder_file="hw.ipynb",
        lstm_file="hw.ipynb",
        form=NOTEBOOK,
        answers=frozenset(),
    )
    judged = []
    chosen = choose(TESTS, [python, broken], lambda spec, f: judged.append(f.form) or judge(spec, f))
    assert set(judged) == {PYTHON} and chosen.forms == {"1": "adder.py", "2": "lstm_bptt.py"}
    assert chosen.notes == [problem + "\n\nIt was not graded: your other files answer both questions."]


def test_when_no_form_answers_the_answer_file_says_why():
    """With no Python file and a notebook that defines nothing for question 1, the notebook's message is shown."""
    python = Collected(adder="No `adder.py` ...", lstm_problem="No `lstm_bptt.py` ...", answers=frozenset())
    notebook = Collected(
        adder="Your notebook defines none of U, V, W, b_h, b_y.",
        adder_file="hw.ipynb",
        lstm_file="hw.ipynb",
        form=NOTEBOOK,
        answers=frozenset({"2"}),
    )
    chosen = choose(TESTS[:1], [python, notebook], lambda spec, f: Verdict(0.0, f.adder))
    assert outputs(chosen) == ["Your notebook defines none of U, V, W, b_h, b_y."] and chosen.forms == {}


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as opened:
        yield opened


def test_the_results_record_the_counting_form_per_question(tmp_path, sandbox):
    """Through the engine: results' extra_data["forms"] names the file that counted for each question."""
    reference = (ROOT / "reference" / "lstm_bptt.py").read_text().split('"""', 2)[2]
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": reference}]
    (tmp_path / "hw.ipynb").write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    (tmp_path / "adder.py").write_text((ROOT / "reference" / "adder.py").read_text())
    (tmp_path / "lstm_bptt.py").write_text("def lstm_bptt(x, weights, forward, dL_dh):\n    return {}\n")
    results = engine.grade(tmp_path, config=load_config(), sandbox=sandbox)
    assert results["extra_data"]["forms"] == {"1": "adder.py", "2": "hw.ipynb"}
    assert results["score"] == 10
