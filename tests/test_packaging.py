"""`pip install .` gives a working grader; the builds that need the repository's other files refuse clearly."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The package as `pip install .` lays it out (dependencies are this interpreter's), outside the repository."""
    target = tmp_path_factory.mktemp("installed")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            str(target),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        pytest.skip(f"pip could not build the package here: {done.stderr[-500:]}")
    return target


def run(installed, *arguments):
    return subprocess.run(
        [sys.executable, "-m", "autograder", *map(str, arguments)],
        cwd=installed.parent,
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.slow
def test_the_installed_package_grades(installed, tmp_path):
    """The installed grader (its YAML files included) grades the reference to full marks."""
    assert (installed / "autograder" / "default.yaml").is_file()
    done = run(installed, "grade", ROOT / "reference", "--results", tmp_path / "results.json")
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 10
    assert "License :: OSI Approved :: MIT License" in next(installed.glob("*.dist-info/METADATA")).read_text()


@pytest.mark.slow
@pytest.mark.parametrize("target", ["gradescope", "kit", "docs"])
def test_builds_refuse_clearly_outside_the_repository(installed, target, tmp_path):
    """`build gradescope`, `build kit` and `build docs` (to its default place) exit 2 with a message, no traceback."""
    done = run(installed, "build", target)
    assert done.returncode == 2
    assert done.stderr.startswith(f"build: `build {target}` needs a clone of the repository: ")
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_the_configuration_reference_builds_from_the_package_alone(installed, tmp_path):
    """`build docs --out FILE` needs only the package."""
    done = run(installed, "build", "docs", "--out", tmp_path / "configuration.md")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "configuration.md").read_text().startswith("#")


def check_worker(venv, user="rnn-worker"):
    """`./setup.sh --check-worker` (installs nothing) for the environment `venv`."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("the worker check runs as root (it switches to the worker user with setpriv)")
    env = {**os.environ, "AUTOGRADER_VENV": str(venv), "AUTOGRADER_WORKER_USER": user}
    return subprocess.run(
        [str(ROOT / "setup.sh"), "--check-worker"], env=env, capture_output=True, text=True, timeout=120
    )


def test_setup_checks_that_the_worker_user_runs_the_environment():
    """The shared environment passes setup.sh's check: the worker user runs its Python and imports numpy."""
    done = check_worker(Path(sys.prefix).resolve())  # .venv links to it
    assert done.returncode == 0, done.stderr
    assert "imports numpy" in done.stdout


def test_setup_names_the_closed_folder_when_the_worker_cannot_run_the_environment(tmp_path):
    """An environment in a folder closed to other users is not ready: setup.sh names the folder and the fix, where
    it used to say ready and every grading then scored 0."""
    closed = tmp_path / "closed"
    closed.mkdir(mode=0o700)
    made = subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip", str(closed / "venv")], timeout=120)
    assert made.returncode == 0
    done = check_worker(closed / "venv")
    assert done.returncode == 1
    assert f"cannot run {closed / 'venv' / 'bin' / 'python'}" in done.stderr
    assert "is closed to other users, so every grading would score 0" in done.stderr
    assert "AUTOGRADER_BASE_PYTHON=/usr/bin/python3" in done.stderr
    assert "chmod o+x" in done.stderr
    missing = check_worker(Path(sys.prefix).resolve(), user="rnn-nobody")
    assert missing.returncode == 1 and "no worker user 'rnn-nobody'" in missing.stderr
