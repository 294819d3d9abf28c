"""Tests of the `grade` command: exit codes, the summary, and a valid results.json whatever happens."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import ROOT, assert_valid_results


def grade(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "autograder", "grade", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_grading_prints_a_summary_and_exits_0_whatever_the_score(tmp_path):
    """A wrong submission still exits 0 with a readable summary and a valid results.json."""
    results = tmp_path / "results.json"
    done = grade(ROOT / "submissions_sample" / "lstm_zeros", "--results", results)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Grading {ROOT / 'submissions_sample' / 'lstm_zeros'}: 0 / 10 points\n")
    assert_valid_results(json.loads(results.read_text()))


def test_a_missing_file_is_named_plainly(tmp_path):
    """With no lstm_bptt.py, each question-2 test says so in one sentence."""
    results = tmp_path / "results.json"
    grade(ROOT / "submissions_sample" / "adder_scaled", "--results", results)
    tests = {t["number"]: t for t in json.loads(results.read_text())["tests"]}
    assert tests["2.1"]["output"] == "No `lstm_bptt.py` was found in your submission.\n"


def test_a_broken_configuration_still_writes_valid_results(tmp_path):
    """A configuration error exits 2, says where the error is, and leaves a valid results.json."""
    config = tmp_path / "bad.yaml"
    config.write_text(
        "tests:\n  - name: x\n    number: '1'\n    question: '1'\n    max_score: -2\n    check: adder_proof\n"
    )
    results = tmp_path / "results.json"
    done = grade(ROOT / "reference", "--results", results, "--config", config)
    assert done.returncode == 2
    assert f"{config}:5: `tests[1].max_score` must not be negative" in done.stderr
    written = json.loads(results.read_text())
    assert_valid_results(written)
    assert "This is not your fault" in written["output"]


def test_results_exist_even_if_the_grader_is_killed_mid_way(tmp_path):
    """results.json is pre-filled before any student code runs, so killing the grader leaves a valid file."""
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "adder.py").write_text("while True:\n    pass\n")
    results = tmp_path / "results.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "autograder", "grade", str(submission), "--results", str(results)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not results.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = json.loads(results.read_text())
    assert_valid_results(written)
    assert written["score"] == 0 and "did not finish" in written["output"]


def test_version_names_the_tool_and_its_version():
    """`--version` prints the package's name and version and exits 0."""
    from autograder import __version__

    done = subprocess.run([sys.executable, "-m", "autograder", "--version"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout == f"rnn-autograder {__version__}\n"


def test_top_level_help_says_what_the_tool_is():
    """`--help` says what the tool grades and lists every verb with an example."""
    done = subprocess.run([sys.executable, "-m", "autograder", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0
    assert "rnn-autograder: grades the RNN homework" in done.stdout
    for verb in ("grade", "check", "batch", "build"):
        assert f"python3 -m autograder {verb}" in done.stdout


@pytest.mark.slow
def test_every_verb_takes_config(tmp_path):
    """`--config` is accepted by every verb (one shared definition), and a broken one is refused by each."""
    config = tmp_path / "bad.yaml"
    config.write_text("tests: 3\n")
    for verb, *rest in (
        ("grade", ROOT / "reference", "--results", tmp_path / "r.json"),
        ("check", ROOT / "reference"),
        ("build", "kit", "--out", tmp_path / "kit.zip"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "autograder", verb, *map(str, rest), "--config", str(config)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, (verb, done.stdout, done.stderr)
        assert "bad.yaml" in done.stderr, verb


def test_a_submission_that_does_not_exist_exits_2_with_a_message(tmp_path):
    """Grading a path that does not exist is a usage error (exit 2, one line), not an empty upload graded 0."""
    results = tmp_path / "results.json"
    done = grade(tmp_path / "no-such-folder", "--results", results)
    assert done.returncode == 2
    assert done.stderr == f"grade: {tmp_path / 'no-such-folder'}: no such folder or file\n"
    assert done.stdout == "" and not results.exists()


def test_results_dash_writes_the_json_to_stdout_and_the_summary_to_stderr():
    """`--results -` puts exactly results.json on stdout; the summary goes to stderr."""
    done = grade(ROOT / "reference", "--results", "-")
    assert done.returncode == 0, done.stderr
    written = json.loads(done.stdout)
    assert_valid_results(written)
    assert written["score"] == 10
    assert done.stderr.startswith("Grading ") and "10 / 10 points" in done.stderr
    assert not (ROOT / "-").exists()


@pytest.mark.slow
def test_quiet_prints_the_total_only(tmp_path):
    """`--quiet` prints one line, the total: no per-test lines, no feedback, no student output."""
    submission = tmp_path / "loud"
    shutil.copytree(ROOT / "submissions_sample" / "lstm_zeros", submission)
    (submission / "adder.py").write_text("print('HELLO FROM THE STUDENT')\n")
    loud = grade(submission, "--results", tmp_path / "loud.json")
    quiet = grade(submission, "--results", tmp_path / "quiet.json", "--quiet")
    assert "HELLO FROM THE STUDENT" in loud.stdout and "FAIL" in loud.stdout
    assert quiet.returncode == 0 and quiet.stdout == f"Grading {submission}: 0 / 10 points\n"
    scores = [json.loads((tmp_path / name).read_text())["score"] for name in ("quiet.json", "loud.json")]
    assert scores == [0, 0]


def test_a_closed_pipe_ends_quietly(tmp_path):
    """When the reader of stdout has gone (`| head`), grade ends without a traceback, as SIGPIPE would (141),
    and results.json is written all the same."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first byte is written
    results = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(ROOT / "submissions_sample" / "lstm_zeros"),
            "--results",
            str(results),
        ],
        cwd=ROOT,
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    os.close(write_end)
    assert done.returncode == 141 and done.stderr == ""
    assert json.loads(results.read_text())["tests"]
