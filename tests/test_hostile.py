"""Hostile submissions end to end: nothing forged, nothing left running, time bounded, root or not."""

import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from autograder.config import load_config
from autograder.report.summary import question_scores
from conftest import ROOT, assert_valid_results
from test_samples import run_autograder

SAMPLES = ROOT / "submissions_sample"
MARKER = "/tmp/rnn-autograder-hostile-daemon-alive"
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="the worker drops privileges only when the grader runs as root")


def worker_processes() -> list[int]:
    """The pids of every process of the worker user (only meaningful as root, with a dedicated user)."""
    uid = pwd.getpwnam("rnn-worker").pw_uid
    return [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _owner(pid) == uid]


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def test_a_daemon_cannot_outlive_grading_or_forge_results(tmp_path):
    """The double-forked daemon is killed before results are written: 3 s later nothing has changed."""
    if os.path.exists(MARKER):
        os.unlink(MARKER)
    results = run_autograder(SAMPLES / "hostile_forge_daemon", tmp_path)
    written = (tmp_path / "results" / "results.json").read_text()
    time.sleep(4.5)
    assert not os.path.exists(MARKER), "the student's daemon was still running after grading"
    assert (tmp_path / "results" / "results.json").read_text() == written
    assert results["score"] == 5


@ROOT_ONLY
def test_no_worker_process_is_left_after_a_fork_bomb(tmp_path):
    """Hundreds of forked children are bounded by the process limit and all gone when grading returns."""
    results = run_autograder(SAMPLES / "hostile_fork_bomb", tmp_path)
    assert question_scores(results)["1"] == (5.0, 5.0)
    assert worker_processes() == []


def test_an_endless_loop_costs_at_most_the_configured_timeouts(tmp_path):
    """Endless loops in both files are stopped by call_seconds; grading ends well within wall_seconds."""
    limits = load_config().limits
    started = time.monotonic()
    results = run_autograder(SAMPLES / "hostile_infinite_loop", tmp_path)
    elapsed = time.monotonic() - started
    assert elapsed < limits.wall_seconds, f"grading took {elapsed:.1f} s"
    assert results["score"] == 0


def test_an_empty_upload_gets_valid_results(tmp_path):
    """An empty submission folder scores 0 with a note, not a crash."""
    empty = tmp_path / "empty"
    empty.mkdir()
    results = run_autograder(empty, tmp_path / "gs")
    assert_valid_results(results)
    assert results["score"] == 0
    assert "Your submission is empty: no files were uploaded." in results["output"]


def test_a_zip_with_escaping_paths_and_links_is_graded_safely(tmp_path):
    """A zip with `../` entries and a link to the reference is graded from its safe entries only."""
    upload = tmp_path / "upload"
    upload.mkdir()
    with zipfile.ZipFile(upload / "submission.zip", "w") as archive:
        archive.writestr("../../adder.py", "U = 'FORGED'")
        link = zipfile.ZipInfo("lstm_bptt.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, str(ROOT / "reference" / "lstm_bptt.py"))
        archive.writestr("hw/adder.py", (ROOT / "reference" / "adder.py").read_text())
    results = run_autograder(upload, tmp_path / "gs")
    assert_valid_results(results)
    assert {q: s for q, (s, _) in question_scores(results).items()} == {"1": 5, "2a": 0, "2b": 0, "2c": 0}
    assert "`../../adder.py` in your zip points outside the upload; it was not read." in results["output"]
    assert "`lstm_bptt.py` in your zip is a link, not a file; it was not read." in results["output"]


@ROOT_ONLY
def test_the_end_to_end_suites_pass_as_a_user_who_is_not_root():
    """Not root (a TA's laptop), the same samples and hostile cases pass, but for the root-only protections."""
    with tempfile.TemporaryDirectory(prefix="rnn-nonroot-") as folder:
        run_suites_as_nobody(Path(folder))


def run_suites_as_nobody(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", "dist"))
    for path in [tmp_path, copy, *copy.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if path.is_dir() or os.access(path, os.X_OK) else 0))
    tmp_path.chmod(0o755)
    command = "cd {0} && PYTHONDONTWRITEBYTECODE=1 .venv/bin/python -m pytest -q -p no:cacheprovider " \
              "tests/test_samples.py tests/test_hostile.py tests/test_sandbox.py".format(copy)
    done = subprocess.run(["su", "-s", "/bin/sh", "nobody", "-c", command], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
