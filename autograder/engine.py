"""The grading pipeline, one call per submission: locate, collect in the worker, judge, report."""

from __future__ import annotations

import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable

import numpy

import autograder
from autograder.checks import CHECKS
from autograder.collect import Collected, collect
from autograder.config import Config, TestSpec
from autograder.judge.verdict import Verdict
from autograder.locate import locate
from autograder.precedence import choose
from autograder.report.results import NOT_YOUR_FAULT, build_results
from autograder.worker.sandbox import Sandbox


def grade(submission: Path, *, config: Config, sandbox: Sandbox,
          student_output: Callable[[str], object] | None = None) -> dict:
    """Grade one submission (a folder or a .zip) and return its results.json as a dict.

    What the student's code printed is never part of the results (it could carry hidden test data
    into visible feedback); it goes to `student_output` if given (instructors' stdout on Gradescope).
    """
    started = time.monotonic()
    located = locate(submission)
    calls = [call for spec in config.tests for call in CHECKS[spec.check].calls(spec.params)]
    forms = collect(located, calls=calls, sandbox=sandbox, limits=config.limits)
    chosen = choose(config.tests, forms, judge)  # each form judged; per question the best counts
    notes = "\n".join(f"- {note}" for note in (*located.notes, *chosen.notes))
    results = build_results(chosen.outcomes, output=f"Notes on your upload:\n\n{notes}\n" if notes else "",
                            extra_data={**provenance(config), "forms": chosen.forms})
    results["execution_time"] = round(time.monotonic() - started, 3)
    output = "".join(form.output for form in forms)
    if output and student_output is not None:
        student_output(output)
    return results


def judge(spec: TestSpec, collected: Collected) -> Verdict:
    """One test's verdict; a failure of the grader itself is reported as such, never blamed on the student."""
    check = CHECKS[spec.check]
    try:
        return check.run(spec.params, collected)
    except Exception:  # noqa: BLE001 - our own bug: say so, keep grading the other tests
        traceback.print_exc(file=sys.stderr)
        return Verdict(0.0, NOT_YOUR_FAULT + f"(Internal error in check `{spec.check}`.)", {"internal_error": True})


def provenance(config: Config) -> dict[str, Any]:
    """What a regrade needs to show it matches: the configuration's hash, the seeds, the versions."""
    seeds = sorted({seed for spec in config.tests for seed in getattr(spec.params, "seeds", ()) or ()})
    return {
        "config": config.path.name,
        "config_sha256": config.sha256,
        "seeds": seeds,
        "versions": {"autograder": autograder.__version__, "python": platform.python_version(),
                     "numpy": numpy.__version__},
    }
