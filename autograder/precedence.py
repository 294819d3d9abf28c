"""Which form of the student's answers counts for each question: the best; ties to Python, LaTeX, the notebook."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from autograder.collect import FORM_NAMES, PYTHON, Collected
from autograder.config import TestSpec
from autograder.judge.verdict import Verdict
from autograder.report.summary import format_points
from autograder.text import literal

TIE = 1e-9  # points that differ by less are equal (sums of floats)


@dataclass(frozen=True)
class Chosen:
    """Each test's verdict from the form that counted for its question, notes on the other forms, and which counted."""

    outcomes: list[tuple[TestSpec, Verdict]]
    notes: list[str]
    forms: dict[str, str]  # question ("1", "2") -> the file that counted, for questions some form answers


def question_of(spec: TestSpec) -> str:
    """The question a test belongs to, parts together: "2a", "2b" and "2c" are question "2"."""
    match = re.match(r"\d+", spec.question)
    return match.group() if match else spec.question


def choose(tests: Sequence[TestSpec], forms: Sequence[Collected],
           judge: Callable[[TestSpec, Collected], Verdict]) -> Chosen:
    """Judge, per question, every form that answers it, and keep the one with the most points.

    A question's points are those of all its tests (with the default configuration 2(c) is worth
    nothing, so question 2 compares 2(a) and 2(b), and 2(c) follows). Equal points go to the
    Python file, then the LaTeX, then the notebook (contract 5.3). When no form answers a
    question, the forms found still say why (the answer files before the missing Python file).
    """
    outcomes: dict[int, tuple[TestSpec, Verdict]] = {}
    notes = [note for form in forms for note in _about(form)]
    counted: dict[str, str] = {}
    used: list[Collected] = []
    questions: dict[str, list[int]] = {}
    for index, spec in enumerate(tests):
        questions.setdefault(question_of(spec), []).append(index)
    for question, indexes in questions.items():
        candidates = [form for form in forms if question in form.answers]
        if not candidates:
            candidates = [form for form in forms if form.form != PYTHON] or list(forms[:1])
        judged = []
        for form in candidates:
            verdicts = [judge(tests[index], form) for index in indexes]
            points = sum(verdict.fraction * tests[index].max_score
                         for index, verdict in zip(indexes, verdicts, strict=True))
            judged.append((form, verdicts, points))
        best = max(judged, key=lambda entry: (round(entry[2] / TIE), -entry[0].form))
        used.append(best[0])
        for index, verdict in zip(indexes, best[1], strict=True):
            outcomes[index] = (tests[index], verdict)
        if question in best[0].answers:
            counted[question] = best[0].file(question)
            notes += _comparison(question, best[0], [(form, verdicts) for form, verdicts, _ in judged],
                                 [tests[index] for index in indexes])
    for form in forms:
        if form.form != PYTHON and not form.answers and form not in used:
            notes.append(_unused(form))
    return Chosen([outcomes[index] for index in range(len(tests))], notes, counted)


def _unused(form: Collected) -> str:
    """Why an answer file that answers nothing was not graded (the Python files answered everything)."""
    if form.adder == form.lstm_problem:  # it could not be read or run: say why
        return f"{form.adder}\n\nIt was not graded: your other files answer both questions."
    return (f"Your {FORM_NAMES[form.form]} {literal(form.file('1'))} defines none of the answers (U, V, W, b_h, b_y, "
            "lstm_bptt); it was not graded.")


def _about(form: Collected) -> list[str]:
    """A form's own notes (a notebook's cells), under its name."""
    if not form.notes:
        return []
    return [f"Your {FORM_NAMES[form.form]} {literal(form.file('1'))}: {note}" for note in form.notes]


def _comparison(question: str, best: Collected, judged: list[tuple], specs: list[TestSpec]) -> list[str]:
    """Say which form counted for a question when it is not the Python file or when several forms answer it.

    The points shown are those of the visible tests only: a note must not reveal the outcome of a
    test the student cannot see, and the student's check (visible tests only) shows the same note.
    """
    others = [entry for entry in judged if entry[0] is not best]
    if not others:
        return [] if best.form == PYTHON else [f"Question {question} was graded from your {FORM_NAMES[best.form]} "
                                               f"{literal(best.file(question))}."]
    shown = [index for index, spec in enumerate(specs) if spec.visibility == "visible"]
    if not shown:
        names = ", ".join(literal(other.file(question)) for other, _ in others)
        return [f"Question {question} was answered in several forms; the best counts: {literal(best.file(question))} "
                f"(also answered in {names})."]
    maximum = format_points(sum(specs[index].max_score for index in shown))

    def points(verdicts: list[Verdict]) -> str:
        return format_points(sum(verdicts[index].fraction * specs[index].max_score for index in shown))

    alternatives = "; ".join(f"{literal(other.file(question))} would get {points(verdicts)} / {maximum}"
                             for other, verdicts in others)
    mine = next(verdicts for form, verdicts in judged if form is best)
    return [f"Question {question} was answered in several forms; the best counts: "
            f"{literal(best.file(question))}, {points(mine)} / {maximum} "
            f"({alternatives}; equal points go to the Python file, then LaTeX, then the notebook)."]
