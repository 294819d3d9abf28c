"""Tests of the `grade` command: exit codes, the summary, and a valid results.json whatever happens."""

import json
import signal
import subprocess
import sys
import time

from conftest import ROOT, assert_valid_results


def grade(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, **kwargs)


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
    config.write_text("tests:\n  - name: x\n    number: '1'\n    question: '1'\n    max_score: -2\n    check: adder_proof\n")
    results = tmp_path / "results.json"
    done = grade(ROOT / "reference", "--results", results, "--config", config)
    assert done.returncode == 2
    assert f"{config}:5: `tests[0].max_score` must not be negative" in done.stderr
    written = json.loads(results.read_text())
    assert_valid_results(written)
    assert "This is not your fault" in written["output"]


def test_results_exist_even_if_the_grader_is_killed_mid_way(tmp_path):
    """results.json is pre-filled before any student code runs, so killing the grader leaves a valid file."""
    submission = tmp_path / "sub"
    submission.mkdir()
    (submission / "adder.py").write_text("while True:\n    pass\n")
    results = tmp_path / "results.json"
    process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(submission), "--results", str(results)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not results.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    written = json.loads(results.read_text())
    assert_valid_results(written)
    assert written["score"] == 0 and "did not finish" in written["output"]
