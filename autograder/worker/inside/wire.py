"""The wire between the grader (sandbox.py, collector.py) and the worker, defined once for both sides.
Standard library only: the worker imports it from its private copy, the grader from the package.

  control socket  grader -> zygote: one job per frame, `frame(job)` (its length in HEADER bytes,
                  big-endian, then the job's JSON), its file descriptors riding along (FDS of them).
                  A "task" job (`Job`) comes with the task's file (JSON, `Task`), the output, reply
                  and status pipes' write ends and the stop pipe's read end; a "clean" job with the
                  status pipe. The zygote's first bytes say it is ready: {"ready": PID}.
  reply pipe      the child -> the grader, on REPLY_FD: one JSON object per line (`write_line`), the
                  replies `is_reply` accepts, notes and cell numbers of a notebook, {"fatal": why},
                  and {"done": true} last. The student's data: `parse_reply` reads a line only after
                  checking what it would build.
  status pipe     the supervisor (or the child before the student's code) -> the grader: one JSON
                  object per line: {"supervisor": pid}, {"child": pid}, {"setup_error": why} or
                  {"set_up": true} (the child, just before the student's file is opened), and the
                  outcome ({"timed_out": ..., "stopped": ..., "clean": ..., "usage": {"cpu_seconds",
                  "max_rss", "run_delay_seconds", "wall_seconds"}, "exit" or "signal", ...}); a clean
                  job's report.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Mapping
from typing import Any, TypedDict

REPLY_FD = 3
HEADER = 8  # a job on the control socket: its length (8 bytes, big-endian), then JSON; fds ride along
FDS = {"task": 5, "clean": 1}  # how many file descriptors come with each kind of job
CHUNK = 1 << 16  # bytes read from a pipe at once
FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
MAX_REPLY_DEPTH = 100  # the worker's plain() stops at 64 levels; its envelopes add a few
MAX_INT_DIGITS = 4300  # what Python 3.11+ refuses anyway; 3.10 would parse longer ones in quadratic time
# What the replies of one task may hold in all, counted before a line is parsed (`Room`): every value read
# costs the grader memory (up to about 60 bytes each, 200 for a list or dict), bytes alone do not bound it
# (4 MB of `{},` would be 95 MB of dicts). Measured: a whole grading of the reference receives about 1,000
# values in 70 lists and dicts; at these bounds a task's replies stay within about 16 MB.
MAX_REPLY_VALUES = 200_000  # numbers, texts, keys, lists and dicts
MAX_REPLY_CONTAINERS = 20_000  # lists and dicts
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)  # a JSON string, its escapes (\" too) included
_BRACKETS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[{]}"))


class Job(TypedDict, total=False):
    """A job on the control socket, as the sandbox sends it (all keys of a "task" job are always sent)."""

    job: str  # "task" (the default) or "clean"
    dir: str  # the task's private folder
    uid: int | None  # the worker user; None: the grader's own user (mode "self")
    gid: int | None
    wall_seconds: float
    cpu_seconds: float
    memory_mb: int
    processes: int
    file_size_mb: int
    mode: str  # "dedicated" or "self"
    private: bool  # private namespaces wanted
    places: list[str]  # the shared writable places (/tmp, /dev/shm, ...)
    hidden: list[str]  # the grader's folders covered in the task's namespaces
    watch: list[str]  # the shared places the supervisor bounds, where the task gets no private ones
    module: str  # the task's module (a .tex is read by tex/, which the zygote imports for the first one)


class CleanJob(TypedDict):
    """A "clean" job: remove everything of the dedicated worker user `uid` (inside/cleanup.py)."""

    job: str  # "clean"
    uid: int
    places: list[str]  # the shared writable places where its files are looked for


class Task(TypedDict, total=False):
    """The task's JSON, in the file that comes with a "task" job (Sandbox.run documents its kinds)."""

    task: str  # "names" or "call"
    module: str  # the student's file, in the task's folder
    names: list[str]
    function: str
    calls: list[dict[str, Any]]
    call_seconds: float
    cells_seconds: float
    memory_mb: int
    reply_bytes: int


Reply = dict[str, Any]  # one reply line, read


