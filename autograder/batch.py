"""The TA's batch run: a Gradescope export (or a folder of submissions) graded in parallel, resumably,
into a gradebook."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import typing
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import redirect_stderr, redirect_stdout
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any, TextIO

from autograder.config import Config, ConfigError
from autograder.engine import grade, provenance
from autograder.export import ExportError, Submission, find_submissions, opened_export
from autograder.judge.mistakes import load_mistakes
from autograder.kinds import load_config
from autograder.locate import locate
from autograder.protection import ExposedError, check_private, check_protected, protected
from autograder.record import Record
from autograder.report.changes import COLUMNS as CHANGE_COLUMNS
from autograder.report.changes import Snapshot, changed_rows, read_snapshot
from autograder.report.classreport import render_report
from autograder.report.gradebook import (
    BAD_UPLOAD,
    CANVAS_COLUMNS,
    ENCODING,
    GRADER_FAILED,
    INTERRUPTED,
    NO_FOLDER,
    STOPPED,
    GradedSubmission,
    canvas_rows,
    gradebook_rows,
    left_out_text,
    plural,
    points_possible,
    safe_cell,
    to_csv,
)
from autograder.report.results import failure_results, write_results
from autograder.report.summary import format_points
from autograder.similarity import CSV as SIMILARITY_CSV
from autograder.similarity import Screening, keeper, screen_class
from autograder.text import printable
from autograder.worker.host import grader_mode, worker_users
from autograder.worker.isolation import isolation_of
from autograder.worker.phases import Phases
from autograder.worker.sandbox import Sandbox

SUBMISSIONS = "submissions"  # OUT/submissions/<id>/: no submission's name can collide with OUT's own files
NO_ASSIGNMENT_FILES = "none of the assignment's files is in it"
# The class's data is the TA's only (docs/spec.md 6.3): whatever the umask, folders 0700 and files 0600. Set
# on each thing written, not through the umask: the pool's processes share the umask with the sandbox, whose
# task folders the worker user must enter.
PRIVATE_FOLDER, PRIVATE_FILE = 0o700, 0o600
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)  # the disk (or the TA's quota) under --out is full
FULL = "no space"  # an Outcome's kind: its results could not be written; the run stops, and resumes later
EXIT_NO_SPACE = 74  # sysexits.h's EX_IOERR: the disk filled; what fitted is kept and the same command resumes


class Outcome(Record):
    """What happened to one submission in this run: `graded`, `resumed` (already graded), `failed`, or FULL
    (its results did not fit on the disk: it is graded again by the next run)."""

    id: str
    kind: str
    problem: str | None = None
    score: float | None = None


class Interrupted(Exception):
    """The run was stopped (Ctrl-C or SIGTERM, or `full`: the disk under --out filled, with the system's words);
    `outcomes` holds what finished before."""

    def __init__(self, outcomes: list[Outcome], full: str | None = None):
        super().__init__("interrupted")
        self.outcomes, self.full = outcomes, full


class _DiskFull(Exception):
    """Raised out of the pool when a submission's results did not fit: the run stops there."""


def no_space(error: BaseException) -> bool:
    return isinstance(error, OSError) and error.errno in NO_SPACE


def submission_folder(out: Path, submission_id: str) -> Path:
    return out / SUBMISSIONS / submission_id


def fingerprint(path: Path) -> tuple[str, list[str], str | None, list[str]]:
    """The identity of what the grader reads from a submission (the files it finds and the notes about them),
    the names of those files, when there is none why (the notes the student reads about it: an unreadable
    zip, a file past its size bound; else that none of the assignment's files is in it), and its name clashes."""
    located = locate(path)
    digest = hashlib.sha256()
    for name in sorted(located.files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(located.files[name]).digest())
    digest.update("\n".join(located.notes).encode())
    # The last note is the one that says why nothing was found ("`a.zip` is not a readable zip file."): the
    # earlier ones say what was tried on the way.
    no_files = None if located.files else (located.notes[-1] if located.notes else NO_ASSIGNMENT_FILES)
    return digest.hexdigest(), sorted(located.files), no_files, list(located.clashes)


# ---------------------------------------------------------------- the pool


def capped_jobs(jobs: int, stderr: TextIO) -> int:
    """As root, each pool process leases a worker user of its own: more processes than users would only wait."""
    users = len(worker_users()) if grader_mode() == "dedicated" else jobs
    if 0 < users < jobs:
        print(
            f"batch: grading {plural(users, 'submission')} at a time, one per worker user ({jobs} asked; "
            "AUTOGRADER_WORKERS=N ./setup.sh makes more users)",
            file=stderr,
        )
        return users
    return jobs


def _serve(
    connection: Connection, config_path: str | None, hide: tuple[str, ...] = (), phases: str | None = None
) -> None:
    """A pool process: one Sandbox for its whole life, one submission graded per message, until told to stop.
    The folders in `hide` (the export's and the results') are out of every task's sight; `phases` is the folder of
    the lock that keeps every pool process's hidden tasks apart from the others' visible ones (worker/phases.py)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops the pool in order
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # leave through `with Sandbox()`, which cleans up
    config = load_config(config_path)
    try:
        # As root, it leases a worker user no other grading on the machine holds, and refuses while that user
        # could read the configuration (main checked it first, with the fix in the TA's terms).
        sandbox = Sandbox(protect=protected(config_path), hide=hide, phases=Phases(phases) if phases else None)
    except Exception as error:  # noqa: BLE001 - a setup problem: every submission sent here says so
        problem = f"the worker that runs student code could not start ({type(error).__name__}: {error})"
        while (job := _next_job(connection)) is not None:
            connection.send(write_failure(job, problem))
        return
    with sandbox:
        while (job := _next_job(connection)) is not None:
            connection.send(grade_into(job, config=config, sandbox=sandbox))


def _next_job(connection: Connection) -> Mapping[str, Any] | None:
    """The next job from the parent, or None when it is done (or gone)."""
    try:
        return connection.recv()
    except EOFError:
        return None


def grade_into(job: Mapping[str, Any], *, config: Config, sandbox: Any) -> Outcome:
    """Grade one submission into `job["out"]`/results.json; the grader's own failure is written as a score-0 result."""
    captured = io.StringIO()
    problem = None
    try:
        with redirect_stdout(captured), redirect_stderr(captured):
            results = grade(
                Path(job["path"]),
                config=config,
                sandbox=sandbox,
                student_output=captured.write,
                observe=keeper(job) if job.get("similarity") else None,  # the record the similarity section reads
            )
    except Exception as error:  # noqa: BLE001 - the grader's failure on this one submission: a row all the same
        traceback.print_exc(file=captured)
        problem = f"the grader failed ({type(error).__name__}: {error})"
        results = failure_results(f"({problem})", extra_data={**provenance(config), "grading_failed": problem})
    return _write(job, results, problem, captured.getvalue())


def _write(job: Mapping[str, Any], results: dict, problem: str | None, output: str) -> Outcome:
    results["extra_data"]["submission_sha256"] = job["fingerprint"]
    results["extra_data"]["files_found"] = list(job.get("files", ()))
    for key in ("no_files", "clashes"):  # for the gradebook's row
        if job.get(key):
            results["extra_data"][key] = job[key]
    folder = Path(job["out"])
    log = folder / "output.txt"
    try:  # results.json last: it is what says the submission is graded, to a resumed run
        private_folder(folder.parent)
        private_folder(folder)
        if output:
            _write_text(log, output, encoding="utf-8")
        elif log.exists():
            log.unlink()
        write_results(folder / "results.json", results, mode=PRIVATE_FILE)
    except OSError as error:
        if not no_space(error):
            raise
        return Outcome(job["id"], FULL, error.strerror or str(error))
    return Outcome(job["id"], "failed" if problem else "graded", problem, results.get("score"))


def private_folder(folder: Path) -> None:
    """`folder`, made if needed, open to its owner only (an older run's may have been made 0755)."""
    folder.mkdir(mode=PRIVATE_FOLDER, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o777 != PRIVATE_FOLDER:
        folder.chmod(PRIVATE_FOLDER)


def write_failure(job: Mapping[str, Any], problem: str) -> Outcome:
    """Record that the grader could not grade a submission: a valid score-0 results.json that says why."""
    extra = {"grading_failed": problem, "config_sha256": job["config_sha256"]}
    return _write(job, failure_results(f"({problem})", extra_data=extra), problem, "")


MAX_HIDDEN = 16  # folders hidden from tasks (an export has one; a hand-made batch a few)


class _Pool:
    """Processes that grade one submission at a time; one that dies or overruns is replaced and its submission
    failed."""

    def __init__(
        self,
        size: int,
        config_path: str | None,
        timeout: float,
        serve: Callable[..., None] = _serve,
        hide: tuple[str, ...] = (),
        phases: str | None = None,
    ):
        self.context = multiprocessing.get_context("spawn")  # a fresh interpreter: no inherited threads or state
        self.config_path, self.serve = config_path, serve
        self.options: dict[str, Any] = {"hide": hide} if hide else {}
        if phases is not None:
            self.options["phases"] = phases
        self.timeout = timeout
        self.idle: list[tuple[Any, Connection]] = []
        self.busy: dict[Connection, tuple[Any, Mapping[str, Any], float]] = {}
        self.slots: dict[Connection, int] = {}  # each process's slot, kept by its replacement
        for slot in range(size):
            self.idle.append(self._start(slot))

    def _start(self, slot: int) -> tuple[Any, Connection]:
        ours, theirs = self.context.Pipe()
        process = self.context.Process(
            target=self.serve, args=(theirs, self.config_path), kwargs=self.options, name="autograder-batch"
        )
        process.start()
        theirs.close()
        self.slots[ours] = slot
        return process, ours

    def run(self, jobs: Sequence[Mapping[str, Any]], done: Callable[[Outcome], None]) -> None:
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
            for ready in wait(list(self.busy), timeout=1.0):
                connection = typing.cast(Connection, ready)
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
        for _process, connection in self.idle:
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
        self.reasons: Counter = Counter()
        self.started = time.monotonic()

    def resumed(self, count: int) -> None:
        self.counts["resumed"] += count
        if count and not self.tty:
            self.stream.write(
                f"{plural(count, 'submission')} already graded with this configuration (--regrade grades "
                f"{'it' if count == 1 else 'them'} again)\n"
            )

    def grading(self, reasons: Counter) -> None:
        """Say what is graded now and why: new, its files changed, the configuration changed, --regrade."""
        self.reasons = reasons
        if reasons:
            why = ", ".join(f"{count} {reason}" for reason, count in reasons.most_common())
            self.stream.write(f"Grading {plural(sum(reasons.values()), 'submission')} ({why})\n")
            self.stream.flush()

    def done(self, outcome: Outcome) -> None:
        self.counts[outcome.kind] += 1
        finished = sum(self.counts.values())
        if self.tty:
            elapsed = time.monotonic() - self.started
            graded = self.counts["graded"] + self.counts["failed"]
            left = (self.total - finished) * elapsed / graded if graded else 0.0
            line = (
                f"{finished}/{self.total} submissions [{_bar(finished / self.total)}] "
                f"{self.counts['failed']} could not be graded, {_clock(elapsed)} elapsed, ~{_clock(left)} left"
            )
            self.stream.write("\r" + line + "\x1b[K")
        else:
            what = (
                f"could not be graded: {outcome.problem}"
                if outcome.problem
                else f"{format_points(outcome.score)} point{'' if outcome.score == 1 else 's'}"
                if outcome.score is not None
                else "graded"
            )
            self.stream.write(f"[{finished}/{self.total}] {printable(outcome.id)}: {printable(what)}\n")
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


def why_grade(results_path: Path, *, config_sha256: str, submission_sha256: str, regrade: bool) -> str | None:
    """Why a submission is graded in this run, or None when its results.json from an earlier run stands:
    graded under this configuration from the same files. A submission the grader failed on is tried again."""
    try:
        extra = json.loads(results_path.read_text(encoding="utf-8")).get("extra_data", {})
    except FileNotFoundError:
        return "new"
    except (OSError, ValueError, AttributeError):
        return "earlier results unreadable"
    if not isinstance(extra, dict):
        return "earlier results unreadable"
    changed = [
        what
        for what, same in (
            ("configuration", extra.get("config_sha256") == config_sha256),
            ("submission", extra.get("submission_sha256") == submission_sha256),
        )
        if not same
    ]
    if changed:
        return " and ".join(changed) + " changed"
    if extra.get("grading_failed"):
        return "the grader failed on it last time"
    return "--regrade" if regrade else None


def read_graded(
    submission: Submission, out: Path, *, finished: bool = True, stopped: str | None = None
) -> GradedSubmission:
    """A submission's row as written in `out`: its results, or why it was not graded or had no files.
    `finished` is False for a submission a stopped run did not reach (whatever is on disk is older); `stopped`
    says why the run stopped (default: it was interrupted)."""
    who = (submission.id, submission.submitters)
    listed = submission.listed
    if submission.problem:
        return GradedSubmission(*who, {}, submission.problem, cause=BAD_UPLOAD, listed=listed)
    if submission.path is None or not submission.path.exists():
        return GradedSubmission(*who, {}, no_files=NO_FOLDER, listed=listed)
    if not finished:
        return GradedSubmission(*who, {}, stopped or INTERRUPTED, cause=STOPPED, listed=listed)
    path = submission_folder(out, submission.id) / "results.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        extra = results.get("extra_data") or {}
    except (OSError, ValueError, AttributeError) as error:
        return GradedSubmission(*who, {}, f"no readable results.json ({error})", listed=listed)
    no_files = str(extra.get("no_files") or NO_ASSIGNMENT_FILES) if extra.get("files_found") == [] else None
    clashes = extra.get("clashes")
    notes = (*submission.notes, *(map(str, clashes) if isinstance(clashes, list) else ()))
    return GradedSubmission(*who, results, extra.get("grading_failed"), no_files, notes=notes, listed=listed)


def run_batch(
    submissions: Sequence[Submission],
    *,
    out: Path,
    config: Config,
    jobs: int,
    regrade: bool,
    progress: Progress,
    serve: Callable[..., None] = _serve,
    similarity: bool = False,
    hide: Sequence[Path] = (),
) -> list[Outcome]:
    """Grade what is not graded yet (everything with `regrade`) into `out`, `jobs` submissions at a time.

    A submission with a problem (from the export) or without a folder is not graded: its row says why.
    `serve` is the body of each pool process (`_serve`; tests put a faulty grader there); `hide`: more folders
    out of every task's sight (the export's, `--compare`'s), besides `out` and the submissions' folders;
    `similarity` keeps each graded submission's record for the similarity section. Ctrl-C or
    SIGTERM raise Interrupted with the outcomes so far, once the pool is stopped; so does a full disk under `out`
    (with `full` set), before any other submission is graded.
    """
    todo: list[dict[str, Any]] = []
    outcomes: list[Outcome] = []
    reasons: Counter[str] = Counter()
    try:
        for submission in submissions:
            if submission.problem or submission.path is None or not submission.path.exists():
                continue
            folder = submission_folder(out, submission.id)
            job: dict[str, Any] = {
                "id": submission.id,
                "path": str(submission.path),
                "out": str(folder),
                "config_sha256": config.sha256,
                "similarity": similarity,
            }
            try:
                job["fingerprint"], job["files"], job["no_files"], job["clashes"] = fingerprint(submission.path)
            except Exception as error:  # noqa: BLE001 - one submission's unreadable files: its row says so
                job["fingerprint"], job["files"] = "unreadable", []
                failure = write_failure(job, f"its files could not be read ({type(error).__name__}: {error})")
                if failure.kind == FULL:
                    raise Interrupted(outcomes, failure.problem) from None
                outcomes.append(failure)
                continue
            reason = why_grade(
                folder / "results.json",
                config_sha256=config.sha256,
                submission_sha256=job["fingerprint"],
                regrade=regrade,
            )
            if reason is None:
                outcomes.append(Outcome(submission.id, "resumed"))
            else:
                reasons[reason] += 1
                todo.append(job)
    except KeyboardInterrupt:
        raise Interrupted(outcomes) from None
    progress.total = len(outcomes) + len(todo)  # the submissions without files or with a problem are not graded
    progress.resumed(sum(1 for outcome in outcomes if outcome.kind == "resumed"))
    progress.grading(reasons)
    for outcome in outcomes:
        if outcome.kind == "failed":
            progress.done(outcome)
    if not todo:
        return outcomes
    # A safety net only: the sandbox stops student code after wall_seconds; this stops a stuck grader.
    timeout = max(120.0, 4 * config.limits.wall_seconds + 30)
    # No student sees a classmate's upload or results: the folders holding them are hidden from every task. The
    # class's data comes first (this run's results, an earlier run's, the export), so a bound never drops it.
    first = [str(out), *map(str, hide)]
    folders = [*first, *sorted({str(Path(job["path"]).parent) for job in todo} - set(first))]
    hidden = tuple(dict.fromkeys(folders))[:MAX_HIDDEN]
    size = min(jobs, len(todo))
    # Side by side, one process's hidden tasks run while no other's visible task does (worker/phases.py).
    phases = tempfile.mkdtemp(prefix="autograder-phases-")  # private: the worker users cannot take the lock
    pool = _Pool(size, str(config.path), timeout=timeout, serve=serve, hide=hidden, phases=phases)

    def done(outcome: Outcome, again: bool = False) -> None:
        if outcome.kind == FULL:
            raise _DiskFull(outcome.problem)
        if again:
            _replace(outcomes, outcome)
            return
        outcomes.append(outcome)
        progress.done(outcome)

    try:
        pool.run(todo, done)
        if size > 1:
            # Beside another grading, a call may time out only because the other took the CPU (a student's
            # busy processes; a machine without CPU isolation): what timed out while starved of CPU is graded
            # again, alone, and that grading counts, so a submission's score never depends on its neighbour.
            # Any other timeout (an endless loop that had the CPU, a task that slept) is final.
            again = [job for job in todo if _starved(Path(job["out"]) / "results.json")]
            if again:
                pool.close()
                pool = _Pool(1, str(config.path), timeout=timeout, serve=serve, hide=hidden, phases=phases)
                pool.run(again, lambda outcome: done(outcome, again=True))
    except KeyboardInterrupt:
        raise Interrupted(outcomes) from None
    except _DiskFull as full:
        raise Interrupted(outcomes, str(full)) from None
    finally:
        pool.close()
        progress.close()
        shutil.rmtree(phases, ignore_errors=True)
    return outcomes


def _starved(results_path: Path) -> bool:
    """Did a task of this grading time out while starved of CPU (engine.grade records how many)?"""
    try:
        extra = json.loads(results_path.read_text(encoding="utf-8")).get("extra_data")
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(extra, dict) and bool(extra.get("starved_timeouts"))


def _replace(outcomes: list[Outcome], outcome: Outcome) -> None:
    outcomes[:] = [earlier for earlier in outcomes if earlier.id != outcome.id] + [outcome]


class Written(Record):
    """What write_reports wrote: the gradebook's submissions, the changes since an earlier run (if compared), who
    a file left out and why (file -> lines), and the files that did not fit on the disk (removed, not stale)."""

    rows: list[GradedSubmission]
    changes: list[dict[str, str]] | None
    left_out: dict[str, list[str]]
    unwritten: list[str]
    similar: Screening | None = None


def write_reports(
    submissions: Sequence[Submission],
    *,
    out: Path,
    config: Config,
    title: str,
    finished: set[str] | None = None,
    stopped: str | None = None,
    previous: Snapshot | None = None,
    warnings: Sequence[str] = (),
    canvas: str | None = None,
    run: str = "",
    similarity: bool = False,
    similar_to: Path | None = None,
) -> Written:
    """Write `out`/gradebook.csv, points_possible.csv, report.html (and changes.csv when comparing with
    `previous`) and canvas.csv (with `canvas`, the assignment's name in Canvas) from the results in `out`.
    `finished`: the submissions a stopped run reached (None: the run was complete); the others are rows saying
    so (`stopped`: why the run stopped, when not interrupted), and the report is marked partial. A file that
    does not fit on the disk is skipped (and its older copy removed) and the others are still written: the
    gradebook first, the report last."""
    rows = [read_graded(s, out, finished=finished is None or s.id in finished, stopped=stopped) for s in submissions]
    gradebook = gradebook_rows(rows)
    files = {
        "gradebook.csv": lambda: to_csv(gradebook),
        "points_possible.csv": lambda: to_csv([points_possible(config.tests)]),
    }
    left_out: dict[str, list[str]] = {}
    if canvas is not None:
        assignment = safe_cell(canvas)
        canvas_table, missing = canvas_rows(rows, assignment)
        left_out["canvas.csv"] = left_out_text("canvas.csv", missing)
        files["canvas.csv"] = lambda: to_csv(canvas_table, (*CANVAS_COLUMNS, assignment))
    changes = None
    if previous is not None:
        changes = changed_rows(previous, gradebook, out)
        files["changes.csv"] = lambda: to_csv(changes or [], CHANGE_COLUMNS)
    unwritten = [name for name, text in files.items() if not _write_or_skip(out / name, text)]
    similar = None  # the similarity section: OUT/similarity.csv and the report's (docs/ta.md)
    if similarity:
        try:
            similar = screen_class([s.id for s in submissions], out=out, submissions=rows, earlier=similar_to)
        except OSError as error:
            if not no_space(error):
                raise
            unwritten.append(SIMILARITY_CSV)

    def report() -> str:
        return render_report(
            rows,
            tests=config.tests,
            title=title,
            mistakes=load_mistakes(),
            config=config,
            partial=finished is not None,
            stopped=stopped,
            changes=changes,
            compared_with=str(previous.folder) if previous else None,
            warnings=warnings,
            run=run,
            left_out=left_out,
            unwritten=unwritten,
            similarity=similar,
        )

    if not _write_or_skip(out / "report.html", report, encoding="utf-8"):
        unwritten.append("report.html")
    return Written(rows, changes, left_out, unwritten, similar)


def _write_or_skip(path: Path, text: Callable[[], str], encoding: str = ENCODING) -> bool:
    """Write a report file; False when the disk is full, having removed the older copy (a stale gradebook beside
    this run's results would mislead more than none)."""
    try:
        _write_text(path, text(), encoding=encoding)
    except OSError as error:
        if not no_space(error):
            raise
        path.unlink(missing_ok=True)
        return False
    return True


def _write_text(path: Path, text: str, encoding: str = ENCODING) -> None:
    """Write a whole file atomically and private (0600): a reader (or an interrupted run) never sees half a
    gradebook, and a file that does not fit leaves nothing behind."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        os.fchmod(descriptor, PRIVATE_FILE)  # the file may be an older run's, made with another mode
        with open(descriptor, "w", encoding=encoding, newline="") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _run_note(progress: Progress) -> str:
    """What this run graded and why, for the report: "graded 12 (10 configuration changed, 2 new); 44 already"."""
    why = ", ".join(f"{count} {reason}" for reason, count in progress.reasons.most_common())
    resumed = progress.counts["resumed"]
    return (
        f"This run graded {plural(sum(progress.reasons.values()), 'submission')}"
        + (f" ({why})" if why else "")
        + f"; {resumed} {'was' if resumed == 1 else 'were'} already graded under this configuration"
    )


def summary_line(rows: Sequence[GradedSubmission], outcomes: Sequence[Outcome], seconds: float) -> str:
    """The run in one line whose counts add up to the rows: "10 submissions in 0:42: 7 graded now, 0 already
    graded, 2 could not be graded (1 bad upload, 1 grader failed), 1 with no folder in the export." """
    kinds = Counter(row.kind for row in rows)
    graded_now = {outcome.id for outcome in outcomes if outcome.kind == "graded"}
    now = sum(1 for row in rows if row.kind == "graded" and row.id in graded_now)
    parts = [f"{now} graded now", f"{kinds['graded'] - now} already graded"]
    causes = [f"{kinds[cause]} {cause}" for cause in (BAD_UPLOAD, GRADER_FAILED, STOPPED) if kinds[cause]]
    failed = sum(kinds[cause] for cause in (BAD_UPLOAD, GRADER_FAILED, STOPPED))
    parts.append(f"{failed} could not be graded" + (f" ({', '.join(causes)})" if causes else ""))
    if kinds["no folder"]:
        parts.append(f"{kinds['no folder']} with no folder in the export")
    return f"{plural(len(rows), 'submission')} in {_clock(seconds)}: {', '.join(parts)}."


NOT_ROOT = (
    "not root: the students' code runs as you, with your rights (only where this system allows user "
    "namespaces are the export, this output and /tmp hidden from it; the summary says which). Grade as root "
    "for worker users (README, security model)."
)


def run_isolation(out: Path, outcomes: Sequence[Outcome]) -> str | None:
    """The layers of isolation this run's gradings had (the same machine for all), from a results.json."""
    for outcome in outcomes:
        try:
            results = json.loads((submission_folder(out, outcome.id) / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (isolation := isolation_of(results)) is not None:
            return isolation.line()
    return None


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(
    *,
    export: Path,
    out: Path,
    jobs: int | None = None,
    regrade: bool = False,
    config_path: Path | None = None,
    compare: Path | None = None,
    canvas: str | None = None,
    similarity: bool = True,
    similar_to: Path | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    tty: bool | None = None,
) -> int:
    """The `batch` verb: exit 0 when every submission has a row (graded or not), 2 when nothing could start
    (a broken configuration or export; a configuration, export, `--out` or `--compare` folder a worker user
    could read), 130 when interrupted and EXIT_NO_SPACE when the disk under `out` filled (in both, the gradebook
    and report of what was graded are still written where they fit, marked partial, and the same command
    resumes). Everything it writes is private to the user who runs it (folders 0700, files 0600)."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    out = Path(out)
    handler = signal.signal(signal.SIGTERM, _interrupt) if _main_thread() else None
    try:
        return _main(
            export, out, jobs, regrade, config_path, compare, canvas, stdout, stderr, tty, similarity, similar_to
        )
    except KeyboardInterrupt:
        print("\nbatch: interrupted.", file=stderr)
        return 130
    except OSError as error:
        if not no_space(error):
            raise
        print(f"batch: {_full_message(out, error.strerror or str(error))}", file=stderr)
        return EXIT_NO_SPACE
    finally:
        if handler is not None:
            signal.signal(signal.SIGTERM, handler)


def _full_message(out: Path, why: str) -> str:
    return (
        f"the disk holding {out} is full ({why}). Make room (`df -h {out}` shows how much is free) and run the "
        "same command again: what was graded is kept, and the rest is graded."
    )


def _main(
    export: Path,
    out: Path,
    jobs: int | None,
    regrade: bool,
    config_path: Path | None,
    compare: Path | None,
    canvas: str | None,
    stdout: TextIO,
    stderr: TextIO,
    tty: bool | None,
    similarity: bool = True,
    similar_to: Path | None = None,
) -> int:
    started = time.monotonic()
    try:
        config = load_config(config_path)
        check_protected(config_path)  # before any student code runs, and before anything is written
        check_private(
            [
                (Path(export), "the export: the class's uploads"),
                (out, "the batch's output: the class's names, scores and feedback"),
                *([(Path(compare), "--compare's folder: the class's names and scores")] if compare else []),
                *([(Path(similar_to), "--similar-to's folder: a class's answers")] if similar_to else []),
            ]
        )
        try:  # read before anything is written: PREV_OUT may be OUT itself
            previous = read_snapshot(Path(compare)) if compare is not None else None
        except ValueError as error:
            raise ExportError(f"--compare: {error}") from None
        with opened_export(Path(export)) as opened:
            submissions, warnings = find_submissions(
                opened.root,
                exclude=out,
                problems=opened.problems,
                notes=opened.notes,
                shown=None if opened.root == Path(export) else Path(export),
            )
            warnings = [*opened.warnings, *warnings]
            for warning in warnings:
                print(f"batch: {printable(warning)}", file=stderr)
            if grader_mode() != "dedicated":
                print(f"batch: {NOT_ROOT}", file=stderr)
            if not out.is_dir():  # an existing one keeps its mode: closed to the workers (checked), maybe shared
                out.parent.mkdir(parents=True, exist_ok=True)
                private_folder(out)
            progress = Progress(len(submissions), stderr, tty=tty)
            title = f"Class report: {Path(export).name}"

            def report(**partial: Any) -> Written:
                written = write_reports(
                    submissions,
                    out=out,
                    config=config,
                    title=title,
                    previous=previous,
                    warnings=warnings,
                    canvas=canvas,
                    run=_run_note(progress),
                    similarity=similarity,
                    similar_to=similar_to,
                    **partial,
                )
                for lines in written.left_out.values():
                    for line in lines:
                        print(f"batch: {line}", file=stderr)
                return written

            # The export's own folder (a zip's, where other copies of it may lie) and the earlier run's are hidden
            # too; the export's submissions' folder and --out always are.
            hide = [Path(export) if Path(export).is_dir() else Path(export).resolve().parent]
            hide += [Path(compare)] if compare is not None else []
            hide += [Path(similar_to)] if similar_to is not None else []
            try:
                outcomes = run_batch(
                    submissions,
                    out=out,
                    config=config,
                    jobs=capped_jobs(jobs or os.cpu_count() or 1, stderr),
                    regrade=regrade,
                    progress=progress,
                    hide=hide,
                    similarity=similarity,
                )
            except Interrupted as interrupted:
                finished = {o.id for o in interrupted.outcomes if o.kind != FULL}
                stopped = (
                    f"the run stopped before grading it: the disk holding {out} is full" if interrupted.full else None
                )
                written = report(finished=finished, stopped=stopped)
                fitted = _fitted(written)
                if interrupted.full:
                    print(
                        f"\nbatch: stopped after {len(finished)} of {plural(len(submissions), 'submission')}: "
                        f"{_full_message(out, interrupted.full)} {fitted}",
                        file=stderr,
                    )
                    return EXIT_NO_SPACE
                print(
                    f"\nbatch: interrupted after {len(finished)} of {plural(len(submissions), 'submission')}; "
                    f"{fitted} Run the same command again to grade the rest.",
                    file=stderr,
                )
                return 130
            written = report()
    except (ConfigError, ExportError, ExposedError) as error:
        print(f"batch: {printable(str(error))}", file=stderr)
        return 2

    def where(name: str) -> str:
        return "did not fit on the disk" if name in written.unwritten else str(out / name)

    if (isolation := run_isolation(out, outcomes)) is not None:
        print(isolation, file=stdout)
    print(
        f"{summary_line(written.rows, outcomes, time.monotonic() - started)}\n"
        f"Gradebook: {where('gradebook.csv')} (points possible: {where('points_possible.csv')})\n"
        f"Class report: {where('report.html')}",
        file=stdout,
    )
    if canvas is not None:
        print(f"For Canvas's import: {where('canvas.csv')}", file=stdout)
    if written.changes is not None:
        print(
            f"Changes since {compare}: {plural(len(written.changes), 'student')}, in {out / 'changes.csv'}",
            file=stdout,
        )
    if written.similar is not None:
        shown = sum(1 for pair in written.similar.pairs if not pair.dismissed)
        print(f"Similar pairs: {shown}, in {out / SIMILARITY_CSV} (a reason to look, not proof)", file=stdout)
    if written.unwritten:
        print(
            f"batch: every submission is graded, but {_fitted(written)} "
            f"{_full_message(out, os.strerror(errno.ENOSPC))}",
            file=stderr,
        )
        return EXIT_NO_SPACE
    return 0


def _fitted(written: Written) -> str:
    """What a stopped run wrote: "the gradebook and report of those are written, marked partial." or which files
    did not fit on the disk."""
    if not written.unwritten:
        return "the gradebook and report of those are written, marked partial."
    return (
        f"{' and '.join(written.unwritten)} did not fit on the disk (nothing stale is left in their place); the "
        "other reports are written."
    )


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
