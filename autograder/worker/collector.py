"""The grader's side of a task's pipes: the `Collector` reads the output, reply and status pipes within the
task's time, with bounds on sizes (and, through `parse_reply`, on what a reply line holds), and says what
went wrong in the student's terms. The format itself is defined in inside/wire.py.
"""

from __future__ import annotations

import os
import selectors
import signal
import time
from typing import Any

from autograder.worker.inside.bounds import OWN_FOLDER
from autograder.worker.inside.namespaces import TMPFS_INODES
from autograder.worker.inside.wire import (
    CHUNK,
    MAX_REPLY_CONTAINERS,
    MAX_REPLY_VALUES,
    Reply,
    Room,
    is_reply,
    parse_reply,
)
from autograder.worker.limits import Limits

MAX_NOTES = 200  # a notebook's notes kept per task


class Collector:
    """Reads a task's three pipes until they close or time runs out; judges what came back."""

    def __init__(self, kind: str, expected: int, limits: Limits) -> None:
        self.kind, self.expected, self.limits = kind, expected, limits
        self.replies: list[Reply] = []
        self.status: dict[str, Any] = {}
        self.out = bytearray()
        self.out_total = 0
        self.reply_total = 0
        self.room = Room()  # the values the replies may hold in all, counted before each line is parsed
        self.pending = {"reply": b"", "status": b""}
        self.done = False
        self.fatal: str | None = None
        self.problem: str | None = None  # what the replies did wrong
        self.gave_up = False
        self.stop_sent = False
        self.status_open = True  # the supervisor is alive while it holds the status pipe
        self.notes: list[dict[str, Any]] = []
        self.cell: int | None = None

    def collect(
        self, out_fd: int, reply_fd: int, status_fd: int, stop_fd: int, seconds: float, start_seconds: float = 0.0
    ) -> None:
        """Read until the pipes close, or `seconds` after the task's supervisor said it started (until then,
        `start_seconds` more: the zygote may first import the reader of answers.tex)."""
        deadline, started = time.monotonic() + start_seconds + seconds, False
        with selectors.DefaultSelector() as selector:
            for fd, name in ((out_fd, "out"), (reply_fd, "reply"), (status_fd, "status")):
                selector.register(fd, selectors.EVENT_READ, name)
            while selector.get_map():
                if not started and "supervisor" in self.status:  # the task's clock starts with its supervisor
                    deadline, started = time.monotonic() + seconds, True
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
            record = parse_reply(line, self.room)
            if self.room.full:
                self.problem = (
                    f"sent more values back than the grader reads ({MAX_REPLY_VALUES:,} numbers, texts, lists and "
                    f"dicts; {MAX_REPLY_CONTAINERS:,} lists and dicts)"
                )
            elif self.done or record is None:
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
        if place := status.get("places"):  # the supervisor's word (where the task has no private places)
            where = "its own folder" if place == OWN_FOLDER else f"{place}, a folder the whole machine shares"
            return (
                f"wrote more than {limits.file_size_mb:g} MB (or more than {TMPFS_INODES:,} files) into {where}, "
                "and was stopped (write only to your own folder, the current one)"
            )
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
