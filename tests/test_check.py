"""Tests of the student's check: Gradescope's scores and feedback for the visible tests, and a word on the others."""

import io
import json
import os
import re
import subprocess
import sys
import textwrap

import pytest
import yaml

from autograder.check import (
    as_you,
    check,
    closing_lines,
    main,
    not_visible,
    not_visible_by_question,
    student_files,
)
from autograder.config import TestSpec
from autograder.engine import grade
from autograder.judge.verdict import Verdict
from autograder.kinds import load_config
from autograder.report.results import build_results
from autograder.report.summary import summarize
from autograder.report.view import student_view
from autograder.worker.sandbox import Sandbox
from conftest import ROOT, assert_valid_results
from goldens import assert_golden, representatives, updating

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


REPRESENTATIVE = {"reference", "lstm_c_bar_without_carry", "adder_wrong_output", "lstm_exception"}
# The check's door beyond those (slow tier): forms it must pick as grading does (several forms, a notebook, LaTeX,
# zips), what it says on an upload it cannot read, then a sample of every other family.
CHECKED = representatives(
    "mixed_three_forms", "notebook_malformed", "tex_error_cases", "zip_name_clash", "broken_corrupt_zip"
)
CASES = [ROOT / "reference"] + sorted(
    {ROOT / "submissions_sample" / name for name in REPRESENTATIVE - {"reference"}} | set(CHECKED)
)


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, marks=() if case.name in REPRESENTATIVE else pytest.mark.slow) for case in CASES],
    ids=[p.name for p in CASES],
)
def test_the_check_gives_gradescopes_scores_and_feedback_for_visible_tests(case, mixed_config, sandbox, request):
    """For samples of every family and the reference, each visible test has the same score, status and feedback as
    in grading, and the grading gives the sample's golden results."""
    config = load_config(mixed_config)
    graded = grade(case, config=config, sandbox=sandbox)
    checked = check(case, config=config, sandbox=sandbox)
    assert_valid_results(checked)
    visible = [comparable(t) for t in graded["tests"] if t["visibility"] == "visible"]
    assert [comparable(t) for t in checked["tests"]] == visible
    assert len(visible) == len(graded["tests"]) - len(NOT_VISIBLE)
    assert checked["output"] == graded["output"]
    if case.name != "reference" and not updating(request.config):
        assert_golden(case, graded, texts=False)  # hidden tests change what the visible ones say (points, "above")


def test_the_check_command_grades_the_reference_and_says_what_it_leaves_out():
    """`python3 -m autograder check reference` says whose rights the code runs with, prints the full score and
    ends with what Gradescope will show."""
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "check", "reference"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(as_you() + "Checking reference: 10 / 10 points\n")
    assert done.stdout.endswith(closing_lines({"after_due_date": [0.0]}))  # part (c)'s explanation, 2.9


def test_the_student_view_is_what_gradescopes_writer_makes():
    """Without gradescope-utils, each test gets the entry JSONTestRunner writes: passed, failed, partial, with
    data or without, with empty or long feedback."""

    def spec(number, question, points, visibility="visible", name=None):
        return TestSpec(
            name=name or f"Test {number}",
            number=number,
            question=question,
            max_score=points,
            check="toy",
            visibility=visibility,
        )

    outcomes = [
        (spec("1.1", "1", 2), Verdict(1.0, "Adds: passes.")),
        (spec("1.2", "1", 3), Verdict(0.0, "Adds: fails.\n```\nt | x\n```", {"failing_pair": [3, 1]})),
        (spec("2.1", "2a", 1), Verdict(0.5, "Half right.")),
        (spec("2.2", "2a", 0.5), Verdict(1 / 3, "A third, rounded.")),
        (spec("2.3", "2a", 1), Verdict(1.0, "")),
        (spec("2.4", "2a", 1), Verdict(0.0, "")),
        (spec("2.5", "2a", 1), Verdict(0.0, "x" * 25_000)),
        (spec("2.6", "2b", 1, name="  A name\nwith a second line"), Verdict(1.0, "ok\n\n")),
        (spec("2.8", "2c", 0, "after_due_date"), Verdict(1.0, "Demo table.")),
        (spec("2.9", "2c", 0), Verdict(0.0, "Could not run.")),
    ]
    written = build_results(outcomes, output="Notes", extra_data={"seeds": [1]})
    shown = student_view(outcomes, output="Notes", extra_data={"seeds": [1]})
    assert_valid_results(shown)
    assert shown["tests"] == written["tests"]
    timed = ("tests", "execution_time")  # the runner's clock; the engine sets the real one
    assert {k: v for k, v in shown.items() if k not in timed} == {k: v for k, v in written.items() if k not in timed}


