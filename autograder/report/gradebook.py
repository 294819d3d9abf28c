"""The gradebook of a batch run: one CSV row per student, one column per question, the total, a status code
(STATUSES) and the reason in plain words."""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from autograder.config import QUESTIONS, TestSpec
from autograder.export import Submitter
from autograder.points import format_points
from autograder.record import Record
from autograder.report.summary import question_scores
from autograder.text import printable

# docs/spec.md 5.6's columns, then ours after them: `reason` says in plain words why the status is what it is.
COLUMNS = ("submission_id", "name", "email", "sid", *QUESTIONS, "total", "status", "reason")
TEXT_COLUMNS = ("submission_id", "name", "email", "sid", "status", "reason")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what Excel, LibreOffice and Sheets read as a formula
INTERRUPTED = "the run was interrupted before grading it"
NO_FOLDER = "the export holds no folder for it"
NOT_LISTED = "the export's submission_metadata.yml does not list this folder, so it has no name, email or SID"
# Why a submission was not graded, as the report and the batch's summary tell them apart: the upload or its
# entry in the export could not be used (the student's side), the run stopped first, or the grader failed.
BAD_UPLOAD, STOPPED, GRADER_FAILED = "bad upload", "interrupted", "grader failed"
GRADED, TIMEOUT, NO_FILES, NO_SUBMISSION = "graded", "timeout", "no files", "no folder"
# The gradebook's `status` codes (docs/ta.md lists them): graded (a timeout too, with its score), graded with 0
# for want of files, listed with nothing in the export, or not graded and whose side that is.
STATUSES = (GRADED, TIMEOUT, NO_FILES, NO_SUBMISSION, BAD_UPLOAD, STOPPED, GRADER_FAILED)
TIMED_OUT = "timed out after"  # in a test's feedback: the student's code ran out of time
_CODE_SPAN = re.compile(r"(`+) ?(.*?) ?\1")
ENCODING = "utf-8-sig"  # with a BOM: Excel reads "García", not "GarcÃ­a"


class GradedSubmission(Record):
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
    listed: bool = True  # False: a folder the export's metadata does not list (no name, email or SID)

    @property
    def graded(self) -> bool:
        return self.problem is None

    @property
    def status(self) -> str:
        """The gradebook's short code (one of STATUSES); `reason` says why in words."""
        if self.problem is not None:
            return self.cause
        if self.no_files == NO_FOLDER:
            return NO_SUBMISSION
        if self.no_files is not None:
            return NO_FILES
        return TIMEOUT if self.timed_out else GRADED

    @property
    def reason(self) -> str:
        """Why the status is what it is, and what the TA should know besides, in plain text (the student's
        Markdown notes without their code spans): "" for a plain grading."""
        parts = [self.problem or self.no_files or ""]
        if self.graded and self.no_files is None:
            if self.timed_out:
                parts.append(f"the student's code ran out of time in test {', '.join(self.tests_where(TIMED_OUT))}")
            failed = [str(t.get("number", "")) for t in self.tests if (t.get("extra_data") or {}).get("internal_error")]
            if failed:
                parts.append(f"the grader failed on test {', '.join(failed)} (scored 0)")
        if not self.listed:
            parts.append(NOT_LISTED)
        return plain("; ".join(part for part in (*parts, *self.notes) if part))

    @property
    def tests(self) -> list[Mapping[str, Any]]:
        return [t for t in self.results.get("tests", []) if isinstance(t, Mapping)]

    def tests_where(self, feedback: str) -> list[str]:
        """The numbers of the tests whose feedback says `feedback`."""
        return [str(t.get("number", t.get("name", ""))) for t in self.tests if feedback in str(t.get("output") or "")]

    @property
    def timed_out(self) -> bool:
        """Did the student's code run out of time in a test (its feedback says so)?"""
        return bool(self.tests_where(TIMED_OUT))

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


def plain(text: str) -> str:
    """Feedback's Markdown as plain text for a spreadsheet: a code span (`adder.py`) becomes its text."""
    return " ".join(_CODE_SPAN.sub(lambda match: match.group(2), text).split())


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
                "reason": submission.reason,
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


class LeftOut(Record):
    """A student (or a submission with no known student) a file leaves out, or leaves blank, and why."""

    who: str
    why: str
    noun: str = "student"


def canvas_rows(submissions: Sequence[GradedSubmission], assignment: str) -> tuple[list[dict[str, str]], list[LeftOut]]:
    """The gradebook for Canvas's import: one row per student with a SID (Gradescope's SID as the SIS User ID),
    the total under the assignment's name; blank, not 0, for a submission the grader did not grade, so that an
    import never overwrites a grade with a failure. Canvas matches a row to a student by the SID, so a student
    without one, and a folder that names no one, cannot be a row; a student the export lists with no submission
    is left out too (a 0 would overwrite whatever grade Canvas holds). Returns the rows and who was left out or
    left blank, and why (the batch prints them and the report lists them)."""
    rows, left_out = [], []
    for submission in submissions:
        if not submission.submitters:
            why = (
                "its folder is not in the export's metadata, so no student is known"
                if not submission.listed
                else "a folder export names no student"
            )
            left_out.append(LeftOut(submission.id, why, "submission"))
            continue
        for person in submission.submitters:
            who = f"{person.name or person.email or '(no name)'} ({submission.id})"
            if not person.sid:
                left_out.append(LeftOut(who, "no SID in the export's metadata"))
                continue
            if submission.status == NO_SUBMISSION:
                left_out.append(LeftOut(who, "no submission in the export; a 0 would overwrite their grade in Canvas"))
                continue
            if not submission.graded:
                left_out.append(LeftOut(who, f"blank: not graded ({submission.status})"))
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
    return rows, left_out


def left_out_text(file: str, left_out: Sequence[LeftOut], shown: int = 10) -> list[str]:
    """One line per reason: "canvas.csv leaves out 2 students: no SID in the export's metadata: Ann (s1), Bo (s2)"."""
    reasons: dict[tuple[str, str], list[str]] = {}
    for entry in left_out:
        reasons.setdefault((entry.why, entry.noun), []).append(entry.who)
    lines = []
    for (why, noun), who in reasons.items():
        what = "leaves blank" if why.startswith("blank: ") else "leaves out"
        more = f" and {len(who) - shown:,} more" if len(who) > shown else ""
        names = ", ".join(printable(name) for name in who[:shown]) + more
        lines.append(f"{file} {what} {plural(len(who), noun)} ({why.removeprefix('blank: ')}): {names}")
    return lines


def plural(count: int, one: str, many: str | None = None) -> str:
    """ "1 student", "2 students", "0 students": a count and its noun."""
    return f"{count:,} {one if count == 1 else many or one + 's'}"
