"""Trusted: the supervisor of one task. A child subreaper, so every process of the task stays below it;
it forks the child, waits for it within the task's wall clock and memory, kills every process left
below it, waits until none is left, and reports the outcome on the status pipe."""

from __future__ import annotations

import ctypes
import os
import resource
import select
import signal
import sys
import time

from .bounds import Bound
from .cleanup import CLEANUP_SECONDS
from .confine import start_child
from .kernel import PR_SET_CHILD_SUBREAPER, PR_SET_DUMPABLE, PR_SET_NAME, prctl
from .wire import Job, write_line

SUPERVISOR_NAME = b"rnn-supervisor"
MEMORY_POLL_SECONDS = 0.05  # how often the supervisor adds up the task's memory


def supervise(job: Job, task_fd: int, out_fd: int, reply_fd: int, status_fd: int, stop_fd: int) -> None:
    """Run one task in a child; afterwards no process of it is left. Reports on status_fd."""
    prctl(PR_SET_NAME, ctypes.c_char_p(SUPERVISOR_NAME))
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    prctl(PR_SET_DUMPABLE, 0)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    write_line(status_fd, {"supervisor": os.getpid()})
    processes = int(job["processes"])
    uid = job["uid"]
    bound = Bound(uid, job["watch"], job["dir"], int(job["file_size_mb"])) if job["watch"] and uid is not None else None
    if uid is None:
        processes += count_tasks(os.getuid())  # RLIMIT_NPROC counts every process of the user
    child = os.fork()
    if child == 0:
        os.close(wake_r)
        os.close(wake_w)
        os.close(stop_fd)
        start_child(job, task_fd, out_fd, reply_fd, status_fd, processes)
    for fd in (task_fd, out_fd, reply_fd):
        os.close(fd)
    write_line(status_fd, {"child": child})
    reaper = Reaper(child)
    delays: dict[int, int] = {}  # each process's run delay (ns), as last read
    started = time.monotonic()
    deadline = started + float(job["wall_seconds"])
    memory = int(job["memory_mb"]) << 20
    outcome: dict[str, object] = {"timed_out": False, "stopped": False}
    while reaper.result is None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            outcome["timed_out"] = True
            break
        ready = select.select([stop_fd, wake_r], [], [], min(remaining, MEMORY_POLL_SECONDS))[0]
        if stop_fd in ready:
            outcome["stopped"] = True
            break
        if task_memory(os.getpid()) > memory:  # RLIMIT_AS bounds each process; this, all of them together
            outcome["memory"] = True
            break
        if bound is not None and (place := bound.exceeded()) is not None:  # no private places: watched
            outcome["places"] = place
            break
        run_delays(os.getpid(), delays)
        drain(wake_r)
        reaper.reap()
    run_delays(os.getpid(), delays)
    wall = time.monotonic() - started
    outcome["clean"] = kill_below(child, reaper, wake_r)
    if outcome["clean"]:
        outcome["usage"] = {**tree_usage(), "run_delay_seconds": sum(delays.values()) / 1e9, "wall_seconds": wall}
    if reaper.result is not None:
        status, usage = reaper.result
        if os.WIFSIGNALED(status):
            outcome["signal"] = os.WTERMSIG(status)
        else:
            outcome["exit"] = os.waitstatus_to_exitcode(status)
        outcome["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    write_line(status_fd, outcome)


def tree_usage() -> dict[str, float]:
    """CPU seconds and the largest resident set (bytes, of any one process) of the whole task tree.

    Once every process below is reaped, this supervisor's children's usage covers them all: the
    child, what it waited for, and the orphans we adopted and reaped. Not counted: processes a
    student's process let the kernel reap (SIGCHLD ignored); a cgroup would see those too.
    """
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "max_rss": usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024),
    }


