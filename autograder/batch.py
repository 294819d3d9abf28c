"""The TA's batch run: a Gradescope export (or a folder of submissions) graded in parallel, resumably, into a gradebook."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import pwd
import signal
import sys
import time
import traceback
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TextIO

from autograder.config import Config, ConfigError, load_config
from autograder.engine import grade, provenance
from autograder.export import ExportError, Submission, find_submissions, opened_export
from autograder.judge.mistakes import load_mistakes
from autograder.locate import locate
from autograder.report.classreport import render_report
from autograder.report.gradebook import GradedSubmission, gradebook_csv
from autograder.report.results import failure_results, write_results
from autograder.worker.sandbox import WORKER_USER, Sandbox


@dataclass(frozen=True)
class Outcome:
    """What happened to one submission in this run: `graded`, `resumed` (already graded) or `failed`."""

    id: str
    kind: str
    problem: str | None = None
    score: float | None = None


def fingerprint(path: Path) -> str:
    """The identity of what the grader reads from a submission: the files it finds and the notes about them."""
    located = locate(path)
    digest = hashlib.sha256()
    for name in sorted(located.files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(located.files[name]).digest())
    digest.update("\n".join(located.notes).encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- the pool

def worker_user(slot: int) -> str:
    """The user that runs students' code for pool process `slot`: one user per slot when root, so that
    one student's code cannot signal or starve another's task running at the same time."""
    base = os.environ.get("AUTOGRADER_WORKER_USER", WORKER_USER)
    name = base if slot == 0 else f"{base}{slot}"
    if os.geteuid() != 0:
        return "auto"  # not root: the worker runs as you, whatever the slot
    try:
        pwd.getpwnam(name)
    except KeyError:
        return "auto"  # fewer users than slots (an old setup.sh): they share `rnn-worker`
    return name


def _serve(connection: Connection, config_path: str | None, user: str = "auto") -> None:
    """A pool process: one Sandbox for its whole life, one submission graded per message, until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the pool in order
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # leave through `with Sandbox()`, which cleans up
    config = load_config(config_path)
    try:
        sandbox = Sandbox(user=user)
    except Exception as error:  # noqa: BLE001 - a setup problem: every submission sent here says so
        problem = f"the worker that runs student code could not start ({type(error).__name__}: {error})"
        while (job := _next_job(connection)) is not None:
            connection.send(write_failure(job, problem))
        return
    with sandbox:
        while (job := _next_job(connection)) is not None:
            connection.send(grade_into(job, config=config, sandbox=sandbox))


def _next_job(connection: Connection) -> Mapping[str, str] | None:
    """The next job from the parent, or None when it is done (or gone)."""
    try:
        return connection.recv()
    except EOFError:
        return None


def grade_into(job: Mapping[str, str], *, config: Config, sandbox: Any) -> Outcome:
    """Grade one submission into `job["out"]`/results.json; the grader's own failure is written as a score-0 result."""
    captured = io.StringIO()
    problem = None
    try:
        with redirect_stdout(captured), redirect_stderr(captured):
            results = grade(Path(job["path"]), config=config, sandbox=sandbox, student_output=captured.write)
    except Exception as error:  # noqa: BLE001 - the grader's failure on this one submission: a row all the same
        traceback.print_exc(file=captured)
        problem = f"the grader failed ({type(error).__name__}: {error})"
        results = failure_results(f"({problem})", extra_data={**provenance(config), "grading_failed": problem})
    return _write(job, results, problem, captured.getvalue())


def _write(job: Mapping[str, str], results: dict, problem: str | None, output: str) -> Outcome:
    results["extra_data"]["submission_sha256"] = job["fingerprint"]
    folder = Path(job["out"])
    write_results(folder / "results.json", results)
    log = folder / "output.txt"
    if output:
        log.write_text(output, encoding="utf-8")
    elif log.exists():
        log.unlink()
    return Outcome(job["id"], "failed" if problem else "graded", problem, results.get("score"))


def write_failure(job: Mapping[str, str], problem: str) -> Outcome:
    """Record that the grader could not grade a submission: a valid score-0 results.json that says why."""
    extra = {"grading_failed": problem, "config_sha256": job["config_sha256"]}
    return _write(job, failure_results(f"({problem})", extra_data=extra), problem, "")


