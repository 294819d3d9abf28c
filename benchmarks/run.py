"""The speed and memory benchmarks of the autograder, each against a baseline measured in the same run.

    .venv/bin/python benchmarks/run.py [--quick] [--only 4] [--background N]

Prints one table (figure | runs | median (min-max) | baseline | ratio | peak memory | target | met? |
load) and notes on how each figure was measured; benchmarks/README.md says what each figure means.
Times are medians with their range over the stated runs; configurations compared are alternated in
one loop, so a slow spell of the machine hits both alike; the load average (1 minute) is printed
when each figure starts and at the end. `--quick` runs fewer repetitions on smaller inputs (a smoke
run); `--only 4` runs figures 4-5 alone; `--background N` keeps N busy processes running throughout (a
machine at load N). Standard library and numpy only. Exits 0 whatever the figures are (targets are reported, not
asserted), 1 if a measurement could not be made or a result was wrong.
"""

from __future__ import annotations

import os

# Before numpy is imported, as in the worker: on a loaded machine, threads only fight.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import inspect
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import typing
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import yaml  # noqa: E402

import baselines  # noqa: E402
from autograder import batch  # noqa: E402
from autograder.export import find_submissions  # noqa: E402
from autograder.judge import adder, lstm_model  # noqa: E402
from autograder.kinds import load_config  # noqa: E402
from autograder.report.results import write_results  # noqa: E402
from autograder.worker.forked import run_autograder_environment  # noqa: E402
from autograder.worker.host import resolve_python  # noqa: E402

PYTHON = sys.executable  # run this script with the project's venv python: the grader runs with the same
# That Python by its real path, as run_autograder starts the grader and a student starts their check: ./.venv is a
# link, and a grader started through it keeps the worker a fresh interpreter (autograder/worker/forked.py).
REAL_PYTHON = resolve_python(None)
ADDER_NAMES = ("U", "W", "V", "b_h", "b_y")
CANNED = "AUTOGRADER_BENCH_CANNED"  # the results.json the canned grader of figure 7 writes for every submission
LOOP_TASKS = 2  # hostile_infinite_loop's timed-out tasks per grading: question 1's and question 2's, side by side


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
    load: str


ROWS: list[Row] = []
NOTES: list[str] = []


class BenchmarkFailed(Exception):
    """A measurement could not be made or a result was wrong: the run stops, no figure is printed."""


def fail(problem: str) -> typing.NoReturn:
    raise BenchmarkFailed(problem)


# ---------------------------------------------------------------- measuring


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


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
    """A finished subprocess: wall seconds, exit code, and from wait4 the CPU seconds and largest single RSS of
    it and every process below it that was waited for (the worker's zygote waits for its supervisors, so
    the students' processes are included)."""

    seconds: float
    code: int
    cpu: float
    max_rss: int
    report: dict  # what a driver wrote about itself (empty for plain commands)


# A small launcher runs each command: a child's ru_maxrss counts its parent's memory at the fork
# (the kernel keeps the high-water mark of the address space it left at exec), so commands must not
# be started from this process, which holds big arrays. The launcher's few MB are the floor of every ru_maxrss.
LAUNCHER = """
import json, os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
print(json.dumps({"seconds": time.perf_counter() - started, "code": os.waitstatus_to_exitcode(status),
                  "cpu": usage.ru_utime + usage.ru_stime, "max_rss": usage.ru_maxrss * 1024}))
"""

# Runs the real command line (autograder.cli.main, as `python -m autograder` does), then writes what the
# grading process used itself and what its waited-for children used (the worker: zygote, supervisors,
# the students' processes) to the file named by its first argument.
DRIVER = """
import json, resource, sys
if sys.argv[2] != "-":  # a lease folder of its own, empty, as in a fresh container (Gradescope's)
    import autograder.worker.host
    autograder.worker.host.LEASES = sys.argv[2]
from autograder.cli import main
code = main(sys.argv[3:], whole_process=True)  # as `python -m autograder` calls it
me, below = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as report:
    json.dump({"grader_rss": me.ru_maxrss * 1024, "grader_cpu": me.ru_utime + me.ru_stime,
               "tree_rss": below.ru_maxrss * 1024, "tree_cpu": below.ru_utime + below.ru_stime}, report)
sys.exit(code)
"""


