"""Trusted, the grader's user: the zygote. It imports numpy and the whole worker once, then, for every job
that arrives on its control socket (with the job's file descriptors), forks a supervisor (a task) or a
cleaner (a dedicated worker user's clean-up). Started as `python -I PATH/inside zygote FD` (__main__.py).

Everything the child will run is imported here, before any fork: the worker user cannot read the
private folder this package was copied into.
"""

from __future__ import annotations

import ctypes
import gc
import json
import os
import signal
import socket
import sys
import traceback
import types

from . import confine, layers, seccomp, values
from .cleanup import clean
from .kernel import PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_NAME, prctl
from .supervisor import supervise
from .wire import FDS, receive

ZYGOTE_NAME = b"rnn-zygote"


def import_readers() -> None:
    """Import, here in the trusted zygote, the readers copied beside this package: the worker user
    cannot read this private folder, so everything they need is loaded (and warmed up) now, before the
    first task that needs them is forked (see serve); a grading without a .tex never pays for it."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:0] = [here, os.path.join(here, "vendor")]
    import tex as reader  # type: ignore[import-not-found]  # the copy beside this package

    reader.warm_up()
    values.tex = reader


def serve(control_fd: int) -> None:
    """The zygote's loop: one supervisor per job until the grader closes the control socket."""
    control = socket.socket(fileno=control_fd)
    os.chdir("/")
    # Supervisors and adopted orphans are waited for (not ignored), so that their CPU and memory
    # add up into the zygote's children's usage and, once the grader waits for the zygote, into
    # the grader's: `time` and wait4 around a grading see every process of it.
    signal.signal(signal.SIGCHLD, reap_children)
    prctl(PR_SET_CHILD_SUBREAPER, 1)  # escapees of a dead supervisor stay findable below us
    prctl(PR_SET_NAME, ctypes.c_char_p(ZYGOTE_NAME))
    prctl(PR_SET_DUMPABLE, 0)  # no ptrace and no /proc/PID/fd for processes of the same user
    found = layers.detect()  # what the machine allows, said in the hello (the sandbox's isolation.py)
    try:
        confine.STUDENT_FILTER = seccomp.Filter.build()
    except seccomp.Unavailable as why:
        found["seccomp"] = str(why)
    gc.freeze()  # forked children then do not touch (and copy) every page of the zygote
    # A zygote forked from the grader starts without the collector (startup.short_lived), so that its start does not
    # pass over (and copy) every page it shares with the grader; from here on it runs as a fresh interpreter does, and
    # so do the students' processes.
    gc.enable()
    control.sendall(json.dumps({"ready": os.getpid(), "layers": found}).encode())
    while True:
        try:
            message, fds = receive(control)
        except (OSError, ValueError):
            break
        if message is None:
            break
        try:
            job = json.loads(message)
            kind = job.get("job", "task")
            if len(fds) != FDS[kind]:
                raise ValueError(f"a {kind} job comes with {FDS[kind]} file descriptors")
            if values.tex is None and str(job.get("module", "")).endswith(".tex"):
                import_readers()
                gc.freeze()
            pid = os.fork()
        except Exception:
            traceback.print_exc()  # in the zygote's log, which the sandbox's error quotes
            pid = -1
        if pid == 0:
            try:
                control.close()
                (supervise if kind == "task" else clean)(job, *fds)
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
    os._exit(0)


def reap_children(signum: int | None = None, frame: types.FrameType | None = None) -> None:
    """Wait for every child that has exited (the zygote's SIGCHLD handler)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def main(argv: list[str]) -> None:
    """`zygote CONTROL_FD`: serve jobs on that socket until the grader closes it."""
    if argv[:1] == ["zygote"] and len(argv) == 2:
        serve(int(argv[1]))
    sys.exit("usage: python -I PATH/inside zygote CONTROL_FD")
