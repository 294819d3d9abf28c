"""The student's check: grade a folder with the visible tests, as Gradescope will, and say what it will show."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import textwrap
import traceback
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping, TextIO

from autograder.config import VISIBILITIES, Config, ConfigError, load_config
from autograder.engine import grade
from autograder.locate import WANTED
from autograder.report.summary import summarize
from autograder.worker.sandbox import Sandbox

# Written into the student kit by `build kit`: how many tests of each visibility the kit's config left out.
KIT_NOTE = Path(__file__).with_name("kit.json")
KIT_FILES = ("autograder", "check.py")  # what the kit adds beside the student's files; never graded
SHOWN = {"hidden": "never shown to you", "after_due_date": "shown after the due date",
         "after_published": "shown when grades are published"}


def check(folder: Path, *, config: Config) -> dict:
    """The results of the visible tests of `config` on a folder (or .zip), graded exactly as on Gradescope."""
    with student_files(Path(folder)) as submission, Sandbox() as sandbox:
        return grade(submission, config=config.visible_only(), sandbox=sandbox, student_output=sys.stdout.write)


@contextmanager
def student_files(folder: Path) -> Iterator[Path]:
    """The folder to grade; in the student kit, a copy of the files the grader looks for, without the kit's own.

    The kit's `autograder` package holds files with graded names (its judge's adder.py): they must not
    be found as the student's. Only files with a graded name, and zips, are copied (not a virtual
    environment the student may keep in the kit's folder).
    """
    if not (folder / "autograder" / KIT_NOTE.name).is_file():
        yield folder
        return
    wanted = {name for names in WANTED.values() for name in names}
    with tempfile.TemporaryDirectory(prefix="autograder-check-") as scratch:
        copy = Path(scratch) / "submission"
        copy.mkdir()
        for where, dirs, names in os.walk(folder):
            relative = Path(where).relative_to(folder)
            if relative == Path("."):
                dirs[:] = [d for d in dirs if d not in KIT_FILES]
                names = [n for n in names if n not in KIT_FILES]
            for name in names:
                if name.lower() in wanted or name.lower().endswith(".zip"):
                    (copy / relative).mkdir(parents=True, exist_ok=True)
                    source = Path(where) / name
                    if source.is_symlink():
                        (copy / relative / name).symlink_to(os.readlink(source))
                    else:
                        shutil.copyfile(source, copy / relative / name)
        yield copy


def not_visible(config: Config, note: Path = KIT_NOTE) -> Counter:
    """How many tests of each non-visible kind Gradescope runs that this check does not."""
    counts = Counter(t.visibility for t in config.tests if t.visibility != "visible")
    try:
        counts.update(json.loads(note.read_text(encoding="utf-8")).get("not_visible", {}))
    except FileNotFoundError:
        pass
    return counts


def closing_lines(counts: Mapping[str, int]) -> str:
    """What Gradescope will show, compared with this check (wrapped for a terminal)."""
    text = ("Gradescope runs these same tests with this same grader, and shows you these scores and this "
            "feedback for them.")
    total = sum(counts.values())
    if not total:
        text += " There are no hidden tests: this is your score."
    else:
        kinds = ", ".join(f"{counts[v]} {SHOWN[v]}" for v in VISIBILITIES if counts.get(v))
        more = "1 more test" if total == 1 else f"{total} more tests"
        text += f" It also runs {more} that this check does not ({kinds}); they count toward your final score."
    return textwrap.fill(text, width=100) + "\n"


def main(*, folder: Path, config_path: Path | None = None, stdout: TextIO | None = None,
         stderr: TextIO | None = None) -> int:
    """The `check` verb: print the summary of the visible tests and what Gradescope will show; exit 0 once graded."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        config = load_config(config_path)
    except ConfigError as error:
        print(f"check: the grader's configuration is broken: {error}", file=stderr)
        return 2
    if not Path(folder).exists():
        print(f"check: {folder}: no such folder or file", file=stderr)
        return 2
    try:
        results = check(Path(folder), config=config)
    except Exception:  # noqa: BLE001 - the grader's own failure: say so plainly
        traceback.print_exc(file=stderr)
        print("check: the grader itself failed (not your fault); please tell the course staff.", file=stderr)
        return 1
    print(summarize(results, title=f"Checking {folder}"), file=stdout)
    print(closing_lines(not_visible(config)), end="", file=stdout)
    return 0