def run_process(command: Sequence[str], *, report: Path | None = None, cwd: Path = ROOT) -> Finished:
    """Run a command from the launcher, output discarded; `report`: the file a DRIVER command writes."""
    launcher = subprocess.run(
        [PYTHON, "-I", "-S", "-c", LAUNCHER, *command], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True
    )
    try:
        outcome = json.loads(launcher.stdout)
    except ValueError:
        outcome = {"seconds": float("nan"), "code": launcher.returncode, "cpu": float("nan"), "max_rss": 0}
    if outcome["code"] != 0:
        fail(f"`{' '.join(command)}` exited with {outcome['code']}: {launcher.stderr.decode(errors='replace')[-500:]}")
    written = json.loads(report.read_text()) if report is not None and report.exists() else {}
    return Finished(outcome["seconds"], outcome["code"], outcome["cpu"], outcome["max_rss"], written)


def graded(
    submission: Path, results: Path, config: Path | None, scratch: Path, tree: Path = ROOT, gradescope: bool = False
) -> Finished:
    """One `grade` through the real command line of the grader in `tree`, with what the grader and its worker used;
    `gradescope`: started as run_autograder starts it (its environment, the venv's real path)."""
    report = scratch / "driver.json"
    report.unlink(missing_ok=True)
    start, leases = [PYTHON], "-"
    if gradescope:
        given = run_autograder_environment(os.environ)
        start = ["env", "-i", *(f"{name}={value}" for name, value in given.items()), REAL_PYTHON]
        leases = tempfile.mkdtemp(prefix="leases-", dir=scratch)  # 0700: a fresh container's empty lease folder
    command = [*start, "-c", DRIVER, str(report), leases, "grade", str(submission), "--results", str(results)]
    command.append("--quiet")
    return run_process(command + (["--config", str(config)] if config else []), report=report, cwd=tree)


def unpacked(scratch: Path, target: str) -> Path:
    """`build TARGET` (gradescope, kit) unzipped into `scratch`, closed to other users as setup.sh leaves a clone,
    its bytecode compiled (as setup.sh does on Gradescope; Python writes it on a student's first check): the
    tree that Gradescope or a student runs, with the question-2 problems built into it."""
    archive = scratch / f"{target}.zip"
    done = subprocess.run(
        [PYTHON, "-m", "autograder", "build", target, "--out", str(archive)], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        fail(f"`build {target}` failed: {done.stderr[-500:]}")
    folder = scratch / target
    with zipfile.ZipFile(archive) as built:
        built.extractall(folder)
    folder.chmod(0o700)
    tree = folder / "kit" if (folder / "kit").is_dir() else folder
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(tree)], check=True, capture_output=True)
    if not (tree / "autograder" / "problems.json").is_file():
        fail(f"the {target} build holds no autograder/problems.json")
    return tree


def read_score(results: Path) -> float | None:
    try:
        return json.loads(results.read_text(encoding="utf-8")).get("score")
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- formatting


def fmt_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def fmt_spread(values: Sequence[float], fmt: Callable[[float], str] = fmt_seconds) -> str:
    """The median and the range: `0.41 s (0.38-0.52)`."""
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} ({fmt(min(values)).split()[0]}-{fmt(max(values))})"


