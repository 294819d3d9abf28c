"""The command line: thin verbs over the grading pipeline (`python3 -m autograder --help`)."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from concurrent.futures import Future, ThreadPoolExecutor

# Light imports only: `grade` starts the worker before it imports the judges (numpy and all).
from autograder.config import ConfigError, load_config
from autograder.report.results import failure_results, write_results
from autograder.worker.sandbox import Sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m autograder", description=__doc__.split(":")[0] + ".")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    grade_parser = verbs.add_parser("grade", help="grade one submission (a folder or a .zip) into a results.json")
    grade_parser.add_argument("submission", type=Path, help="the submission folder or .zip")
    grade_parser.add_argument("--results", type=Path, required=True, help="where to write results.json")
    grade_parser.add_argument("--config", type=Path, help="the test configuration (default: autograder/default.yaml)")
    grade_parser.add_argument("--quiet", action="store_true", help="print only the total")

    check_parser = verbs.add_parser("check", help="check your homework as Gradescope will (the visible tests)")
    check_parser.add_argument("folder", nargs="?", type=Path, default=Path("."),
                              help="the folder (or .zip) holding your files (default: the current folder)")
    check_parser.add_argument("--config", type=Path, help="the test configuration (default: autograder/default.yaml)")

    batch_parser = verbs.add_parser("batch", help="grade a Gradescope export (or a folder of submissions) into a "
                                                  "gradebook and a class report")
    batch_parser.add_argument("export", type=Path, help="the export: a .zip or folder from Gradescope's Export "
                                                        "Submissions, or a folder of submission folders")
    batch_parser.add_argument("--out", type=Path, required=True,
                              help="where to write results, gradebook.csv and report.html (reused when resuming)")
    batch_parser.add_argument("--jobs", type=int, help="submissions graded at once (default: one per core)")
    batch_parser.add_argument("--regrade", action="store_true",
                              help="grade again submissions already graded in --out with this configuration")
    batch_parser.add_argument("--config", type=Path, help="the test configuration (default: autograder/default.yaml)")

    build_parser = verbs.add_parser("build", help="make the Gradescope zip, the student kit, or the configuration "
                                                  "reference")
    build_parser.add_argument("target", choices=("gradescope", "kit", "docs"),
                              help="gradescope: the autograder zip; kit: the student kit zip; docs: "
                                   "docs/configuration.md")
    build_parser.add_argument("--out", type=Path, help="where to write it (default: dist/autograder.zip, "
                                                       "dist/student_kit.zip, docs/configuration.md)")
    build_parser.add_argument("--config", type=Path, help="the test configuration (default: autograder/default.yaml)")

    args = parser.parse_args(argv)
    commands = {"grade": grade_command, "check": check_command, "batch": batch_command, "build": build_command}
    return commands[args.verb](args)


def grade_command(args: argparse.Namespace) -> int:
    """Grade one submission; exit 0 whenever grading finished, whatever the score."""
    write_results(args.results, failure_results("Grading started but did not finish (it was stopped or crashed)."))
    with ThreadPoolExecutor(max_workers=1) as starter:
        starting = starter.submit(Sandbox)  # the worker starts while this process imports the judges
        try:
            return _grade_with(starting, args)
        finally:
            _close(starting)


def _grade_with(starting: Future, args: argparse.Namespace) -> int:
    try:
        config = load_config(args.config)
    except ConfigError as error:
        write_results(args.results, failure_results("The autograder's configuration is broken."))
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    try:
        from autograder.engine import grade
        from autograder.report.summary import summarize

        results = grade(args.submission, config=config, sandbox=starting.result(), student_output=sys.stdout.write)
    except Exception as error:  # noqa: BLE001 - our own failure: a valid results.json all the same
        traceback.print_exc(file=sys.stderr)
        write_results(args.results, failure_results(f"({type(error).__name__}: {error})"))
        return 1
    write_results(args.results, results)
    print(summarize(results, title=f"Grading {args.submission}", details=not args.quiet), end="")
    return 0


def _close(starting: Future) -> None:
    """Stop the worker, whether or not it was used (or could start at all)."""
    if starting.exception() is None:
        starting.result().close()


def check_command(args: argparse.Namespace) -> int:
    """The student's check: the visible tests on a folder; exit 0 whenever grading finished."""
    from autograder import check

    return check.main(folder=args.folder, config_path=args.config)


def batch_command(args: argparse.Namespace) -> int:
    """The TA's batch run over an export; exit 0 when every submission has a row in the gradebook."""
    from autograder import batch

    if args.jobs is not None and args.jobs < 1:
        print("batch: --jobs must be at least 1", file=sys.stderr)
        return 2
    return batch.main(export=args.export, out=args.out, jobs=args.jobs, regrade=args.regrade, config_path=args.config)


def build_command(args: argparse.Namespace) -> int:
    """The instructor's builds: the Gradescope zip, the student kit, the configuration reference."""
    from autograder import build

    return build.main(target=args.target, out=args.out, config_path=args.config)
