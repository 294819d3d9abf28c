"""The sandbox: runs one task on a student's files in a limited, unprivileged worker, and collects plain data.

The grader side of the worker. `Sandbox` starts the zygote (the package `inside/`, a fresh `python -I`
with a clean environment that has imported numpy) once; each `run` writes the student's files
into a fresh private folder, hands the zygote the task and the pipes, and reads back the
replies, the captured output and the outcome. The zygote forks a supervisor per task, the
supervisor forks the child that drops privileges and runs the student's code; when `run`
returns, no process of the task is left. See inside/__init__.py for the worker's side.

Who runs the student's code is the sandbox's `mode`, chosen by the verb, never guessed:
  dedicated  (root: Gradescope, `grade`, `batch`) a worker user made by setup.sh, leased to this
             sandbox alone machine-wide; when none of its tasks runs, everything of that user is
             removed (processes, files in shared writable places, IPC objects). No worker user:
             refused, never a fallback.
  self       (the student's check, and a grader that is not root and so cannot switch users) the
             current user; a task removes what it created (its folder, its processes) and nothing else.

Beside it: collector.py reads what a task sends back on its pipes, in the format of inside/wire.py
(which the worker imports too); host.py finds the worker users and
refuses a machine where the worker could read the grader's files.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import typing
import weakref
from typing import Any

from autograder.record import Record, field
from autograder.worker.collector import Collector
from autograder.worker.forked import Forked, can_fork, fork_zygote
from autograder.worker.host import (
    LEASE_SECONDS,
    PACKAGE,
    SETUP_HINT,
    Lease,
    SandboxError,
    check_closed,
    check_reachable,
    dedicated_users,
    grader_files,
    grader_mode,
    is_within,
    resolve_python,
    shared_places,
)
from autograder.worker.inside.cleanup import remove_tree
from autograder.worker.inside.wire import CHUNK, CleanJob, Job, Reply, check_task, frame, parse_reply
from autograder.worker.isolation import Isolation
from autograder.worker.limits import Limits
from autograder.worker.phases import Phases

try:
    import pwd
except ImportError:  # Windows: importable, but Sandbox() says it cannot work there
    pwd = None  # type: ignore[assignment]

HERE = os.path.dirname(os.path.abspath(__file__))
# Copied whole into the private zygote folder, which the worker puts on its sys.path: the worker itself, and,
# before the first task with an answers.tex, our reader of it and the bundled pure-Python libraries it uses
# (docs/spec.md 5.7): the zygote imports them then (inside/zygote.py), and most gradings have none.
ZYGOTE_FOLDERS = {
    "inside": os.path.join(HERE, "inside"),
    "tex": os.path.join(HERE, "tex"),
    "vendor": os.path.join(PACKAGE, "vendor"),
}
READERS = ("tex", "vendor")
MODES = ("dedicated", "self")
BASE_PREFIX = "rnn-sandbox-"  # then the grader's pid: folders of dead graders are removed
ALIVE = ".alive"  # in a sandbox's folder, locked while its grader lives (hold_alive)
GRACE_SECONDS = 5.0  # on top of the wall clock, for the supervisor's own clean-up
CLEAN_SECONDS = 60.0
START_SECONDS = 60.0  # for the zygote to import numpy and say it is ready, or the reader of answers.tex
START_ATTEMPTS = 2
HELLO_BYTES = 4096  # the zygote's hello: its pid and what the machine allows (inside/layers.py), as JSON
ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",  # one thread: forks stay safe and RLIMIT_NPROC is not eaten
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class TaskResult(Record):
    """What came back from one task. Everything in it is the student's data: untrusted."""

    replies: list[Reply]  # one per answered request, plain JSON data only
    output: str  # the student's stdout and stderr, cut to Limits.output_bytes
    failure: str | None  # None if the task ran to the end, else a reason for the student
    usage: TaskUsage | None = None  # what the whole task tree used (None if the supervisor could not tell)
    notes: list[dict[str, Any]] = field(default_factory=list)  # a notebook's notes on its cells (untrusted data)
    cell: int | None = None  # the notebook's code cell that ran last (names a cell that was stuck)

    @property
    def timed_out(self) -> bool:
        """Did the task, one of its calls or one of its notebook's cells run out of time?"""
        errors = [reply.get("error") for reply in self.replies]
        return (
            (self.failure or "").startswith("timed out")
            or any(isinstance(error, str) and error.startswith("timed out") for error in errors)
            or any(isinstance(note, dict) and note.get("kind") == "timed_out" for note in self.notes)
        )

    @property
    def starved_timeout(self) -> bool:
        """Did it run out of time while starved of the CPU (TaskUsage.starved)? Then the timeout may say nothing of
        the student's code, only of its neighbours: a batch grades it again alone. Any other timeout is final."""
        return self.usage is not None and self.usage.starved and self.timed_out


