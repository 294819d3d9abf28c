"""The gradebook of a batch run: one CSV row per student, one column per question, the total and a status."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autograder.config import QUESTIONS, TestSpec
from autograder.export import Submitter
from autograder.points import format_points
from autograder.report.summary import question_scores
from autograder.text import printable

COLUMNS = ("submission_id", "name", "email", "sid", *QUESTIONS, "total", "status")
TEXT_COLUMNS = ("submission_id", "name", "email", "sid", "status")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel, LibreOffice and Sheets read as a formula
INTERRUPTED = "the run was interrupted before grading it"
NO_FOLDER = "the export holds no folder for it"
# Why a submission was not graded, as the report and the batch's summary tell them apart: the upload or its
# entry in the export could not be used (the student's side), the run stopped first, or the grader failed.
BAD_UPLOAD, STOPPED, GRADER_FAILED = "bad upload", "interrupted", "grader failed"
ENCODING = "utf-8-sig"  # with a BOM: Excel reads "García", not "GarcÃ­a"


@dataclass(frozen=True)
class GradedSubmission:
    """One submission of a batch run: who handed it in, its results.json, and what kept it from a plain grade.

    `problem`: why the grader did not grade it (its scores are 0), and `cause`, whose side that is
    (BAD_UPLOAD, STOPPED or GRADER_FAILED); `no_files`: why there was nothing to grade (no folder in the
    export, or none of the assignment's files in it); `notes`: what the TA should know about a graded one
    (a name clash in the export).
    """

    id: str
    submitters: tuple[Submitter, ...]
    results: Mapping[str, Any]
    problem: str | None = None
    no_files: str | None = None
    cause: str = GRADER_FAILED
    notes: tuple[str, ...] = ()

    @property
    def graded(self) -> bool:
        return self.problem is None

    @property
    def status(self) -> str:
        """`graded` (with its notes), `no files: why` or `not graded: why`: what a TA reads in the gradebook."""
        if self.problem is not None:
            return f"not graded: {self.problem}"
        if self.no_files is not None:
            return f"no files: {self.no_files}"
        return "; ".join(("graded", *self.notes))

    @property
    def kind(self) -> str:
        """What became of it, in the batch summary's words: graded, no folder, or why it was not graded."""
        if self.problem is not None:
            return self.cause
        return "no folder" if self.no_files == NO_FOLDER else "graded"

    def question_score(self, question: str) -> float:
        """This submission's score on one question (0 when it was not graded or has no such test)."""
        if not self.graded:
            return 0.0
        return self._question_scores.get(question, (0.0, 0.0))[0]

    @functools.cached_property
    def _question_scores(self) -> dict[str, tuple[float, float]]:
        # The gradebook, the student table and the question figures each ask for every question's score.
        return question_scores(self.results)

    @property
    def total(self) -> float:
        return round(float(self.results.get("score", 0.0)), 6) if self.graded else 0.0


def safe_cell(text: str) -> str:
    """Text a spreadsheet shows as text: control characters made visible, and a leading `'` before anything a
    spreadsheet would run as a formula (OWASP's advice for CSV injection)."""
    text = printable(str(text))
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def gradebook_rows(submissions: Sequence[GradedSubmission]) -> list[dict[str, str]]:
    """The gradebook's rows as text: one per student (each member of a group gets the group's scores);
    a submission with no known student still gets one row."""
    rows = []
    for submission in submissions:
        scores = {question: format_points(submission.question_score(question)) for question in QUESTIONS}
        for person in submission.submitters or (Submitter(),):
            row = {
                "submission_id": submission.id,
                "name": person.name,
                "email": person.email,
                "sid": person.sid,
                **scores,
                "total": format_points(submission.total),
                "status": submission.status,
            }
            rows.append({key: safe_cell(value) if key in TEXT_COLUMNS else value for key, value in row.items()})
    return rows


def points_possible(tests: Iterable[TestSpec]) -> dict[str, str]:
    """The row of points possible: each question's points and the total, in the gradebook's columns."""
    tests = list(tests)
    row = {key: "" for key in COLUMNS}
    row["submission_id"] = "points possible"
    for question in QUESTIONS:
        row[question] = format_points(sum(t.max_score for t in tests if t.question == question))
    row["total"] = format_points(sum(t.max_score for t in tests))
    return row


def to_csv(rows: Iterable[Mapping[str, str]], columns: Sequence[str] = COLUMNS) -> str:
    """CSV text (RFC 4180: a header row, CRLF line ends, fields quoted where needed); write it with ENCODING."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def gradebook_csv(submissions: Sequence[GradedSubmission]) -> str:
    """The gradebook as CSV text."""
    return to_csv(gradebook_rows(submissions))


# Canvas's gradebook import (Grades > Import): a row is matched on Student, ID or SIS User ID; SIS Login ID
# and Section columns are expected beside them; every other column is an assignment, named by its header.
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def canvas_rows(submissions: Sequence[GradedSubmission], assignment: str) -> list[dict[str, str]]:
    """The gradebook for Canvas's import: one row per student with a SID (Gradescope's SID as the SIS User ID),
    the total under the assignment's name; blank, not 0, for a submission the grader did not grade, so that an
    import never overwrites a grade with a failure."""
    rows = []
    for submission in submissions:
        for person in submission.submitters:
            if not person.sid:
                continue
            score = format_points(submission.total) if submission.graded else ""
            rows.append(
                {
                    "Student": safe_cell(person.name),
                    "ID": "",
                    "SIS User ID": safe_cell(person.sid),
                    "SIS Login ID": "",
                    "Section": "",
                    assignment: score,
                }
            )
    return rows
