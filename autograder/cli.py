"""The command line: thin verbs over the grading pipeline (`python3 -m autograder --help`)."""

from __future__ import annotations

import argparse
import sys
import traceback
from pathlib import Path

from autograder.config import ConfigError, load_config
from autograder.engine import grade
from autograder.report.results import failure_results, write_results
from autograder.report.summary import summarize
from autograder.worker.sandbox import Sandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m autograder", description=__doc__.split(":")[0] + ".")
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    grade_parser = verbs.add_parser("grade", help="grade one submission (a folder or a .zip) into a results.json")
    grade_parser.add_argument("submission", type=Path, help="the submission folder or .zip")
    grade_parser.add_argument("--results", type=Path, required=True, help="where to write results.json")
    grade_parser.add_argument("--config", type=Path, help="the test configuration (default: autograder/default.yaml)")
    grade_parser.add_argument("--quiet", action="store_true", help="print only the total")

    args = parser.parse_args(argv)
    return {"grade": grade_command}[args.verb](args)


def grade_command(args: argparse.Namespace) -> int:
    """Grade one submission; exit 0 whenever grading finished, whatever the score."""
    write_results(args.results, failure_results("Grading started but did not finish (it was stopped or crashed)."))
    try:
        config = load_config(args.config)
    except ConfigError as error:
        write_results(args.results, failure_results("The autograder's configuration is broken."))
        print(f"configuration error: {error}", file=sys.stderr)
        return 2
    try:
        with Sandbox() as sandbox:
            results = grade(args.submission, config=config, sandbox=sandbox)
    except Exception as error:  # noqa: BLE001 - our own failure: a valid results.json all the same
        traceback.print_exc(file=sys.stderr)
        write_results(args.results, failure_results(f"({type(error).__name__}: {error})"))
        return 1
    write_results(args.results, results)
    title = f"Grading {args.submission}"
    print(summarize(results, title=title, details=not args.quiet), end="")
    return 0
