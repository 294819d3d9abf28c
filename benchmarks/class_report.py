"""Figure 6: the TA's outputs for a class of 10,000: writing the gradebook and report, and the report in a browser.

    .venv/bin/python benchmarks/class_report.py [--quick] [--students N]

Real results first: `batch` grades one copy of reference/ and of each class sample (--jobs 2). Those
results are then dealt out to N students (each with their own name, id and email), in two classes:
`shared` (feedback repeats as it does when students make the same mistakes) and `unique` (every test's
feedback differs from every other student's: the worst case for the report's size). For each, the
gradebook rows and CSV and the report are built in this process (wall time, median of the runs), and
headless Chromium opens the report from disk: the load figure is `performance.now()` when the table's
first page is drawn and usable (navigation start to ready, the browser's own clock), the file-read
figure the same clock at DOMContentLoaded (the feedback, after the table, read too), the sort figure
the time of one click on the total column over all N rows. run.py calls `figure_class_report`.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from html import unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.export import Submitter  # noqa: E402
from autograder.judge.mistakes import load_mistakes  # noqa: E402
from autograder.kinds import load_config  # noqa: E402
from autograder.report.classreport import render_report  # noqa: E402
from autograder.report.gradebook import GradedSubmission, gradebook_rows, to_csv  # noqa: E402

STUDENTS = 10_000
LOAD_TARGET_MS = 2000
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or ""
SORT_PROBE = """
(function () {
  var th = Array.prototype.find.call(document.querySelectorAll("#students th"),
                                     function (t) { return t.textContent === "total"; });
  var started = performance.now();
  th.click();
  document.body.setAttribute("data-sort-ms", String(Math.round(performance.now() - started)));
})();
"""


def class_results(scratch: Path) -> list[dict[str, Any]]:
    """results.json of reference/ and every non-hostile sample, graded by `batch` (as a TA would)."""
    export = scratch / "samples"
    sources = [ROOT / "reference"] + sorted(
        p for p in (ROOT / "submissions_sample").iterdir() if p.is_dir() and not p.name.startswith("hostile_")
    )
    for source in sources:
        shutil.copytree(source, export / source.name, ignore=shutil.ignore_patterns("expected.yaml"))
    out = scratch / "samples-out"
    subprocess.run(
        [sys.executable, "-m", "autograder", "batch", str(export), "--out", str(out), "--jobs", "2"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=1800,
    )
    results = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(out.glob("submissions/*/results.json"))]
    failed = [r["extra_data"]["grading_failed"] for r in results if (r.get("extra_data") or {}).get("grading_failed")]
    if len(results) != len(sources) or failed:
        raise RuntimeError(f"the batch graded {len(results) - len(failed)} of {len(sources)} samples ({failed[:1]})")
    return results


def make_class(results: list[dict[str, Any]], count: int, *, unique: bool) -> list[GradedSubmission]:
    """`count` students dealt the sample results in turn; with `unique`, every test's feedback made their own."""
    students = []
    for index in range(count):
        chosen = results[index % len(results)]
        if unique:
            chosen = copy.deepcopy(chosen)
            for test in chosen["tests"]:
                test["output"] = f"{test.get('output', '')}\n\nStudent {index}: got {index * 0.001:.4f}."
        person = Submitter(f"Étudiant {index} Núñez", f"s{index}@uni.edu", str(1_000_000 + index))
        students.append(GradedSubmission(f"submission_{index:06d}", (person,), chosen))
    return students


def chromium_figures(page: Path, scratch: Path) -> tuple[int, int, int]:
    """(table drawn ms, whole file read ms, sort ms) of the report in headless Chromium, by the page's own clock."""
    probe = page.with_name("probe.html")
    probe.write_text(
        page.read_text(encoding="utf-8").replace("</body>", f"<script>{SORT_PROBE}</script></body>"), encoding="utf-8"
    )
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-sync",
        "--disable-background-networking",
        "--disable-component-update",
        f"--user-data-dir={scratch / 'chromium-profile'}",
        "--dump-dom",
        probe.as_uri(),
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True).stdout
    figures = []
    for name in ("ready", "parsed", "sort"):
        found = re.search(rf'data-{name}-ms="(\d+)"', dom)
        if found is None:
            raise RuntimeError(f"the page did not record data-{name}-ms")
        figures.append(int(unescape(found.group(1))))
    return figures[0], figures[1], figures[2]


def measure(count: int, runs: int, scratch: Path) -> list[dict[str, Any]]:
    """Each class's figures: seconds to build the gradebook and the report, bytes, Chromium's load and sort ms."""
    config = load_config()
    mistakes = load_mistakes()
    results = class_results(scratch)
    figures = []
    for kind in ("shared", "unique"):
        students = make_class(results, count, unique=kind == "unique")
        gradebook_seconds, report_seconds, html = [], [], ""
        for _ in range(runs):
            started = time.perf_counter()
            to_csv(gradebook_rows(students))
            gradebook_seconds.append(time.perf_counter() - started)
            started = time.perf_counter()
            html = render_report(students, tests=config.tests, title="Class report", mistakes=mistakes, config=config)
            report_seconds.append(time.perf_counter() - started)
        page = scratch / f"report-{kind}.html"
        page.write_text(html, encoding="utf-8")
        loads, parses, sorts = [], [], []
        for _ in range(runs if CHROMIUM else 0):
            load, parsed, sort = chromium_figures(page, scratch)
            loads.append(load)
            parses.append(parsed)
            sorts.append(sort)
        figures.append(
            {
                "class": kind,
                "students": count,
                "gradebook_s": statistics.median(gradebook_seconds),
                "report_s": statistics.median(report_seconds),
                "bytes": page.stat().st_size,
                "load_ms": statistics.median(loads) if loads else None,
                "parsed_ms": statistics.median(parses) if parses else None,
                "sort_ms": statistics.median(sorts) if sorts else None,
                "runs": runs,
            }
        )
    return figures


def figure_class_report(rows: list, notes: list[str], quick: bool, scratch: Path, row_type: Any) -> None:
    """run.py's figure 6: one row per class (shared and unique feedback) in its table."""
    runs = 1 if quick else 3
    for figure in measure(STUDENTS, runs, scratch):
        load = (
            "no chromium"
            if figure["load_ms"] is None
            else (f"table {figure['load_ms']} ms, file read {figure['parsed_ms']} ms, sort {figure['sort_ms']} ms")
        )
        rows.append(
            row_type(
                f"6. class report {STUDENTS:,} students ({figure['class']} feedback)",
                str(runs),
                f"{figure['report_s']:.1f} s report, {figure['gradebook_s']:.2f} s gradebook",
                load,
                "-",
                f"{figure['bytes'] / 2**20:.1f} MB file",
                f"load < {LOAD_TARGET_MS} ms",
                "-" if figure["load_ms"] is None else ("yes" if figure["load_ms"] < LOAD_TARGET_MS else "NO"),
            )
        )
    notes.append(f"6. {__doc__.split(chr(10), 4)[-1].strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one run instead of three")
    parser.add_argument("--students", type=int, default=STUDENTS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="autograder-report-bench-") as scratch:
        for figure in measure(args.students, 1 if args.quick else 3, Path(scratch)):
            print(json.dumps(figure))
    if not CHROMIUM:
        print("chromium is not installed: no load or sort figures (apt-get install -y chromium)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
