"""Tests of the student's check: Gradescope's scores and feedback for the visible tests, and a word on the others."""

import io
import json
import subprocess
import sys
from collections import Counter

import pytest
import yaml

from autograder.check import check, closing_lines, main, not_visible, student_files
from autograder.config import load_config
from autograder.engine import grade
from autograder.worker.sandbox import Sandbox
from conftest import ROOT, assert_valid_results

CASES = [ROOT / "reference"] + sorted(p for p in (ROOT / "submissions_sample").iterdir() if (p / "expected.yaml").is_file())
NOT_VISIBLE = {"1.3": "hidden", "2.5": "hidden", "2.7": "after_due_date"}


@pytest.fixture(scope="module")
def mixed_config(tmp_path_factory):
    """The default tests, three of them not visible to students."""
    data = yaml.safe_load((ROOT / "autograder" / "default.yaml").read_text())
    for test in data["tests"]:
        test["visibility"] = NOT_VISIBLE.get(test["number"], "visible")
    path = tmp_path_factory.mktemp("config") / "mixed.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as sandbox:
        yield sandbox


def comparable(test):
    """A test of results.json without what may differ between two runs."""
    return {key: value for key, value in test.items() if key != "execution_time"}


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_the_check_gives_gradescopes_scores_and_feedback_for_visible_tests(case, mixed_config, sandbox):
    """For every sample and the reference, each visible test has the same score, status and feedback as in grading."""
    config = load_config(mixed_config)
    graded = grade(case, config=config, sandbox=sandbox)
    checked = check(case, config=config)
    assert_valid_results(checked)
    visible = [comparable(t) for t in graded["tests"] if t["visibility"] == "visible"]
    assert [comparable(t) for t in checked["tests"]] == visible
    assert len(visible) == len(graded["tests"]) - len(NOT_VISIBLE)
    assert checked["output"] == graded["output"]


def test_the_check_command_grades_the_reference_and_says_there_is_nothing_hidden():
    """`python3 -m autograder check reference` prints the full score and ends with what Gradescope will show."""
    done = subprocess.run([sys.executable, "-m", "autograder", "check", "reference"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Checking reference: 10 / 10 points\n")
    assert done.stdout.endswith(closing_lines(Counter()))


def test_the_closing_lines_say_whether_gradescope_runs_more():
    """With no hidden tests the check's score is the score; otherwise it says how many more run, of which kind."""
    assert closing_lines(Counter()) == (
        "Gradescope runs these same tests with this same grader, and shows you these scores and this feedback\n"
        "for them. There are no hidden tests: this is your score.\n")
    assert closing_lines(Counter({"hidden": 2, "after_due_date": 1})) == (
        "Gradescope runs these same tests with this same grader, and shows you these scores and this feedback\n"
        "for them. It also runs 3 more tests that this check does not (2 never shown to you, 1 shown after\n"
        "the due date); they count toward your final score.\n")
    assert "It also runs 1 more test that" in closing_lines(Counter({"after_published": 1}))


def test_the_check_counts_the_tests_it_leaves_out(mixed_config, tmp_path):
    """The counts come from the configuration, or from the kit's note when the kit's configuration has none left."""
    assert not_visible(load_config(mixed_config), tmp_path / "absent.json") == Counter(hidden=2, after_due_date=1)
    note = tmp_path / "kit.json"
    note.write_text(json.dumps({"not_visible": {"hidden": 4}}))
    assert not_visible(load_config(mixed_config).visible_only(), note) == Counter(hidden=4)


def test_the_check_prints_visible_tests_only(mixed_config):
    """The summary names no test that is not visible, and closes with the count of the others."""
    out, err = io.StringIO(), io.StringIO()
    assert main(folder=ROOT / "reference", config_path=mixed_config, stdout=out, stderr=err) == 0
    text = out.getvalue()
    assert text.splitlines()[0] == f"Checking {ROOT / 'reference'}: 6.5 / 6.5 points"  # 10 less 2 + 0.5 + 1
    assert "1.3 " not in text and "2.5 " not in text and "2.7 " not in text and "2.6 " in text
    assert text.endswith(closing_lines(Counter(hidden=2, after_due_date=1)))


def test_a_missing_folder_is_reported_not_graded():
    """A folder that does not exist exits 2 with a message naming it."""
    out, err = io.StringIO(), io.StringIO()
    assert main(folder=ROOT / "no-such-folder", stdout=out, stderr=err) == 2
    assert err.getvalue() == f"check: {ROOT / 'no-such-folder'}: no such folder or file\n" and not out.getvalue()


def test_the_kits_own_files_are_not_graded(tmp_path):
    """In a kit folder the `autograder` package (which has its own adder.py), check.py and other files are left out."""
    (tmp_path / "autograder" / "judge").mkdir(parents=True)
    (tmp_path / "autograder" / "kit.json").write_text("{}")
    (tmp_path / "autograder" / "judge" / "adder.py").write_text("")
    (tmp_path / "check.py").write_text("")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "numpy.py").write_text("")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "LSTM_bptt.py").write_text("")
    (tmp_path / "Adder.py").symlink_to(tmp_path / "check.py")
    with student_files(tmp_path) as folder:
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
            "Adder.py", "work", "work/LSTM_bptt.py"]
        assert (folder / "Adder.py").is_symlink()
    plain = tmp_path / "work"
    with student_files(plain) as folder:
        assert folder == plain