def fmt_bytes(count: float | None) -> str:
    if count is None:
        return "-"
    return f"{count / 1e6:.{1 if count < 10e6 else 0}f} MB"  # decimal megabytes, as the targets are stated


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def print_table(rows: Sequence[Row]) -> None:
    header = Row("figure", "runs", "median (min-max)", "baseline", "ratio", "peak memory", "target", "met?", "load")
    cells = [[getattr(row, name) for name in Row.__dataclass_fields__] for row in (header, *rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    for index, line in enumerate(cells):
        print(" | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            print("-+-".join("-" * width for width in widths))


# ---------------------------------------------------------------- 1-3: the judges, in process


def reference_weights() -> tuple[dict[str, Any], adder.AdderWeights]:
    """The reference adder's names (the trusted reference file, run here) and the judge's weights."""
    namespace: dict[str, Any] = {}
    exec(compile((ROOT / "reference" / "adder.py").read_text(), "reference/adder.py", "exec"), namespace)
    raw = {name: namespace[name] for name in ADDER_NAMES}
    weights = adder.read_adder_weights(raw)
    if isinstance(weights, str):
        raise RuntimeError(f"the reference adder cannot be read: {weights}")
    return raw, weights


def figure_exhaustive(quick: bool) -> None:
    """1. The judge's exhaustive check at N = 8, 10, 12, against a per-pair Python loop and a vectorised numpy check."""
    started_load = load()
    raw, weights = reference_weights()
    arguments = (raw["U"], raw["W"], np.ravel(raw["V"]).tolist(), raw["b_h"], raw["b_y"])
    loop_bits, numpy_bits = 8, 8 if quick else 10
    loop_times = timings(lambda: baselines.adder_loop(*arguments, loop_bits), 1 if quick else 3)
    numpy_times = timings(lambda: baselines.adder_numpy(*arguments, numpy_bits), 1 if quick else 3)
    if baselines.adder_loop(*arguments, 4)[1] or baselines.adder_numpy(*arguments, numpy_bits)[1]:
        fail("a baseline adder check finds the reference adder wrong")
    loop_per_pair = statistics.median(loop_times) / baselines.adder_pairs(loop_bits)
    numpy_per_pair = statistics.median(numpy_times) / baselines.adder_pairs(numpy_bits)
    NOTES.append(
        f"1. Baselines, measured per pair and extrapolated to larger N (pairs x time per pair, which "
        f"understates them: longer pairs take more steps). Python loop at N = {loop_bits}: "
        f"{loop_per_pair * 1e6:.2f} us per pair. numpy, all pairs of a length at once, at N = {numpy_bits}: "
        f"{numpy_per_pair * 1e9:.0f} ns per pair (at N = 12 it would hold 16.8 million pairs x 3 units in "
        f"each of several float arrays, over 1 GB, so it is not run there)."
    )
    for bits, runs in ((8, 3 if quick else 21), (10, 3 if quick else 11), (12, 1 if quick else 5)):
        params = adder.ExhaustiveParams(max_bits=bits, convention="either")
        if adder.check_exhaustive(weights, params).fraction != 1.0:
            fail(f"check_exhaustive(max_bits={bits}) does not pass the reference adder")
        check = partial(adder.check_exhaustive, weights, params)
        times = timings(check, runs)
        seconds, pairs = statistics.median(times), baselines.adder_pairs(bits)
        target, met = "-", "-"
        if bits == 12:
            target = "<= 1 s, >= 10x numpy"
            met = verdict(seconds <= 1.0 and numpy_per_pair * pairs / seconds >= 10)
        ROWS.append(
            Row(
                f"1. adder exhaustive N={bits} ({pairs:,} pairs)",
                str(runs),
                fmt_spread(times),
                f"{fmt_seconds(numpy_per_pair * pairs)} numpy, {fmt_seconds(loop_per_pair * pairs)} loop",
                f"{numpy_per_pair * pairs / seconds:,.1f}x numpy, {loop_per_pair * pairs / seconds:,.0f}x loop",
                fmt_bytes(traced_peak(check)),
                target,
                met,
                started_load,
            )
        )


def figure_proof(quick: bool) -> None:
    """2. The judge's all-length proof."""
    started_load = load()
    _, weights = reference_weights()
    params = adder.ProofParams(convention="either")
    if adder.check_proof(weights, params).fraction != 1.0:
        fail("check_proof does not pass the reference adder")
    runs = 21 if quick else 201
    times = timings(lambda: adder.check_proof(weights, params), runs)
    ROWS.append(
        Row(
            "2. adder proof (every length)",
            str(runs),
            fmt_spread(times),
            "-",
            "-",
            fmt_bytes(traced_peak(lambda: adder.check_proof(weights, params))),
            "<= 10 ms",
            verdict(statistics.median(times) <= 0.010),
            started_load,
        )
    )


def figure_truth(quick: bool) -> None:
    """3. The finite-difference truth: the default problems against one perturbation per forward pass; one T = 1000."""
    started_load = load()
    params = lstm_model.LstmParams()
    problems = lstm_model.make_problems(params)
    step = params.fd_step

    def judge() -> None:
        for problem in problems:
            lstm_model.finite_difference_bars(problem, step)

    def loop() -> list[tuple[dict[str, list[float]], float]]:
        return [
            baselines.lstm_fd_loop(
                problem.x.tolist(),
                problem.weights,
                float(problem.values["h"][0]),
                float(problem.values["c"][0]),
                problem.loss_a.tolist(),
                problem.loss_b.tolist(),
                step,
            )
            for problem in problems
        ]

    runs, loop_runs = (5, 1) if quick else (51, 5)
    times = timings(judge, runs)
    loop_times = timings(loop, loop_runs)
    worst = 0.0
    for problem, (bars, _) in zip(problems, loop(), strict=True):
        truth, _ = lstm_model.finite_difference_bars(problem, step)
        for name, values in bars.items():
            scale = np.max(np.abs(truth[name][1:]))
            worst = max(worst, float(np.max(np.abs(np.array(values[1:]) - truth[name][1:])) / scale))
    if worst > 1e-6:
        fail(f"the finite-difference loop disagrees with the judge's truth (relative {worst:.2g})")
    seconds = statistics.median(times)
    loop_seconds = statistics.median(loop_times)
    lengths = ", ".join(str(problem.length) for problem in problems)
    NOTES.append(
        f"3. lstm_model.finite_difference_bars on the {len(problems)} default problems (T = {lengths}); loop "
        f"baseline: a scalar Python forward pass rerun twice (+/- step) per node per step, and for w_ix "
        f"({plural(loop_runs, 'run')}); it agrees with the judge to {worst:.1g} of each bar's largest value."
    )
    ROWS.append(
        Row(
            f"3. LSTM FD truth, {len(problems)} default problems",
            str(runs),
            fmt_spread(times),
            f"{fmt_seconds(loop_seconds)} loop",
            f"{loop_seconds / seconds:,.1f}x loop",
            fmt_bytes(traced_peak(judge)),
            "<= 0.2 s",
            verdict(seconds <= 0.2),
            started_load,
        )
    )
    long_problem = lstm_model.make_problems(lstm_model.LstmParams(seeds=(2024,), lengths=(1000,)))[0]
    long_times = timings(lambda: lstm_model.finite_difference_bars(long_problem, step), 1 if quick else 3)
    peak = traced_peak(lambda: lstm_model.finite_difference_bars(long_problem, step))
    ROWS.append(
        Row(
            "3. LSTM FD truth, one problem T=1000",
            str(len(long_times)),
            fmt_spread(long_times),
            "-",
            "-",
            fmt_bytes(peak),
            "memory linear in T",
            verdict(peak <= 20e6),
            started_load,
        )
    )


# ---------------------------------------------------------------- 4-5: gradings end to end


def config_with(scratch: Path, name: str, change: Callable[[dict], None]) -> Path:
    """The default configuration with one change, written to `scratch`."""
    config = yaml.safe_load((ROOT / "autograder" / "default.yaml").read_text(encoding="utf-8"))
    for test in config["tests"]:
        change(test)
    path = scratch / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def add_long_problem(test: dict) -> None:
    if test["check"] in ("lstm_bar", "lstm_weight"):
        test.setdefault("params", {}).update(
            seeds=[1007, 1014, 1016, 1003, 1618, 2024], lengths=[1, 3, 6, 15, 50, 1000]
        )


def exhaustive_13_bits(test: dict) -> None:
    if test["check"] == "adder_exhaustive" and test["params"]["max_bits"] == 10:
        test["params"]["max_bits"] = 13


def figure_grade(quick: bool, scratch: Path) -> dict[str, list[Finished]]:
    """4-5. `grade reference` as Gradescope runs it (the built zip's tree), from the repository (the default
    configuration, with an added T = 1000 problem, with the exhaustive check at 13 bits) and the student's check
    from the unzipped kit, alternated in one loop with the floor: two numpy starts."""
    started_load = load()
    runs = 3 if quick else 15
    gradescope, kit = unpacked(scratch, "gradescope"), unpacked(scratch, "kit")
    configs = {
        "default": None,
        "T=1000": config_with(scratch, "long", add_long_problem),
        "N=13": config_with(scratch, "n13", exhaustive_13_bits),
    }
    results = scratch / "results.json"
    numpy_start = [PYTHON, "-I", "-c", "import numpy"]
    check = [REAL_PYTHON, str(kit / "check.py"), str(ROOT / "reference"), "--json", str(results)]

    def floor() -> Finished:
        one, two = run_process(numpy_start), run_process(numpy_start)
        return Finished(one.seconds + two.seconds, 0, one.cpu + two.cpu, max(one.max_rss, two.max_rss), {})

    def scored(finished: Finished, what: str) -> Finished:
        if read_score(results) != 10:
            fail(f"{what} did not score 10 (score {read_score(results)})")
        results.unlink()
        return finished

    def shipped() -> Finished:
        return scored(
            graded(ROOT / "reference", results, None, scratch, gradescope, gradescope=True),
            "grading reference/ (Gradescope)",
        )

    def checked() -> Finished:
        return scored(run_process(check), "the kit's check of reference/")

    for warm_up in (floor, shipped, checked):  # the page cache; the kit's bytecode
        warm_up()
    measured: dict[str, list[Finished]] = {"floor": [], "gradescope": [], "check": [], **{name: [] for name in configs}}
    for _ in range(runs):
        measured["floor"].append(floor())
        measured["gradescope"].append(shipped())
        measured["check"].append(checked())
        for name, config in configs.items():
            measured[name].append(scored(graded(ROOT / "reference", results, config, scratch), f"grading ({name})"))

    def ratio(name: str, base: str, of: Callable[[Finished], float]) -> tuple[float, float, float]:
        """The median and the range of the run-by-run ratios (each run's pair measured side by side)."""
        pairs = [of(a) / of(b) for a, b in zip(measured[name], measured[base], strict=True)]
        return statistics.median(pairs), min(pairs), max(pairs)

    def said(name: str, base: str, of: Callable[[Finished], float] = lambda f: f.seconds) -> str:
        middle, low, high = ratio(name, base, of)
        return f"{middle:.2f}x ({low:.2f}-{high:.2f})"

    def peaks(finished: list[Finished]) -> str:
        grader = max(f.report.get("grader_rss", 0) for f in finished)
        tree = max(f.report.get("tree_rss", 0) for f in finished)
        return f"grader {fmt_bytes(grader)}, worker {fmt_bytes(tree)}"

    def cpu(finished: list[Finished]) -> str:
        return fmt_spread([f.cpu for f in finished])

    def seconds(name: str) -> str:
        return fmt_spread([f.seconds for f in measured[name]])

    wall, whole_cpu = (
        ratio("gradescope", "floor", lambda f: f.seconds)[0],
        ratio("gradescope", "floor", lambda f: f.cpu)[0],
    )
    ROWS.extend(
        [
            Row(
                "4. grade reference/ (Gradescope's tree)",
                str(runs),
                seconds("gradescope"),
                f"{seconds('floor')} = 2 numpy starts",
                f"{said('gradescope', 'floor')} the floor",
                peaks(measured["gradescope"]),
                "<= 1.5x floor, <= 250 MB",
                verdict(wall <= 1.5 and _worst(measured["gradescope"]) <= 250e6),
                started_load,
            ),
            Row(
                "4. CPU of the whole task tree, same",
                str(runs),
                cpu(measured["gradescope"]),
                f"{cpu(measured['floor'])} floor",
                f"{said('gradescope', 'floor', lambda f: f.cpu)} the floor",
                "-",
                "<= 1.5x floor",
                verdict(whole_cpu <= 1.5),
                started_load,
            ),
            Row(
                "4. grade reference/ (repository)",
                str(runs),
                seconds("default"),
                f"{seconds('floor')} = 2 numpy starts",
                f"{said('default', 'floor')} the floor",
                peaks(measured["default"]),
                "-",
                "-",
                started_load,
            ),
            Row(
                "4. the student's check (kit), reference/",
                str(runs),
                seconds("check"),
                f"{seconds('gradescope')} grade",
                f"{said('check', 'gradescope')} grade",
                fmt_bytes(max(f.max_rss for f in measured["check"])),
                "<= 1x grade",
                verdict(ratio("check", "gradescope", lambda f: f.seconds)[0] <= 1.0),
                started_load,
            ),
        ]
    )
    for name, target_ratio in (("T=1000", 5.0), ("N=13", None)):
        finished = measured[name]
        target = f"<= {target_ratio:g}x default, <= 250 MB" if target_ratio else "<= 250 MB"
        middle = ratio(name, "default", lambda f: f.seconds)[0]
        ok = _worst(finished) <= 250e6 and (target_ratio is None or middle <= target_ratio)
        ROWS.append(
            Row(
                f"5. grade reference/ ({name})",
                str(runs),
                seconds(name),
                f"{seconds('default')} default",
                f"{said(name, 'default')} default",
                peaks(finished),
                target,
                verdict(ok),
                started_load,
            )
        )
        NOTES.append(f"5. {name}: whole-tree CPU {cpu(finished)} per grading (default {cpu(measured['default'])}).")
    NOTES.append(
        "4-5. `python -c DRIVER grade reference --results FILE --quiet [--config FILE]`, where DRIVER runs "
        "autograder.cli.main as `python -m autograder` does and then reads its own getrusage: "
        "`grader` is RUSAGE_SELF's ru_maxrss (the grading process), `worker` RUSAGE_CHILDREN's (the "
        "largest single process of the worker: zygote, supervisors, the student's processes, which the "
        "zygote waits for). Wall time and CPU: wait4 in a small launcher, start to exit, CPU summed over "
        "every process of the grading. Gradescope's tree: `build gradescope` unzipped, closed to other users and "
        "compiled (setup.sh's work), its question-2 problems built in, as every Gradescope submission and every "
        "kit check is graded, started as run_autograder starts it (its clean environment, the venv's real path: "
        "the worker's zygote is forked from the grader); the repository computes the problems at every grading, "
        "and is started through ./.venv (a fresh interpreter for the worker). Gradescope's grading also gets an "
        "empty lease folder of its own, as in a fresh container (so no clean-up of the worker user before its "
        "first task: worker/host.py, Lease.fresh). The check: `python check.py "
        "reference --json FILE` in the unzipped kit, as the student's own user, by the real path of Python. "
        "T=1000: one more problem of "
        "length 1000 in every question-2 test; N=13: the exhaustive adder check at 13 bits in place of 10, both "
        "from the repository. Ratios are the medians (and ranges) of the run-by-run ratios; each run takes "
        "the floor (two `python -I -c 'import numpy'` in a row), then each grading, in one loop."
    )
    return {"default": measured["gradescope"]}


def _worst(finished: list[Finished]) -> float:
    return max(max(f.report.get("grader_rss", 0), f.report.get("tree_rss", 0), f.max_rss) for f in finished)


# ---------------------------------------------------------------- 6-7: batches


def class_samples() -> list[Path]:
    """The samples a class really sends: all but the hostile ones."""
    return [ROOT / "reference"] + sorted(
        path
        for path in (ROOT / "submissions_sample").iterdir()
        if path.is_dir() and not path.name.startswith("hostile_")
    )


def expected_score(sample: Path) -> float:
    """The total a sample must score: its expected.yaml's scores added up (reference/ scores full marks)."""
    if sample == ROOT / "reference":
        return 10.0
    expected = yaml.safe_load((sample / "expected.yaml").read_text(encoding="utf-8"))
    return float(sum(float(score) for score in expected["scores"].values()))


def make_export(folder: Path, count: int, *, hostile: int = 0) -> dict[Path, float]:
    """`count` submission folders cycling through the class's samples, `hostile` of them (spread out) an
    endless loop in both questions (hostile_infinite_loop); each folder with the total it must score."""
    sources = class_samples()
    every = count // hostile if hostile else 0
    made = {}
    for index in range(count):
        source = sources[index % len(sources)]
        if every and index % every == every // 2 and index // every < hostile:
            source = ROOT / "submissions_sample" / "hostile_infinite_loop"
        target = folder / f"s{index:05d}_{source.name}"
        # The whole upload, sub-folders included (an Overleaf project, a whole kit): not what the tests expect of it.
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("expected.yaml", "golden.json"))
        made[target] = expected_score(source)
    return made


def check_batch(out: Path, made: dict[Path, float], what: str) -> None:
    """Stop the run unless every submission of a batch was graded and scored what its sample expects."""
    for folder, score in made.items():
        try:
            results = json.loads((out / batch.SUBMISSIONS / folder.name / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            fail(f"{what}: {folder.name} has no readable results.json ({error})")
        failed = (results.get("extra_data") or {}).get("grading_failed")
        if failed:
            fail(f"{what}: {folder.name} was not graded: {failed}")
        if results.get("score") != score:
            fail(f"{what}: {folder.name} scored {results.get('score')}, its sample expects {score:g}")


def batch_command(export: Path, out: Path, jobs: int) -> list[str]:
    return [PYTHON, "-m", "autograder", "batch", str(export), "--out", str(out), "--jobs", str(jobs)]


def figure_batch(quick: bool, scratch: Path, grades: dict[str, list[Finished]]) -> None:
    """6. Batch throughput of a class's mix, with and without a hostile share (alternated), and whole-tree CPU."""
    started_load = load()
    count, hostile, jobs, runs = (20, 1, 2, 1) if quick else (200, 4, 2, 3)
    exports = {"clean": scratch / "clean", "hostile": scratch / "hostile"}
    made = {name: make_export(path, count, hostile=hostile * (name == "hostile")) for name, path in exports.items()}
    loop_alone = run_process(
        [
            PYTHON,
            "-m",
            "autograder",
            "grade",
            str(ROOT / "submissions_sample" / "hostile_infinite_loop"),
            "--results",
            str(scratch / "loop.json"),
        ]
    ).seconds
    measured: dict[str, list[Finished]] = {name: [] for name in exports}
    for index in range(runs):
        for name, export in exports.items():
            out = scratch / f"out-{name}-{index}"
            measured[name].append(run_process(batch_command(export, out, jobs)))
            check_batch(out, made[name], f"batch {name} run {index + 1}")
    clean = statistics.median(f.seconds for f in measured["clean"])
    with_hostile = statistics.median(f.seconds for f in measured["hostile"])
    default_grade = statistics.median(f.seconds for f in grades["default"])
    # Each timed-out task costs its time limit once, on one job's share of the machine (docs/ta.md, "Time-outs"): an
    # endless loop in both questions is two such tasks, run side by side (as long, together, as the loop graded alone).
    extra, bound = with_hostile - clean, hostile * LOOP_TASKS * loop_alone / jobs
    ROWS.append(
        Row(
            f"6. batch {count} submissions, --jobs {jobs}",
            str(runs),
            fmt_spread([count / f.seconds for f in measured["clean"]], lambda v: f"{v:.1f} /s"),
            f"{1 / default_grade:.1f} /s one grade at a time",
            f"{default_grade * count / clean:.1f}x",
            fmt_bytes(max(f.max_rss for f in measured["clean"])),
            "-",
            "-",
            started_load,
        )
    )
    ROWS.append(
        Row(
            f"6. same with {plural(hostile, 'endless loop')}",
            str(runs),
            fmt_spread([count / f.seconds for f in measured["hostile"]], lambda v: f"{v:.1f} /s"),
            f"+{fmt_seconds(bound)} = {hostile} x {LOOP_TASKS} x {fmt_seconds(loop_alone)} / {jobs} jobs",
            f"+{fmt_seconds(extra)} measured",
            fmt_bytes(max(f.max_rss for f in measured["hostile"])),
            "extra <= timed-out tasks x limit / jobs",
            verdict(extra <= bound * 1.1),
            started_load,
        )
    )
    ROWS.append(
        Row(
            "6. CPU of the whole tree per submission",
            str(runs),
            fmt_spread([f.cpu / count for f in measured["clean"]]),
            f"{fmt_spread([f.cpu for f in grades['default']])} per `grade`",
            "-",
            "-",
            "-",
            "-",
            started_load,
        )
    )
    NOTES.append(
        f"6. `python -m autograder batch EXPORT --out DIR --jobs {jobs}` on {count} folders cycling through "
        f"reference/ and the {len(class_samples()) - 1} non-hostile samples; the hostile export replaces "
        f"{hostile} of them, spread out, with hostile_infinite_loop (an endless loop at import and in the "
        f"function: {fmt_seconds(loop_alone)} to grade alone, its timeouts). Clean and hostile runs "
        f"alternate; "
        f"throughput = {count} / wall time of the whole command (start-up and reports included). The bound "
        f"for the hostile share: timed-out tasks ({LOOP_TASKS} per loop: questions 1 and 2, side by side, each "
        f"keeping a core busy) x the loop's grading time alone / jobs (+10 % for noise). CPU: wait4 of "
        f"the batch command, every process below it included (pool, workers, students), / {count}."
    )


def canned_serve(
    connection: Connection, config_path: str | None, hide: tuple[str, ...] = (), phases: str | None = None
) -> None:
    """A pool process of figure 7: writes the same real results.json for every submission it is sent. Takes
    what the pool passes to batch._serve (`same_parameters` checks it before the figure runs)."""
    results = json.loads(Path(os.environ[CANNED]).read_text(encoding="utf-8"))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        if job is None:
            return
        results["extra_data"].update(submission_sha256=job["fingerprint"], files_found=list(job["files"]))
        write_results(Path(job["out"]) / "results.json", results)
        connection.send(batch.Outcome(job["id"], "graded", None, results["score"]))


def same_parameters(stand_in: Callable[..., Any], real: Callable[..., Any]) -> None:
    """Stop the run unless `stand_in` takes the same parameters as `real` (names, kinds, defaults): a stand-in
    that drifted from what the pool passes dies in every pool process."""

    def parameters(function: Callable[..., Any]) -> list[tuple[str, Any, Any]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]

    if parameters(stand_in) != parameters(real):
        fail(
            f"{stand_in.__name__}{inspect.signature(stand_in)} no longer takes what the pool passes to "
            f"{real.__name__}{inspect.signature(real)}"
        )


class FailFast(batch.Progress):
    """Progress that stops the run at the first submission that was not graded (a pool process that died)."""

    def done(self, outcome: batch.Outcome) -> None:
        if outcome.kind != "graded":
            fail(f"the batch did not grade {outcome.id}: {outcome.kind} ({outcome.problem})")
        super().done(outcome)


def figure_scale(quick: bool, scratch: Path, serve: Callable[..., None] = canned_serve) -> None:
    """7. Batch cost per submission beyond the grading itself, at two class sizes (10x apart)."""
    started_load = load()
    same_parameters(serve, batch._serve)
    sizes = (100, 1000) if quick else (1000, 10000)
    canned = scratch / "canned.json"
    run_process([PYTHON, "-m", "autograder", "grade", str(ROOT / "reference"), "--results", str(canned)])
    if read_score(canned) != 10:
        fail(f"grading reference/ for figure 7's canned results did not score 10 (score {read_score(canned)})")
    os.environ[CANNED] = str(canned)
    config = load_config(None)
    per_submission: dict[int, list[float]] = {size: [] for size in sizes}
    exports = {size: scratch / f"scale-{size}" for size in sizes}
    for size, export in exports.items():
        make_export(export, size)
    for index in range(1 if quick else 2):
        for size, export in exports.items():
            out = scratch / f"scale-out-{size}-{index}"
            started = time.perf_counter()
            submissions, _ = find_submissions(export, exclude=out)
            progress = FailFast(len(submissions), open(os.devnull, "w"), tty=False)
            outcomes = batch.run_batch(
                submissions, out=out, config=config, jobs=2, regrade=False, progress=progress, serve=serve
            )
            if len(outcomes) != size or any(outcome.kind != "graded" for outcome in outcomes):
                fail(f"figure 7's batch of {size} graded {sum(o.kind == 'graded' for o in outcomes)} submissions")
            batch.write_reports(submissions, out=out, config=config, title="scale")
            per_submission[size].append((time.perf_counter() - started) / size)
            shutil.rmtree(out)
    small, large = (statistics.median(per_submission[size]) for size in sizes)
    runs = len(per_submission[sizes[0]])
    ROWS.append(
        Row(
            f"7. batch overhead, {sizes[1]:,} vs {sizes[0]:,} submissions",
            str(runs),
            f"{fmt_spread(per_submission[sizes[1]])} per submission",
            f"{fmt_spread(per_submission[sizes[0]])} at {sizes[0]:,}",
            f"{large / small:.2f}x",
            "-",
            "<= 1x per submission",
            verdict(large <= small * 1.1),
            started_load,
        )
    )
    NOTES.append(
        f"7. batch.find_submissions + run_batch (--jobs 2) + write_reports on {sizes[0]:,} and {sizes[1]:,} "
        "folders, in this process, with a canned grader in each pool process that writes the same real "
        "results.json for every submission: everything a batch does per submission except grading it "
        "(scanning the export, fingerprints, resume checks, the pool's dispatch, progress, the gradebook and "
        "the class report). Grading itself costs the same per submission at any size (a pool process grades "
        "one at a time; figure 6). Target met within 10 % (noise)."
    )


def figure_class_report(quick: bool, scratch: Path) -> None:
    """8. The TA's gradebook and class report for 10,000 students, and the report in a browser (class_report.py,
    which numbers it 6: renumbered here, after this script's own 6 and 7)."""
    import class_report

    started_load = load()
    rows: list[Row] = []
    notes: list[str] = []

    def row(figure: str, *cells: str) -> Row:
        return Row(*[figure.replace("6. ", "8. ", 1), *cells, started_load])

    try:
        class_report.figure_class_report(rows, notes, quick, scratch, row)
    except (RuntimeError, subprocess.CalledProcessError) as error:
        fail(f"figure 8: {error}")
    ROWS.extend(rows)
    NOTES.extend(note.replace("6. ", "8. ", 1) for note in notes)


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
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({model}), Python "
        f"{platform.python_version()}, numpy {np.__version__}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, smaller inputs: a smoke run")
    parser.add_argument("--only", choices=("4",), help="figures 4-5 alone (one grading against the floor)")
    parser.add_argument("--background", type=int, default=0, metavar="N", help="N busy processes throughout")
    args = parser.parse_args(argv)
    for collected in (ROWS, NOTES):
        collected.clear()
    before = os.getloadavg()
    print(f"Benchmarks ({'quick' if args.quick else 'full'} run) on {machine()}")
    print(
        f"Load average before: {before[0]:.2f} {before[1]:.2f} {before[2]:.2f} (1, 5, 15 min; {os.cpu_count()} CPUs)",
        flush=True,
    )
    started = time.perf_counter()
    busy = [
        subprocess.Popen([PYTHON, "-I", "-S", "-c", "while True: pass"], stdin=subprocess.DEVNULL)
        for _ in range(args.background)
    ]
    if busy:
        print(f"With {plural(len(busy), 'busy process')} running throughout.", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="autograder-bench-") as scratch:
            if args.only is None:
                figure_exhaustive(args.quick)
                figure_proof(args.quick)
                figure_truth(args.quick)
            grades = figure_grade(args.quick, Path(scratch))
            if args.only is None:
                figure_batch(args.quick, Path(scratch), grades)
                figure_scale(args.quick, Path(scratch))
                figure_class_report(args.quick, Path(scratch))
    except BenchmarkFailed as failed:
        print(
            f"\nBENCHMARK FAILED after {time.perf_counter() - started:.0f} s, in the figure after the "
            f"{len(ROWS)} rows measured so far: {failed}\nNo figures are printed: they would not mean anything.",
            file=sys.stderr,
        )
        return 1
    finally:
        for process in busy:
            process.kill()
            process.wait()
    after = os.getloadavg()
    print()
    print_table(ROWS)
    print()
    print(
        "In-process figures (1-3): peak memory is tracemalloc's peak over one call. Ratios: baseline time /"
        " measured time, except 4-5 (measured / baseline) and 7 (large / small)."
    )
    for note in NOTES:
        print(note)
    missed = [row.figure for row in ROWS if row.met == "NO"]
    print(
        f"\nLoad average after: {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}. Targets missed: "
        f"{', '.join(missed) if missed else 'none'}. Total time {time.perf_counter() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