def test_the_closing_lines_say_whether_gradescope_runs_more():
    """With no hidden tests the check's score is the score; otherwise it says how many more run, of which kind,
    and what they are worth."""
    assert closing_lines({}) == (
        "Gradescope runs these same tests with this same grader, and shows you these scores and this feedback\n"
        "for them. There are no hidden tests: this is your score.\n"
    )
    assert closing_lines({"hidden": [1, 0.5], "after_due_date": [1]}) == (
        "Gradescope runs these same tests with this same grader, and shows you these scores and this feedback\n"
        "for them. It also runs 3 more tests (2 never shown to you, 1 shown after the due date), worth 2.5\n"
        "points, that this check does not: they count toward your final score.\n"
    )
    assert "It also runs 1 more test (1 shown when grades are published), worth 1 point," in " ".join(
        closing_lines({"after_published": [1]}).split()
    )
    assert "it counts toward" in closing_lines({"hidden": [1]})


def test_the_closing_lines_do_not_count_a_test_of_no_points_toward_the_score():
    """Part (c)'s explanation is worth 0 points: saying that it counts toward the final score would be false."""
    text = " ".join(closing_lines({"after_due_date": [0.0]}).split())
    assert "It also runs 1 more test (1 shown after the due date) that this check does not, for information" in text
    assert "count toward" not in text and "worth" not in text


def test_the_check_counts_the_tests_it_leaves_out(mixed_config, tmp_path):
    """The tests left out and their points come from the configuration, or from the kit's note."""
    assert not_visible(load_config(mixed_config), tmp_path / "absent.json") == {
        "hidden": [2, 0.5],
        "after_due_date": [1],
    }
    note = tmp_path / "kit.json"
    note.write_text(json.dumps({"not_visible": {"hidden": [1, 1, 0.5, 2]}}))
    assert not_visible(load_config(mixed_config).visible_only(), note) == {"hidden": [1, 1, 0.5, 2]}


def test_the_check_prints_visible_tests_only(mixed_config):
    """The summary names no test that is not visible, and closes with the count of the others."""
    out, err = io.StringIO(), io.StringIO()
    assert main(folder=ROOT / "reference", config_path=mixed_config, stdout=out, stderr=err) == 0
    text = out.getvalue()
    shown = as_you()
    assert text.startswith(shown)
    assert text[len(shown) :].splitlines()[0] == f"Checking {ROOT / 'reference'}: 6.5 / 6.5 points"  # 10 - 3.5
    assert "1.3 " not in text and "2.5 " not in text and "2.7 " not in text and "2.6 " in text
    assert text.endswith(closing_lines({"hidden": [2, 0.5], "after_due_date": [1]}))


def test_the_check_says_the_code_runs_as_you_and_why_that_is_fine():
    """One line names the current user and says why running as them is fine on their own machine."""
    line = " ".join(as_you().split())
    user = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    assert line == (
        f"Your code runs as you ({user}), with your own rights: fine on your own machine, where it is "
        "your own code that runs (Gradescope runs it as a locked-down user)."
    )


def test_on_windows_the_check_says_to_use_wsl_or_colab(monkeypatch):
    """On Windows nothing is graded: the message names WSL and Colab, and the exit status is 2."""
    monkeypatch.setattr(sys, "platform", "win32")
    out, err = io.StringIO(), io.StringIO()
    assert main(folder=ROOT / "reference", stdout=out, stderr=err) == 2
    assert "WSL" in err.getvalue() and "Colab" in err.getvalue() and not out.getvalue()


