"""Tests of the gradebook: one CSV row per submission with per-question scores, importable as it is."""

import csv
import io
from pathlib import Path

import pytest

from autograder.config import TestSpec as Spec
from autograder.export import Submitter
from autograder.judge.verdict import Verdict
from autograder.points import format_points
from autograder.report.gradebook import (
    BAD_UPLOAD,
    CANVAS_COLUMNS,
    COLUMNS,
    NO_FOLDER,
    NOT_LISTED,
    STATUSES,
    STOPPED,
    GradedSubmission,
    canvas_rows,
    gradebook_csv,
    gradebook_rows,
    left_out_text,
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
            "reason": "",
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
        "reason": "",
    }


def test_a_submission_with_no_files_says_so():
    """No folder in the export is status `no folder`, none of the files `no files`, with zeros; the reason
    column says why in plain text (the student's Markdown note without its backticks)."""
    missing = GradedSubmission("submission_9", (Submitter("Nobody"),), {}, no_files=NO_FOLDER)
    empty = GradedSubmission("s", (), results(0, 0, 0, 0), no_files="`carol.zip` is not a readable zip file.")
    rows = rows_of(gradebook_csv([missing, empty]))
    assert [(row["total"], row["status"], row["reason"]) for row in rows] == [
        ("0", "no folder", "the export holds no folder for it"),
        ("0", "no files", "carol.zip is not a readable zip file."),
    ]


def test_a_submission_that_could_not_be_graded_scores_zero_and_says_why():
    """The grader's failure gives a row of zeros, status `grader failed` and the reason in its own column."""
    failed = GradedSubmission("submission_3", (), failure_results("boom"), problem="the grader failed (OSError: x)")
    (row,) = rows_of(gradebook_csv([failed]))
    assert [row[q] for q in ("1", "2a", "2b", "2c", "total")] == ["0"] * 5
    assert (row["status"], row["reason"]) == ("grader failed", "the grader failed (OSError: x)")


def test_the_status_is_always_one_of_the_documented_codes_and_the_reason_is_plain_text():
    """Every kind of row has a status from STATUSES (each documented in docs/ta.md) and a reason with no
    Markdown: a timeout names its tests; a note from the export and an unlisted folder join the reason."""
    timed_out = build_results(
        [
            (spec, Verdict(0, "Your code timed out after 5 s.") if spec.number == "2.1" else Verdict(1, "fine"))
            for spec in TESTS
        ]
    )
    rows = [
        GradedSubmission("a", (), results(1, 1, 1, 1), notes=("its zip holds `adder.py` more than once",)),
        GradedSubmission("b", (), timed_out),
        GradedSubmission("c", (), {}, no_files=NO_FOLDER),
        GradedSubmission("d", (), results(0, 0, 0, 0), no_files="none of the assignment's files is in it"),
        GradedSubmission("e", (), {}, "its name is not a plain folder name", cause=BAD_UPLOAD),
        GradedSubmission("f", (), {}, "the run was interrupted before grading it", cause=STOPPED),
        GradedSubmission("g", (), {}, "the grading process died (exit code 9)"),
        GradedSubmission("h", (), results(1, 1, 1, 1), listed=False),
    ]
    table = rows_of(gradebook_csv(rows))
    assert [row["status"] for row in table] == [
        "graded",
        "timeout",
        "no folder",
        "no files",
        "bad upload",
        "interrupted",
        "grader failed",
        "graded",
    ]
    assert {row["status"] for row in table} == set(STATUSES)
    assert table[0]["reason"] == "its zip holds adder.py more than once"
    assert table[1]["reason"] == "the student's code ran out of time in test 2.1"
    assert table[7]["reason"] == NOT_LISTED
    assert not any("`" in row["reason"] or "*" in row["reason"] for row in table)
    guide = (Path(__file__).parents[1] / "docs" / "ta.md").read_text(encoding="utf-8")
    for code in STATUSES:
        assert f"| `{code}` |" in guide, code
    assert list(COLUMNS[-3:]) == ["total", "status", "reason"]  # ours after docs/spec.md 5.6's columns


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
    per student with a SID, and a blank (never 0) where the grader failed; who is left out (or blank) and why is
    returned, in lines the batch prints and the report lists."""
    people = (Submitter("Ann", "ann@uni.edu", "17"), Submitter("No Sid", "n@uni.edu", ""))
    rows, left_out = canvas_rows(
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
    assert left_out_text("canvas.csv", left_out) == [
        "canvas.csv leaves out 1 student (no SID in the export's metadata): No Sid (s1)",
        "canvas.csv leaves blank 1 student (not graded (grader failed)): =Bo (s2)",
    ]


def test_canvas_never_gives_0_to_a_student_without_a_submission_and_says_who_it_left_out():
    """A student the metadata lists with no folder is left out (a 0 would overwrite their Canvas grade), as is a
    folder the metadata does not list (no one to match); each is named with the reason."""
    rows, left_out = canvas_rows(
        [
            GradedSubmission("s1", (Submitter("Mia", "mia@uni.edu", "6"),), {}, no_files=NO_FOLDER),
            GradedSubmission("s2", (), results(1, 1, 1, 1), listed=False),
            GradedSubmission("s3", (Submitter("Wren", "", "5"),), results(0, 0, 0, 0), no_files="none in it"),
        ],
        "HW",
    )
    assert [(row["Student"], row["HW"]) for row in rows] == [("Wren", "0")]  # files handed in, none usable: a 0
    assert left_out_text("canvas.csv", left_out) == [
        "canvas.csv leaves out 1 student (no submission in the export; a 0 would overwrite their grade in "
        "Canvas): Mia (s1)",
        "canvas.csv leaves out 1 submission (its folder is not in the export's metadata, so no student is known): s2",
    ]
    _, left_out = canvas_rows([GradedSubmission("s4", (), results(1, 1, 1, 1))], "HW")  # a plain folder export
    assert left_out_text("canvas.csv", left_out) == [
        "canvas.csv leaves out 1 submission (a folder export names no student): s4"  # no nested parentheses
    ]


def test_an_earlier_gradebook_with_worded_statuses_compares_by_code(tmp_path):
    """A gradebook written before the status was a code ("graded; <note>", "no files: ...") is read as codes:
    comparing with it lists only students whose scores or status really changed."""
    from autograder.report.changes import changed_rows, read_snapshot

    rows = [
        GradedSubmission("a", (Submitter("Ann", "", "1"),), results(1, 1, 1, 1), notes=("its zip holds x twice",)),
        GradedSubmission("b", (Submitter("Bo", "", "2"),), {}, no_files=NO_FOLDER),
        GradedSubmission("c", (Submitter("Cy", "", "3"),), results(0, 0, 0, 0), no_files="none in it"),
    ]
    now = gradebook_rows(rows)
    old = [{**row, "status": worded} for row, worded in zip(now, OLD_WORDS, strict=True)]
    for row in old:
        del row["reason"]
    old[2]["total"] = "1"  # a real change
    (tmp_path / "gradebook.csv").write_text(to_csv(old, COLUMNS[:-1]), encoding="utf-8-sig")
    changes = changed_rows(read_snapshot(tmp_path), now, tmp_path)
    assert [(row["submission_id"], row["status before"], row["status after"]) for row in changes] == [
        ("c", "no files", "no files")
    ]


OLD_WORDS = ["graded; its zip holds x twice", "no files: the export holds no folder for it", "no files: none in it"]
