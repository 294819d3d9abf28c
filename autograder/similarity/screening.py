"""The class's similarity screening: read every submission's record in OUT, find the pairs, write similarity.csv.

A reason to look, never a score (docs/spec.md 6.4): nothing here changes a grade, and every file it
writes is for course staff only (0600, docs/spec.md 6.3).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from autograder.judge.adder_weights import AdderWeights, read_adder_weights
from autograder.record import Record, field
from autograder.similarity.behaviour import canonical_design
from autograder.similarity.evidence import Evidence, read_evidence, write_private
from autograder.similarity.fingerprints import fingerprint_files
from autograder.similarity.pairs import Pair, find_pairs

CSV = "similarity.csv"
DISMISSED = "similarity-dismissed.txt"
KIT = Path(__file__).resolve().parents[2] / "kit"  # the starter files every student gets: boilerplate
# The reference's question 1 weights (reference/adder.py; a test checks they agree): common in every scaling and order.
REFERENCE_ADDER = {
    "U": [[1, 1], [1, 1], [1, 1]],
    "W": [[0, 1, 0], [0, 1, 0], [0, 1, 0]],
    "V": [[1, -1, 1]],
    "b_h": [-0.5, -1.5, -2.5],
    "b_y": -0.5,
}
COLUMNS = (
    "rank",
    "strength",
    "submission_a",
    "students_a",
    "submission_b",
    "students_b",
    "numbers",
    "numbers_values",
    "numbers_digits",
    "numbers_shared_by",
    "design",
    "design_shared_by",
    "code_fingerprints",
    "code_share",
    "latex_fingerprints",
    "latex_share",
    "dismissed",
)
DISMISSED_HEADER = (
    "# Pairs of submissions you have looked at and dismissed: one pair a line, the two submission ids separated\n"
    "# by a tab (copy the line the report shows under a pair). They stay out of the report's list on every\n"
    "# later run (similarity.csv still lists them, marked dismissed). Lines starting with # are comments.\n"
)


class Screening(Record):
    """What the similarity section shows: the pairs (strongest first), the records they come from, the class's
    size, the parties compared, and notes (submissions without a record, an earlier term read)."""

    pairs: list[Pair]
    parties: Mapping[str, Evidence]
    class_size: int
    notes: tuple[str, ...]
    earlier: frozenset[str] = frozenset()
    names: Mapping[str, str] = field(default_factory=dict)  # who handed each in (a group's members together)
    rows: Mapping[str, int] = field(default_factory=dict)  # each submission's first row in the report's table


def screen_class(
    ids: Sequence[str], *, out: Path, submissions: Sequence[Any] = (), earlier: Path | None = None
) -> Screening:
    """Compare every submission of this run (`ids`, graded into OUT/submissions/<id>/), and with `earlier` (an
    earlier term's OUT) if given; write OUT/similarity.csv and, the first time, OUT/similarity-dismissed.txt.
    `submissions`: the gradebook's rows (who handed each in, in the report's order)."""
    parties = [found for sid in ids if (found := read_evidence(out / "submissions" / sid, sid)) is not None]
    names = party_names(submissions)
    notes = []
    missing = len(ids) - len(parties)
    if missing:
        notes.append(
            f"{missing} submissions have no record to compare (not graded, or graded by a version that kept "
            "none: --regrade keeps one)."
        )
    before: list[Evidence] = []
    if earlier is not None:
        before = _earlier(Path(earlier))
        notes.append(f"Compared with {len(before)} submissions of the earlier run {earlier}.")
    text_notes = sorted({note for party in parties for note in party.notes if "not installed" in note})
    notes.extend(text_notes)
    boilerplate = _kit_prints()
    dismissed = read_dismissed(out / DISMISSED)
    pairs = find_pairs(
        [*parties, *before],
        boilerplate=boilerplate,
        common_designs={reference_design()},
        earlier=frozenset(p.id for p in before),
        dismissed=dismissed,
    )
    everyone = {p.id: p for p in (*parties, *before)}
    screening = Screening(
        pairs, everyone, len(parties), tuple(notes), frozenset(p.id for p in before), names, first_rows(submissions)
    )
    write_private(out / CSV, to_csv(csv_rows(screening)))
    if not (out / DISMISSED).exists():
        write_private(out / DISMISSED, DISMISSED_HEADER)
    return screening


def reference_design() -> str:
    weights = read_adder_weights(REFERENCE_ADDER)
    assert isinstance(weights, AdderWeights), weights
    return canonical_design(weights)


def _earlier(previous: Path) -> list[Evidence]:
    """An earlier term's records, named `earlier:<id>`."""
    folder = previous / "submissions"
    found = []
    for child in sorted(folder.iterdir()) if folder.is_dir() else ():
        record = read_evidence(child, f"{previous.name}:{child.name}")
        if record is not None:
            found.append(record)
    return found


