"""Tests of the results writer: valid Gradescope JSON, scores from verdicts, atomic strict writing."""

import json
import math

import pytest

from autograder.config import TestSpec
from autograder.judge.verdict import Verdict
from autograder.report.feedback import PRINTED
from autograder.report.results import build_results, failure_results, write_results
from autograder.report.summary import question_scores, summarize


def spec(number, question, points, visibility="visible"):
    return TestSpec(
        name=f"Test {number}", number=number, question=question, max_score=points, check="toy", visibility=visibility
    )


OUTCOMES = [
    (spec("1.1", "1", 2), Verdict(1.0, "Adds: passes.")),
    (spec("1.2", "1", 3), Verdict(0.0, "Adds: fails.\n```\nt | x\n```", {"failing_pair": [3, 1]})),
    (spec("2.1", "2a", 1), Verdict(0.5, "Half right.")),
    (spec("2.8", "2c", 0, "after_due_date"), Verdict(1.0, "Demo table.")),
]


def test_results_follow_gradescopes_format(valid_results):
    """Each verdict becomes one test with its number, single question tag, score and markdown output."""
    results = build_results(OUTCOMES, output="Notes", extra_data={"seeds": [1]}, printed=True)
    valid_results(results)
    assert results["score"] == 2.5
    first, second, third, fourth = results["tests"]
    assert first == {
        "name": "Test 1.1",
        "score": 2.0,
        "max_score": 2,
        "status": "passed",
        "tags": ["1"],
        "output": "Adds: passes.\n",
        "visibility": "visible",
        "number": "1.1",
        "output_format": "md",
    }
    assert second["status"] == "failed" and second["score"] == 0.0
    assert second["output"] == "Adds: fails.\n```\nt | x\n```\n"
    assert second["extra_data"] == {"failing_pair": [3, 1]}
    assert third["status"] == "failed" and third["score"] == 0.5
    assert fourth["visibility"] == "after_due_date" and fourth["status"] == "passed"
    assert results["output"] == f"Notes\n\n{PRINTED}" and results["extra_data"] == {"seeds": [1]}
    assert isinstance(results["execution_time"], float)


def test_question_scores_sum_their_tests():
    """A question's score is the sum of the scores of its tests."""
    results = build_results(OUTCOMES)
    assert question_scores(results) == {"1": (2.0, 5), "2a": (0.5, 1), "2c": (1.0 * 0, 0)}


def test_the_summary_shows_failures_with_their_feedback():
    """The readable summary lists each question, marks each test and shows the feedback of failures."""
    text = summarize(build_results(OUTCOMES), title="Grading x")
    assert text.startswith("Grading x: 2.5 / 6 points\n")
    assert "Question 1: 2 / 5\n  ok   1.1 Test 1.1  (2 / 2)\n  FAIL 1.2 Test 1.2  (0 / 3)\n        Adds: fails." in text
    assert "Adds: passes." not in text
    assert "  info 2.8 Test 2.8  (0 / 0)\n        Demo table." in text  # information: neither ok nor FAIL, always shown


def test_the_summary_shows_a_pass_that_says_more_than_that_it_passes():
    """A pass with a note (phi(0), error carried forward) shows its feedback, as Gradescope does; a one-line pass
    does not."""
    note = "Note: your network is correct only if the threshold fires at exactly 0 (phi(0) = 1)."
    outcomes = [
        (spec("1.1", "1", 1), Verdict(1.0, f"Adds 1-bit pairs: passes.\n\n{note}")),
        (spec("1.2", "1", 1), Verdict(1.0, "Adds up to 10 bits: passes.")),
    ]
    text = summarize(build_results(outcomes), title="Checking hw")
    assert f"  ok   1.1 Test 1.1  (1 / 1)\n        Adds 1-bit pairs: passes.\n\n        {note}\n" in text
    assert "Adds up to 10 bits" not in text


def test_failure_results_are_valid_and_say_it_is_not_the_students_fault(valid_results):
    """When grading cannot finish, results.json is still valid, scores 0 and blames the grader."""
    results = failure_results("(boom)")
    valid_results(results)
    assert results["score"] == 0 and "This is not your fault" in results["output"]


def test_writing_is_strict_and_atomic(tmp_path):
    """results.json is replaced in one step, and NaN is refused rather than written."""
    path = tmp_path / "results" / "results.json"
    write_results(path, {"score": 1.0, "tests": []})
    assert json.loads(path.read_text()) == {"score": 1.0, "tests": []}
    with pytest.raises(ValueError):
        write_results(path, {"score": math.nan, "tests": []})
    assert json.loads(path.read_text()) == {"score": 1.0, "tests": []}
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]


def test_long_feedback_is_cut_readably():
    """Feedback longer than the cap is cut between blocks, with a note of how much was left out; one block
    longer than the cap alone is shown, cut, as literal text."""
    paragraphs = "\n\n".join(f"{k:04d}" + "y" * 994 for k in range(30))  # 30 blocks, 1,000 with their blank line
    output = build_results([(spec("1.1", "1", 1), Verdict(0.0, paragraphs))])["tests"][0]["output"]
    assert output.startswith("0000" + "y" * 994 + "\n\n") and "(cut here: 10,000 more characters)" in output
    single = build_results([(spec("1.1", "1", 1), Verdict(0.0, "x" * 30_000))])["tests"][0]["output"]
    assert single.startswith("```text\n" + "x" * 10_000 + "\n```") and "(cut here: 20,000 more characters)" in single


def test_a_cut_never_opens_the_students_text_as_markdown():
    """The cap falls inside a code span holding a student's text: the cut is made before that block, so the
    text never escapes its span into live Markdown (a link, raw HTML)."""
    filler = "\n\n".join(f"Note {k:05d}: fine." for k in range(1_100))  # about 19,800 characters of blocks
    forged = "Cell 3 says: `" + "x" * 400 + " [click](https://evil.example) <img src=x onerror=alert(1)>`"
    output = build_results([(spec("1.1", "1", 1), Verdict(0.0, filler + "\n\n" + forged))])["tests"][0]["output"]
    assert "evil.example" not in output and "cut here" in output