def frame(job: Job | CleanJob) -> bytes:
    """A job as it goes on the control socket (read by `receive`)."""
    body = json.dumps(job).encode()
    return len(body).to_bytes(HEADER, "big") + body


def receive(control: socket.socket) -> tuple[bytes | None, list[int]]:
    """One job from the control socket: (its JSON bytes, its fds), or (None, []) at the end."""
    data, fds, _flags, _address = socket.recv_fds(control, HEADER, 8)
    while data and len(data) < HEADER:
        more = control.recv(HEADER - len(data))
        if not more:
            break
        data += more
    if len(data) < HEADER:
        for fd in fds:
            os.close(fd)
        return None, []
    size, body = int.from_bytes(data, "big"), b""
    while len(body) < size:
        more = control.recv(size - len(body))
        if not more:
            raise ValueError("the control socket closed inside a job")
        body += more
    return body, fds


def write_line(fd: int, obj: object) -> None:
    """Write one JSON line to a pipe, whole."""
    write_text(fd, json.dumps(obj, allow_nan=True, separators=(",", ":")))


def write_text(fd: int, text: str) -> None:
    view = memoryview((text + "\n").encode())
    while view:
        view = view[os.write(fd, view) :]


def check_task(task: Mapping[str, Any], files: dict[str, bytes]) -> int:
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


class Room:
    """What the replies of one task may still hold (MAX_REPLY_VALUES values, MAX_REPLY_CONTAINERS of them
    lists and dicts). The grader's Collector keeps one per task, and the worker one for what it sends."""

    def __init__(self) -> None:
        self.values, self.containers = MAX_REPLY_VALUES, MAX_REPLY_CONTAINERS
        self.full = False  # a line did not fit

    def fits(self, text: bytes) -> bool:
        """Whether a JSON text, counted on its bytes, fits in what is left."""
        values, containers = count_values(text)
        return values <= self.values and containers <= self.containers

    def take(self, text: bytes) -> bool:
        """Make room for a JSON text, counted on its bytes; False (and nothing taken) if it does not fit."""
        return self._take(_code(text))

    def _take(self, code: bytes) -> bool:
        values, containers = _count(code)
        if values > self.values or containers > self.containers:
            self.full = True
            return False
        self.values -= values
        self.containers -= containers
        return True


def parse_reply(line: bytes, room: Room | None = None) -> Reply | None:
    """One reply line as a dict, or None if it is not JSON data. The worker is the student's: before the
    line is parsed, its depth is checked, so no recursion limit is ever reached, here or in the judges that
    walk what it holds, and what it holds is counted into `room` (a fresh one if None: the bound of a whole
    task), so the values it builds are bounded; integers are bounded in length."""
    code = _code(line)
    if _depth(code) > MAX_REPLY_DEPTH or not (room or Room())._take(code):
        return None
    try:
        record = json.loads(line, parse_int=bounded_int)
    except (ValueError, RecursionError):
        return None
    return record if type(record) is dict else None


def count_values(text: bytes) -> tuple[int, int]:
    """(values, of which lists and dicts) a JSON text holds, counted on its bytes without parsing it."""
    return _count(_code(text))


def nesting(text: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest, counted on its bytes without recursion."""
    return _depth(_code(text))


def _code(text: bytes) -> bytes:
    """A JSON text without its strings: its brackets, separators, numbers and literals. Built piece by piece
    (re.sub would hold every piece at once: 100 MB for 4 MB of `{"a":0},`)."""
    code, view, last = bytearray(), memoryview(text), 0
    for string in _STRING.finditer(text):
        code += view[last : string.start()]
        last = string.end()
    code += view[last:]
    return bytes(code)


def _count(code: bytes) -> tuple[int, int]:
    """Every value but the last of a list or dict is followed by a comma, every key by a colon: values are
    the containers, commas and colons, plus one (at most one more than there are per empty list or dict)."""
    containers = code.count(b"[") + code.count(b"{")
    return containers + code.count(b",") + code.count(b":") + 1, containers


def _depth(code: bytes) -> int:
    """How deep the brackets left in `code` nest, counted in order."""
    bare = code.translate(_BRACKETS, _NOT_BRACKETS)
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


def is_reply(record: Reply, kind: str) -> bool:
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