def _kit_prints() -> set[int]:
    files = {path.name: path.read_bytes() for path in sorted(KIT.glob("*")) if path.suffix in (".py", ".tex")}
    printed, _ = fingerprint_files(files)
    return {p[0] for f in printed for p in f.prints}


def read_dismissed(path: Path) -> frozenset[frozenset[str]]:
    """The pairs the TA dismissed: one a line, two ids separated by a tab (or, for ids without spaces, by
    spaces), then optionally a note after ` #`."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return frozenset()
    pairs = set()
    for line in text.splitlines():
        line = re.split(r"\s#", line, maxsplit=1)[0].strip()  # a note after the ids: whitespace, then #
        if not line or line.startswith("#"):
            continue
        ids = [part.strip() for part in (line.split("\t") if "\t" in line else line.split())]
        ids = [part for part in ids if part]
        if len(ids) >= 2:
            pairs.add(frozenset(ids[:2]))
    return frozenset(pairs)


def dismiss_line(pair: Pair) -> str:
    return f"{pair.a}\t{pair.b}"


def csv_rows(screening: Screening) -> list[dict[str, str]]:
    from autograder.report.gradebook import safe_cell

    names = screening.names
    rows = []
    for rank, pair in enumerate(screening.pairs, start=1):
        strengths = pair.strengths(screening.class_size)
        row = {
            "rank": str(rank),
            "strength": f"{pair.strength(screening.class_size):.2f}",
            "submission_a": pair.a,
            "students_a": names.get(pair.a, ""),
            "submission_b": pair.b,
            "students_b": names.get(pair.b, ""),
            "dismissed": "yes" if pair.dismissed else "",
        }
        if pair.numbers:
            row["numbers"] = f"{strengths['numbers']:.2f}"
            row["numbers_values"] = str(sum(n.values for n in pair.numbers))
            row["numbers_digits"] = f"{min(n.digits for n in pair.numbers):.1f}"
            row["numbers_shared_by"] = str(max(n.shared_by for n in pair.numbers))
        if pair.design is not None:
            row["design"] = "identical weights" if pair.design[0] else "same design, other scaling or order"
            row["design_shared_by"] = str(pair.design[1])
        for channel, text in pair.text.items():
            row[f"{channel}_fingerprints"] = str(text.shared)
            row[f"{channel}_share"] = f"{text.share:.2f}"
        rows.append({key: safe_cell(value) for key, value in row.items()})
    return rows


def to_csv(rows: Sequence[Mapping[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(COLUMNS), restval="")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()


def first_rows(submissions: Sequence[Any]) -> dict[str, int]:
    """Each submission's first row in the report's student table (a row per member: `#open=N`)."""
    rows: dict[str, int] = {}
    row = 0
    for submission in submissions:
        rows.setdefault(str(submission.id), row)
        row += max(1, len(getattr(submission, "submitters", ()) or ()))
    return rows


def party_names(submissions: Sequence[Any]) -> dict[str, str]:
    """Who handed in each submission: a group's members together (one party)."""
    return {
        str(s.id): " & ".join(p.name or p.email or p.sid for p in getattr(s, "submitters", ()) or ())
        for s in submissions
    }
