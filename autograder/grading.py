"""The `grade` verb: one submission into a Gradescope results.json, and a readable summary."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

# Light imports only: the worker starts while this process imports the judges (numpy and all).
from autograder.config import ConfigError
from autograder.protection import ExposedError, check_protected
from autograder.report.results import failure_results, results_text, write_results
from autograder.startup import early_sandbox
from autograder.text import printable
from autograder.worker.forked import clean_environment
from autograder.worker.host import SandboxError
from autograder.worker.isolation import isolation_of
from autograder.worker.sandbox import Sandbox

TO_STDOUT = "-"  # `--results -`: the JSON goes to stdout, the summary and the student's output to stderr
EXPOSED = "(The autograder's hidden tests were not protected from students' code, so it refused to grade.)"


def main(
    *,
    submission: Path,
    results: Path | str,
    config_path: Path | None = None,
    quiet: bool = False,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Grade one submission (a folder or a .zip) into `results` and print a summary.

    Exits 0 whenever grading finished, whatever the score; 2 when the submission does not exist or
    the configuration is broken or open to the students' code; 1 when the grader itself failed. Every
    exit but a usage error leaves a valid results.json. `quiet` prints the total only, and not the student's output.
    """
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    to_stdout = str(results) == TO_STDOUT
    report = stderr if to_stdout else stdout

    def deliver(written: dict) -> None:
        if to_stdout:
            stdout.write(results_text(written))
            stdout.flush()
        else:
            write_results(results, written)

    if not Path(submission).exists():
        print(f"grade: {submission}: no such folder or file", file=stderr)
        return 2
    if not to_stdout:
        deliver(failure_results("Grading started but did not finish (it was stopped or crashed)."))
    try:
        protect = check_protected(config_path)  # before the worker starts: no student code runs beside it
    except ExposedError as error:
        print(f"grade: {error}", file=stderr)
        deliver(failure_results(EXPOSED))
        return 2
    # The worker starts while this process imports the judges (forked from it on run_autograder's clean environment).
    with early_sandbox(protect=protect, fork=clean_environment()) as started:
        graded = _grade_with(
            started, Path(submission), config_path, student_output=None if quiet else _echo(report), stderr=stderr
        )
    code, written = graded
    deliver(written)
    if code == 0:
        from autograder.report.summary import summarize

        summary = summarize(written, title=f"Grading {submission}")
        report.write(summary.splitlines()[0] + "\n" if quiet else summary)  # the first line is the total
    # The layers of isolation this grading had, in one line: run_autograder's output is what staff see.
    if (isolation := isolation_of(written)) is not None and (isolation.missing or not quiet):
        print(isolation.line(), file=stderr if quiet else report)
    report.flush()
    return code


def _grade_with(
    started: Callable[[], Sandbox],
    submission: Path,
    config_path: Path | None,
    *,
    student_output: Callable[[str], object] | None,
    stderr: TextIO,
) -> tuple[int, dict]:
    """(exit code, results) of grading with the worker that `started()` waits for."""
    from autograder.kinds import load_config  # the judges (numpy and all), while the worker starts

    try:
        config = load_config(config_path)
    except ConfigError as error:
        print(f"configuration error: {error}", file=stderr)
        return 2, failure_results("The autograder's configuration is broken.")
    try:
        from autograder.engine import Refused, grade, prepare

        prepare(config)  # before waiting for the worker: it may still be starting
        return 0, grade(submission, config=config, sandbox=started(), student_output=student_output)
    except Refused as refused:
        print(f"grade: {refused}", file=stderr)
        extra = {"refused": str(refused), "isolation": refused.isolation.record()}
        return 2, failure_results(f"({refused})", extra_data=extra)
    except SandboxError as error:  # this machine's set-up (a refusal, a worker that cannot start): it says why
        print(f"grade: {error}", file=stderr)  # a sentence with its fix; a traceback would bury it
        return 1, failure_results(f"({type(error).__name__}: {error})")
    except Exception as error:  # noqa: BLE001 - our own failure: a valid results.json all the same
        traceback.print_exc(file=stderr)
        return 1, failure_results(f"({type(error).__name__}: {error})")


def _echo(stream: TextIO) -> Callable[[str], None]:
    """Writes the student's output to `stream` (escape sequences shown as text: it may be a TA's terminal),
    and stops quietly if its reader has gone (`| head`)."""

    def write(text: str) -> None:
        try:
            stream.write(printable(text, keep_newlines=True))
        except BrokenPipeError:
            pass

    return write
