"""The gradebook of a batch run: one CSV row per submission, one column per question and the total."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from autograder.config import QUESTIONS
from autograder.report.summary import format_points, question_scores

COLUMNS = ("submission_id", "name", "email", "sid", *QUESTIONS, "total", "status")


@dataclass(frozen=True)
class Submitter:
    """A student named in a Gradescope export's `submission_metadata.yml` (any field may be unknown)."""

    name: str = ""
    email: str = ""
    sid: str = ""


@dataclass(frozen=True)
class GradedSubmission:
    """One submission of a batch run: who handed it in, its results.json, and why it was not graded if it was not."""

    id: str
    submitters: tuple[Submitter, ...]
    results: Mapping[str, Any]
    problem: str | None = None  # set when the grader failed on it: the row then scores 0

    @property
    def graded(self) -> bool:
        return self.problem is None

    def question_score(self, question: str) -> float:
        """This submission's score on one question (0 when it was not graded or has no such test)."""
        if not self.graded:
            return 0.0
        return question_scores(self.results).get(question, (0.0, 0.0))[0]

    @property
    def total(self) -> float:
        return round(float(self.results.get("score", 0.0)), 6) if self.graded else 0.0


def gradebook_rows(submissions: Sequence[GradedSubmission]) -> list[dict[str, str]]:
    """The gradebook's rows as text: submitters joined by "; " for a group, scores without trailing zeros."""
    rows = []
    for submission in submissions:
        row = {
            "submission_id": submission.id,
            "name": "; ".join(s.name for s in submission.submitters if s.name),
            "email": "; ".join(s.email for s in submission.submitters if s.email),
            "sid": "; ".join(s.sid for s in submission.submitters if s.sid),
        }
        for question in QUESTIONS:
            row[question] = format_points(submission.question_score(question))
        row["total"] = format_points(submission.total)
        row["status"] = "graded" if submission.graded else f"not graded: {submission.problem}"
        rows.append(row)
    return rows


def gradebook_csv(submissions: Sequence[GradedSubmission]) -> str:
    """The gradebook as CSV text (RFC 4180: a header row, CRLF line ends, fields quoted where needed)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(gradebook_rows(submissions))
    return buffer.getvalue()
