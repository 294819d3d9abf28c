"""The speed and memory benchmarks of the autograder, each against a naive baseline measured in the same run.

    .venv/bin/python benchmarks/run.py [--quick]

Prints one table (figure | runs | measured | baseline | ratio | peak memory | target | met?) and
notes on how each figure was measured; benchmarks/README.md says what each figure means. Every
figure is the median of the stated number of runs. `--quick` runs fewer repetitions (a smoke run).
Standard library and numpy only. Exits 0 whatever the figures are (targets are reported, not asserted),
1 if a measurement could not be made or a result was wrong.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402

import baselines  # noqa: E402
from autograder.judge import adder, lstm_model  # noqa: E402

PYTHON = sys.executable  # run this script with the project's venv python: the grader runs with the same
BATCH_SIZE = 200
ADDER_NAMES = ("U", "W", "V", "b_h", "b_y")


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    figure: str
    runs: str
    measured: str
    baseline: str
    ratio: str
    memory: str
    target: str
    met: str


ROWS: list[Row] = []
NOTES: list[str] = []
PROBLEMS: list[str] = []


# ---------------------------------------------------------------- measuring

def timings(function: Callable[[], Any], runs: int) -> list[float]:
    """Wall-clock seconds of `runs` calls (after one untimed warm-up call)."""
    function()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def traced_peak(function: Callable[[], Any]) -> int:
    """Peak bytes allocated during one call (tracemalloc, which numpy reports its arrays to)."""
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@dataclass(frozen=True)
class Finished:
    """A finished subprocess: wall seconds, exit code, and the max RSS (bytes) of it and its waited-for children."""

    seconds: float
    code: int
    max_rss: int
    tree_peak: int | None = None  # the largest sum of RSS over its process tree, sampled (None: not sampled)


# A small launcher runs each command: a child's ru_maxrss counts its parent's memory at the fork
# (the kernel keeps the high-water mark of the address space it left at exec), so commands must not
# be started from this process, which holds the big arrays of figure 1. The launcher's own few MB
# are the floor of every ru_maxrss measured.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "code": os.waitstatus_to_exitcode(status), "max_rss": usage.ru_maxrss * 1024}))
"""


