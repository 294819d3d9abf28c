"""Tests of the gradebook: one CSV row per submission with per-question scores, importable as it is."""

import csv
import io

import pytest

from autograder.config import TestSpec as Spec
from autograder.judge.verdict import Verdict
from autograder.report.gradebook import COLUMNS, GradedSubmission, Submitter, gradebook_csv
from autograder.report.summary import format_points
from autograder.report.results import build_results, failure_results

TESTS = [
    Spec(name="Adds", number="1.1", question="1", max_score=5, check="toy"),
    Spec(name="h_bar", number="2.1", question="2a", max_score=1, check="toy"),
    Spec(name="c_bar", number="2.2", question="2a", max_score=3, check="toy"),
    Spec(name="w_ix_bar", number="2.7", question="2b", max_score=1, check="toy"),
]


def results(*fractions):
    """A real results dict from one verdict fraction per test."""
    return build_results([(spec, Verdict(f, "feedback")) for spec, f in zip(TESTS, fractions)])


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_a_row_holds_the_submitters_and_each_questions_score():
    """Scores are summed per question tag; a question without tests (2c) scores 0; the total is the results' score."""
    submission = GradedSubmission("submission_1", (Submitter("Ada Lovelace", "ada@uni.edu", "17"),),
                                  results(1, 0.5, 1 / 3, 0))
    text = gradebook_csv([submission])
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert rows_of(text) == [{"submission_id": "submission_1", "name": "Ada Lovelace", "email": "ada@uni.edu",
                              "sid": "17", "1": "5", "2a": "1.5", "2b": "0", "2c": "0", "total": "6.5",
                              "status": "graded"}]


def test_a_group_submission_lists_every_submitter_and_commas_are_quoted():
    """A group's names, emails and SIDs are joined with "; "; a comma in a name is quoted, not a new column."""
    people = (Submitter("Zoë Doe, Jr.", "zoe@uni.edu", "1"), Submitter("Bo", "", "2"))
    text = gradebook_csv([GradedSubmission("submission_2", people, results(1, 1, 1, 1))])
    (row,) = rows_of(text)
    assert (row["name"], row["email"], row["sid"], row["total"]) == ("Zoë Doe, Jr.; Bo", "zoe@uni.edu", "1; 2", "10")
    assert '"Zoë Doe, Jr.; Bo"' in text


def test_a_submission_that_could_not_be_graded_scores_zero_and_says_why():
    """The grader's failure gives a row of zeros whose status carries the reason."""
    failed = GradedSubmission("submission_3", (), failure_results("boom"), problem="the grader failed (OSError: x)")
    (row,) = rows_of(gradebook_csv([failed]))
    assert [row[q] for q in ("1", "2a", "2b", "2c", "total")] == ["0"] * 5
    assert row["status"] == "not graded: the grader failed (OSError: x)"


@pytest.mark.parametrize("value, text", [(4.5, "4.5"), (10.0, "10"), (1 / 3, "0.333333"), (0.0, "0"), (-0.0, "0"),
                                         (2.0000001, "2")], ids=["half", "whole", "third", "zero", "minus-zero", "noise"])
def test_points_are_written_as_a_spreadsheet_reads_them(value, text):
    """Points have at most six decimals and no trailing zeros."""
    assert format_points(value) == text
