"""Untrusted: the alarm that bounds each call of the student's code, and what the student is shown of an
exception (their own frames only). Nothing here trusts an object the student made."""

from __future__ import annotations

import errno
import os
import signal
import traceback
import types
from collections.abc import Callable
from typing import Any

MAX_MESSAGE = 4000  # characters of an error message kept
# After a PermissionError "Operation not permitted", most likely from the system-call filter (seccomp.py).
NOT_PERMITTED = (
    "\n(The grader does not allow network or inter-process channels: sockets, shared memory, message queues, "
    "semaphores, keyrings, reading other processes. The homework needs none of them.)"
)


class CallTimeout(BaseException):
    """Raised by the alarm in whatever the student's code is doing."""


def on_alarm(signum: int, frame: types.FrameType | None) -> None:
    raise CallTimeout()


def guarded(work: Callable[[], Any], seconds: float, describe: Callable[[BaseException], str]) -> tuple[bool, Any]:
    """(True, work()) or (False, message), with work limited to `seconds` by an alarm.

    The alarm repeats every second, so code that swallows one timeout gets another; the wall
    clock of the task is the hard limit.
    """
    signal.signal(signal.SIGALRM, on_alarm)
    outcome: tuple[bool, Any] | None = None
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001), 1.0)
    while True:
        try:
            if outcome is None:
                try:
                    outcome = (True, work())
                except CallTimeout:
                    raise
                except BaseException as exc:
                    outcome = (False, describe(exc))
            signal.setitimer(signal.ITIMER_REAL, 0)
            return outcome
        except CallTimeout:
            if outcome is None:
                outcome = (False, f"timed out after {seconds:g} s")


class Describer:
    """Turns an exception from the student's code into a message with their own frames only."""

    def __init__(self, folder: str, memory_mb: object) -> None:
        self.prefix = folder.rstrip(os.sep) + os.sep
        self.memory_mb = memory_mb

    def __call__(self, exc: BaseException) -> str:
        try:
            if isinstance(exc, MemoryError):
                traceback.clear_frames(exc.__traceback__)  # free what the student allocated
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(self.prefix)]
            lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
            lines += traceback.format_exception_only(type(exc), exc)
            if isinstance(exc, MemoryError):
                lines.insert(0, f"ran out of memory (limit {self.memory_mb} MB)\n")
            if isinstance(exc, PermissionError) and exc.errno == errno.EPERM:
                lines.append(NOT_PERMITTED)
            return cut("".join(lines).replace(self.prefix, "").rstrip("\n"))
        except CallTimeout:
            raise
        except BaseException:
            return f"{type_name(exc)} (its message could not be shown)"


def cut(text: str, limit: int = MAX_MESSAGE) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters cut ...]\n{text[-half:]}"


def type_name(obj: object) -> str:
    """The name of obj's type, read from the type itself (a metaclass cannot lie about it)."""
    try:
        name = type.__dict__["__name__"].__get__(type(obj), type)
        return cut(str.__str__(name), 60)
    except BaseException:
        return "?"
