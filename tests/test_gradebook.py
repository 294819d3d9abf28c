"""Tests of the gradebook: one CSV row per submission with per-question scores, importable as it is."""

import csv
import io

import pytest

from autograder.config import TestSpec as Spec
from autograder.export import Submitter
from autograder.judge.verdict import Verdict
from autograder.points import format_points
from autograder.report.gradebook import (
    CANVAS_COLUMNS,
    COLUMNS,
    GradedSubmission,
    canvas_rows,
    gradebook_csv,
    points_possible,
    to_csv,
)
from autograder.report.results import build_results, failure_results

TESTS = [
    Spec(name="Adds", number="1.1", question="1", max_score=5, check="toy"),
    Spec(name="h_bar", number="2.1", question="2a", max_score=1, check="toy"),
    Spec(name="c_bar", number="2.2", question="2a", max_score=3, check="toy"),
    Spec(name="w_ix_bar", number="2.7", question="2b", max_score=1, check="toy"),
]


def results(*fractions):
    """A real results dict from one verdict fraction per test."""
    return build_results([(spec, Verdict(f, "feedback")) for spec, f in zip(TESTS, fractions, strict=True)])


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def test_a_row_holds_the_submitters_and_each_questions_score():
    """Scores are summed per question tag; a question without tests (2c) scores 0; the total is the results' score."""
    submission = GradedSubmission(
        "submission_1", (Submitter("Ada Lovelace", "ada@uni.edu", "17"),), results(1, 0.5, 1 / 3, 0)
    )
    text = gradebook_csv([submission])
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert rows_of(text) == [
        {
            "submission_id": "submission_1",
            "name": "Ada Lovelace",
            "email": "ada@uni.edu",
            "sid": "17",
            "1": "5",
            "2a": "1.5",
            "2b": "0",
            "2c": "0",
            "total": "6.5",
            "status": "graded",
        }
    ]


def test_each_member_of_a_group_gets_a_row_with_the_groups_scores():
    """A group submission is a row per student with the same scores; a comma in a name is quoted, not a new column."""
    people = (Submitter("Zoë Doe, Jr.", "zoe@uni.edu", "1"), Submitter("Bo", "", "2"))
    text = gradebook_csv([GradedSubmission("submission_2", people, results(1, 1, 1, 1))])
    rows = rows_of(text)
    assert [(r["submission_id"], r["name"], r["email"], r["sid"], r["total"]) for r in rows] == [
        ("submission_2", "Zoë Doe, Jr.", "zoe@uni.edu", "1", "10"),
        ("submission_2", "Bo", "", "2", "10"),
    ]
    assert '"Zoë Doe, Jr."' in text


def test_a_submission_without_known_students_still_has_one_row():
    """A plain folder export names no one: the submission is one row with empty name, email and SID."""
    (row,) = rows_of(gradebook_csv([GradedSubmission("alice", (), results(1, 1, 1, 1))]))
    assert (row["submission_id"], row["name"], row["sid"], row["status"]) == ("alice", "", "", "graded")


@pytest.mark.parametrize(
    "text, cell",
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\r=1", "\\x0d=1"),
    ],
    ids=["equals", "plus", "minus", "at", "tab", "carriage-return"],
)
def test_a_cell_that_would_start_a_formula_is_neutralised(text, cell):
    """Names, emails, SIDs and ids that a spreadsheet would run as a formula start with a quote (or, for a
    control character, with its visible escape) instead."""
    person = Submitter(text, text, text)
    (row,) = rows_of(gradebook_csv([GradedSubmission(text, (person,), results(1, 1, 1, 1))]))
    assert [row[c] for c in ("submission_id", "name", "email", "sid")] == [cell] * 4


def test_terminal_escapes_and_control_characters_are_shown_not_kept():
    """An escape sequence in a name is written as visible text: cat-ing the gradebook cannot drive the terminal."""
    (row,) = rows_of(
        gradebook_csv([GradedSubmission("s", (Submitter("\x1b]0;pwned\x07Ann\x1b[2J"),), results(1, 1, 1, 1))])
    )
    assert row["name"] == "\\x1b]0;pwned\\x07Ann\\x1b[2J" and "\x1b" not in row["name"]


def test_the_points_possible_are_each_questions_and_the_total():
    """points_possible.csv's row has the gradebook's columns: each question's points and the total."""
    row = points_possible(TESTS)
    assert row == {
        "submission_id": "points possible",
        "name": "",
        "email": "",
        "sid": "",
        "1": "5",
        "2a": "4",
        "2b": "1",
        "2c": "0",
        "total": "10",
        "status": "",
    }


def test_a_submission_with_no_files_says_so():
    """No folder in the export (or none of the files) is status `no files: why`, with zeros."""
    missing = GradedSubmission("submission_9", (Submitter("Nobody"),), {}, no_files="the export holds no folder for it")
    (row,) = rows_of(gradebook_csv([missing]))
    assert (row["total"], row["status"]) == ("0", "no files: the export holds no folder for it")


def test_a_submission_that_could_not_be_graded_scores_zero_and_says_why():
    """The grader's failure gives a row of zeros whose status carries the reason."""
    failed = GradedSubmission("submission_3", (), failure_results("boom"), problem="the grader failed (OSError: x)")
    (row,) = rows_of(gradebook_csv([failed]))
    assert [row[q] for q in ("1", "2a", "2b", "2c", "total")] == ["0"] * 5
    assert row["status"] == "not graded: the grader failed (OSError: x)"


@pytest.mark.parametrize(
    "value, text",
    [(4.5, "4.5"), (10.0, "10"), (1 / 3, "0.333333"), (0.0, "0"), (-0.0, "0"), (2.0000001, "2")],
    ids=["half", "whole", "third", "zero", "minus-zero", "noise"],
)
def test_points_are_written_as_a_spreadsheet_reads_them(value, text):
    """Points have at most six decimals and no trailing zeros."""
    assert format_points(value) == text


def test_the_canvas_import_has_canvas_columns_and_leaves_failures_blank():
    """canvas.csv: Canvas's identifying columns (SID as SIS User ID), the total under the assignment's name, one row
    per student with a SID, and a blank (never 0) where the grader failed."""
    people = (Submitter("Ann", "ann@uni.edu", "17"), Submitter("No Sid", "n@uni.edu", ""))
    rows = canvas_rows(
        [
            GradedSubmission("s1", people, results(1, 1, 1, 1)),
            GradedSubmission("s2", (Submitter("=Bo", "", "-3"),), failure_results("x"), problem="died"),
        ],
        "HW 4 (RNN)",
    )
    text = to_csv(rows, (*CANVAS_COLUMNS, "HW 4 (RNN)"))
    assert text.splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,HW 4 (RNN)",
        "Ann,,17,,,10",
        "'=Bo,,'-3,,,",
    ]