class _Pool:
    """Processes that grade one submission at a time; one that dies or overruns is replaced and its submission failed."""

    def __init__(self, size: int, config_path: str | None, timeout: float, serve: Callable[..., None] = _serve):
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or state
        self.config_path, self.serve = config_path, serve
        self.timeout = timeout
        self.idle: list[tuple[Any, Connection]] = []
        self.busy: dict[Connection, tuple[Any, Mapping[str, str], float]] = {}
        self.slots: dict[Connection, int] = {}  # each process's slot, kept by its replacement
        for slot in range(size):
            self.idle.append(self._start(slot))

    def _start(self, slot: int) -> tuple[Any, Connection]:
        ours, theirs = self.context.Pipe()
        process = self.context.Process(target=self.serve, args=(theirs, self.config_path, worker_user(slot)),
                                       name="autograder-batch")
        process.start()
        theirs.close()
        self.slots[ours] = slot
        return process, ours

    def run(self, jobs: Sequence[Mapping[str, str]], done: Callable[[Outcome], None]) -> None:
        """Grade every job, calling `done` with each outcome as it comes."""
        pending = list(reversed(jobs))
        while pending or self.busy:
            while pending and self.idle:
                process, connection = self.idle.pop()
                try:
                    connection.send(dict(pending[-1]))
                except OSError:  # the process died while idle: start another, the job waits for it
                    self._replace(process, connection)
                    continue
                self.busy[connection] = (process, pending.pop(), time.monotonic())
            for connection in wait(list(self.busy), timeout=1.0):
                process, job, _ = self.busy.pop(connection)
                try:
                    outcome = connection.recv()
                except (EOFError, OSError):  # it died: let it finish dying, to read its exit code
                    self._replace(process, connection, grace=5.0)
                    outcome = write_failure(job, f"the grading process died (exit code {process.exitcode})")
                else:
                    self.idle.append((process, connection))
                done(outcome)
            now = time.monotonic()
            for connection, (process, job, started) in list(self.busy.items()):
                if now - started > self.timeout:
                    del self.busy[connection]
                    self._replace(process, connection)
                    done(write_failure(job, f"grading took longer than {self.timeout:g} s and was stopped"))

    def _replace(self, process: Any, connection: Connection, grace: float = 0.0) -> None:
        _stop(process, connection, grace)
        self.idle.append(self._start(self.slots.pop(connection)))

    def close(self) -> None:
        """Stop every process: idle ones are asked to finish, busy ones are stopped."""
        for process, connection in self.idle:
            try:
                connection.send(None)
            except OSError:
                pass
        for process, connection in self.idle:
            _stop(process, connection, grace=30.0)
        for connection, (process, _, _) in self.busy.items():
            _stop(process, connection)
        self.idle, self.busy = [], {}


def _stop(process: Any, connection: Connection, grace: float = 0.0) -> None:
    """Close our end, give the process `grace` seconds to end by itself, then terminate it, then kill it."""
    connection.close()
    process.join(timeout=grace)
    if process.is_alive():
        process.terminate()
        process.join(timeout=10)
    if process.is_alive():
        process.kill()
        process.join()


# ---------------------------------------------------------------- progress