class TaskUsage(Record):
    """The resources of every process of one task, as its (trusted) supervisor measured them."""

    cpu_seconds: float  # user + system, all processes of the task
    max_rss: int  # bytes: the largest resident set of any one process of the task
    run_delay_seconds: float = 0.0  # waiting runnable but not running (the kernel's schedstat), summed over them
    wall_seconds: float = 0.0  # from the task's start to its end

    @property
    def starved(self) -> bool:
        """Did the task wait for the CPU more than half of its wall time? (A task that slept did not wait; one that
        spun had the CPU.)"""
        return self.wall_seconds > 0 and self.run_delay_seconds > self.wall_seconds / 2

    @classmethod
    def read(cls, record: object) -> TaskUsage | None:
        if not isinstance(record, dict):
            return None
        try:
            return cls(
                float(record["cpu_seconds"]),
                int(record["max_rss"]),
                float(record.get("run_delay_seconds", 0.0)),
                float(record.get("wall_seconds", 0.0)),
            )
        except (KeyError, TypeError, ValueError):
            return None


class Sandbox:
    """Runs tasks on students' files; `run` may be called from several threads at once.

    `mode` is "dedicated" or "self" (see the module's docstring); None is the grading verbs' mode,
    `grader_mode()`. In dedicated mode, `user` names the one worker user to lease (default: any
    free one of setup.sh's), `private` gives each task its own namespaces where the machine allows,
    and the sandbox refuses to start while the worker user can read the grader's own files (its
    package, the reference solutions beside it, and the files in `protect`, a configuration say).
    The folders in `hide` (a batch's export and results) are covered by an empty tmpfs in each task's
    private namespaces, so no student sees another's upload or results. `fork` forks the first zygote from
    this process where forked.py allows it: only for a process that has loaded nothing of a grading yet.
    `phases`, shared by a batch's sandboxes, keeps their hidden tasks apart in time from every other task
    (phases.py).
    """

    def __init__(
        self,
        *,
        mode: str | None = None,
        python: str | None = None,
        user: str | None = None,
        private: bool = True,
        lease_seconds: float = LEASE_SECONDS,
        protect: tuple[str, ...] = (),
        hide: tuple[str, ...] = (),
        wait: bool = True,
        fork: bool = False,
        phases: Phases | None = None,
    ):
        if pwd is None or not hasattr(socket, "send_fds"):
            raise SandboxError("the worker needs Linux or macOS (fork, setrlimit); on Windows use WSL")
        self.mode = grader_mode() if mode is None else mode
        if self.mode not in MODES:
            raise ValueError(f"unknown sandbox mode {self.mode!r}")
        self._fork = fork and can_fork(python)  # the first zygote: forked.py
        self.forked = False  # whether the zygote serving now was forked from this process
        self._python = resolve_python(python)
        self._lease: Lease | None = None
        self._uid: int | None = None
        self._gid: int | None = None
        self._private = private
        self._phases = phases
        self.isolation = Isolation.of({}, mode=self.mode, private=private)  # until the zygote says what it found
        if self.mode == "dedicated":
            names = dedicated_users(user)
            check_reachable(self._python)
            self._lease = Lease(names, lease_seconds)
            self._uid, self._gid, self.user = self._lease.uid, self._lease.gid, self._lease.name
            try:
                check_closed(self.user, self._uid, self._gid, grader_files(protect))
            except BaseException:
                self._lease.release()
                raise
        elif user is not None:
            raise ValueError("a user is only chosen in dedicated mode")
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name
        self._tasks = threading.Condition()  # clean-up by owner waits until no task of ours runs
        self._running = 0
        self.starved_timeouts = 0  # tasks that timed out while starved of CPU (TaskResult.starved_timeout), so far
        self._cleaning = False
        self._clean_error: SandboxError | None = None  # from a clean-up after the last task: raised by what comes next
        self._lock = threading.Lock()
        self._zygote: subprocess.Popen[bytes] | Forked | None = None
        self._control: socket.socket | None = None
        self._zygote_log: typing.BinaryIO | None = None
        self._ready = False  # the zygote said hello (and a worker user was cleaned): see ready()
        self._ready_lock = threading.Lock()
        self._first_clean: int | None = None  # the pipe of the clean-up asked for at launch (see ready())
        self._readers_lock = threading.Lock()
        self._readers_copied = False
        scratch = scratch_folder()
        remove_stale_folders(scratch)
        self._base = tempfile.mkdtemp(prefix=f"{BASE_PREFIX}{os.getpid()}-", dir=scratch)
        self._alive = hold_alive(self._base)
        self._remove_base = weakref.finalize(self, remove_tree, self._base)
        # Never hide what the worker runs on: its Python (a venv and the interpreter it links to) and the
        # sandbox's own folder (the zygote's files, every task's folder).
        needed = {os.path.dirname(os.path.dirname(path)) for path in (self._python, os.path.realpath(self._python))}
        self._needed = needed
        self._hide = [
            folder
            for folder in map(os.path.realpath, hide)
            if os.path.isdir(folder) and not any(is_within(path, folder) for path in (*needed, self._base))
        ]
        try:
            # Task folders live here under unguessable names: the worker user may pass, not list.
            os.chmod(self._base, 0o711 if self._uid is not None else 0o700)
            os.mkdir(os.path.join(self._base, "zygote"), 0o700)
            self._inside = os.path.join(self._base, "zygote", "inside")
            self._copy("inside")
            self._launch_zygote()
            if self._left_by_others():  # what a grader that died holding this user left: cleaned while we start
                self._first_clean = self._ask_clean()
            if wait:
                self.ready()
        except BaseException:
            self.close()
            raise

    def _left_by_others(self) -> bool:
        """May another grader have left something of our worker user (so that it is cleaned before our first task)?
        Not when our lease made the user's lock file (host.Lease.fresh): on Gradescope, every grading."""
        return self._lease is not None and not self._lease.fresh

    def _copy(self, name: str) -> None:
        """Copy ZYGOTE_FOLDERS[name] into the zygote's private folder, with its bytecode (times kept)."""
        compile_once(ZYGOTE_FOLDERS[name])
        shutil.copytree(ZYGOTE_FOLDERS[name], os.path.join(self._base, "zygote", name))

    def _copy_readers(self) -> None:
        """Copy the reader of answers.tex and its libraries beside the zygote's package, once."""
        with self._readers_lock:
            if not self._readers_copied:
                for name in READERS:
                    self._copy(name)
                self._readers_copied = True

    def ready(self) -> Sandbox:
        """Wait until the worker is ready: the zygote said hello and, with a worker user, what a grader that
        died holding that user left is gone. `Sandbox(wait=False)` returns as soon as the zygote is launched, so
        that the caller imports the judges while it starts (startup.py); the first task waits here anyway."""
        with self._ready_lock:
            if not self._ready:
                self._await_zygote()
                if self._left_by_others():
                    reader, self._first_clean = self._first_clean, None
                    self._cleaned(reader if reader is not None else self._ask_clean())  # asked again after a relaunch
                self._ready = True
        return self

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, task: dict[str, Any], files: dict[str, bytes], limits: Limits, *, hidden: bool = False) -> TaskResult:
        """Run one task on `files` (plain names to bytes); every process of it is gone on return. `hidden`: the task
        makes hidden tests' calls only; with the `phases` of a batch, it runs while no task whose output a student
        sees does, and returns once its worker user is clean (phases.py).

        Tasks (the file named by "module" is imported from its own path, SystemExit included):
          {"task": "names", "module": "adder.py", "names": ["U", ...]}
              -> one reply {"names": {"U": plain, ...}} (absent names left out) or {"error": str}
          {"task": "call", "module": "lstm_bptt.py", "function": "lstm_bptt", "calls": [arguments, ...]}
              -> one reply per call, in order: {"value": plain} or {"error": str}. A call's arguments
                 are a mapping whose values are passed positionally, in its order (its keys only
                 label them: the student's parameter names are the student's business, docs/spec.md 5.1);
                 in them, {"__array__": nested list} becomes a float64 array, fresh for every call.
                 With "names" too, the names reply comes first (one run answers both questions).
        A notebook ("module" ending in .ipynb) runs its code cells, each bounded by "call_seconds",
        all of them by "cells_seconds"; its notes on cells and the last cell started come back in
        the result's `notes` and `cell`.
        "call_seconds" in the task (default limits.call_seconds) bounds each call and the import.
        Plain values are floats (NaN and infinities included), lists and dicts with str keys;
        anything else is the string "<not a number: type 'X'>". Errors show the student's own
        frames only. Raises ValueError for a malformed task and SandboxError when the sandbox
        itself fails (the grader's fault); whatever the student's code does is in the result.
        """
        expected = check_task(task, files)
        self.ready()
        if self._phases is None:
            return self._run_task(task, files, limits, expected)
        with self._phases.hidden() if hidden else self._phases.visible():
            result = self._run_task(task, files, limits, expected)
            if hidden:  # its worker user is clean before a visible task may run again (phases.py)
                with self._tasks:
                    self._tasks.wait_for(lambda: not self._cleaning)
            return result

    def _run_task(self, task: dict[str, Any], files: dict[str, bytes], limits: Limits, expected: int) -> TaskResult:
        with self._tasks:
            self._tasks.wait_for(lambda: not self._cleaning)
            if self._clean_error is not None:
                raise self._clean_error
            self._running += 1
        try:
            folder = self._make_folder(files)
            try:
                result = self._run_in(folder, task, limits, expected)
            finally:
                remove_tree(folder)
            if result.starved_timeout:
                with self._tasks:
                    self.starved_timeouts += 1
            return result
        finally:
            with self._tasks:
                self._running -= 1
                self._cleaning = last = self._running == 0 and self._uid is not None
            if last:
                # Off the caller's path: the grader judges the replies while the worker user is cleaned up. The
                # next task and close() wait for it; a clean-up that failed fails them.
                threading.Thread(target=self._clean_after_tasks, name="sandbox-clean").start()

    def _clean_after_tasks(self) -> None:
        try:
            self._clean()
        except SandboxError as error:
            self._clean_error = error
        except Exception as error:  # noqa: BLE001 - the worker stopped answering, say: said by what comes next
            self._clean_error = SandboxError(f"the worker user {self.user} could not be cleaned up: {error}")
        finally:
            with self._tasks:
                self._cleaning = False
                self._tasks.notify_all()

    def close(self) -> None:
        """Stop the zygote, remove the sandbox's folders, give the worker user back; once the clean-up after the
        last task is done (SandboxError if it failed: that worker user may hold what a student left)."""
        with self._tasks:
            self._tasks.wait_for(lambda: not self._cleaning)
        with self._lock:
            if not self._ready and self._zygote is not None:
                self._zygote.kill()  # launched but never used (a broken configuration, say): no need to wait
            self._stop_zygote()
            self._forget_first_clean()
        self._remove_base()
        self._alive.close()
        if self._lease is not None:
            self._lease.release()
        error, self._clean_error = self._clean_error, None
        if error is not None:
            raise error

    # -- the zygote ----------------------------------------------------------------------------

    def _start_zygote(self) -> None:
        """Start the zygote and wait for its hello (see _await_zygote)."""
        self._launch_zygote()
        self._await_zygote()

    def _launch_zygote(self) -> None:
        """Start the zygote's process, without waiting for it: forked from this one the first time when `fork`
        was asked and may be (forked.py), else a fresh interpreter importing numpy."""
        self._forget_first_clean()  # asked of a zygote that did not start: ready() asks the new one
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._control = ours
        self._zygote_log = tempfile.TemporaryFile()
        try:
            self.forked, self._fork = self._fork, False  # one started again is a fresh interpreter: see forked.py
            if self.forked:
                self._zygote = fork_zygote(self._inside, theirs.fileno(), self._zygote_log.fileno(), ENVIRONMENT)
                return
            self._zygote = subprocess.Popen(
                [self._python, "-I", "-X", "faulthandler", self._inside, "zygote", str(theirs.fileno())],
                env=ENVIRONMENT,
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._zygote_log,
                pass_fds=[theirs.fileno()],
                start_new_session=True,
            )
        finally:
            theirs.close()

    def _await_zygote(self) -> None:
        """Wait for the launched zygote's hello; a start that fails is tried once more (a busy machine, a kill
        from outside), and then the error says how the last one ended."""
        why = ""
        for attempt in range(START_ATTEMPTS):
            if attempt:
                self._launch_zygote()
            why = self._hello()
            if not why:
                return
        raise SandboxError(f"the worker could not start ({self._python}): {why}")

    def _hello(self) -> str:
        """How the launched zygote ended (it is stopped then), or "" when it said it is ready."""
        zygote, ours = self._zygote, self._control
        if zygote is None or ours is None:
            return "it was not started"
        ours.settimeout(START_SECONDS)
        try:
            if hello := ours.recv(HELLO_BYTES):
                ours.settimeout(None)
                self.isolation = Isolation.of(zygote_found(hello), mode=self.mode, private=self._private)
                return ""
            ended = zygote_ended(zygote)  # it closed its end: it is exiting
        except TimeoutError:
            ended = f"it did not say it was ready within {START_SECONDS:g} s"
        except OSError as error:
            ended = f"its socket failed ({error})"
        said = self._zygote_says()
        zygote.kill()  # it serves no task yet
        self._stop_zygote()
        return f"{ended}; it said: {said}"

    def _forget_first_clean(self) -> None:
        if self._first_clean is not None:
            os.close(self._first_clean)
            self._first_clean = None

    def _zygote_says(self) -> str:
        if self._zygote_log is None:
            return "no message"
        try:
            self._zygote_log.seek(0)
            return self._zygote_log.read()[-2000:].decode("utf-8", "replace").strip() or "no message"
        except (OSError, ValueError):
            return "no message"

    def _stop_zygote(self) -> None:
        if self._control is not None:
            self._control.close()  # the zygote leaves when it sees the end of its socket
            self._control = None
        if self._zygote is not None:
            try:
                self._zygote.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._zygote.kill()
                self._zygote.wait()
            self._zygote = None
        if self._zygote_log is not None:
            self._zygote_log.close()
            self._zygote_log = None

    def _clean(self) -> None:
        """Remove everything of the dedicated worker user: no task of ours runs, and no one else holds it."""
        self._cleaned(self._ask_clean())

    def _ask_clean(self) -> int:
        """Send the zygote the clean-up of the dedicated worker user; returns the pipe its report comes on."""
        reader, writer = os.pipe()
        try:
            self._send({"job": "clean", "uid": self._uid, "places": list(shared_places())}, [writer])
        except BaseException:
            os.close(reader)
            raise
        finally:
            os.close(writer)
        return reader

    def _cleaned(self, reader: int) -> None:
        """Wait for the report of a clean-up on `reader` (and close it); SandboxError unless it is done."""
        report, deadline = b"", time.monotonic() + CLEAN_SECONDS
        try:
            while select_readable(reader, deadline - time.monotonic()):
                data = os.read(reader, CHUNK)
                if not data:
                    break
                report += data
        finally:
            os.close(reader)
        outcome = parse_reply(report.strip()) or {}
        if outcome.get("processes") is not True:
            raise SandboxError(
                f"the worker user {self.user} could not be cleaned up "
                f"(processes that survive SIGKILL?): {outcome or 'no answer'}"
            )

    def _send(self, job: Job | CleanJob, fds: list[int]) -> None:
        message = frame(job)
        with self._lock:
            for attempt in range(2):
                if self._zygote is None or self._zygote.poll() is not None:
                    self._stop_zygote()
                    self._start_zygote()
                try:
                    if self._control is None:
                        raise OSError("no zygote")
                    sent = socket.send_fds(self._control, [message], fds)
                    self._control.sendall(message[sent:])
                    return
                except OSError:
                    if attempt:
                        raise SandboxError(f"the worker stopped answering: {self._zygote_says()}") from None
                    self._stop_zygote()

    # -- one task ------------------------------------------------------------------------------

    def _make_folder(self, files: dict[str, bytes]) -> str:
        folder = os.path.join(self._base, os.urandom(16).hex())
        os.mkdir(folder, 0o700)
        try:
            for name, data in files.items():
                fd = os.open(os.path.join(folder, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
                with os.fdopen(fd, "wb") as stream:
                    stream.write(data)
                    if self._uid is not None and self._gid is not None:
                        os.fchown(stream.fileno(), self._uid, self._gid)
            if self._uid is not None and self._gid is not None:
                os.chown(folder, self._uid, self._gid)
        except BaseException:
            remove_tree(folder)
            raise
        return folder

    def _run_in(self, folder: str, task: dict[str, Any], limits: Limits, expected: int) -> TaskResult:
        if task["module"].endswith(".tex"):
            self._copy_readers()
        message = {**task, "memory_mb": limits.memory_mb, "reply_bytes": limits.reply_bytes}
        message.setdefault("call_seconds", limits.call_seconds)
        places = [p for p in shared_places() if p != "/dev/mqueue"]
        if self._uid is None:  # a student's or a TA's Python may live in /tmp: a place holding it stays uncovered
            places = [p for p in places if not any(is_within(path, os.path.realpath(p)) for path in self._needed)]
        # A worker user's task without its own tmpfs writes to the machine's places: the supervisor bounds them.
        watched = self._uid is not None and "mount_namespace" not in self.isolation.in_force
        job: Job = {
            "dir": folder,
            "uid": self._uid,
            "gid": self._gid,
            "wall_seconds": limits.wall_seconds,
            "cpu_seconds": limits.cpu_seconds,
            "memory_mb": limits.memory_mb,
            "processes": limits.processes,
            "file_size_mb": limits.file_size_mb,
            "mode": self.mode,
            # Not root, private namespaces only where the zygote found a user namespace makes them all.
            "private": self._private and (self._uid is not None or "mount_namespace" in self.isolation.in_force),
            "places": places,
            "hidden": self._hide,
            "watch": places if watched else [],
            "module": task["module"],  # the zygote imports the reader of answers.tex for the first .tex
        }
        pipes = {name: os.pipe() for name in ("out", "reply", "status", "stop")}
        with tempfile.TemporaryFile() as task_file:
            task_file.write(json.dumps(message, allow_nan=False).encode())
            task_file.flush()
            task_file.seek(0)
            try:
                self._send(
                    job, [task_file.fileno(), pipes["out"][1], pipes["reply"][1], pipes["status"][1], pipes["stop"][0]]
                )
            except BaseException:
                for fd in (pipes["out"][0], pipes["reply"][0], pipes["status"][0], pipes["stop"][1]):
                    os.close(fd)
                raise
            finally:
                for name in ("out", "reply", "status"):
                    os.close(pipes[name][1])
                os.close(pipes["stop"][0])
        collector = Collector(task["task"], expected, limits)
        try:
            collector.collect(
                pipes["out"][0],
                pipes["reply"][0],
                pipes["status"][0],
                pipes["stop"][1],
                limits.wall_seconds + GRACE_SECONDS,
                START_SECONDS,
            )
        finally:
            for fd in (pipes["out"][0], pipes["reply"][0], pipes["status"][0]):
                os.close(fd)
            if not collector.stop_sent:
                os.close(pipes["stop"][1])
        if "outcome" not in collector.status:
            self._kill_stuck(collector.status, collector.status_open)
        if "setup_error" in collector.status:
            raise SandboxError(f"the worker could not be set up: {collector.status['setup_error']}; {SETUP_HINT}")
        if "supervisor" not in collector.status:
            raise SandboxError(f"the worker stopped unexpectedly: {self._zygote_says()}")
        if collector.status.get("clean") is False:
            raise SandboxError("processes of a task survived SIGKILL for 10 s")
        if collector.status.get("set_up") is not True:
            # The child says it is set up (confined, the worker's user able to read numpy and run Python) just
            # before the student's file is opened. A task that ended before has a broken worker, not a wrong
            # answer: the grader's failure, never a 0 that looks like the student's fault. (This replaces a probe
            # task that every sandbox ran before its first task.)
            raise SandboxError(
                f"the worker ended a task before it opened the student's file "
                f"({collector.failure(limits) or 'no reason given'}); {SETUP_HINT}"
            )
        return TaskResult(
            replies=collector.replies,
            output=collector.text(folder),
            failure=collector.failure(limits),
            usage=TaskUsage.read(collector.status.get("usage")),
            notes=collector.notes,
            cell=collector.cell,
        )

    def _kill_stuck(self, status: dict[str, Any], supervisor_alive: bool) -> None:
        """Last resort when a supervisor did not report: kill it and the child's session. (The
        student cannot touch the supervisor when the worker is a dedicated user; otherwise it
        can, and then what escaped the session may survive: same user, no protection anyway.)"""
        targets = [(status.get("child"), os.killpg)]
        if supervisor_alive:  # else its pid may already be someone else's
            targets.append((status.get("supervisor"), os.kill))
        for pid, kill in targets:
            if type(pid) is int and pid > 1:
                try:
                    kill(pid, signal.SIGKILL)
                except OSError:
                    pass


def zygote_found(hello: bytes) -> dict[str, Any]:
    """What the zygote's hello says the machine allows ({} if it says nothing of it: every layer missing)."""
    try:
        found = json.loads(hello).get("layers")
    except (ValueError, AttributeError):
        return {}
    return found if isinstance(found, dict) else {}


def compile_once(folder: str) -> None:
    """Write the bytecode of the modules below `folder` beside them where it is missing or older than the
    source (setup.sh compiles at install; this covers a tree that was not, such as the kit's), so that the
    worker's copy starts from bytecode instead of compiling every module on every start. Nothing is written
    where the grader may not write, or when Python is told not to (PYTHONDONTWRITEBYTECODE): the worker
    then compiles in its private copy, as it would anyway."""
    if sys.dont_write_bytecode:
        return
    for root, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if name != "__pycache__"]
        for name in names:
            if name.endswith(".py"):
                source = os.path.join(root, name)
                cache = importlib.util.cache_from_source(source)
                try:
                    if os.stat(cache).st_mtime >= os.stat(source).st_mtime:
                        continue
                except OSError:
                    pass
                import py_compile  # only when something is to be compiled

                try:
                    py_compile.compile(source, cache, doraise=True)
                except (OSError, py_compile.PyCompileError):
                    return  # not ours to write (an installed package), or not Python: leave the rest as it is


def zygote_ended(zygote: subprocess.Popen[bytes] | Forked) -> str:
    """How a zygote that closed its socket before saying it was ready ended."""
    try:
        code = zygote.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return "it closed its socket without saying it was ready"
    if code < 0:
        return f"it was killed by signal {-code} ({signal.strsignal(-code)})"
    return f"it exited with status {code}"


def select_readable(fd: int, seconds: float) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        return bool(selector.select(max(seconds, 0)))


def scratch_folder() -> str | None:
    """Where task folders go: memory (/dev/shm) when there is one, as creating and removing a
    folder on a journaling disk costs milliseconds per task; else the usual temporary folder."""
    shm = "/dev/shm"
    if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) and os.stat(shm).st_mode & 0o1777 == 0o1777:
        return shm
    return None


