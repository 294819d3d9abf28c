"""The similarity section's cost: a batch with it against the batch alone, and the screening of 1,000 and 10,000.

    .venv/bin/python benchmarks/similarity.py [--quick]

1. Side by side: `batch EXPORT --out DIR --jobs 2` and the same with `--no-similarity`, alternated in one
   loop (fresh DIR each run), on the generated class of tests/similarity_class.py (210 submissions; its
   smallest, 79, with --quick). The difference is everything the section costs a real run: each
   submission's record (its numbers, design and fingerprints, made in the pool beside its grading) and
   the screening at the end. Each submission's fingerprints are also timed alone, in this process.
2. Scale: the real records dealt out to 1,000 and 10,000 students in an OUT of their own: the real class
   once as it is (its planted pairs stay pairs), then students each unlike the others as independent work
   is (the fingerprints and designs 5 % of the real class shares kept, the rest their own; their wrong
   numbers nudged by their own amount), then `screen_class` on all of them: reading every record from
   disk, the indexes, the pairs, similarity.csv. Time (median) and the peak of Python's allocations
   (tracemalloc). The batch's own time for that class is extrapolated from 1 (seconds per submission x N);
   the records' from the fingerprints timed alone (steadier than two whole batches' difference).
Target: at 1,000 the section adds at most 10 % to the batch's time; 10,000 screens within minutes.
Needs the TA's tools (requirements-ta.txt). Prints one table; exits 1 when a measurement fails.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from similarity_class import make_class  # type: ignore[import-not-found]  # noqa: E402

from autograder.locate import locate  # noqa: E402
from autograder.similarity import EVIDENCE, screen_class  # noqa: E402
from autograder.similarity.fingerprints import fingerprint_files  # noqa: E402


def batch_seconds(export: Path, out: Path, *, similarity: bool) -> float:
    command = [sys.executable, "-m", "autograder", "batch", str(export), "--out", str(out), "--jobs", "2"]
    started = time.monotonic()
    done = subprocess.run([*command, *([] if similarity else ["--no-similarity"])], capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"PROBLEM: batch failed: {done.stderr[-2000:]}")
    return elapsed


def side_by_side(scratch: Path, size: int, runs: int) -> tuple[list[float], list[float], Path, int]:
    """Both batches' times, a kept OUT, and the class's size (the generator's fixed groups come on top of a
    small `size`)."""
    export = scratch / "export"
    make_class(export, size)
    size = sum(1 for _ in export.iterdir())
    alone: list[float] = []
    with_section: list[float] = []
    kept = scratch / "kept"
    for run in range(runs + 1):  # the first pair warms the caches and is not counted
        for similarity, times in ((False, alone), (True, with_section)):
            out = scratch / f"out-{run}-{similarity}"
            seconds = batch_seconds(export, out, similarity=similarity)
            if run:
                times.append(seconds)
            if similarity and not kept.exists():
                shutil.copytree(out, kept)
            shutil.rmtree(out)
    return alone, with_section, kept, size


def record_seconds(export: Path) -> list[float]:
    """Each submission's fingerprints (the bulk of its record), timed alone in this process: the record's cost
    without the noise of two whole batches."""
    times = []
    for folder in sorted(export.iterdir()):
        files = locate(folder).files
        started = time.perf_counter()
        fingerprint_files(files)
        times.append(time.perf_counter() - started)
    return times


def dealt_out(records: list[dict], students: int, out: Path, seed: int = 1) -> list[str]:
    """`students` records made from the real ones, each unlike the others as independent work is: every
    fingerprint that 5 % of the real class shares is kept (templates, common equations), the others become the
    student's own; the wrong numbers are nudged by each student's own amount; a real pair stays a pair."""
    rng = random.Random(seed)
    counts: dict[int, int] = {}
    for record in records:
        for value in {p[0] for file in record["files"] for p in file["prints"]}:
            counts[value] = counts.get(value, 0) + 1
    common = {value for value, count in counts.items() if count > 0.05 * len(records)}
    designs: dict[str, int] = {}
    for record in records:
        if record["adder"]:
            designs[record["adder"]["design"]] = designs.get(record["adder"]["design"], 0) + 1
    ids = []
    for number in range(students):
        record = json.loads(json.dumps(records[number % len(records)]))
        if number >= len(records):  # the real class once as it is, then students of their own
            for file in record["files"]:
                file["prints"] = [p if p[0] in common else [rng.getrandbits(63), p[1], p[2]] for p in file["prints"]]
            if record["adder"] and designs[record["adder"]["design"]] <= 0.05 * len(records):
                record["adder"] = {"written": f"own {number}", "design": f"own {number}"}  # a design of their own
            for found in record["numbers"].values():
                nudge = 1 + number * 1e-7
                found["values"] = [[v * nudge for v in value] for value in found["values"]]
        sid = f"student{number:05d}"
        folder = out / "submissions" / sid
        folder.mkdir(parents=True)
        (folder / EVIDENCE).write_text(json.dumps(record))
        results = {"extra_data": {"submission_sha256": record["submission_sha256"]}}
        (folder / "results.json").write_text(json.dumps(results))
        ids.append(sid)
    return ids


def screening(records: list[dict], students: int, scratch: Path, runs: int) -> tuple[list[float], int, int]:
    out = scratch / f"class-{students}"
    ids = dealt_out(records, students, out)
    times, peak, pairs = [], 0, 0
    for _ in range(runs):
        tracemalloc.start()
        started = time.monotonic()
        found = screen_class(ids, out=out)
        times.append(time.monotonic() - started)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        pairs = len(found.pairs)
    shutil.rmtree(out)
    return times, peak, pairs


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="the generated class at its smallest (79), one run, 1,000 students only"
    )
    quick = parser.parse_args().quick
    size, runs = (60, 1) if quick else (210, 3)
    with tempfile.TemporaryDirectory() as temporary:
        scratch = Path(temporary)
        alone, with_section, kept, size = side_by_side(scratch, size, runs)
        records = [json.loads(p.read_text()) for p in sorted(kept.glob(f"submissions/*/{EVIDENCE}"))]
        if len(records) != size:
            print(f"PROBLEM: {len(records)} records for {size} submissions")
            return 1
        per_submission = statistics.median(alone) / size
        added = (statistics.median(with_section) - statistics.median(alone)) / size
        print("figure | runs | median s (min-max) | batch alone, same class | share added | peak MB | pairs")
        print(f"batch, {size} submissions, --no-similarity | {runs} | {spread(alone)} | | | |")
        print(
            f"batch, {size} submissions, with similarity | {runs} | {spread(with_section)} | {spread(alone)} | "
            f"{100 * added / per_submission:+.1f} % | |"
        )
        fingerprints = record_seconds(scratch / "export")
        each = 2 * per_submission  # a pool process's time per submission (--jobs 2)
        print(
            f"fingerprints, one submission (in its pool process) | {len(fingerprints)} | "
            f"{1000 * statistics.median(fingerprints):.1f} ms ({1000 * min(fingerprints):.1f}-"
            f"{1000 * max(fingerprints):.1f}) | {1000 * each:.0f} ms (a pool process's, per submission) | "
            f"{100 * statistics.median(fingerprints) / each:.1f} % | |"
        )
        for students in (1000,) if quick else (1000, 10_000):
            times, peak, pairs = screening(records, students, scratch, runs)
            batch = per_submission * students
            records_wall = statistics.median(fingerprints) / 2 * students  # made in the pool, two at a time
            share = 100 * (statistics.median(times) + records_wall) / batch
            print(
                f"screening, {students} students | {runs} | {spread(times)} | {batch:.0f} (extrapolated) | "
                f"{share:.1f} % | {peak / 2**20:.0f} | {pairs}"
            )
    print(
        "share added: at 210, the two batches' medians compared (noisy on a loaded machine: see their ranges); at "
        "1,000 and 10,000, (the screening + N records at the fingerprints' median, two pool processes at a time) / "
        "(the batch alone's seconds per submission x N). Target: at most 10 % at 1,000."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