class Progress:
    """Progress on a terminal: one updating line on a TTY, one plain line per submission otherwise."""

    def __init__(self, total: int, stream: TextIO, *, tty: bool | None = None):
        self.total, self.stream = total, stream
        self.tty = stream.isatty() if tty is None else tty
        self.counts = {"graded": 0, "resumed": 0, "failed": 0}
        self.started = time.monotonic()

    def resumed(self, count: int) -> None:
        self.counts["resumed"] += count
        if count and not self.tty:
            self.stream.write(f"{count} submissions already graded with this configuration "
                              "(--regrade grades them again)\n")

    def done(self, outcome: Outcome) -> None:
        self.counts[outcome.kind] += 1
        finished = sum(self.counts.values())
        if self.tty:
            elapsed = time.monotonic() - self.started
            graded = self.counts["graded"] + self.counts["failed"]
            left = (self.total - finished) * elapsed / graded if graded else 0.0
            line = (f"{finished}/{self.total} submissions [{_bar(finished / self.total)}] "
                    f"{self.counts['failed']} could not be graded, {_clock(elapsed)} elapsed, ~{_clock(left)} left")
            self.stream.write("\r" + line + "\x1b[K")
        else:
            what = (f"could not be graded: {outcome.problem}" if outcome.problem
                    else f"{outcome.score:g} points" if outcome.score is not None else "graded")
            self.stream.write(f"[{finished}/{self.total}] {outcome.id}: {what}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def _bar(fraction: float, width: int = 24) -> str:
    filled = int(round(fraction * width))
    return "#" * filled + "-" * (width - filled)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# ---------------------------------------------------------------- the run

def already_graded(results_path: Path, *, config_sha256: str, submission_sha256: str) -> bool:
    """Whether a results.json from an earlier run holds this submission graded under this configuration.

    A submission the grader failed on is tried again: the failure may not happen twice.
    """
    try:
        extra = json.loads(results_path.read_text(encoding="utf-8")).get("extra_data", {})
    except (OSError, ValueError, AttributeError):
        return False
    return (isinstance(extra, dict) and extra.get("config_sha256") == config_sha256
            and extra.get("submission_sha256") == submission_sha256 and not extra.get("grading_failed"))


def read_graded(submission: Submission, out: Path) -> GradedSubmission:
    """A submission's row as written in `out`: its results, or why it could not be graded."""
    path = out / submission.id / "results.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return GradedSubmission(submission.id, submission.submitters, {}, f"no readable results.json ({error})")
    problem = (results.get("extra_data") or {}).get("grading_failed")
    return GradedSubmission(submission.id, submission.submitters, results, problem)


def run_batch(submissions: Sequence[Submission], *, out: Path, config: Config, jobs: int, regrade: bool,
              progress: Progress, serve: Callable[..., None] = _serve) -> list[Outcome]:
    """Grade what is not graded yet (everything with `regrade`) into `out`, `jobs` submissions at a time.

    `serve` is the body of each pool process (`_serve`; tests put a faulty grader there).
    """
    todo, outcomes = [], []
    for submission in submissions:
        folder = out / submission.id
        job = {"id": submission.id, "path": str(submission.path), "out": str(folder),
               "fingerprint": fingerprint(submission.path), "config_sha256": config.sha256}
        if not regrade and already_graded(folder / "results.json", config_sha256=config.sha256,
                                          submission_sha256=job["fingerprint"]):
            outcomes.append(Outcome(submission.id, "resumed"))
        else:
            todo.append(job)
    progress.resumed(len(outcomes))
    if not todo:
        return outcomes
    # A safety net only: the sandbox stops student code after wall_seconds; this stops a stuck grader.
    timeout = max(120.0, 4 * config.limits.wall_seconds + 30)
    pool = _Pool(min(jobs, len(todo)), str(config.path), timeout=timeout, serve=serve)

    def done(outcome: Outcome) -> None:
        outcomes.append(outcome)
        progress.done(outcome)

    try:
        pool.run(todo, done)
    finally:
        pool.close()
        progress.close()
    return outcomes


def write_reports(submissions: Sequence[Submission], *, out: Path, config: Config, title: str) -> list[GradedSubmission]:
    """Write `out`/gradebook.csv and `out`/report.html from the results in `out`; return the rows."""
    rows = [read_graded(submission, out) for submission in submissions]
    (out / "gradebook.csv").write_text(gradebook_csv(rows), encoding="utf-8", newline="")
    hints = {mistake.name: mistake.hint for mistake in load_mistakes()}
    report = render_report(rows, tests=config.tests, title=title, hints=hints)
    (out / "report.html").write_text(report, encoding="utf-8")
    return rows


def main(*, export: Path, out: Path, jobs: int | None = None, regrade: bool = False,
         config_path: Path | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None,
         tty: bool | None = None) -> int:
    """The `batch` verb: exit 0 when every submission has a row (graded or not), 2 when nothing could start."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    started = time.monotonic()
    out = Path(out)
    try:
        config = load_config(config_path)
        with opened_export(Path(export)) as root:
            submissions, warnings = find_submissions(root, exclude=out)
            for warning in warnings:
                print(f"batch: {warning}", file=stderr)
            out.mkdir(parents=True, exist_ok=True)
            progress = Progress(len(submissions), stderr, tty=tty)
            outcomes = run_batch(submissions, out=out, config=config, jobs=jobs or os.cpu_count() or 1,
                                 regrade=regrade, progress=progress)
            rows = write_reports(submissions, out=out, config=config, title=f"Class report: {Path(export).name}")
    except (ConfigError, ExportError) as error:
        print(f"batch: {error}", file=stderr)
        return 2
    except KeyboardInterrupt:
        print("\nbatch: interrupted; run the same command again to grade the rest.", file=stderr)
        return 130
    kinds = Counter(outcome.kind for outcome in outcomes)
    failed = sum(1 for row in rows if not row.graded)
    print(f"{len(rows)} submissions in {_clock(time.monotonic() - started)}: {kinds['graded']} graded now, "
          f"{kinds['resumed']} already graded, {failed} could not be graded.\n"
          f"Gradebook: {out / 'gradebook.csv'}\nClass report: {out / 'report.html'}", file=stdout)
    return 0
