"""The sandbox: runs one task on a student's files in a limited, unprivileged worker, and collects plain data.

The grader side of the worker. `Sandbox` starts the zygote (`inside.py`, a fresh `python -I`
with a clean environment that has imported numpy) once; each `run` writes the student's files
into a fresh private folder, hands the zygote the task and the pipes, and reads back the
replies, the captured output and the outcome. The zygote forks a supervisor per task, the
supervisor forks the child that drops privileges and runs the student's code; when `run`
returns, no process of the task is left. See inside.py for the worker's side.

Who runs the student's code is the sandbox's `mode`, chosen by the verb, never guessed:
  dedicated  (root: Gradescope, `grade`, `batch`) a worker user made by setup.sh, leased to this
             sandbox alone machine-wide; when none of its tasks runs, everything of that user is
             removed (processes, files in shared writable places, IPC objects). No worker user:
             refused, never a fallback.
  self       (the student's check, and a grader that is not root and so cannot switch users) the
             current user; a task removes what it created (its folder, its processes) and nothing else.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import re
import secrets
import selectors
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import typing
import weakref
from dataclasses import dataclass, field

from autograder.worker.limits import Limits

try:
    import pwd
except ImportError:  # Windows: importable, but Sandbox() says it cannot work there
    pwd = None  # type: ignore[assignment]

INSIDE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inside.py")
PACKAGE = os.path.dirname(os.path.dirname(INSIDE))  # the autograder package: never readable by the worker
# Copied beside inside.py into the private zygote folder, which inside.py puts on its sys.path:
# our reader of answers.tex and the bundled pure-Python libraries (contract 5.7).
ZYGOTE_FOLDERS = {
    "tex": os.path.join(os.path.dirname(INSIDE), "tex"),
    "vendor": os.path.join(os.path.dirname(os.path.dirname(INSIDE)), "vendor"),
}
WORKER_USER = "rnn-worker"  # and rnn-worker1, rnn-worker2, ...: setup.sh makes them
MODES = ("dedicated", "self")
USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")  # also names its lock file: never a path
LEASES = "/run/rnn-autograder"  # root-only: one lock file per worker user, held by the sandbox that uses it
LEASE_SECONDS = 600.0  # how long a sandbox waits for a worker user that other graders hold
BASE_PREFIX = "rnn-sandbox-"  # then the grader's pid: folders of dead graders are removed
SETUP_HINT = "run ./setup.sh as root to set the worker up"
GRACE_SECONDS = 5.0  # on top of the wall clock, for the supervisor's own clean-up
CLEAN_SECONDS = 60.0
# Where any user may write. A task with a dedicated user gets its own empty tmpfs on each (where the
# machine allows namespaces), and the clean-up by owner looks in each, and in world-writable folders below.
SHARED_PLACES = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/var/crash", "/dev/mqueue")
CHUNK = 1 << 16
MAX_NOTES = 200  # a notebook's notes kept per task
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
PROBE = (
    b"import numpy, os, sys\nR = [os.access(numpy.__file__, os.R_OK) + 0.0, os.access(sys.executable, os.X_OK) + 0.0]\n"
)
ENVIRONMENT = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "LC_ALL": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",  # one thread: forks stay safe and RLIMIT_NPROC is not eaten
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


class SandboxError(RuntimeError):
    """The sandbox itself cannot work (a setup problem): the grader's fault, never the student's."""


@dataclass(frozen=True)
class TaskResult:
    """What came back from one task. Everything in it is the student's data: untrusted."""

    replies: list[dict]  # one per answered request, plain JSON data only
    output: str  # the student's stdout and stderr, cut to Limits.output_bytes
    failure: str | None  # None if the task ran to the end, else a reason for the student
    usage: TaskUsage | None = None  # what the whole task tree used (None if the supervisor could not tell)
    notes: list[dict] = field(default_factory=list)  # a notebook's notes on its cells (untrusted data)
    cell: int | None = None  # the notebook's code cell that ran last (names a cell that was stuck)