def run_process(command: Sequence[str], *, sample_tree: bool = False) -> Finished:
    """Run a command from the launcher, output discarded: its wall time from start to exit, and (wait4) the
    largest RSS of it and every descendant it waited for; with `sample_tree`, also its tree's summed RSS."""
    launcher = subprocess.Popen([PYTHON, "-I", "-S", "-c", LAUNCHER, *command], cwd=ROOT, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sampler = TreeSampler(launcher.pid) if sample_tree else None
    out, errors = launcher.communicate()
    if sampler is not None:
        sampler.stop()
    try:
        report = json.loads(out)
    except ValueError:
        report = {"seconds": float("nan"), "code": launcher.returncode, "max_rss": 0}
    if report["code"] != 0:
        PROBLEMS.append(f"`{' '.join(command)}` exited with {report['code']}: "
                        f"{errors.decode(errors='replace')[-500:]}")
    return Finished(report["seconds"], report["code"], report["max_rss"],
                    sampler.peak if sampler is not None else None)


class TreeSampler:
    """Samples, every few milliseconds, the summed RSS of the descendants of a process (Linux /proc)."""

    def __init__(self, root: int, interval: float = 0.002):
        self.root, self.interval, self.peak = root, interval, 0
        self.page = os.sysconf("SC_PAGE_SIZE")
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._done.is_set():
            self.peak = max(self.peak, self._tree_rss())
            self._done.wait(self.interval)

    def _tree_rss(self) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            pid = int(entry.name)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * self.page
        total, stack = 0, list(children.get(self.root, ()))
        while stack:
            pid = stack.pop()
            total += rss.get(pid, 0)
            stack.extend(children.get(pid, ()))
        return total

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


# ---------------------------------------------------------------- formatting

def fmt_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_bytes(count: int | None) -> str:
    if count is None:
        return "-"
    return f"{count / 1e6:.1f} MB"  # decimal megabytes, as the targets are stated


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_table(rows: Sequence[Row]) -> None:
    header = Row("figure", "runs", "measured (median)", "baseline", "ratio", "peak memory", "target", "met?")
    cells = [[getattr(row, name) for name in Row.__dataclass_fields__] for row in (header, *rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    for index, line in enumerate(cells):
        print(" | ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
        if index == 0:
            print("-+-".join("-" * width for width in widths))


# ---------------------------------------------------------------- the figures

def reference_weights() -> tuple[dict[str, Any], adder.AdderWeights]:
    """The reference adder's names (read as data: the trusted reference file, run here) and the judge's weights."""
    namespace: dict[str, Any] = {}
    exec(compile((ROOT / "reference" / "adder.py").read_text(), "reference/adder.py", "exec"), namespace)
    raw = {name: namespace[name] for name in ADDER_NAMES}
    weights = adder.read_adder_weights(raw)
    if isinstance(weights, str):
        raise RuntimeError(f"the reference adder cannot be read: {weights}")
    return raw, weights


def figure_exhaustive(quick: bool) -> None:
    """1. The judge's exhaustive check at N = 8, 10, 12 against a per-pair Python loop (measured at N = 8)."""
    raw, weights = reference_weights()
    loop_bits, loop_runs = 8, 1 if quick else 3
    V = np.ravel(raw["V"]).tolist()
    loop_result: list[tuple[int, int]] = []
    loop_times = [0.0] * loop_runs
    for index in range(loop_runs):
        started = time.perf_counter()
        loop_result.append(baselines.adder_loop(raw["U"], raw["W"], V, raw["b_h"], raw["b_y"], loop_bits))
        loop_times[index] = time.perf_counter() - started
    if any(wrong for _, wrong in loop_result):
        PROBLEMS.append("the adder loop baseline finds the reference adder wrong")
    loop_per_pair = statistics.median(loop_times) / baselines.adder_pairs(loop_bits)
    NOTES.append(f"1. Loop baseline: plain-Python network equations, one pair at a time, measured at N = {loop_bits} "
                 f"({baselines.adder_pairs(loop_bits):,} pairs, median of {loop_runs}): "
                 f"{loop_per_pair * 1e6:.2f} us per pair. At N = 10 and 12 its time is extrapolated per pair "
                 "(pairs x that time), which understates it: longer pairs take more steps.")
    for bits, runs in ((8, 5 if quick else 51), (10, 5 if quick else 21), (12, 3 if quick else 11)):
        params = adder.ExhaustiveParams(max_bits=bits, convention="either")
        result = adder.check_exhaustive(weights, params)
        if result.fraction != 1.0:
            PROBLEMS.append(f"check_exhaustive(max_bits={bits}) does not pass the reference adder")
        seconds = statistics.median(timings(lambda: adder.check_exhaustive(weights, params), runs))
        pairs = baselines.adder_pairs(bits)
        loop_seconds = loop_per_pair * pairs
        ratio = loop_seconds / seconds
        baseline = f"{fmt_seconds(loop_seconds)} loop" + ("" if bits == loop_bits else " (extrapolated)")
        target, met = "-", "-"
        if bits == 12:
            target, met = "<= 1 s, >= 1000x", verdict(seconds <= 1.0 and ratio >= 1000)
        ROWS.append(Row(f"1. adder exhaustive N={bits} ({pairs:,} pairs)", str(runs), fmt_seconds(seconds), baseline,
                        f"{ratio:,.0f}x faster", fmt_bytes(traced_peak(lambda: adder.check_exhaustive(weights, params))),
                        target, met))


def figure_proof(quick: bool) -> None:
    """2. The judge's all-length proof."""
    _, weights = reference_weights()
    params = adder.ProofParams(convention="either")
    if adder.check_proof(weights, params).fraction != 1.0:
        PROBLEMS.append("check_proof does not pass the reference adder")
    runs = 21 if quick else 201
    seconds = statistics.median(timings(lambda: adder.check_proof(weights, params), runs))
    ROWS.append(Row("2. adder proof (every length)", str(runs), fmt_seconds(seconds), "-", "-",
                    fmt_bytes(traced_peak(lambda: adder.check_proof(weights, params))), "<= 10 ms",
                    verdict(seconds <= 0.010)))


def figure_truth(quick: bool) -> None:
    """3. The finite-difference truth of the judge's default problems, against one perturbation per forward pass."""
    params = lstm_model.LstmParams()
    problems = lstm_model.make_problems(params)
    step = params.fd_step

    def judge() -> None:
        for problem in problems:
            lstm_model.finite_difference_bars(problem, step)

    def loop() -> list[tuple[dict[str, list[float]], float]]:
        return [baselines.lstm_fd_loop(problem.x.tolist(), problem.weights, float(problem.values["h"][0]),
                                       float(problem.values["c"][0]), problem.loss_a.tolist(),
                                       problem.loss_b.tolist(), step) for problem in problems]

    runs, loop_runs = (5, 1) if quick else (51, 5)
    seconds = statistics.median(timings(judge, runs))
    loop_seconds = statistics.median(timings(loop, loop_runs))
    worst = 0.0
    for problem, (bars, w_ix) in zip(problems, loop()):
        for name, values in bars.items():
            truth = problem.truth[name][1:]
            worst = max(worst, float(np.max(np.abs(np.array(values[1:]) - truth)) / np.max(np.abs(truth))))
        worst = max(worst, abs(w_ix - problem.truth_w_ix) / abs(problem.truth_w_ix))
    if worst > 1e-6:
        PROBLEMS.append(f"the finite-difference loop disagrees with the judge's truth (relative {worst:.2g})")
    lengths = ", ".join(str(problem.length) for problem in problems)
    NOTES.append(f"3. The judge's truth: lstm_model.finite_difference_bars on the {len(problems)} default problems "
                 f"(T = {lengths}), one batched forward pass each. Loop baseline: plain-Python scalar forward pass "
                 f"rerun twice (+/- step) per node per step and once each way for w_ix ({plural(loop_runs, 'run')}); "
                 f"it agrees with the judge's truth to {worst:.1g} (relative to each bar's largest value).")
    ROWS.append(Row(f"3. LSTM FD truth, {len(problems)} problems, T <= {max(p.length for p in problems)}", str(runs),
                    fmt_seconds(seconds), f"{fmt_seconds(loop_seconds)} loop", f"{loop_seconds / seconds:,.1f}x faster",
                    fmt_bytes(traced_peak(judge)), "<= 0.2 s", verdict(seconds <= 0.2)))


def grade_command(submission: Path, results: Path) -> list[str]:
    return [PYTHON, "-m", "autograder", "grade", str(submission), "--results", str(results)]


def read_score(results: Path) -> float | None:
    try:
        return json.loads(results.read_text(encoding="utf-8")).get("score")
    except (OSError, ValueError):
        return None


def figure_grade(quick: bool, scratch: Path) -> list[Finished]:
    """4. One submission end to end as a subprocess, against the floor of two Python + numpy starts."""
    runs = 3 if quick else 11
    results = scratch / "results.json"
    command = grade_command(ROOT / "reference", results)
    numpy_start = [PYTHON, "-I", "-c", "import numpy"]
    run_process(command)  # warm-up: the page cache, __pycache__
    run_process(numpy_start)
    grades, floors = [], []
    for _ in range(runs):  # interleaved, so that a slow spell of the machine hits both alike
        floors.append(run_process(numpy_start).seconds + run_process(numpy_start).seconds)
        grades.append(run_process(command))
    if read_score(results) != 10:
        PROBLEMS.append(f"grading reference/ did not score 10 (score {read_score(results)})")
    seconds = statistics.median(finished.seconds for finished in grades)
    floor = statistics.median(floors)
    ratio = seconds / floor
    NOTES.append(f"4. `python -m autograder grade reference --results FILE` (default configuration, worker included), "
                 f"a subprocess timed from start to exit; the floor is `python -I -c \"import numpy\"` run twice "
                 f"in a row, interleaved with the grade runs. Peak memory: ru_maxrss from wait4, the largest "
                 f"single process among the grade process and its waited-for children, max over the runs.")
    ROWS.append(Row("4. grade reference/ end to end", str(runs), fmt_seconds(seconds),
                    f"{fmt_seconds(floor)} = 2 numpy starts", f"{ratio:.2f}x the floor",
                    fmt_bytes(max(finished.max_rss for finished in grades)), "<= 0.6 s, <= 2.5x floor",
                    verdict(seconds <= 0.6 and ratio <= 2.5)))
    return grades


def class_samples() -> list[Path]:
    """The samples a class really sends: all but the hostile ones, whose time is the configured timeouts by design
    (an endless loop costs call_seconds, 5 s); the tests grade those, the benchmark does not time them."""
    return [ROOT / "reference"] + sorted(path for path in (ROOT / "submissions_sample").iterdir()
                                         if path.is_dir() and not path.name.startswith("hostile_"))


def make_batch(folder: Path, count: int) -> list[Path]:
    """`count` submission folders, cycling through reference/ and the class's samples (their student files only)."""
    sources = class_samples()
    made = []
    for index in range(count):
        source = sources[index % len(sources)]
        target = folder / f"s{index:03d}_{source.name}"
        target.mkdir(parents=True)
        for file in source.iterdir():
            if file.is_file() and file.name != "expected.yaml":
                shutil.copyfile(file, target / file.name)
        made.append(target)
    return made


def batch_available() -> bool:
    if not (ROOT / "autograder" / "batch.py").is_file():
        return False
    probe = subprocess.run([PYTHON, "-m", "autograder", "batch", "--help"], cwd=ROOT, capture_output=True)
    return probe.returncode == 0


def figure_batch(quick: bool, scratch: Path, grades: list[Finished]) -> None:
    """5. Batch throughput on generated submissions, against one `grade` process per submission in turn."""
    if not batch_available():
        print("batch: not available yet")
        ROWS.append(Row(f"5. batch {BATCH_SIZE} submissions, --jobs 2", "-", "batch: not available yet", "-", "-", "-",
                        ">= 15 /s", "-"))
    else:
        submissions = make_batch(scratch / "export", BATCH_SIZE)
        runs = 1 if quick else 3
        rates, finished_runs = [], []
        for index in range(runs):
            out = scratch / f"batch-out-{index}"
            finished = run_process([PYTHON, "-m", "autograder", "batch", str(scratch / "export"), "--out", str(out),
                                    "--jobs", "2"])
            finished_runs.append(finished)
            rates.append(BATCH_SIZE / finished.seconds)
            failed = [path.name for path in submissions if not _graded(out / "submissions" / path.name / "results.json")]
            if failed:
                PROBLEMS.append(f"batch run {index + 1}: {len(failed)} submissions not graded (first: {failed[0]})")
        sequential = submissions[::10 if not quick else 40]
        started = time.perf_counter()
        for path in sequential:
            grades.append(run_process(grade_command(path, scratch / "sequential.json")))
        sequential_rate = len(sequential) / (time.perf_counter() - started)
        rate = statistics.median(rates)
        NOTES.append(f"5. `python -m autograder batch EXPORT --out DIR --jobs 2` on {BATCH_SIZE} submission folders "
                     f"cycling through reference/ and the {len(class_samples()) - 1} non-hostile samples (hostile ones cost their "
                     f"configured timeouts by design); "
                     f"submissions per second = {BATCH_SIZE} / wall time of the whole command ({plural(runs, 'run')}, fresh --out "
                     f"each). Baseline: one `grade` process per submission, in turn, on every "
                     f"{10 if not quick else 40}th of them ({len(sequential)}). Batch peak memory: ru_maxrss, the largest "
                     f"single process of the batch run ({os.cpu_count()} CPUs on this machine).")
        ROWS.append(Row(f"5. batch {BATCH_SIZE} submissions, --jobs 2", str(runs), f"{rate:.1f} /s",
                        f"{sequential_rate:.1f} /s sequential grade", f"{rate / sequential_rate:.1f}x faster",
                        fmt_bytes(max(finished.max_rss for finished in finished_runs)), ">= 15 /s", verdict(rate >= 15)))
    sampled = run_process(grade_command(ROOT / "reference", scratch / "sampled.json"), sample_tree=True)
    largest = max(finished.max_rss for finished in grades + [sampled])
    NOTES.append(f"5. Memory of one grading: ru_maxrss (wait4) of {len(grades) + 1} `grade` subprocesses, the largest single "
                 f"process among each grade process and its waited-for worker children: {fmt_bytes(largest)}. Summed "
                 f"RSS of the whole process tree of one grading of reference/ (grader, zygote, supervisors, "
                 f"children; /proc sampled every 2 ms; a page shared by several processes is counted in each, so this is an "
                 f"upper bound): "
                 f"{fmt_bytes(sampled.tree_peak)}. The target is checked against the larger of the two.")
    worst = max(largest, sampled.tree_peak or 0)
    ROWS.append(Row("5. memory of one grading", str(len(grades) + 1), fmt_bytes(worst), "-", "-", "-",
                    "<= 300 MB", verdict(worst <= 300e6)))


def _graded(results: Path) -> bool:
    try:
        extra = json.loads(results.read_text(encoding="utf-8")).get("extra_data") or {}
    except (OSError, ValueError):
        return False
    return "grading_failed" not in extra


# ---------------------------------------------------------------- main

def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({model}), Python "
            f"{platform.python_version()}, numpy {np.__version__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions: a fast smoke run")
    args = parser.parse_args(argv)
    for collected in (ROWS, NOTES, PROBLEMS):
        collected.clear()
    print(f"Benchmarks ({'quick' if args.quick else 'full'} run) on {machine()}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="autograder-bench-") as scratch:
        figure_exhaustive(args.quick)
        figure_proof(args.quick)
        figure_truth(args.quick)
        grades = figure_grade(args.quick, Path(scratch))
        figure_batch(args.quick, Path(scratch), grades)
    print()
    print_table(ROWS)
    print()
    print("In-process figures (1-3): peak memory is tracemalloc's peak over one call. Ratios: baseline time /"
          " measured time, except 4 (measured / floor).")
    for note in NOTES:
        print(note)
    missed = [row.figure for row in ROWS if row.met == "NO"]
    print(f"\nTargets missed: {', '.join(missed) if missed else 'none'}. Total time {time.perf_counter() - started:.0f} s.")
    for problem in PROBLEMS:
        print(f"PROBLEM: {problem}")
    return 1 if PROBLEMS else 0


if __name__ == "__main__":
    sys.exit(main())