def run_delays(root: int, delays: dict[int, int]) -> None:
    """Update `delays` with the run delay of every process below root: nanoseconds it waited runnable but not
    running (the second field of /proc/PID/schedstat), which only grows. Read as the supervisor polls the task
    (20 times a second) and once at its end; a process that ends between two polls keeps its last reading."""
    for pid in descendants(root) or ():
        try:
            with open(f"/proc/{pid}/schedstat", "rb") as stat:
                delay = int(stat.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
        delays[pid] = max(delays.get(pid, 0), delay)


class Reaper:
    """Reaps this process's children, keeping the status of the task's child."""

    def __init__(self, child: int) -> None:
        self.child = child
        self.result: tuple[int, resource.struct_rusage] | None = None

    def reap(self) -> bool:
        """Reap every exited child; returns False once there is no child at all."""
        while True:
            try:
                pid, status, usage = os.wait4(-1, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid == 0:
                return True
            if pid == self.child:
                self.result = (status, usage)


def drain(fd: int) -> None:
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def kill_below(child: int, reaper: Reaper, wake_r: int) -> bool:
    """SIGKILL every process below this one until none is left (we are their subreaper)."""
    give_up = time.monotonic() + CLEANUP_SECONDS
    try:
        os.killpg(child, signal.SIGKILL)  # the child's session, quickly; the scan finds the rest
    except OSError:
        pass
    while reaper.reap():
        if time.monotonic() > give_up:
            return False
        victims = descendants(os.getpid())
        for pid in victims or ():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        if victims is None:  # no /proc: the session is all we can find
            try:
                os.killpg(child, signal.SIGKILL)
            except OSError:
                pass
        select.select([wake_r], [], [], 0.01)
        drain(wake_r)
    return True


def process_table() -> dict[int, int] | None:
    """{pid: ppid} of every process, from /proc; None without /proc."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    table: dict[int, int] = {}
    for name in names:
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as stat:
                    data = stat.read()
            except OSError:
                continue
            fields = data[data.rfind(b")") + 2 :].split()
            table[int(name)] = int(fields[1])
    return table


def descendants(root: int) -> list[int] | None:
    """Every process below root (a list), or None when /proc cannot tell. Where the kernel lists each
    thread's children, only the task's own processes are read (the supervisor asks 20 times a second);
    else the whole process table."""
    if not os.path.exists(f"/proc/{root}/task/{root}/children"):
        table = process_table()
        if table is None:
            return None
        listed: dict[int, list[int]] = {}
        for pid, ppid in table.items():
            listed.setdefault(ppid, []).append(pid)
        children: dict[int, list[int]] | None = listed
    else:
        children = None
    found: list[int] = []
    todo = [root]
    while todo:
        below = children.get(todo.pop(), ()) if children is not None else children_of(todo.pop())
        found += below
        todo += below
    return found


def children_of(pid: int) -> list[int]:
    """The children of pid, from the kernel's per-thread lists ([] if it has gone)."""
    found: list[int] = []
    try:
        for thread in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{thread}/children", "rb") as listed:
                found += [int(child) for child in listed.read().split()]
    except (OSError, ValueError):
        pass
    return found


def task_memory(root: int) -> int:
    """Bytes of memory the processes below root hold: their proportional share (PSS), so pages that
    forked processes share are counted once, and the memory files (memfd_create) they hold open, which
    no mapping shows. 0 where /proc cannot tell."""
    total, held = 0, set[tuple[int, int]]()
    for pid in descendants(root) or ():
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
                for line in rollup:
                    if line.startswith((b"Pss:", b"SwapPss:")):
                        total += int(line.split()[1]) << 10
        except (OSError, ValueError, IndexError):
            continue
        total += memory_files(pid, held)
    return total


def memory_files(pid: int, held: set[tuple[int, int]]) -> int:
    """Bytes in the memory files pid holds open that are not in `held` yet (which then holds them)."""
    total = 0
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return 0
    for fd in fds:
        path = f"/proc/{pid}/fd/{fd}"
        try:
            if not os.readlink(path).startswith("/memfd:"):
                continue
            info = os.stat(path)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) not in held:
            held.add((info.st_dev, info.st_ino))
            total += info.st_blocks * 512
    return total


def count_tasks(uid: int) -> int:
    """How many tasks (threads included) the user runs now, as RLIMIT_NPROC counts them."""
    total = 0
    try:
        names = os.listdir("/proc")
    except OSError:
        return 0
    for name in names:
        if name.isdigit():
            try:
                with open(f"/proc/{name}/status") as status:
                    fields = dict(line.split(":", 1) for line in status if ":" in line)
            except (OSError, ValueError):
                continue
            if int(fields.get("Uid", "-1").split()[0]) == uid:
                total += int(fields.get("Threads", "1"))
    return total