def hold_alive(base: str) -> typing.BinaryIO:
    """Lock the file ALIVE in a sandbox's folder for as long as the sandbox lives (the kernel drops the lock when
    its holder dies): how another grader tells a live sandbox's folder from a dead one's, also when the two see
    different process ids (a grader in another PID namespace, a container sharing /dev/shm)."""
    temporary = os.path.join(base, ALIVE + ".new")  # locked before it takes its name: never seen unlocked
    holder = open(os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600), "r+b", 0)
    fcntl.flock(holder.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.rename(temporary, os.path.join(base, ALIVE))
    return holder


def is_alive(path: str, pid: int) -> bool:
    """Whether the sandbox folder `path`, named after grader `pid`, belongs to a live grader: its ALIVE file is
    locked; a folder without one (being made, or made by an older grader) is alive while `pid` is."""
    try:
        fd = os.open(os.path.join(path, ALIVE), os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            pass  # alive, another user's
        return True
    except OSError:
        return True  # cannot tell: never remove
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:  # held (BlockingIOError), or cannot tell: never remove
        return True
    finally:
        os.close(fd)
    return False


def remove_stale_folders(scratch: str | None) -> None:
    """Remove sandbox folders left by graders that died without close() (killed, os._exit)."""
    scratch = scratch or tempfile.gettempdir()
    pattern = re.compile(re.escape(BASE_PREFIX) + r"(\d+)-")
    try:
        names = os.listdir(scratch)
    except OSError:
        return
    for name in names:
        match = pattern.match(name)
        path = os.path.join(scratch, name)
        try:
            if match is None or os.lstat(path).st_uid != os.geteuid():
                continue
        except FileNotFoundError:
            continue  # another grader starting at the same moment removed it first
        if not is_alive(path, int(match.group(1))):
            remove_tree(path)
