"""What changed since an earlier batch run: the students whose scores moved, per question, and why."""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from autograder.config import QUESTIONS
from autograder.record import Record
from autograder.report.gradebook import ENCODING, GRADED, NO_FILES, NO_SUBMISSION, STOPPED

SCORES = (*QUESTIONS, "total")
COLUMNS = (
    "submission_id",
    "name",
    "email",
    "sid",
    *(f"{q} {when}" for q in SCORES for when in ("before", "after")),
    "status before",
    "status after",
    "why",
)
MAX_GRADEBOOK_BYTES = 256 * 2**20


class Snapshot(Record):
    """An earlier run as read before this one writes anything: its gradebook rows, and what graded each submission."""

    folder: Path
    rows: Mapping[tuple[str, ...], Mapping[str, str]]  # (submission_id, name, email, sid) -> its row
    graded_by: Mapping[str, tuple[str, str]]  # submission_id -> (config_sha256, submission_sha256)


def student_key(row: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(row.get(column, "") for column in ("submission_id", "name", "email", "sid"))


def read_snapshot(folder: Path) -> Snapshot:
    """An earlier run's output folder; ValueError when it holds no readable gradebook.csv."""
    path = Path(folder) / "gradebook.csv"
    try:
        if path.stat().st_size > MAX_GRADEBOOK_BYTES:
            raise ValueError(f"{path}: larger than {MAX_GRADEBOOK_BYTES // 2**20} MB")
        with open(path, encoding=ENCODING, newline="") as file:
            rows = {
                student_key(row): {**row, "status": status_code(row.get("status") or "")}
                for row in csv.DictReader(file)
            }
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{path}: cannot read the earlier gradebook ({error})") from None
    graded_by = {}
    for submission_id in {key[0] for key in rows}:
        extra = _extra(Path(folder), submission_id)
        graded_by[submission_id] = (str(extra.get("config_sha256", "")), str(extra.get("submission_sha256", "")))
    return Snapshot(Path(folder), rows, graded_by)


# Before the status became a code (with the reason in a column of its own) it was the words: an earlier gradebook
# written so is read as codes, so the first comparison does not list every student with a note as changed.
OLD_STATUSES = (
    ("not graded: the run was interrupted before grading it", STOPPED),
    ("no files: the export holds no folder for it", NO_SUBMISSION),
    ("no files:", NO_FILES),
    ("graded;", GRADED),
)


def status_code(status: str) -> str:
    """A gradebook's status as a code: today's as it is, an older gradebook's words as the code they meant."""
    return next((code for words, code in OLD_STATUSES if status.startswith(words)), status)


def _extra(folder: Path, submission_id: str) -> dict:
    """extra_data of a submission's results.json in an output folder (this layout or the first one's), or {}."""
    for path in (folder / "submissions" / submission_id / "results.json", folder / submission_id / "results.json"):
        try:
            extra = json.loads(path.read_text(encoding="utf-8")).get("extra_data")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(extra, dict):
            return extra
    return {}


def changed_rows(before: Snapshot, after_rows: Sequence[Mapping[str, str]], after_folder: Path) -> list[dict[str, str]]:
    """One row per student whose scores or status differ between the runs (added or gone students too), with why."""
    after = {student_key(row): row for row in after_rows}
    changes = []
    for key in sorted(set(before.rows) | set(after)):
        old, new = before.rows.get(key), after.get(key)
        if old is not None and new is not None and all(old.get(c) == new.get(c) for c in (*SCORES, "status")):
            continue
        row = dict(zip(("submission_id", "name", "email", "sid"), key, strict=True))
        for column in (*SCORES, "status"):
            row[f"{column} before"] = (old or {}).get(column, "")
            row[f"{column} after"] = (new or {}).get(column, "")
        row["why"] = _why(before, key[0], old, new, after_folder)
        changes.append(row)
    return changes


def _why(before: Snapshot, submission_id: str, old: Mapping | None, new: Mapping | None, after_folder: Path) -> str:
    if old is None:
        return "not in the earlier run"
    if new is None:
        return "not in this run"
    config_before, files_before = before.graded_by.get(submission_id, ("", ""))
    extra = _extra(after_folder, submission_id)
    reasons = []
    if config_before != extra.get("config_sha256", ""):
        reasons.append("configuration changed")
    if files_before != extra.get("submission_sha256", ""):
        reasons.append("submission changed")
    return " and ".join(reasons) or "same configuration and files (look at this one)"
