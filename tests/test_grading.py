"""Tests of the `grade` verb in-process, and of one grading's memory budget (docs/spec.md 5.4: 250 MB)."""

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
import yaml

from autograder import grading
from autograder.protection import ExposedError, check_protected
from autograder.worker.host import worker_users
from conftest import ROOT, assert_valid_results

AS_ROOT = os.geteuid() == 0
root_only = pytest.mark.skipif(
    not AS_ROOT or not worker_users(), reason="the configuration is closed to the worker users that root grades with"
)

BUDGET = 250e6  # bytes: one grading, long problems included (docs/spec.md 5.4)

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


def test_a_worker_that_cannot_start_is_said_in_one_line_without_a_traceback():
    """A refusal of this machine's set-up (here: an unclosed checkout) is one line naming the fix, and the
    student's results.json still says it is not their fault."""
    from autograder.worker.host import SandboxError

    def started():
        raise SandboxError("refusing to run student code: the worker user can read x; run ./setup.sh as root")

    err = io.StringIO()
    code, written = grading._grade_with(started, ROOT / "reference", None, student_output=None, stderr=err)
    assert code == 1 and err.getvalue() == (
        "grade: refusing to run student code: the worker user can read x; run ./setup.sh as root\n"
    )
    assert_valid_results(written)
    assert "This is not your fault" in written["output"]


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


@pytest.mark.slow
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


# -- a configuration kept outside the repository: its hidden tests closed to the worker users (docs/spec.md 5.4) ----


@contextlib.contextmanager
def open_folder(mode=0o755):
    """A folder outside the repository and outside pytest's private temporary folder, that other users may
    pass (`mode`), holding a copy of the configuration readable by all; removed on exit, so no readable
    copy of the hidden tests outlives the test."""
    os.makedirs("/run/rnn-autograder-tests", mode=0o755, exist_ok=True)
    folder = Path(tempfile.mkdtemp(dir="/run/rnn-autograder-tests"))
    try:
        config = folder / "hidden.yaml"
        shutil.copyfile(ROOT / "autograder" / "default.yaml", config)
        os.chmod(config, 0o644)
        os.chmod(folder, mode)
        yield folder, config
    finally:
        shutil.rmtree(folder)


def grade_with(config, results):
    return subprocess.run(
        [sys.executable, "-m", "autograder", "grade", str(ROOT / "reference"), "--results", str(results)]
        + ["--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@root_only
def test_a_configuration_the_worker_could_read_is_refused_with_the_fix(tmp_path):
    """As root, `grade --config` with a file the worker users could read refuses before any student code runs,
    says which file and the command that closes it, and leaves a results.json that says it is not the
    student's fault; once the folder is closed, the same command grades."""
    results = tmp_path / "results.json"
    with open_folder() as (folder, config):
        done = grade_with(config, results)
        assert done.returncode == 2, done.stderr
        assert done.stderr.startswith(f"grade: refusing to grade: {config} (your configuration, with its hidden tests)")
        assert f"can be read by the worker user {worker_users()[0]}" in done.stderr
        assert f"`chmod 700 {folder}`" in done.stderr and "Traceback" not in done.stderr
        written = json.loads(results.read_text())
        assert_valid_results(written)
        assert written["score"] == 0 and "This is not your fault" in written["output"]
        assert grading.EXPOSED in written["output"]
        os.chmod(folder, 0o700)
        done = grade_with(config, results)
        assert done.returncode == 0, done.stderr
        assert json.loads(results.read_text())["score"] == 10


@root_only
def test_the_files_beside_the_configuration_are_closed_too():
    """An editor's backup beside a closed configuration is refused by name; in a folder any user may write (/tmp),
    only the configuration itself counts, and the fix is to close that file."""
    with open_folder() as (folder, config):
        os.chmod(config, 0o600)
        backup = folder / "hidden.yaml~"
        backup.write_text("tests: the old hidden ones")
        os.chmod(backup, 0o644)
        with pytest.raises(ExposedError, match=f"{backup} \\(a file beside your configuration\\)"):
            check_protected(config)
        os.chmod(backup, 0o600)
        assert check_protected(config) == (str(config), str(backup))
    with open_folder(mode=0o1777) as (folder, config):
        (folder / "someone_elses.txt").write_text("not the TA's")
        os.chmod(folder / "someone_elses.txt", 0o644)
        with pytest.raises(ExposedError, match=f"`chmod 600 {config}`"):
            check_protected(config)
        os.chmod(config, 0o600)
        assert check_protected(config) == (str(config),)


def test_the_default_and_a_missing_configuration_add_nothing_to_protect(tmp_path):
    """The default configuration is in the package, which the sandbox always protects; a missing file is
    load_config's to report."""
    assert check_protected(None) == ()
    assert check_protected(tmp_path / "nowhere.yaml") == ()
