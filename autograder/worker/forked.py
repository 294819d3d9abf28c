"""Trusted, the grader's side: the zygote forked from the grader's own process at its start.

A zygote is a Python that has imported numpy (inside/zygote.py). Started as a fresh interpreter, it costs
a second Python start and numpy import, which the grader pays anyway in its own process. At the start of a
`grade` or a check (startup.early_sandbox), nothing of a grading is loaded yet (no configuration, no
reference, no student's file), so the grader imports numpy and forks, and the child becomes the zygote: it
keeps numpy and drops the rest (the grader's modules and other packages, its environment, command line,
files and path), then imports the worker package from the sandbox's private copy, as a fresh interpreter
would. `can_fork` says when this may be; otherwise, and for every later start of a zygote, the sandbox
starts a fresh interpreter.

What a fork cannot drop is memory: freed, it may still hold what the grader's process held before the fork
(its command line, its environment), and a student's code may read its own memory. So a grading forks only
when its environment holds nothing but what `run_autograder` passes (`clean_environment`): paths and the
grader's own settings. A student's check forks always: it runs the student's own code, as the student.
"""

from __future__ import annotations

import ctypes
import faulthandler
import importlib
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping
from typing import NoReturn

from autograder.worker.host import is_within, resolve_python

FORK_FAILED = 70  # the forked child's status when it could not become the zygote (its log says why)
JUDGING = "autograder.kinds"  # loads configurations, references and problems: once imported, fork no more
# What run_autograder passes to the grader (AUTOGRADER_* too: run_autograder_environment), and the BLAS settings
# autograder/__init__.py adds.
CLEAN_NAMES = frozenset(
    {"PATH", "HOME", "LANG", "TMPDIR", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"}
)


def run_autograder_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment run_autograder gives the grader when its own is `environ` (for those that start the grader
    as it does: the benchmark, CI's other Pythons; tests/test_forked.py holds run_autograder to it)."""
    given = {"PATH": environ.get("PATH", "/usr/bin:/bin"), "HOME": environ.get("HOME", "/root"), "LANG": "C.UTF-8"}
    if environ.get("TMPDIR"):
        given["TMPDIR"] = environ["TMPDIR"]
    return given | {name: value for name, value in environ.items() if name.startswith("AUTOGRADER_")}


def clean_environment() -> bool:
    """Does this process's environment hold only what run_autograder passes (nothing a student may not see)?"""
    return all(name in CLEAN_NAMES or name.startswith("AUTOGRADER_") for name in os.environ)


def can_fork(python: str | None) -> bool:
    """May the zygote be forked from this process? Only on Linux, with the worker's Python the grader's own,
    its files found by their real paths (its numpy is the one the worker user may read), from a process with a single
    thread (a fork copies one thread, and a lock another thread held stays held), before anything of a
    grading was loaded (JUDGING)."""
    if not sys.platform.startswith("linux") or python is not None:
        return False
    if sys.prefix != os.path.realpath(sys.prefix):  # through a link (./.venv) that the worker user may not pass
        return False
    if os.path.realpath(sys.executable) != os.path.realpath(resolve_python(None)):  # another Python for the worker
        return False
    try:
        threads = len(os.listdir("/proc/self/task"))
    except OSError:
        return False
    return threads == 1 and JUDGING not in sys.modules


class Forked:
    """A forked zygote, with what the sandbox uses of a `subprocess.Popen`: pid, poll, wait, kill."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by someone else: gone all the same
                self.returncode = FORK_FAILED
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired([sys.executable, "zygote"], timeout or 0)
            time.sleep(0.002)
        return code

    def kill(self) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass


def fork_zygote(inside: str, control: int, log: int, environment: Mapping[str, str]) -> Forked:
    """Import numpy here (the grader needs it anyway) and fork; the child becomes the zygote that runs the
    package `inside` (the sandbox's private copy) on the socket `control`, writing its messages to `log`."""
    import numpy  # noqa: F401 - the one import both processes share

    for stream in (sys.stdout, sys.stderr):  # nothing of ours buffered is left for the child to write again
        stream.flush()
    pid = os.fork()
    if pid == 0:
        try:
            become_zygote(inside, control, log, environment)
        except BaseException:  # noqa: BLE001 - said in the zygote's log, which the sandbox's error quotes
            traceback.print_exc()
        finally:
            os._exit(FORK_FAILED)
    return Forked(pid)


def become_zygote(inside: str, control: int, log: int, environment: Mapping[str, str]) -> NoReturn:
    """In the forked child: leave everything of the grader behind, as `python -I -X faulthandler INSIDE zygote
    CONTROL` with `environment` would start, then serve as the zygote (inside/zygote.py)."""
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    os.dup2(log, 2)
    os.closerange(3, control)  # the grader's files: its results, its upload, its configuration's folder
    os.closerange(control + 1, os.sysconf("SC_OPEN_MAX"))
    os.chdir("/")
    clear_environment(environment)
    for name in [name for name, module in sys.modules.items() if not worker_may_keep(name, module)]:
        del sys.modules[name]
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    standard = [path for path in sys.path if path and any(is_within(path, prefix) for prefix in prefixes)]
    sys.path[:] = [os.path.dirname(inside), *standard]  # as -I gives it: no script folder, PYTHONPATH or user site
    sys.argv[:] = [inside, "zygote", str(control)]
    importlib.invalidate_caches()
    faulthandler.enable()
    zygote = importlib.import_module("inside.zygote")
    zygote.serve(control)
    os._exit(0)


def clear_environment(environment: Mapping[str, str]) -> None:
    """Replace the environment with `environment`, and blank the grader's command line and environment as the
    kernel keeps them (what /proc/PID/cmdline and /proc/PID/environ show of this process and of every process
    forked from it; `ps` then shows the zygote by its name)."""
    os.environ.clear()
    os.environ.update(environment)
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        areas = ((int(fields[45]), int(fields[46])), (int(fields[47]), int(fields[48])))  # fields 48-51 of proc(5)
    except (OSError, ValueError, IndexError):
        return
    for start, end in areas:  # Python keeps its own copies of both (sys.argv, os.environ)
        if 0 < start < end:
            ctypes.memset(start, 0, end - start)


def worker_may_keep(name: str, module: object) -> bool:
    """What a zygote keeps of the grader's modules: the standard library's and numpy's, as a fresh one
    imports (docs/spec.md 5.7); the grader's own and the other installed packages' are dropped."""
    top = name.split(".")[0]
    if top == "autograder":
        return False
    path = getattr(module, "__file__", None) or ""
    return top == "numpy" or not any(part in ("site-packages", "dist-packages") for part in path.split(os.sep))
