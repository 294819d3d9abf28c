"""Tests of the `grade` verb in-process, and of one grading's memory budget (contract 5.4: 250 MB)."""

import io
import json
import subprocess
import sys
import textwrap

import yaml

from autograder import grading
from conftest import ROOT, assert_valid_results

BUDGET = 250e6  # bytes: one grading, long problems included (contract 5.4)

# Runs `grade` from a small process, so that the ru_maxrss wait4 reports is the grading's own: a
# child's ru_maxrss keeps the high-water mark of the address space its parent had at the fork.
LAUNCHER = textwrap.dedent("""
    import json, os, subprocess, sys
    child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    print(json.dumps({"code": os.waitstatus_to_exitcode(status), "max_rss": usage.ru_maxrss * 1024}))
""")


def test_grade_runs_in_process(tmp_path):
    """grading.main grades a submission in this process, writes results.json and prints the summary to `stdout`."""
    out, err = io.StringIO(), io.StringIO()
    code = grading.main(submission=ROOT / "reference", results=tmp_path / "results.json", stdout=out, stderr=err)
    written = json.loads((tmp_path / "results.json").read_text())
    assert code == 0 and written["score"] == 10, err.getvalue()
    assert_valid_results(written)
    assert out.getvalue().startswith("Grading ") and "10 / 10 points" in out.getvalue().splitlines()[0]


def long_problem_config(path, length):
    """The default configuration with one more LSTM problem of length `length` in every question-2 test."""
    config = yaml.safe_load((ROOT / "autograder" / "default.yaml").read_text())
    for test in config["tests"]:
        if test["check"] in ("lstm_bar", "lstm_weight"):
            test.setdefault("params", {}).update(
                seeds=[1007, 1014, 1016, 1003, 1618, 2024], lengths=[1, 3, 6, 15, 50, length]
            )
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_a_grading_with_a_t_1000_problem_stays_within_250_mb(tmp_path):
    """The reference scores full marks with an added T = 1000 problem, and no process of the grading
    (grader, worker, student's) goes above 250 MB (the finite-difference truth is linear in T)."""
    config = long_problem_config(tmp_path / "long.yaml", 1000)
    results = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            LAUNCHER,
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(ROOT / "reference"),
            "--results",
            str(results),
            "--config",
            str(config),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert report["code"] == 0, done.stderr
    assert json.loads(results.read_text())["score"] == 10
    assert report["max_rss"] <= BUDGET, report
