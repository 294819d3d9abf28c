"""The grading pipeline, one call per submission: locate, collect in the worker, judge, report.

`evaluate` is the judging (everything but writing results.json); `grade` adds Gradescope's writer.
The student kit's check calls `evaluate` only: it has numpy, not gradescope-utils.
"""

from __future__ import annotations

import platform
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy

import autograder
from autograder.collect import Collected, collect
from autograder.config import Config, TestSpec
from autograder.judge.verdict import Verdict
from autograder.kinds import KINDS
from autograder.locate import Located, locate
from autograder.precedence import choose
from autograder.record import Record
from autograder.report.view import NOT_YOUR_FAULT
from autograder.worker.isolation import Isolation
from autograder.worker.sandbox import Sandbox


class Evaluated(Record):
    """One submission judged: each configured test with its verdict (of the answer form that counted), the
    notes on the upload, which form counted per question, and what the student's code printed (never part
    of the results: it could carry hidden test data). `visible_printed`: whether the tasks that feed visible
    feedback printed anything (the hidden tests' tasks never decide what a student sees, docs/spec.md 6.2)."""

    outcomes: Sequence[tuple[TestSpec, Verdict]]
    notes: str
    forms: Mapping[str, Any]
    printed: str
    visible_printed: bool = False
    collected: Sequence[Collected] = ()  # every form's plain data (the TA's similarity reads its numbers)
    located: Located | None = None


def evaluate(submission: Path, *, config: Config, sandbox: Sandbox) -> Evaluated:
    """Locate the student's files in a folder or .zip, run them in the worker, and judge every configured test."""
    located = locate(submission)
    calls: dict[bool, list] = {True: [], False: []}  # hidden or not -> the calls of those tests
    for spec in config.tests:
        calls[spec.visibility == "hidden"].extend(KINDS[spec.check].calls(spec.params))
    forms = collect(located, calls=calls[False], hidden_calls=calls[True], sandbox=sandbox, limits=config.limits)
    chosen = choose(config.tests, forms, judge)  # each form judged; per question the best counts
    notes = "\n".join(f"- {note}" for note in (*located.notes, *chosen.notes))
    return Evaluated(
        chosen.outcomes,
        f"Notes on your upload:\n\n{notes}\n" if notes else "",
        chosen.forms,
        "".join(form.output + form.hidden_output for form in forms),
        any(form.output for form in forms),
        forms,
        located,
    )


class Refused(Exception):
    """The machine lacks a protection layer the configuration requires (`limits.require_layers`): no student
    code ran. The grader's refusal, never the student's fault; `isolation` is what the machine gives."""

    def __init__(self, message: str, isolation: Isolation):
        super().__init__(message)
        self.isolation = isolation


def prepare(config: Config) -> None:
    """Compute ahead what grading needs before the worker's replies, while the worker starts (grading.py): each
    test's calls (question 2's problems, read from the build or computed) and the report's modules."""
    for spec in config.tests:
        KINDS[spec.check].calls(spec.params)
    import autograder.report.results  # noqa: F401  # gradescope-utils and unittest: not in the student kit


def grade(
    submission: Path,
    *,
    config: Config,
    sandbox: Sandbox,
    student_output: Callable[[str], object] | None = None,
    observe: Callable[[Evaluated], object] | None = None,
) -> dict:
    """Grade one submission (a folder or a .zip) and return its results.json as a dict.

    What the student's code printed goes to `student_output` if given (instructors' stdout on Gradescope);
    `observe` sees the judged submission (the TA's batch keeps its numbers for the similarity section).
    Raises Refused, before any student code runs, when the sandbox lacks a layer the configuration requires.
    """
    from autograder.report.results import build_results  # gradescope-utils: not in the student kit

    isolation: Isolation | None = getattr(sandbox, "isolation", None)  # a stand-in sandbox of a test has none
    if isolation is not None and (refused := isolation.refusal(config.limits.require_layers)):
        raise Refused(refused, isolation)
    started, starved = time.monotonic(), getattr(sandbox, "starved_timeouts", 0)
    evaluated = evaluate(submission, config=config, sandbox=sandbox)
    if observe is not None:
        observe(evaluated)
    extra_data = {**provenance(config), "forms": evaluated.forms}
    if isolation is not None:
        extra_data["isolation"] = isolation.record()
    starved = getattr(sandbox, "starved_timeouts", 0) - starved
    if starved:  # its tasks that timed out while starved of CPU: a batch grades it again alone (batch.py)
        extra_data["starved_timeouts"] = starved
    results = build_results(
        evaluated.outcomes, output=evaluated.notes, extra_data=extra_data, printed=evaluated.visible_printed
    )
    results["execution_time"] = round(time.monotonic() - started, 3)
    if evaluated.printed and student_output is not None:
        student_output(evaluated.printed)
    return results


def judge(spec: TestSpec, collected: Collected) -> Verdict:
    """One test's verdict; a failure of the grader itself is reported as such, never blamed on the student."""
    kind = KINDS[spec.check]
    try:
        return kind.run(spec.params, collected)
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
        "versions": {
            "autograder": autograder.__version__,
            "python": platform.python_version(),
            "numpy": numpy.__version__,
        },
    }
