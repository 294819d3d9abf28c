"""Which form of the student's answers counts for each question: the best; ties to Python, LaTeX, the notebook."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from autograder.collect import FORM_NAMES, PYTHON, Collected
from autograder.config import TestSpec
from autograder.judge.verdict import Verdict
from autograder.points import format_points
from autograder.record import Record
from autograder.text import literal

TIE = 1e-9  # points that differ by less are equal (sums of floats)


class Chosen(Record):
    """Each test's verdict from the form that counted for its question, notes on the other forms, and which counted."""

    outcomes: list[tuple[TestSpec, Verdict]]
    notes: list[str]
    forms: dict[str, str]  # question ("1", "2") -> the file that counted, for questions some form answers


def question_of(spec: TestSpec) -> str:
    """The question a test belongs to, parts together: "2a", "2b" and "2c" are question "2"."""
    match = re.match(r"\d+", spec.question)
    return match.group() if match else spec.question


def choose(
    tests: Sequence[TestSpec], forms: Sequence[Collected], judge: Callable[[TestSpec, Collected], Verdict]
) -> Chosen:
    """Judge, per question, every form that answers it, and keep the one with the most points.

    A question's points are those of all its tests but the hidden ones, whose outcome must not show
    (with the default configuration 2(c) is worth nothing, so question 2 compares 2(a) and 2(b), and
    2(c) follows). Equal points go to the Python file, then the LaTeX, then the notebook (docs/spec.md
    5.3). When no form answers a question, the forms found still say why (the answer files before the
    missing Python file).
    """
    questions: dict[str, list[int]] = {}
    for index, spec in enumerate(tests):
        questions.setdefault(question_of(spec), []).append(index)
    outcomes: dict[int, tuple[TestSpec, Verdict]] = {}
    notes = [note for form in forms for note in _about(form)]
    counted: dict[str, str] = {}
    alone: dict[int, list[str]] = {}  # id of an answer file that is the only form of some questions -> those
    used: set[int] = set()
    for question, indexes in questions.items():
        specs = [tests[index] for index in indexes]
        judged = [(form, [judge(spec, form) for spec in specs]) for form in _candidates(question, forms)]
        # On the tests a student sees, now or later: which form counts (and so which feedback shows) never
        # depends on a hidden test's outcome (docs/spec.md 6.2).
        best, verdicts = max(
            judged, key=lambda entry: (round(_points(specs, entry[1], hidden=False) / TIE), -entry[0].form)
        )
        used.add(id(best))
        outcomes.update((index, (tests[index], verdict)) for index, verdict in zip(indexes, verdicts, strict=True))
        if question not in best.answers:
            continue
        counted[question] = best.file(question)
        if len(judged) > 1:
            notes.append(_comparison(question, best, judged, specs))
        elif best.form != PYTHON:
            alone.setdefault(id(best), []).append(question)
    for form in forms:
        if id(form) in alone:  # "Questions 1 and 2 were graded from your notebook `hw.ipynb`."
            answered = alone[id(form)]
            which = f"Questions {' and '.join(answered)} were" if len(answered) > 1 else f"Question {answered[0]} was"
            notes.append(f"{which} graded from your {FORM_NAMES[form.form]} {literal(form.file(answered[0]))}.")
        elif form.form != PYTHON and not form.answers and id(form) not in used:
            notes.append(_unused(form))
    return Chosen([outcomes[index] for index in range(len(tests))], notes, counted)


def _candidates(question: str, forms: Sequence[Collected]) -> list[Collected]:
    """The forms that answer a question; if none does, those that can say why (answer files first)."""
    return (
        [form for form in forms if question in form.answers]
        or [form for form in forms if form.form != PYTHON]
        or list(forms[:1])
    )


def _points(
    specs: Sequence[TestSpec], verdicts: Sequence[Verdict], *, visible_only: bool = False, hidden: bool = True
) -> float:
    return sum(
        verdict.fraction * spec.max_score
        for spec, verdict in zip(specs, verdicts, strict=True)
        if (spec.visibility == "visible" or not visible_only) and (hidden or spec.visibility != "hidden")
    )


def _about(form: Collected) -> list[str]:
    """A form's own notes (a notebook's cells), under its name."""
    return [f"Your {FORM_NAMES[form.form]} {literal(form.file('1'))}: {note}" for note in form.notes]


def _unused(form: Collected) -> str:
    """Why an answer file that answers nothing was not graded (the Python files answered everything)."""
    if form.adder == form.lstm_problem:  # it could not be read or run: say why
        return f"{form.adder}\n\nIt was not graded: your other files answer both questions."
    return (
        f"Your {FORM_NAMES[form.form]} {literal(form.file('1'))} defines none of the answers (U, V, W, b_h, b_y, "
        "lstm_bptt); it was not graded."
    )


def _comparison(
    question: str, best: Collected, judged: list[tuple[Collected, list[Verdict]]], specs: list[TestSpec]
) -> str:
    """Which form counted for a question that several forms answer, and what the others would get.

    The points shown are those of the visible tests only: a note must not reveal the outcome of a
    test the student cannot see, and the student's check (visible tests only) shows the same note.
    """
    others = [(form, verdicts) for form, verdicts in judged if form is not best]
    if not any(spec.visibility == "visible" for spec in specs):
        names = ", ".join(literal(form.file(question)) for form, _ in others)
        return (
            f"Question {question} was answered in several forms; the best counts: {literal(best.file(question))} "
            f"(also answered in {names})."
        )
    maximum = format_points(sum(spec.max_score for spec in specs if spec.visibility == "visible"))

    def points(verdicts: list[Verdict]) -> str:
        return format_points(_points(specs, verdicts, visible_only=True))

    alternatives = "; ".join(
        f"{literal(form.file(question))} would get {points(verdicts)} / {maximum}" for form, verdicts in others
    )
    mine = next(verdicts for form, verdicts in judged if form is best)
    return (
        f"Question {question} was answered in several forms; the best counts: "
        f"{literal(best.file(question))}, {points(mine)} / {maximum} "
        f"({alternatives}; equal points go to the Python file, then LaTeX, then the notebook)."
    )
