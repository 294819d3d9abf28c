"""The student's check: grade a folder with the visible tests, as Gradescope will, and say what it will show.

It runs in the student kit with nothing but Python and numpy: it judges through `engine.evaluate`
and shows the tests as `report.view` makes them, never through gradescope-utils or PyYAML.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import textwrap
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from autograder.config import VISIBILITIES, Config, ConfigError
from autograder.locate import KIT_MARKER, is_wanted
from autograder.startup import early_sandbox

# The kit runs the student's code as the current user, by design (docs/spec.md 5.4).
AS_CURRENT_USER: dict[str, Any] = {"mode": "self"}
# Written into the student kit by `build kit`: the tests of each visibility its configuration left out.
KIT_NOTE = Path(__file__).with_name(KIT_MARKER)
KIT_FILES = ("autograder", "check.py")  # what the kit adds beside the student's files; never graded
SHOWN = {
    "hidden": "never shown to you",
    "after_due_date": "shown after the due date",
    "after_published": "shown when grades are published",
}
AS_YOU = (
    "Your code runs as you ({user}), with your own rights: fine on your own machine, where it is your "
    "own code that runs (Gradescope runs it as a locked-down user)."
)
WINDOWS = (
    "check.py runs on Linux and macOS. On Windows, run it in WSL (Windows Subsystem for Linux) or in "
    "Google Colab; Gradescope grades your files the same either way."
)


def check(folder: Path, *, config: Config, sandbox=None, printed: TextIO | None = None) -> dict:
    """The results of the visible tests of `config` on a folder (or .zip), graded exactly as on Gradescope.

    `sandbox` runs the student's code (a new one as the current user if None); what the code printed
    goes to `printed`.
    """
    visible = config.visible_only()
    with student_files(Path(folder)) as submission, early_sandbox(sandbox, **AS_CURRENT_USER) as started:
        from autograder.engine import evaluate, provenance  # numpy and the judges, while the worker starts
        from autograder.report.view import student_view

        evaluated = evaluate(submission, config=visible, sandbox=started())
    if evaluated.printed and printed is not None:
        printed.write(evaluated.printed)
    return student_view(
        evaluated.outcomes,
        output=evaluated.notes,
        extra_data={**provenance(visible), "forms": evaluated.forms},
        printed=evaluated.visible_printed,
    )


@contextmanager
def student_files(folder: Path) -> Iterator[Path]:
    """The folder to grade; in the student kit, a copy of the files the grader looks for, without the kit's own.

    The kit's `autograder` package holds files with graded names (its judge's adder.py): they must not
    be found as the student's. Only files the grader may read (by name or by pattern: notebooks, .tex
    files) and zips are copied; hidden folders and virtual environments the student keeps in the kit's
    folder are not searched.
    """
    if not (folder / "autograder" / KIT_NOTE.name).is_file():
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as scratch:
        copy = Path(scratch) / "submission"
        copy.mkdir()
        for where, dirs, names in os.walk(folder):
            relative = Path(where).relative_to(folder)
            dirs[:] = [
                d
                for d in dirs
                if not d.startswith(".")
                and not (Path(where) / d / "pyvenv.cfg").exists()
                and not (relative == Path(".") and d in KIT_FILES)
            ]
            if relative == Path("."):
                names = [n for n in names if n not in KIT_FILES]
            for name in names:
                if is_wanted(name) or name.lower().endswith(".zip"):
                    (copy / relative).mkdir(parents=True, exist_ok=True)
                    source = Path(where) / name
                    if source.is_symlink():
                        (copy / relative / name).symlink_to(os.readlink(source))
                    else:
                        shutil.copyfile(source, copy / relative / name)
        yield copy


def not_visible(config: Config, note: Path | None = KIT_NOTE) -> dict[str, list[float]]:
    """The points of each test, by visibility, that Gradescope runs and this check does not."""
    unseen: dict[str, list[float]] = {}
    for test in config.tests:
        if test.visibility != "visible":
            unseen.setdefault(test.visibility, []).append(test.max_score)
    for visibility, points in kit_note(note).get("not_visible", {}).items():
        unseen.setdefault(visibility, []).extend(points)
    return unseen


def not_visible_by_question(config: Config, note: Path | None = KIT_NOTE) -> dict[str, float]:
    """The points, per question, of the tests that Gradescope runs and this check does not (the summary's
    question totals are of the visible tests: it says how many more points each question has)."""
    unseen: dict[str, float] = {}
    for test in config.tests:
        if test.visibility != "visible":
            unseen[test.question] = unseen.get(test.question, 0.0) + test.max_score
    for question, points in kit_note(note).get("not_visible_by_question", {}).items():
        unseen[question] = unseen.get(question, 0.0) + float(points)
    return unseen


def kit_note(note: Path | None = KIT_NOTE) -> dict:
    """kit.json, written by `build kit` (absent outside the kit; None: not read)."""
    if note is None:
        return {}
    try:
        return json.loads(note.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def closing_lines(unseen: Mapping[str, Sequence[float]]) -> str:
    """What Gradescope will show, compared with this check (wrapped for a terminal)."""
    from autograder.points import format_points

    text = (
        "Gradescope runs these same tests with this same grader, and shows you these scores and this feedback for them."
    )
    total = sum(len(points) for points in unseen.values())
    if not total:
        text += " There are no hidden tests: this is your score."
    else:
        kinds = ", ".join(f"{len(unseen[v])} {SHOWN[v]}" for v in VISIBILITIES if unseen.get(v))
        more = "1 more test" if total == 1 else f"{total} more tests"
        points = sum(sum(points) for points in unseen.values())
        if points:
            worth = f"worth {format_points(points)} point{'' if points == 1 else 's'}"
            counts = "it counts" if total == 1 else "they count"
            text += (
                f" It also runs {more} ({kinds}), {worth}, that this check does not: {counts} toward your final score."
            )
        else:  # part (c)'s explanation: shown later, graded by hand, no points of its own
            text += f" It also runs {more} ({kinds}) that this check does not, for information only (no points)."
    return textwrap.fill(text, width=100) + "\n"


def as_you() -> str:
    """The line that says whose rights the student's code runs with here, and why that is fine."""
    try:
        import pwd

        user = pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        user = f"user {os.geteuid()}"
    return textwrap.fill(AS_YOU.format(user=user), width=100) + "\n"