def test_the_check_starts_its_worker_while_it_imports_numpy(tmp_path):
    """The worker's start overlaps the import of numpy (issue 15): it begins before numpy has finished importing."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        textwrap.dedent("""
        import io, sys, time
        sys.path.insert(0, ROOT)
        events = {}

        class Watch:
            def find_spec(self, name, path=None, target=None):
                if name == "numpy":
                    events.setdefault("numpy import starts", time.monotonic())
                return None

        sys.meta_path.insert(0, Watch())
        import autograder.worker.sandbox as sandbox
        original = sandbox.Sandbox.__init__

        def init(self, *args, **kwargs):
            events.setdefault("worker starts", time.monotonic())
            original(self, *args, **kwargs)

        sandbox.Sandbox.__init__ = init
        from autograder import check
        check.main(folder=sys.argv[1], stdout=io.StringIO())
        import numpy
        print(events)
    """).replace("ROOT", repr(str(ROOT)))
    )
    adder_only = tmp_path / "adder_only"
    adder_only.mkdir()
    (adder_only / "adder.py").write_text((ROOT / "reference" / "adder.py").read_text())
    done = subprocess.run([sys.executable, str(probe), str(adder_only)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    events = eval(done.stdout)
    assert "numpy import starts" in events, "numpy was imported before the check began"
    assert events["worker starts"] - events["numpy import starts"] < 0.05, events


def test_a_missing_folder_is_reported_not_graded():
    """A folder that does not exist exits 2 with a message naming it."""
    out, err = io.StringIO(), io.StringIO()
    assert main(folder=ROOT / "no-such-folder", stdout=out, stderr=err) == 2
    assert err.getvalue() == f"check: {ROOT / 'no-such-folder'}: no such folder or file\n" and not out.getvalue()


def test_the_kits_own_files_are_not_graded(tmp_path):
    """In a kit folder the `autograder` package (which has its own adder.py), check.py, virtual environments and
    other files are left out; every file the grader may read (notebooks, .tex files) is kept."""
    (tmp_path / "autograder" / "judge").mkdir(parents=True)
    (tmp_path / "autograder" / "kit.json").write_text("{}")
    (tmp_path / "autograder" / "judge" / "adder.py").write_text("")
    (tmp_path / "check.py").write_text("")
    (tmp_path / ".venv" / "lib").mkdir(parents=True)
    (tmp_path / ".venv" / "lib" / "numpy.py").write_text("")
    (tmp_path / "env" / "share").mkdir(parents=True)  # a virtual environment by another name, with a notebook
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "env" / "share" / "example.ipynb").write_text("{}")
    (tmp_path / "HANDOUT.md").write_text("")
    (tmp_path / "work" / "answers").mkdir(parents=True)
    (tmp_path / "work" / "answers" / "main.tex").write_text("")
    (tmp_path / "My Homework.ipynb").write_text("{}")
    (tmp_path / "work" / "LSTM_bptt.py").write_text("")
    (tmp_path / "work" / "\u0430dder.yaml").write_text("")  # a look-alike name: Gradescope grades it, with a note
    (tmp_path / "Adder.py").symlink_to(tmp_path / "check.py")
    with student_files(tmp_path) as folder:
        assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == [
            "Adder.py",
            "My Homework.ipynb",
            "work",
            "work/LSTM_bptt.py",
            "work/answers",
            "work/answers/main.tex",
            "work/\u0430dder.yaml",
        ]
        assert (folder / "Adder.py").is_symlink()
    plain = tmp_path / "work"
    with student_files(plain) as folder:
        assert folder == plain


def test_the_question_totals_say_how_many_points_the_check_does_not_run(mixed_config, tmp_path):
    """A question total of visible tests says how many more points that question has in tests left out; a
    question with no visible test says it is not checked here (from the configuration or the kit's note)."""
    config = load_config(mixed_config)
    unseen = not_visible_by_question(config, tmp_path / "absent.json")
    assert unseen and all(points > 0 for points in unseen.values())
    note = tmp_path / "kit.json"
    note.write_text(json.dumps({"not_visible_by_question": {"2a": 0.5, "3": 2}}))
    assert not_visible_by_question(config.visible_only(), note) == {"2a": 0.5, "3": 2.0}
    results = {"score": 1, "tests": [{"name": "x", "score": 1, "max_score": 1, "status": "passed", "tags": ["2a"]}]}
    text = summarize(results, title="Checking hw", unseen={"2a": 0.5, "3": 2})
    assert "Question 2a: 1 / 1 (+ 0.5 points in tests this check does not run)" in text
    assert "Question 3: not checked here (2 points in tests this check does not run)" in text


def test_the_kits_files_point_to_handout_sections_that_exist():
    """A kit file that names a section of HANDOUT.md (docs/student.md) names one it has."""
    headings = {line.lstrip("#").strip() for line in (ROOT / "docs" / "student.md").read_text().splitlines()}
    named = [
        (path.name, section)
        for path in (ROOT / "kit").iterdir()
        for section in re.findall(r'HANDOUT\.md,\s*(?:%\s*)?(?:section\s*(?:%\s*)?)?"([^"]+)"', path.read_text())
    ]
    assert named, "kit/answers.tex names its section"
    assert [(name, section) for name, section in named if section not in headings] == []


@pytest.mark.parametrize(
    "metadata, said",
    [
        ("numpy-1.21.6.dist-info", "this is numpy 1.21.6"),  # pip's
        ("numpy-1.19.5-py3.10.egg-info", "this is numpy 1.19.5"),  # Debian's
    ],
)
def test_the_kit_names_a_numpy_too_old_from_its_metadata_folder(metadata, said, tmp_path):
    """kit/check.py reads numpy's version from the metadata folder beside it (not importlib.metadata, which reads
    every installed package's: tens of ms at every check) and refuses one older than 1.24 in the student's terms."""
    (tmp_path / "numpy").mkdir()
    (tmp_path / "numpy" / "__init__.py").write_text("raise SystemExit('numpy was imported')\n")
    (tmp_path / metadata).mkdir()
    done = subprocess.run(
        [sys.executable, str(ROOT / "kit" / "check.py")],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == f"check.py needs numpy 1.24 or newer; {said}. See HANDOUT.md."
