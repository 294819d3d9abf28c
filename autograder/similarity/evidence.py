"""The private record of one submission kept for the similarity section: its numbers, its design, its fingerprints.

Written by the batch's grading process beside results.json (never in it: hidden tests' numbers and the
student's text are for course staff only), readable by its owner only (0600), so a resumed run, or one
compared with an earlier term, compares every submission, not only those graded now.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from autograder.record import Record
from autograder.similarity.behaviour import adder_design, wrong_numbers
from autograder.similarity.fingerprints import fingerprint_files

EVIDENCE = "similarity.json"
VERSION = 1


class Evidence(Record):
    """One submission's record, read back: `numbers` per test, `adder` (written, design), and per file its
    channel, fingerprints and text."""

    id: str
    submission_sha256: str
    numbers: Mapping[str, Mapping[str, Any]]
    adder: Mapping[str, str] | None
    files: tuple[Mapping[str, Any], ...]
    notes: tuple[str, ...] = ()


def keeper(job: Mapping[str, Any]) -> Callable[[Any], None]:
    """What the batch's grading hands each judged submission to: it writes the record into the job's folder.
    A failure here is the grader's own and is logged; it never costs the student their grade."""

    def keep(evaluated: Any) -> None:
        try:
            record = evidence_record(evaluated, submission_sha256=str(job.get("fingerprint", "")))
            write_private(Path(job["out"]) / EVIDENCE, json.dumps(record, separators=(",", ":")))
        except Exception:  # noqa: BLE001 - the similarity section is a staff tool: grading goes on without it
            traceback.print_exc(file=sys.stderr)

    return keep


def evidence_record(evaluated: Any, *, submission_sha256: str) -> dict[str, Any]:
    """The record of a judged submission (engine.Evaluated), as JSON-able data."""
    files, notes = fingerprint_files(evaluated.located.files if evaluated.located else {})
    return {
        "version": VERSION,
        "submission_sha256": submission_sha256,
        "numbers": wrong_numbers(evaluated.outcomes, evaluated.collected, evaluated.forms),
        "adder": adder_design(evaluated.collected, evaluated.forms),
        "files": [
            {"name": f.name, "channel": f.channel, "prints": [list(p) for p in f.prints], "text": f.text} for f in files
        ],
        "notes": notes,
    }


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600), atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")  # mkstemp makes it 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def read_evidence(folder: Path, submission_id: str) -> Evidence | None:
    """The record in a submission's folder of OUT, if there is one from its current files (else None: graded
    before this version kept records, or its files changed since)."""
    try:
        record = json.loads((folder / EVIDENCE).read_text(encoding="utf-8"))
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("version") != VERSION:
        return None
    current = (results.get("extra_data") or {}).get("submission_sha256") if isinstance(results, dict) else None
    if current is not None and record.get("submission_sha256") != current:
        return None
    return Evidence(
        submission_id,
        str(record.get("submission_sha256", "")),
        record.get("numbers") or {},
        record.get("adder"),
        tuple(record.get("files") or ()),
        tuple(record.get("notes") or ()),
    )
