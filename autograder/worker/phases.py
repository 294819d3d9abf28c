"""Trusted, the grader's side: a batch's hidden phases, apart in time from every task whose output a student sees.

Within one grading, `collect.py` runs the tasks of hidden calls after every other task has ended, and the
sandbox cleans its worker user before the next task (docs/spec.md 6.2). A batch grades several submissions at
once, in processes of its own, each with its own worker user: there, another student's visible task could run
while a hidden one does, and read what it shows of itself to other users (its name in /proc/PID/comm, its
command line, a file it left readable in /tmp where no namespace makes /tmp private). So the batch's sandboxes
share a lock: a visible task holds it shared while it runs; a hidden task holds it alone, from before it starts
until its worker user has been cleaned after it (sandbox.py).

A writer-first lock from two flock(2) files: a hidden task takes the gate, so that no visible task starts
meanwhile, then the lock alone once the visible tasks running have ended; a visible task passes the gate
(briefly, shared) and holds the lock shared. Neither side can starve the other for longer than a task's wall
time. A process that dies lets go of its locks with its files.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

GATE, LOCK = "phases.gate", "phases.lock"


class Phases:
    """The lock of the hidden phases shared by the sandboxes of one batch: files in `folder`, a private folder of the
    grader's (the worker users must not reach them)."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    @contextmanager
    def visible(self) -> Iterator[None]:
        """Held while a task whose output a student sees runs: never beside a hidden one."""
        with self._open(LOCK) as lock:
            with self._open(GATE) as gate:  # let go of at once: only passed
                fcntl.flock(gate, fcntl.LOCK_SH)  # waits while a hidden task holds or waits for the lock
                fcntl.flock(lock, fcntl.LOCK_SH)
            yield

    @contextmanager
    def hidden(self) -> Iterator[None]:
        """Held while a task of hidden calls runs and until its worker user is clean: no visible task beside it."""
        with self._open(GATE) as gate, self._open(LOCK) as lock:
            fcntl.flock(gate, fcntl.LOCK_EX)  # no visible task starts from here on
            fcntl.flock(lock, fcntl.LOCK_EX)  # the visible tasks that were running have ended
            yield

    @contextmanager
    def _open(self, name: str) -> Iterator[int]:
        """A new open file description each time: flock(2) locks belong to one, and several tasks (threads) of one
        process hold the lock at once."""
        fd = os.open(os.path.join(self.folder, name), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            yield fd
        finally:
            os.close(fd)  # lets go of its lock