@dataclass(frozen=True)
class TaskUsage:
    """The resources of every process of one task, as its (trusted) supervisor measured them."""

    cpu_seconds: float  # user + system, all processes of the task
    max_rss: int  # bytes: the largest resident set of any one process of the task

    @classmethod
    def read(cls, record: object) -> TaskUsage | None:
        if not isinstance(record, dict):
            return None
        try:
            return cls(float(record["cpu_seconds"]), int(record["max_rss"]))
        except (KeyError, TypeError, ValueError):
            return None


class Sandbox:
    """Runs tasks on students' files; `run` may be called from several threads at once.

    `mode` is "dedicated" or "self" (see the module's docstring); None is the grading verbs' mode,
    `grader_mode()`. In dedicated mode, `user` names the one worker user to lease (default: any
    free one of setup.sh's), `private` gives each task its own namespaces where the machine allows,
    and the sandbox refuses to start while the worker user can read the grader's own files (its
    package, the reference solutions beside it, and the files in `protect`, a configuration say).
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
    ):
        if pwd is None or not hasattr(socket, "send_fds"):
            raise SandboxError("the worker needs Linux or macOS (fork, setrlimit); on Windows use WSL")
        self.mode = grader_mode() if mode is None else mode
        if self.mode not in MODES:
            raise ValueError(f"unknown sandbox mode {self.mode!r}")
        self._python = resolve_python(python)
        self._lease: Lease | None = None
        self._uid: int | None = None
        self._gid: int | None = None
        self._private = private
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
        self._cleaning = False
        self._lock = threading.Lock()
        self._zygote: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._zygote_log: typing.BinaryIO | None = None
        scratch = scratch_folder()
        remove_stale_folders(scratch)
        self._base = tempfile.mkdtemp(prefix=f"{BASE_PREFIX}{os.getpid()}-", dir=scratch)
        self._remove_base = weakref.finalize(self, shutil.rmtree, self._base, ignore_errors=True)
        try:
            # Task folders live here under unguessable names: the worker user may pass, not list.
            os.chmod(self._base, 0o711 if self._uid is not None else 0o700)
            os.mkdir(os.path.join(self._base, "zygote"), 0o700)
            self._inside = os.path.join(self._base, "zygote", "inside.py")
            shutil.copyfile(INSIDE, self._inside)
            for name, source in ZYGOTE_FOLDERS.items():
                shutil.copytree(
                    source, os.path.join(self._base, "zygote", name), ignore=shutil.ignore_patterns("__pycache__")
                )
            self._start_zygote()
            if self._uid is not None:
                self._clean()  # what a grader that died holding this user left
            self._probe()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def run(self, task: dict, files: dict[str, bytes], limits: Limits) -> TaskResult:
        """Run one task on `files` (plain names to bytes); every process of it is gone on return.

        Tasks (the file named by "module" is imported from its own path, SystemExit included):
          {"task": "names", "module": "adder.py", "names": ["U", ...]}
              -> one reply {"names": {"U": plain, ...}} (absent names left out) or {"error": str}
          {"task": "call", "module": "lstm_bptt.py", "function": "lstm_bptt", "calls": [kwargs, ...]}
              -> one reply per call, in order: {"value": plain} or {"error": str}; in the kwargs,
                 {"__array__": nested list} becomes a float64 array, fresh for every call.
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
        with self._tasks:
            self._tasks.wait_for(lambda: not self._cleaning)
            self._running += 1
        try:
            folder = self._make_folder(files)
            try:
                return self._run_in(folder, task, limits, expected)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        finally:
            with self._tasks:
                self._running -= 1
                self._cleaning = last = self._running == 0 and self._uid is not None
            if last:
                try:
                    self._clean()
                finally:
                    with self._tasks:
                        self._cleaning = False
                        self._tasks.notify_all()

    def close(self) -> None:
        """Stop the zygote, remove the sandbox's folders, give the worker user back."""
        with self._lock:
            self._stop_zygote()
        self._remove_base()
        if self._lease is not None:
            self._lease.release()

    # -- the zygote ----------------------------------------------------------------------------

    def _start_zygote(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._zygote_log = tempfile.TemporaryFile()
        try:
            self._zygote = subprocess.Popen(
                [self._python, "-I", self._inside, "zygote", str(theirs.fileno())],
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
        self._control = ours
        ours.settimeout(60)
        try:
            hello = ours.recv(256)
        except OSError:
            hello = b""
        ours.settimeout(None)
        if not hello:
            self._stop_zygote()
            raise SandboxError(f"the worker could not start ({self._python}): {self._zygote_says()}")

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
        reader, writer = os.pipe()
        try:
            self._send({"job": "clean", "uid": self._uid, "places": list(shared_places())}, [writer])
        finally:
            os.close(writer)
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

    def _send(self, job: dict, fds: list[int]) -> None:
        body = json.dumps(job).encode()
        message = len(body).to_bytes(8, "big") + body  # as inside.receive reads it
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

    def _probe(self) -> None:
        """Check once that the worker user can run Python and read numpy from its folder."""
        result = self.run(
            {"task": "names", "module": "probe.py", "names": ["R"]},
            {"probe.py": PROBE},
            Limits(wall_seconds=60, cpu_seconds=60),
        )
        if result.failure is not None or result.replies != [{"names": {"R": [1.0, 1.0]}}]:
            raise SandboxError(
                f"the worker cannot run Python with numpy ({self._python}); {SETUP_HINT}. "
                f"It said: {result.failure or result.replies} {result.output}".strip()
            )

    # -- one task ------------------------------------------------------------------------------

    def _make_folder(self, files: dict[str, bytes]) -> str:
        folder = os.path.join(self._base, secrets.token_hex(16))
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
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return folder

    def _run_in(self, folder: str, task: dict, limits: Limits, expected: int) -> TaskResult:
        message = {**task, "memory_mb": limits.memory_mb, "reply_bytes": limits.reply_bytes}
        message.setdefault("call_seconds", limits.call_seconds)
        job = {
            "dir": folder,
            "uid": self._uid,
            "gid": self._gid,
            "wall_seconds": limits.wall_seconds,
            "cpu_seconds": limits.cpu_seconds,
            "memory_mb": limits.memory_mb,
            "processes": limits.processes,
            "file_size_mb": limits.file_size_mb,
            "mode": self.mode,
            "private": self._private,
            "places": [p for p in shared_places() if p != "/dev/mqueue"],
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
        return TaskResult(
            replies=collector.replies,
            output=collector.text(folder),
            failure=collector.failure(limits),
            usage=TaskUsage.read(collector.status.get("usage")),
            notes=collector.notes,
            cell=collector.cell,
        )

    def _kill_stuck(self, status: dict, supervisor_alive: bool) -> None:
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


class Collector:
    """Reads a task's three pipes until they close or time runs out; judges what came back."""

    def __init__(self, kind: str, expected: int, limits: Limits):
        self.kind, self.expected, self.limits = kind, expected, limits
        self.replies: list[dict] = []
        self.status: dict = {}
        self.out = bytearray()
        self.out_total = 0
        self.reply_total = 0
        self.pending = {"reply": b"", "status": b""}
        self.done = False
        self.fatal: str | None = None
        self.problem: str | None = None  # what the replies did wrong
        self.gave_up = False
        self.stop_sent = False
        self.status_open = True  # the supervisor is alive while it holds the status pipe
        self.notes: list[dict] = []
        self.cell: int | None = None

    def collect(self, out_fd: int, reply_fd: int, status_fd: int, stop_fd: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with selectors.DefaultSelector() as selector:
            for fd, name in ((out_fd, "out"), (reply_fd, "reply"), (status_fd, "status")):
                selector.register(fd, selectors.EVENT_READ, name)
            while selector.get_map():
                if self.problem is not None and not self.stop_sent:
                    os.close(stop_fd)  # the supervisor kills the task now
                    self.stop_sent = True
                if "outcome" in self.status:
                    deadline = min(deadline, time.monotonic() + 1.0)  # all below it is dead already
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self.gave_up = "outcome" not in self.status
                    return
                for key, _events in selector.select(remaining):
                    data = os.read(key.fd, CHUNK)
                    if not data:
                        selector.unregister(key.fd)
                        self.status_open &= key.data != "status"
                    elif key.data == "out":
                        self.out_total += len(data)
                        self.out += data[: max(0, self.limits.output_bytes - len(self.out))]
                    elif key.data == "reply" and self.problem is None:
                        self.read_replies(data)
                    elif key.data == "status":
                        self.read_status(data)

    def lines(self, name: str, data: bytes) -> list[bytes]:
        *lines, self.pending[name] = (self.pending[name] + data).split(b"\n")
        return lines

    def read_status(self, data: bytes) -> None:
        """Lines from the supervisor (or from the child before any student code runs)."""
        for line in self.lines("status", data):
            record = parse_reply(line) or {}
            if "timed_out" in record:
                record["outcome"] = True
            self.status.update(record)

    def read_replies(self, data: bytes) -> None:
        self.reply_total += len(data)
        if self.reply_total > self.limits.reply_bytes:
            self.problem = f"sent more than {self.limits.reply_bytes / 1e6:g} MB back"
            return
        for line in self.lines("reply", data):
            record = parse_reply(line)
            if self.done or record is None:
                self.problem = "sent something that is not data"
            elif record == {"done": True}:
                self.done = True
            elif len(record) == 1 and type(record.get("fatal")) is str:
                self.fatal = record["fatal"][:200]
            elif len(record) == 1 and type(record.get("note")) is dict:
                if len(self.notes) < MAX_NOTES:
                    self.notes.append(record["note"])
            elif len(record) == 1 and type(record.get("cell")) is int:
                self.cell = record["cell"]
            elif len(self.replies) < self.expected and is_reply(record, self.kind):
                self.replies.append(record)
            else:
                self.problem = "sent something that is not data"
            if self.problem is not None:
                return

    def failure(self, limits: Limits) -> str | None:
        """The student-facing reason the task did not run to the end, or None."""
        status = self.status
        signum, code = status.get("signal"), status.get("exit")
        if self.gave_up or status.get("timed_out"):
            return f"timed out after {limits.wall_seconds:g} s"
        if "outcome" not in status:
            return "was stopped before it finished"
        if self.problem is not None:
            return self.problem
        if status.get("memory"):
            return f"used more than {limits.memory_mb} MB of memory (all its processes together)"
        if self.fatal is not None:
            return f"{self.fatal} (limit {limits.memory_mb} MB)" if self.fatal == "ran out of memory" else self.fatal
        if signum == signal.SIGXCPU or (
            signum == signal.SIGKILL and status.get("cpu_seconds", 0) >= limits.cpu_seconds
        ):
            return f"used more than {limits.cpu_seconds:g} s of CPU time"
        if signum == signal.SIGXFSZ:
            return f"wrote a file larger than {limits.file_size_mb:g} MB"
        if signum is not None:
            return f"was killed by signal {signum}"
        if code != 0 or not self.done:
            return f"exited early with status {code} (sys.exit?)"
        if self.pending["reply"]:
            return "sent something that is not data"
        return None

    def text(self, folder: str) -> str:
        text = bytes(self.out).decode("utf-8", "replace").replace(folder + os.sep, "").replace(folder, ".")
        if self.out_total > len(self.out):
            text += f"\n[... {self.out_total - len(self.out)} more bytes of output cut]"
        return text


MAX_REPLY_DEPTH = 100  # the worker's plain() stops at 64 levels; its envelopes add a few
MAX_INT_DIGITS = 4300  # what Python 3.11+ refuses anyway; 3.10 would parse longer ones in quadratic time
_ESCAPE = re.compile(rb"\\.", re.S)
_STRING = re.compile(rb'"[^"]*"')
_BRACKETS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[{]}"))


def parse_reply(line: bytes) -> dict | None:
    """One reply line as a dict, or None if it is not JSON data. The worker is the student's: the line
    is checked for depth before it is parsed, so no recursion limit is ever reached, here or in the
    judges that walk what it holds; integers are bounded in length."""
    if nesting(line) > MAX_REPLY_DEPTH:
        return None
    try:
        record = json.loads(line, parse_int=bounded_int)
    except (ValueError, RecursionError):
        return None
    return record if type(record) is dict else None


def nesting(text: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, counted on its bytes without recursion:
    escapes, then strings, are removed, and the brackets left are counted in order."""
    bare = _STRING.sub(b"", _ESCAPE.sub(b"", text)).translate(_BRACKETS, _NOT_BRACKETS)
    depth = deepest = 0
    for step in bare:
        depth += step - 1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_REPLY_DEPTH:
                break
    return deepest


def bounded_int(text: str) -> int:
    if len(text) > MAX_INT_DIGITS:
        raise ValueError("an integer too long to be a number anyone meant")
    return int(text)


def is_reply(record: dict, kind: str) -> bool:
    notes, remarks = record.get("notes"), record.get("remarks", [])  # equations from answers.tex (tex/__init__.py)
    if kind == "call" and "value" in record and type(notes) is dict and type(remarks) is list:
        return (
            len(record) == 2 + ("remarks" in record)
            and all(type(key) is str and type(text) is str for key, text in notes.items())
            and all(type(text) is str for text in remarks)
        )
    if len(record) != 1:
        return False
    key, value = next(iter(record.items()))
    if key == "error":
        return type(value) is str
    if key == "names":  # a names task's reply, or the first reply of a call task that asks for names too
        return type(value) is dict
    return kind == "call" and key == "value"


def check_task(task: dict, files: dict[str, bytes]) -> int:
    """Validate a task from the pipeline; returns how many replies it asks for."""
    for name in files:
        if not FILE_NAME.fullmatch(name):
            raise ValueError(f"not a plain file name: {name!r}")
    if task.get("module") not in files:
        raise ValueError(f"the task's module {task.get('module')!r} is not among the files")
    if task.get("task") == "names":
        return 1
    if task.get("task") == "call" and isinstance(task.get("function"), str):
        return len(task["calls"]) + ("names" in task)
    raise ValueError(f"unknown task: {task.get('task')!r}")


def resolve_python(python: str | None) -> str:
    """The interpreter for the worker: one the worker user can run (not a path through the repo)."""
    if python is None:
        python = os.environ.get("AUTOGRADER_WORKER_PYTHON")
    if python is None:
        if sys.prefix != sys.base_prefix:  # a venv: ./.venv may be a link into /opt
            python = os.path.join(os.path.realpath(sys.prefix), "bin", "python")
        if python is None or not os.path.isfile(python):
            python = os.path.realpath(sys.executable)
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise SandboxError(f"the worker's Python {python} is not an executable file")
    return python


def grader_mode() -> str:
    """The mode of the grading verbs (Gradescope, `grade`, `batch`): dedicated worker users as root; not
    root, a grader cannot switch users, so it runs the code as you (a TA's own laptop: README, security)."""
    return "dedicated" if os.geteuid() == 0 else "self"


def worker_users() -> list[str]:
    """The dedicated worker users on this machine: rnn-worker, rnn-worker1, ... (AUTOGRADER_WORKER_USER
    renames them)."""
    base = os.environ.get("AUTOGRADER_WORKER_USER") or WORKER_USER
    pattern = re.compile(re.escape(base) + r"(\d*)")
    found = [
        (int(match.group(1) or 0), entry.pw_name)
        for entry in pwd.getpwall()
        if (match := pattern.fullmatch(entry.pw_name)) and entry.pw_uid not in (0, os.geteuid())
    ]
    return [name for _, name in sorted(found)]


def dedicated_users(user: str | None) -> list[str]:
    """The users a dedicated sandbox may lease: `user` alone, or all of setup.sh's; refuses when that cannot be."""
    if os.geteuid() != 0:
        raise SandboxError(
            "only root can run student code as a dedicated worker user; not root, the code runs as you (mode 'self')"
        )
    names = [user] if user is not None else worker_users()
    if not all(isinstance(name, str) and USER_NAME.fullmatch(name) for name in names):
        raise SandboxError(f"not a user name: {names!r}")
    if not names:
        base = os.environ.get("AUTOGRADER_WORKER_USER") or WORKER_USER
        raise SandboxError(
            f"the worker user '{base}' does not exist; {SETUP_HINT} (as root, student code never runs as root)"
        )
    for name in names:
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            raise SandboxError(f"the worker user '{name}' does not exist; {SETUP_HINT}") from None
        if uid in (0, os.geteuid()):
            raise SandboxError(f"refusing to run student code as root ('{name}')")
    return names


class Lease:
    """One worker user held by one sandbox, machine-wide: an exclusive lock on its file in a root-only
    folder. Another grader on the machine (a batch beside run_autograder, a second copy of the tests)
    takes another user or waits, so no two tasks ever share a user, and the clean-up by owner never
    touches another grader's task. The kernel drops the lock if the holder dies."""

    def __init__(self, names: list[str], wait: float):
        folder = lease_folder()
        give_up = time.monotonic() + wait
        while True:
            for name in reversed(names):  # highest first: graders from before leases used the low ones unleased
                flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
                fd = os.open(os.path.join(folder, f"{name}.lock"), flags, 0o600)
                lock = os.fdopen(fd, "rb", buffering=0)  # closed, and so released, with this object at the latest
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    lock.close()
                    continue
                entry = pwd.getpwnam(name)
                self.name, self.uid, self.gid, self._lock = name, entry.pw_uid, entry.pw_gid, lock
                return
            if time.monotonic() > give_up:
                raise SandboxError(
                    f"every worker user ({', '.join(names)}) is in use by other gradings on this "
                    f"machine (waited {wait:g} s); ./setup.sh can make more (AUTOGRADER_WORKERS)"
                )
            time.sleep(0.1)

    def release(self) -> None:
        self._lock.close()


def grader_files(extra: tuple[str, ...] = ()) -> list[str]:
    """The files the worker must never read: the grader's package (its configuration included), the
    reference solutions of its checkout, and `extra` files or folders."""
    files = []
    for root in (PACKAGE, os.path.join(os.path.dirname(PACKAGE), "reference"), *extra):
        if os.path.isfile(root):
            files.append(root)
        for folder, dirs, names in os.walk(root):
            dirs[:] = [name for name in dirs if name != "__pycache__"]
            files += [os.path.join(folder, name) for name in names]
    return files


def check_closed(user: str, uid: int, gid: int, files: list[str]) -> None:
    """Refuse while the worker user can read one of `files`: passing every folder above it, then reading it.
    (A folder closed higher up, like a checkout in a private home, closes everything below it.)"""
    passable: dict[str, bool] = {}

    def allows(path: str, want: int) -> bool:
        info = os.stat(path)
        shift = 6 if info.st_uid == uid else 3 if info.st_gid == gid else 0
        return (info.st_mode >> shift) & want == want

    def reachable(folder: str) -> bool:
        if folder not in passable:
            parent = os.path.dirname(folder)
            passable[folder] = (parent == folder or reachable(parent)) and allows(folder, 0o1)
        return passable[folder]

    for path in files:
        real = os.path.realpath(path)
        if reachable(os.path.dirname(real)) and allows(real, 0o4):
            raise SandboxError(
                f"refusing to run student code: the worker user {user} can read {path} (the "
                "grader's own files: configuration, reference solutions, the autograder package); "
                "run ./setup.sh as root, which closes the grader's folder to other users"
            )


def lease_folder() -> str:
    """The root-only folder of the leases' lock files (made on first use)."""
    os.makedirs(LEASES, mode=0o700, exist_ok=True)
    info = os.lstat(LEASES)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxError(f"{LEASES} must be a folder that only root can write")
    return LEASES


@functools.lru_cache(maxsize=1)
def shared_places() -> tuple[str, ...]:
    """Every folder where any user may write: the usual ones, and the world-writable folders one level
    below /, /var, /run and /dev (a fuller search of the disk takes seconds). Real paths, each once."""
    found = [place for place in SHARED_PLACES if os.path.isdir(place)]
    for parent in ("/", "/var", "/run", "/dev"):
        try:
            found += [
                entry.path
                for entry in os.scandir(parent)
                if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mode & 0o002
            ]
        except OSError:
            continue
    places = []
    for place in found:
        real = os.path.realpath(place)
        if real not in places and not real.startswith(("/proc", "/sys")):
            places.append(real)
    return tuple(places)


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
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass  # alive, another user's


def check_reachable(path: str) -> None:
    """The worker user (another user) must be able to reach and run the interpreter."""
    for target in (os.path.abspath(path), os.path.realpath(path)):
        folder = os.path.dirname(target)
        while True:
            if not os.stat(folder).st_mode & 0o001:
                raise SandboxError(
                    f"the worker user cannot reach {path}: {folder} is closed to other users; {SETUP_HINT}"
                )
            if folder == os.path.dirname(folder):
                break
            folder = os.path.dirname(folder)
    if not os.stat(path).st_mode & 0o001:
        raise SandboxError(f"the worker user cannot run {path}; {SETUP_HINT}")