def main(
    *,
    folder: Path,
    config_path: Path | None = None,
    json_path: Path | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The `check` verb: print the summary of the visible tests and what Gradescope will show; exit 0 once graded.

    `json_path` also gets the visible tests as Gradescope's results.json holds them.
    """
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    if sys.platform == "win32":
        print(textwrap.fill(WINDOWS, width=100), file=stderr)
        return 2
    if not Path(folder).exists():
        print(f"check: {folder}: no such folder or file", file=stderr)
        return 2
    with early_sandbox(fork=True, **AS_CURRENT_USER) as started:  # their own code, as them: worker/forked.py
        from autograder.kinds import load_config  # the judges (numpy and all), while the worker starts

        try:
            config = load_config(config_path)
        except ConfigError as error:
            print(f"check: the grader's configuration is broken: {error}", file=stderr)
            return 2
        print(as_you(), end="", file=stdout)
        try:
            sandbox = started()
            results = check(Path(folder), config=config, sandbox=sandbox, printed=stdout)
        except Exception:  # noqa: BLE001 - the grader's own failure: say so plainly
            traceback.print_exc(file=stderr)
            print("check: the grader itself failed (not your fault); please tell the course staff.", file=stderr)
            return 1
    from autograder.report.summary import summarize

    print(summarize(results, title=f"Checking {folder}", unseen=not_visible_by_question(config)), file=stdout)
    print(textwrap.fill(sandbox.isolation.line(), width=100), file=stdout)  # the protection it ran under here
    print(closing_lines(not_visible(config)), end="", file=stdout)
    if json_path is not None:
        Path(json_path).write_text(
            json.dumps(results, indent=2, allow_nan=False, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    return 0
