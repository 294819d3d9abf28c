"""The peak memory of a whole grading: `python -m autograder grade` in a child, measured by a parent of its own."""

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

BUDGET_MB = 250  # one budget for everything a single grading does (docs/spec.md 5.4)

# A fresh parent per measurement: RUSAGE_CHILDREN is the largest of every child it ever waited for, so it
# must not be the test process (which has run other gradings).
_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)
"""


def grading_peak_mb(submission: Path, results: Path, config: Path | None = None) -> tuple[float, dict]:
    """Grade `submission`; the peak resident memory of the grading process tree (MB) and its results.json."""
    command = [sys.executable, "-m", "autograder", "grade", str(submission), "--results", str(results)]
    if config is not None:
        command += ["--config", str(config)]
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, *command], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    peak_kb, code = done.stdout.split()
    assert code == "0", done.stderr
    return int(peak_kb) / 1024, json.loads(results.read_text())
