"""The zygote forked from the grader at its start (autograder/worker/forked.py): when it may be, and what of the
grader it leaves behind. Each case runs in a fresh process, as a grading starts."""

import json
import os
import secrets
import subprocess

from autograder.worker.forked import CLEAN_NAMES, clean_environment, run_autograder_environment
from autograder.worker.host import resolve_python
from conftest import ROOT

PYTHON = resolve_python(None)  # the real path of the venv (./.venv is a link into /opt)

# The student's function reports what it finds of the grader that forked its zygote.
STUDENT = """
import os, sys
def f(token):
    def has(path):
        try:
            with open(path, "rb") as file:
                return float(token.encode() in file.read())
        except OSError:
            return -1.0
    files = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            files.append(os.readlink("/proc/self/fd/" + fd))
        except OSError:
            pass
    site = [name for name, module in list(sys.modules.items())
            if name.split(".")[0] != "numpy" and "-packages" in (getattr(module, "__file__", None) or "")]
    return {
        "grader modules": float(len([name for name in sys.modules if name.split(".")[0] == "autograder"])),
        "other packages": float(len(site)),
        "in os.environ": float(any(token in key + value for key, value in os.environ.items())),
        "in /proc/self/environ": has("/proc/self/environ"),
        "in /proc/self/cmdline": has("/proc/self/cmdline"),
        "in sys.argv": float(any(token in arg for arg in sys.argv)),
        "grader's open file": float(any(token in name for name in files)),
        "grader's path": float(any("GRADER_FOLDER" in entry for entry in sys.path)),
        "faulthandler": float(__import__("faulthandler").is_enabled()),
        "collector": float(__import__("gc").isenabled()),
    }
""".replace("GRADER_FOLDER", str(ROOT))

GRADER = """
import json, os, sys, tempfile
from autograder.startup import short_lived
from autograder.worker import Limits, Sandbox
token = sys.argv[1]
held = open(os.path.join(tempfile.mkdtemp(), token), "w")  # a file of the grader's, open as it forks
student = {"student.py": sys.stdin.read().encode()}
def grade():  # as `python -m autograder grade` runs: without the collector (startup.short_lived)
    with Sandbox(fork=True) as box:
        task = {"task": "call", "module": "student.py", "function": "f", "calls": [{"token": token}]}
        result = box.run(task, student, Limits())
    print(json.dumps({"forked": box.forked, "replies": result.replies}))
    return 0
short_lived(grade)
"""


def run_fresh(code: str, *args: str, python: str = PYTHON, stdin: str = "", env: dict | None = None) -> str:
    done = subprocess.run(
        [python, "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env or {**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_forked_zygote_keeps_nothing_of_the_grader_a_student_could_list():
    """The student's code, below a zygote forked from a grader that holds a token in its environment, its command
    line and an open file's name, finds none of it, nor a module of the grader or of another installed package,
    nor the grader's folder on its path; and it runs with the garbage collector that the grader ran without: as below
    a fresh `python -I` zygote."""
    token = f"rnn-token-{secrets.token_hex(8)}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RNN_TEST_TOKEN": token}
    found = json.loads(run_fresh(GRADER, token, stdin=STUDENT, env=env))
    assert found["forked"] is True
    report = found["replies"][0]["value"]
    assert report.pop("faulthandler") == 1.0  # as -X faulthandler gave it
    assert report.pop("collector") == 1.0
    assert report.pop("in /proc/self/environ") <= 0  # -1: not even readable (the zygote is not dumpable)
    assert report == dict.fromkeys(report, 0.0)


WHEN = """
import sys, threading
from autograder.worker.forked import can_fork
case = sys.argv[1]
if case == "judges loaded":
    import autograder.kinds
elif case == "a second thread":
    threading.Thread(target=__import__("time").sleep, args=(2,), daemon=True).start()
print(can_fork("/usr/bin/python3" if case == "another Python asked for" else None))
"""


def test_the_zygote_is_forked_only_from_a_fresh_single_threaded_grader_on_its_own_python():
    cases = ["fresh", "judges loaded", "a second thread", "another Python asked for"]
    assert {case: run_fresh(WHEN, case).strip() for case in cases} == {
        "fresh": "True",
        "judges loaded": "False",
        "a second thread": "False",
        "another Python asked for": "False",
    }
    linked = ROOT / ".venv" / "bin" / "python"  # a link the worker user may not pass: its numpy is not theirs
    if linked.exists() and os.path.realpath(linked.parent.parent) != str(linked.parent.parent):
        assert run_fresh(WHEN, "fresh", python=str(linked)).strip() == "False"


def test_run_autograder_gives_the_grader_only_a_clean_environment(tmp_path):
    """run_autograder starts the grader with paths and AUTOGRADER_* alone (what a forked zygote may keep), by the
    real path of its venv: a stand-in Python records what it was given."""
    source = tmp_path / "source"
    (source / "autograder").mkdir(parents=True)
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    (source / ".venv").symlink_to(venv.parent)
    record = tmp_path / "record"
    (venv / "python").write_text(f'#!/bin/sh\n{{ echo "$0"; env; }} > {record}\n')
    (venv / "python").chmod(0o755)
    root = tmp_path / "root"
    (root / "submission").mkdir(parents=True)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_SOURCE": str(source), "RNN_SECRET": "x"}
    subprocess.run([str(ROOT / "run_autograder")], env=env, capture_output=True, timeout=60)
    started, *lines = record.read_text().splitlines()
    given = dict(line.split("=", 1) for line in lines if "=" in line)
    for name in ("PWD", "SHLVL", "_"):  # what the stand-in's own shell adds
        given.pop(name, None)
    assert started == str(venv / "python")
    assert given == run_autograder_environment(env)  # what the benchmark and CI's other Pythons give it too
    assert "RNN_SECRET" not in given and given["AUTOGRADER_ROOT"] == str(root)
    assert all(name in CLEAN_NAMES or name.startswith("AUTOGRADER_") for name in given), given
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 0  # its fallback


def test_a_clean_environment_is_only_paths_and_the_graders_settings(monkeypatch):
    for name in list(os.environ):
        monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", "/usr/bin")
    monkeypatch.setenv("AUTOGRADER_ROOT", "/autograder")
    assert clean_environment()
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    assert not clean_environment()
