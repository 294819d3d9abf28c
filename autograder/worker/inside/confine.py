"""Trusted until its last line: the forked child confines itself (its own session, file descriptors,
limits, private places, then the worker user's identity and no new privileges) and only then runs the
task (child.py), from where on it is the student's: untrusted."""

from __future__ import annotations

import fcntl
import io
import json
import os
import resource
import signal
import sys

from . import seccomp
from .child import run_task
from .kernel import PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, prctl
from .namespaces import drop_capabilities, own_user_namespace, private_places
from .wire import REPLY_FD, Job, write_line

SETUP_FAILED = 125
STUDENT_FILTER: seccomp.Filter | None = None  # the system-call filter, built once by the zygote where it can be
OPEN_FILES = 256  # file descriptors of one process of a task


def start_child(job: Job, task_fd: int, out_fd: int, reply_fd: int, status_fd: int, processes: int) -> None:
    """In the forked child: limit, drop privileges, arrange file descriptors, then run the task."""
    status = status_fd
    try:
        os.setsid()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        with os.fdopen(task_fd, "rb") as stream:
            task = json.loads(stream.read())
        devnull = os.open(os.devnull, os.O_RDONLY)
        sources = {0: devnull, 1: out_fd, 2: out_fd, REPLY_FD: reply_fd}
        high = {target: fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 16) for target, fd in sources.items()}
        status = fcntl.fcntl(status_fd, fcntl.F_DUPFD_CLOEXEC, 16)
        for target, fd in high.items():
            os.dup2(fd, target, inheritable=target != REPLY_FD)
        close_all_but({0, 1, 2, REPLY_FD, status})
        try:
            with open("/proc/self/oom_score_adj", "w") as adj:
                adj.write("1000")  # if memory runs out, the student's process goes first
        except OSError:
            pass
        if job["private"]:
            if job["uid"] is not None:
                private_places(job)
            elif own_user_namespace():  # not root: where the system allows unprivileged user namespaces
                private_places(job)
                drop_capabilities()
        set_limits(job, processes)
        uid, gid = job["uid"], job["gid"]
        if uid is not None and gid is not None:  # a worker user: the sandbox sends both, or neither
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            if 0 in os.getresuid() or 0 in os.getresgid():
                raise PermissionError("the worker kept root's identity")
        else:
            prctl(PR_SET_DUMPABLE, 1)  # the grader's own user: an ordinary process again
        if (os.geteuid() == 0 or os.getuid() == 0) and job.get("mode") != "self":
            raise PermissionError("refusing to run student code as root")
        check_runnable()
        prctl(PR_SET_NO_NEW_PRIVS, 1)
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        os.chdir(job["dir"])
        os.environ.update(HOME=job["dir"], TMPDIR=job["dir"], PWD=job["dir"])
        sys.argv = [task["module"]]
        sys.path.append(job["dir"])
        sys.dont_write_bytecode = True
        sys.stdin = sys.__stdin__ = open(0, closefd=False)  # type: ignore[misc]
        sys.stdout = sys.__stdout__ = text_stream(1)  # type: ignore[misc]
        sys.stderr = sys.__stderr__ = text_stream(2)  # type: ignore[misc]
        last_step(job)
        write_line(status, {"set_up": True})  # the sandbox blames the grader for any task that did not say this
        os.close(status)
    except BaseException as exc:
        try:
            write_line(status, {"setup_error": f"{type(exc).__name__}: {exc}"})
        finally:
            os._exit(SETUP_FAILED)
    run_task(task, job["dir"])


def check_runnable() -> None:
    """What the sandbox's readiness probe once checked in a task of its own before any other, now checked in
    every task, as the worker's user, before the student's file is opened: that user can read numpy (what the
    student's code imports of it loads from there) and run Python. Else the setup is broken: the grader's fault."""
    numpy_file = getattr(sys.modules.get("numpy"), "__file__", None)
    if numpy_file is None or not os.access(numpy_file, os.R_OK):
        raise PermissionError(f"the worker's user cannot read numpy ({numpy_file})")
    if not os.access(sys.executable, os.X_OK):
        raise PermissionError(f"the worker's user cannot run Python ({sys.executable})")


def last_step(job: Job) -> None:
    """The child's last step before the student's code loads (privileges dropped, no_new_privs set, limits
    in force): where a layer that needs no privilege is put in place, such as a seccomp filter. A failure
    here is the grader's (a setup error), never the student's."""
    if STUDENT_FILTER is not None:  # else the zygote reported the layer missing
        STUDENT_FILTER.load()


def close_all_but(keep: set[int]) -> None:
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(1024))
    for fd in fds:
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass


def set_limits(job: Job, processes: int) -> None:
    megabyte = 1 << 20
    cpu = int(job["cpu_seconds"])
    wanted = [
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_CPU, cpu, cpu + 1),  # SIGXCPU at the soft limit, SIGKILL one second later
        (resource.RLIMIT_AS, int(job["memory_mb"]) * megabyte, int(job["memory_mb"]) * megabyte),
        (resource.RLIMIT_FSIZE, int(job["file_size_mb"]) * megabyte, int(job["file_size_mb"]) * megabyte),
        (resource.RLIMIT_NPROC, processes, processes),
        (resource.RLIMIT_NOFILE, OPEN_FILES, OPEN_FILES),  # and so at most that many memory files
    ]
    if hasattr(resource, "RLIMIT_MSGQUEUE"):
        wanted.append((resource.RLIMIT_MSGQUEUE, 0, 0))  # no POSIX message queue: none can outlive the task
    for which, soft, hard in wanted:
        try:
            resource.setrlimit(which, (soft, hard))
        except (ValueError, OSError):
            if which != resource.RLIMIT_AS or sys.platform.startswith("linux"):
                raise  # macOS does not enforce RLIMIT_AS; everything else must hold


def text_stream(fd: int) -> io.TextIOWrapper:
    raw = io.FileIO(fd, "w", closefd=False)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace", line_buffering=True)
