"""The command line: thin verbs over the grading pipeline (`python3 -m autograder --help`)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder import __version__

DESCRIPTION = """\
rnn-autograder: grades the RNN homework (question 1, a binary-adder RNN; question 2, LSTM backprop
through time) into Gradescope's results.json. Student code runs only in a limited worker process.
"""
EPILOG = """\
examples:
  python3 -m autograder grade submission/ --results results.json   one submission (as Gradescope does)
  python3 -m autograder check                                      a student's check of their folder
  python3 -m autograder batch export.zip --out class/              a TA's whole class
  python3 -m autograder build gradescope                           the Gradescope autograder zip
Each verb has its own --help. Exit status: 0 when the verb finished (whatever the scores), 2 for a
usage or configuration error, 1 when the grader itself failed.
"""
BROKEN_PIPE = 128 + 13  # what a shell reports for a process ended by SIGPIPE, as `yes | head` is


SHORT_LIVED = ("grade", "check")  # one submission each: startup.short_lived, when the verb is the whole process


def main(argv: list[str] | None = None, *, whole_process: bool = False) -> int:
    """Run one verb; a closed stdout (`| head`) ends it quietly. `whole_process`: this call is the process's whole
    life (`python3 -m autograder`)."""
    try:
        args = parser().parse_args(argv)
        if whole_process and args.verb in SHORT_LIVED:
            from autograder.startup import short_lived

            return short_lived(lambda: _run(args))
        return _run(args)
    except BrokenPipeError:
        # The reader has gone. Point stdout at /dev/null, so that the interpreter's final flush
        # does not raise again, and end like a process that SIGPIPE ended, without a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return BROKEN_PIPE


def parser() -> argparse.ArgumentParser:
    """The parser of every verb; `--config` is shared (one parent parser)."""
    config = argparse.ArgumentParser(add_help=False)
    config.add_argument("--config", type=Path, help="the test configuration (default: autograder/default.yaml)")

    top = argparse.ArgumentParser(
        prog="python3 -m autograder",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version=f"rnn-autograder {__version__}")
    verbs = top.add_subparsers(dest="verb", required=True, metavar="VERB")

    grade = verbs.add_parser(
        "grade", parents=[config], help="grade one submission (a folder or a .zip) into a results.json"
    )
    grade.add_argument("submission", type=Path, help="the submission folder or .zip")
    grade.add_argument(
        "--results",
        required=True,
        help="where to write results.json; `-` writes it to stdout (the summary then goes to stderr)",
    )
    grade.add_argument(
        "--quiet", action="store_true", help="print only the total (not the tests, not the student's output)"
    )

    check = verbs.add_parser(
        "check", parents=[config], help="check your homework as Gradescope will (the visible tests)"
    )
    check.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=Path("."),
        help="the folder (or .zip) holding your files (default: the current folder)",
    )

    batch = verbs.add_parser(
        "batch",
        parents=[config],
        help="grade a Gradescope export (or a folder of submissions) into a gradebook and a class report",
    )
    batch.add_argument(
        "export",
        type=Path,
        help="the export: a .zip or folder from Gradescope's Export Submissions, or a folder of submission folders",
    )
    batch.add_argument(
        "--out",
        type=Path,
        required=True,
        help="where to write results, gradebook.csv and report.html (reused when resuming)",
    )
    batch.add_argument("--jobs", type=int, help="submissions graded at once (default: one per core)")
    batch.add_argument(
        "--regrade", action="store_true", help="grade again submissions already graded in --out with this configuration"
    )
    batch.add_argument(
        "--compare",
        type=Path,
        metavar="PREV_OUT",
        help="an earlier run's --out: write changes.csv (the students whose scores moved) and a section of the report",
    )
    batch.add_argument(
        "--canvas",
        metavar="ASSIGNMENT",
        help="also write canvas.csv for Canvas's gradebook import, the total under this assignment name",
    )
    batch.add_argument(
        "--no-similarity",
        dest="similarity",
        action="store_false",
        help="keep no similarity records, no similarity.csv, no report section (on by default: for course staff only)",
    )
    batch.add_argument(
        "--similar-to",
        type=Path,
        metavar="EARLIER_OUT",
        help="also compare with an earlier term's --out (students who hand in earlier answers)",
    )

    build = verbs.add_parser(
        "build", parents=[config], help="make the Gradescope zip, the student kit, or the configuration reference"
    )
    build.add_argument(
        "target",
        choices=("gradescope", "kit", "docs"),
        help="gradescope: the autograder zip; kit: the student kit zip; docs: docs/configuration.md",
    )
    build.add_argument(
        "--out",
        type=Path,
        help="where to write it (default: dist/autograder.zip, dist/student_kit.zip, docs/configuration.md)",
    )
    return top


def _run(args: argparse.Namespace) -> int:
    # Each verb imports its module only when chosen: `grade` starts the worker before importing numpy.
    if args.verb == "grade":
        from autograder import grading

        return grading.main(submission=args.submission, results=args.results, config_path=args.config, quiet=args.quiet)
    if args.verb == "check":
        from autograder import check

        return check.main(folder=args.folder, config_path=args.config)
    if args.verb == "batch":
        from autograder import batch

        if args.jobs is not None and args.jobs < 1:
            print("batch: --jobs must be at least 1", file=sys.stderr)
            return 2
        return batch.main(
            export=args.export,
            out=args.out,
            jobs=args.jobs,
            regrade=args.regrade,
            config_path=args.config,
            compare=args.compare,
            canvas=args.canvas,
            similarity=args.similarity,
            similar_to=args.similar_to,
        )
    from autograder import build

    return build.main(target=args.target, out=args.out, config_path=args.config)
