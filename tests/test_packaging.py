"""`pip install .` gives a working grader; the builds that need the repository's other files refuse clearly."""

import json
import subprocess
import sys

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
