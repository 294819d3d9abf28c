"""The README's two opening commands stay true: CI runs the same test command, and the grading command works."""

import re
import subprocess

from conftest import ROOT


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())[:2]


def test_ci_runs_the_readmes_test_command():
    """`.ci/run` runs exactly the README's second command (set up and run the tests), then the other checks."""
    _, test_command = readme_commands()
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_the_readmes_grading_command_grades_the_reference(tmp_path):
    """The README's first command (setup is already done here) grades the reference to 10 / 10."""
    grade_command, _ = readme_commands()
    assert grade_command.startswith("./setup.sh && . .venv/bin/activate && python3 -m autograder grade reference ")
    command = grade_command.replace("./setup.sh && ", "").replace("/tmp/results.json", str(tmp_path / "results.json"))
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Grading reference: 10 / 10 points")
