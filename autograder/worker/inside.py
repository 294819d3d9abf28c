"""The worker: a pre-started zygote that forks one supervised, limited, unprivileged child per task.

This file runs outside the grader, from a private copy, as `python -I inside.py zygote FD`, with a
clean environment. It uses only the standard library, numpy and what the sandbox copies beside it
(tex/, the reader of answers.tex, and vendor/, the bundled libraries); it never imports the grader.

    zygote      trusted, the grader's user: imports numpy once, then, for every job that arrives
                on the control socket FD (with its file descriptors), forks a supervisor.
    supervisor  trusted: a child subreaper, so every process of the task stays below it; forks the
                child, waits for it within the task's wall clock and memory, kills every process
                left below it, waits until none is left, and reports the outcome on the status pipe.
    cleaner     trusted, for a dedicated worker user only, when none of the grader's tasks runs:
                removes everything of that user (processes, files in shared writable places, IPC).
    child       limits itself, drops privileges, then loads the student's file: from there on it is
                untrusted. It reads the task (JSON) on stdin, sends one JSON object per line on
                REPLY_FD, and the student's stdout and stderr go to the output pipe.
"""

import ctypes
import decimal
import fcntl
import functools
import gc
import importlib.util
import io
import json
import linecache
import os
import re
import resource
import select
import signal
import socket
import stat
import sys
import time
import traceback
import types
from fractions import Fraction

import numpy as np

tex = None  # the reader of answers.tex, imported by the zygote (see import_readers)

REPLY_FD = 3
SUPERVISOR_NAME = b"rnn-supervisor"
ZYGOTE_NAME = b"rnn-zygote"
SETUP_FAILED = 125
MAX_DEPTH = 64  # deeper nesting is not a number
MAX_MESSAGE = 4000  # characters of an error message kept
CLEANUP_SECONDS = 10.0
MEMORY_POLL_SECONDS = 0.05  # how often the supervisor adds up the task's memory
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NAME, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 4, 15, 36, 38
CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWNET = 0x00020000, 0x08000000, 0x40000000
TMPFS_INODES = 4096  # files and folders a task may make in each private place
OPEN_FILES = 256  # file descriptors of one process of a task
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18
IPC_RMID = 0
HEADER = 8  # a job on the control socket: its length (8 bytes, big-endian), then JSON; fds ride along
FDS = {"task": 5, "clean": 1}  # how many file descriptors come with each kind of job


# ---------------------------------------------------------------------------------------------
# Trusted side: zygote and supervisor.


def prctl(option, value):
    """Call Linux prctl(2); a no-op elsewhere. Returns whether it worked."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(option, value, 0, 0, 0) == 0


def write_line(fd, obj):
    """Write one JSON line to a pipe, whole."""
    write_text(fd, json.dumps(obj, allow_nan=True, separators=(",", ":")))


def write_text(fd, text):
    view = memoryview((text + "\n").encode())
    while view:
        view = view[os.write(fd, view) :]


def import_readers():
    """Import, here in the trusted zygote, the readers copied beside this file: the worker user
    cannot read this private folder, so everything they need is loaded (and warmed up) now."""
    global tex
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [here, os.path.join(here, "vendor")]
    import tex as reader  # type: ignore[import-not-found]  # the copy beside this file

    reader.warm_up()
    tex = reader


def serve(control_fd):
    """The zygote's loop: one supervisor per job until the grader closes the control socket."""
    control = socket.socket(fileno=control_fd)
    import_readers()
    os.chdir("/")
    # Supervisors and adopted orphans are waited for (not ignored), so that their CPU and memory
    # add up into the zygote's children's usage and, once the grader waits for the zygote, into
    # the grader's: `time` and wait4 around a grading see every process of it.
    signal.signal(signal.SIGCHLD, reap_children)
    prctl(PR_SET_CHILD_SUBREAPER, 1)  # escapees of a dead supervisor stay findable below us
    prctl(PR_SET_NAME, ctypes.c_char_p(ZYGOTE_NAME))
    prctl(PR_SET_DUMPABLE, 0)  # no ptrace and no /proc/PID/fd for processes of the same user
    gc.freeze()  # forked children then do not touch (and copy) every page of the zygote
    control.sendall(json.dumps({"ready": os.getpid()}).encode())
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
            pid = os.fork()
        except Exception:
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


def reap_children(signum=None, frame=None):
    """Wait for every child that has exited (the zygote's SIGCHLD handler)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def receive(control):
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


def supervise(job, task_fd, out_fd, reply_fd, status_fd, stop_fd):
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
    if job["uid"] is None:
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
    deadline = time.monotonic() + float(job["wall_seconds"])
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
        drain(wake_r)
        reaper.reap()
    outcome["clean"] = kill_below(child, reaper, wake_r)
    if outcome["clean"]:
        outcome["usage"] = tree_usage()
    if reaper.result is not None:
        status, usage = reaper.result
        if os.WIFSIGNALED(status):
            outcome["signal"] = os.WTERMSIG(status)
        else:
            outcome["exit"] = os.waitstatus_to_exitcode(status)
        outcome["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    write_line(status_fd, outcome)


def tree_usage():
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


class Reaper:
    """Reaps this process's children, keeping the status of the task's child."""

    def __init__(self, child):
        self.child = child
        self.result = None

    def reap(self):
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


def drain(fd):
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def kill_below(child, reaper, wake_r):
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


def process_table():
    """{pid: ppid} of every process, from /proc; None without /proc."""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    table = {}
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


def descendants(root):
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


def children_of(pid):
    """The children of pid, from the kernel's per-thread lists ([] if it has gone)."""
    found = []
    try:
        for thread in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{thread}/children", "rb") as listed:
                found += [int(child) for child in listed.read().split()]
    except (OSError, ValueError):
        pass
    return found


def task_memory(root):
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


def memory_files(pid, held):
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


def count_tasks(uid):
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


def clean(job, status_fd):
    """Remove everything of a dedicated worker user, who is leased to one grader and runs no task now:
    its processes, its files in the shared writable places, its SysV IPC objects, its kernel keys. Reports
    on status_fd."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    uid = int(job["uid"])
    report = {"processes": kill_user(uid)}
    report["ipc"] = remove_ipc(uid)
    report["files"] = remove_files(uid, job["places"])
    report["keys"] = clear_keys(uid)
    write_line(status_fd, report)


KEYCTL = {"x86_64": 250, "aarch64": 219}  # the keyctl system call's number (libc has no wrapper)
KEYCTL_CLEAR, USER_KEYRINGS = 7, (-4, -5)  # the user's keyring and its default session keyring


def clear_keys(uid):
    """Empty the kernel keyrings of uid, which outlive its processes: a task could leave a note there for
    the next student graded as the same user. Returns whether it was done (not Linux: nothing to do)."""
    number = KEYCTL.get(os.uname().machine) if sys.platform.startswith("linux") else None
    if number is None:
        return False
    child = os.fork()
    if child == 0:
        try:
            os.setresuid(uid, uid, uid)  # the user keyrings are the calling user's
            libc = ctypes.CDLL(None, use_errno=True)
            for keyring in USER_KEYRINGS:
                libc.syscall(number, KEYCTL_CLEAR, keyring)
        finally:
            os._exit(0)
    return os.waitpid(child, 0)[1] == 0


def kill_user(uid):
    """SIGKILL every process of uid until none is left; returns whether none is. A process of that user
    calls kill(-1), which reaches all of them at once: a fork bomb cannot outrun it."""
    give_up = time.monotonic() + CLEANUP_SECONDS
    while processes_of(uid):
        if time.monotonic() > give_up:
            return False
        killer = os.fork()
        if killer == 0:
            try:
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(killer, 0)
        time.sleep(0.005)
    return True


def processes_of(uid):
    """The pids of uid's processes that are not zombies (those are dead: their parent reaps them)."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/status") as status:
                    fields = dict(line.split(":", 1) for line in status if ":" in line)
                if str(uid) in fields["Uid"].split() and not fields["State"].strip().startswith("Z"):
                    found.append(int(name))
            except (OSError, KeyError, ValueError, IndexError):
                continue
    return found


def remove_ipc(uid):
    """Remove the SysV shared memory, message queues and semaphores that uid owns or created."""
    libc = ctypes.CDLL(None, use_errno=True)
    removed = 0
    for kind, key in (("shm", "shmid"), ("msg", "msqid"), ("sem", "semid")):
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                header, *rows = [line.split() for line in table]
        except (OSError, ValueError):
            continue
        for values in rows:
            row = dict(zip(header, values, strict=False))  # the kernel may add columns
            if uid in (int(row["uid"]), int(row["cuid"])):
                ident = int(row[key])
                if kind == "sem":
                    done = libc.semctl(ident, 0, IPC_RMID)
                else:
                    done = getattr(libc, f"{kind}ctl")(ident, IPC_RMID, None)
                removed += done == 0
    return removed


def remove_tree(path):
    """Remove a folder and all in it, however deep or wide, in memory and time linear in its entries; never
    raises, never follows a link; returns whether it is gone. No recursion and no long paths (shutil.rmtree
    recurses, and a student's 3000-deep tree overflows it): every folder met is first moved up to the top
    (a rename within the tree), so each path handled is two levels deep."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            os.unlink(path)
            return True
    except FileNotFoundError:
        return True
    except OSError:
        return False
    pending, moved = [path], 0
    while pending:
        folder = pending.pop()
        try:
            os.chmod(folder, 0o700)  # one the student closed to its owner (mode "self": us)
        except OSError:
            pass
        subfolders = []
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        subfolders.append(entry.path)
                    else:
                        try:
                            os.unlink(entry.path)
                        except FileNotFoundError:
                            pass
        except OSError:
            continue
        for subfolder in subfolders:
            if folder != path:  # bring it up to the top: its own entries are then two levels deep
                moved += 1
                top = os.path.join(path, f".removing-{os.getpid()}-{moved}")
                try:
                    os.rename(subfolder, top)
                except OSError:
                    continue
                subfolder = top
            pending.append(subfolder)
        if folder != path:
            try:
                os.rmdir(folder)
            except OSError:
                pass
    try:
        os.rmdir(path)
    except OSError:
        pass
    return not os.path.lexists(path)


def remove_files(uid, places):
    """Remove what uid owns in the shared writable places, and in the world-writable folders below them."""
    removed, seen, todo = 0, set(), list(places)
    while todo:
        try:
            entries = list(os.scandir(todo.pop()))
        except OSError:
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if info.st_uid == uid:
                removed += 1
                if stat.S_ISDIR(info.st_mode):
                    remove_tree(entry.path)  # however deep: links inside are not followed
                else:
                    try:
                        os.unlink(entry.path)
                    except OSError:
                        removed -= 1
            elif stat.S_ISDIR(info.st_mode) and info.st_mode & 0o003 == 0o003:  # others may write here
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    todo.append(entry.path)
    return removed


def private_places(job):
    """Give the task its own IPC namespace, no network, and empty, size-bounded tmpfs on the shared
    writable places (/tmp, /dev/shm, ...) and on its own folder, which holds copies of the student's
    files: nothing the task writes reaches the machine (a deep tree, a full /dev/shm, a million files),
    and all of it vanishes with the task's last process. Needs root on Linux and a machine that allows
    namespaces; returns False where it cannot (the clean-up by owner remains)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0:
        return False
    libc.unshare(CLONE_NEWNET)  # no network where allowed: nothing to send out, nothing to fetch
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return False  # nothing mounted yet: the task sees the shared places, and the clean-up covers them
    folder = job["dir"]
    original = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        options = f"mode=1777,size={int(job['file_size_mb'])}m,nr_inodes={TMPFS_INODES}".encode()
        for place in job["places"]:
            libc.mount(b"tmpfs", place.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options)
        for hidden in job.get("hidden", ()):  # the grader's own places (a batch's export and results)
            libc.mount(b"tmpfs", hidden.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=0,size=4k,nr_inodes=1")
        own_folder(libc, job, folder, original)
    finally:
        os.close(original)
    return True


def own_folder(libc, job, folder, original):
    """A fresh tmpfs on the task's folder, bounded in bytes and files, with copies of the files the grader
    wrote there (read through `original`, the folder as it was); where that cannot be mounted, the
    folder itself, brought back if a covered place hid it."""
    infos = {name: os.stat(name, dir_fd=original, follow_symlinks=False) for name in os.listdir(original)}
    names = [name for name, info in infos.items() if stat.S_ISREG(info.st_mode)]
    size = sum(infos[name].st_size for name in names) + (int(job["file_size_mb"]) << 20)
    os.makedirs(folder, 0o711, exist_ok=True)
    owner = f",uid={job['uid']},gid={job['gid']}" if job["uid"] is not None else ""
    options = f"mode=0700,size={size},nr_inodes={TMPFS_INODES}{owner}".encode()
    if libc.mount(b"tmpfs", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options) != 0:
        if libc.mount(f"/proc/self/fd/{original}".encode(), folder.encode(), None, MS_BIND, None) != 0:
            raise OSError("the task's folder cannot be mounted back")
        return
    for name in names:
        with open(os.open(name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=original), "rb") as source:
            data = source.read()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        with open(os.open(os.path.join(folder, name), flags, 0o600), "wb") as target:
            target.write(data)
            if job["uid"] is not None:
                os.fchown(target.fileno(), job["uid"], job["gid"])


def start_child(job, task_fd, out_fd, reply_fd, status_fd, processes):
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
        if job["uid"] is not None and job["private"]:
            private_places(job)
        set_limits(job, processes)
        if job["uid"] is not None:
            os.setgroups([])
            os.setresgid(job["gid"], job["gid"], job["gid"])
            os.setresuid(job["uid"], job["uid"], job["uid"])
            if 0 in os.getresuid() or 0 in os.getresgid():
                raise PermissionError("the worker kept root's identity")
        else:
            prctl(PR_SET_DUMPABLE, 1)  # the grader's own user: an ordinary process again
        if (os.geteuid() == 0 or os.getuid() == 0) and job.get("mode") != "self":
            raise PermissionError("refusing to run student code as root")
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
        os.close(status)
    except BaseException as exc:
        try:
            write_line(status, {"setup_error": f"{type(exc).__name__}: {exc}"})
        finally:
            os._exit(SETUP_FAILED)
    run_task(task, job["dir"])


def close_all_but(keep):
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


def set_limits(job, processes):
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


def text_stream(fd):
    raw = io.FileIO(fd, "w", closefd=False)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace", line_buffering=True)


# ---------------------------------------------------------------------------------------------
# Untrusted side: what the child does once the student's code may run.


class CallTimeout(BaseException):
    """Raised by the alarm in whatever the student's code is doing."""


def on_alarm(signum, frame):
    raise CallTimeout()


class Replies:
    """The reply pipe. Only the task's own process speaks: a forked copy that gets here exits."""

    def __init__(self, limit):
        self.owner = os.getpid()
        self.limit = limit

    def send(self, obj):
        if os.getpid() != self.owner:
            os._exit(0)
        text = json.dumps(obj, allow_nan=True, separators=(",", ":"))
        if len(text) >= self.limit and "value" in obj:
            text = json.dumps(
                {"error": f"returned a value too large to send back ({len(text)} bytes, limit {self.limit})"}
            )
        try:
            write_text(REPLY_FD, text)
        except OSError:
            os._exit(1)  # the grader stopped listening


def run_task(task, folder):
    """Answer the task's requests in order, then leave without running anyone's exit hooks."""
    replies = Replies(int(task["reply_bytes"]))  # the sandbox sends every limit: no default of its own here
    try:
        seconds = float(task["call_seconds"])
        described = Describer(folder, task["memory_mb"])
        path = os.path.join(folder, task["module"])
        if path.endswith(".ipynb"):
            ok, module = run_notebook(path, seconds, float(task.get("cells_seconds", seconds)), described, replies)
            module_error = None if ok else module
        else:
            ok, module = guarded(
                lambda: load(path), seconds, lambda exc: import_failure(task["module"], exc, described)
            )
            module_error = None if ok else module
        if "names" in task:  # a "names" task, or a "call" task that also asks for names (a notebook's)
            if module_error is None:
                ok, names = guarded(lambda: module_names(module, task["names"]), seconds, described)
                replies.send({"names": names} if ok else {"error": names})
            else:
                replies.send({"error": module_error})
        if task["task"] == "call":
            function = None
            if module_error is None:
                function, module_error = find_function(module, task["module"], task["function"])
            timed_out = None
            for arguments in task["calls"]:
                if function is None or timed_out:
                    replies.send({"error": module_error or f"not called: an earlier call {timed_out}"})
                    continue
                ok, value = guarded(functools.partial(answer, function, arguments), seconds, described)
                replies.send(value if ok else {"error": value})
                if not ok and value.startswith("timed out"):
                    timed_out = value  # a function that hangs once would hang again: bound the task by one call
        replies.send({"done": True})
    except BaseException as exc:  # the worker's own failure, or the student broke it
        out_of_memory = isinstance(exc, MemoryError)
        replies.send({"fatal": "ran out of memory" if out_of_memory else f"the worker failed: {type(exc).__name__}"})
    finish()


def finish():
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()  # type: ignore[union-attr]  # a None stream raises, and is passed
        except BaseException:
            pass
    os._exit(0)


def guarded(work, seconds, describe):
    """(True, work()) or (False, message), with work limited to `seconds` by an alarm.

    The alarm repeats every second, so code that swallows one timeout gets another; the wall
    clock of the task is the hard limit.
    """
    signal.signal(signal.SIGALRM, on_alarm)
    outcome = None
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


def answer(function, arguments):
    """One call's reply: {"value": plain}; for equations read from answers.tex also {"notes": {key: why
    that key cannot be graded}} and {"remarks": [text]} (see tex/__init__.py)."""
    result = function(*rebuild(arguments).values())  # positionally: (x, weights, forward, dL_dh)
    reply = {"value": plain(result)}
    if tex is not None and type(result) is tex.Evaluated:
        reply["notes"] = {str(key): str(note) for key, note in result.notes.items()}
        if result.remarks:
            reply["remarks"] = [str(remark) for remark in result.remarks]
    return reply


def import_failure(name, exc, described):
    """Why the student's file could not be loaded: answers.tex past a bound of its reader says so plainly
    (no exception name, no frames: the reader is ours); anything else is described as it was raised."""
    if tex is not None and isinstance(exc, tex.CannotRead):
        return str(exc)
    return f"Importing {name} failed:\n{described(exc)}"


def load(path):
    """Import the student's file under its own name (never from an import path); answers.tex is read."""
    if path.endswith(".tex"):
        if tex is None:
            raise ImportError("the reader of answers.tex is missing from the worker")
        return tex.load(path)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {os.path.basename(path)}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# Notebooks: the code cells run in order, in one namespace, each under its own time limit.

NOTEBOOK_BYTES = 20_000_000
MAX_CELL_NOTES = 20  # cells described in the feedback; more are counted
MAX_CODE_CELLS = 1000  # each sends its number before it runs: the replies stay small
# An answer written in LaTeX in a Markdown cell: a bar, or a question-1 name set to a matrix.
LATEX_ANSWER = re.compile(
    r"\\overline\s*\{|\\bar\s*\{?\s*[hcgofiw]|"
    r"\b(?:U|V|W|b_h|b_\{h\})\s*=\s*\\begin\{[bpv]?matrix\}"
)
FETCH_AGAIN = "Download it again from Jupyter or Colab (File > Download > .ipynb)"


class NotebookError(Exception):
    """The notebook cannot be read; the message is for the student."""


def notebook_cells(path):
    """The sources of the code cells of an nbformat-4 notebook, in order, and where a Markdown cell
    writes an answer in LaTeX (which is not read: the student is told). Outputs are never looked at."""
    with open(path, "rb") as stream:
        data = stream.read(NOTEBOOK_BYTES + 1)
    if len(data) > NOTEBOOK_BYTES:
        raise NotebookError(
            f"it is larger than {NOTEBOOK_BYTES // 1_000_000} MB: clear its outputs (Edit > Clear all outputs) "
            "and save it again"
        )
    try:
        text = data.decode("utf-8-sig")
        notebook = json.loads(text)
    except UnicodeDecodeError:
        raise NotebookError(f"it is not UTF-8 text. {FETCH_AGAIN}") from None
    except RecursionError:
        raise NotebookError(f"its JSON is nested too deeply. {FETCH_AGAIN}") from None
    except json.JSONDecodeError as error:
        if text.lstrip()[:1] not in ("{", "["):  # a script renamed .ipynb (`# %%` cells, as VS Code writes them)
            raise NotebookError(
                "it is plain text, not a notebook (a notebook's file starts with `{`): Python code renamed .ipynb? "
                "Upload Python code as adder.py and lstm_bptt.py, or download the notebook from Jupyter or Colab "
                "(File > Download > .ipynb)"
            ) from None
        where = f" (line {error.lineno}, column {error.colno}: {error.msg})"
        raise NotebookError(f"it is not valid notebook JSON{where}: was it saved completely? {FETCH_AGAIN}") from None
    if type(notebook) is not dict or type(notebook.get("cells")) is not list:
        if type(notebook) is dict and "worksheets" in notebook:
            raise NotebookError(
                "it is in the old notebook format 3: open it in a current Jupyter or Colab and save it again"
            )
        raise NotebookError(f"it is not a Jupyter notebook (it has no list of cells). {FETCH_AGAIN}")
    if notebook.get("nbformat", 4) != 4:
        raise NotebookError(
            f"it is in notebook format {notebook.get('nbformat')!r}, not 4: "
            "open it in a current Jupyter or Colab and save it again"
        )
    sources: list[str] = []
    written = None  # (code cells before it, its line) of the first Markdown cell that writes an answer in LaTeX
    scan = 1_000_000  # characters of Markdown looked at
    for cell in notebook["cells"]:
        if type(cell) is not dict or cell.get("cell_type") not in ("code", "markdown"):
            continue
        source = cell.get("source", "")
        if type(source) is list and all(type(line) is str for line in source):
            source = "".join(source)
        if type(source) is not str and cell["cell_type"] == "code":
            raise NotebookError(f"code cell {len(sources) + 1} has no readable source. {FETCH_AGAIN}")
        if cell["cell_type"] == "code":
            sources.append(source)
        elif written is None and type(source) is str and scan > 0:
            text, scan = source[:scan], scan - len(source)  # a bounded look (images may be inlined as text)
            if answer := LATEX_ANSWER.search(text):
                line = text[text.rfind("\n", 0, answer.start()) + 1 :].split("\n", 1)[0]
                written = (len(sources), line.strip()[:120])
    if len(sources) > MAX_CODE_CELLS:
        raise NotebookError(
            f"it has {len(sources)} code cells, more than the {MAX_CODE_CELLS} the grader runs: "
            "keep the cells that define your answers"
        )
    return sources, written


def without_magics(source):
    """The cell's Python: lines whose first non-blank character is % or ! (magics, shell commands
    such as !pip install) are blanked; one that opens a block (after a line ending in `:`) becomes
    `pass` at its indentation, so the block stays valid. Line numbers do not change."""
    lines = source.split("\n")
    opens_block = False
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped[:1] in ("%", "!"):
            lines[index] = line[: len(line) - len(stripped)] + "pass" if opens_block else ""
            opens_block = False
        elif stripped and not stripped.startswith("#"):
            opens_block = stripped.rstrip().endswith(":")
    return "\n".join(lines)


def run_notebook(path, cell_seconds, total_seconds, describe, replies):
    """Run the notebook's code cells in one namespace: (True, the namespace) or (False, why it cannot run).

    What happens to cells is sent as notes ({"note": {"kind", "cell", "detail"}}); before each cell
    its number is sent ({"cell": n}), so that a cell stuck in compiled code, which only the task's
    wall clock can stop, can still be named. `total_seconds` bounds all the cells together.
    """
    try:
        sources, written = notebook_cells(path)
    except NotebookError as error:
        return False, f"The notebook could not be read: {error}"
    if written is not None:
        replies.send({"note": {"kind": "markdown_latex", "cell": written[0], "detail": written[1]}})
    deadline = time.monotonic() + total_seconds
    module = types.ModuleType("__main__")  # as in Jupyter, where cells run as __main__
    sys.modules["__main__"] = module
    namespace = vars(module)
    told, untold = 0, []  # cells beyond MAX_CELL_NOTES are counted, not described
    # module name -> (cell, file name) of a skipped %%writefile cell: importing that module fails
    unwritten: dict[str, tuple[int, str]] = {}
    for number, source in enumerate(sources, start=1):
        if source.lstrip().startswith("%%"):
            problem = ("cell_magic", source.lstrip().split("\n")[0][:200])
            written_file = writefile_target(problem[1])
            if written_file is not None:
                unwritten.setdefault(written_file[: -len(".py")], (number, written_file))
        else:
            remaining = deadline - time.monotonic()
            if remaining <= 0:  # always told: the cells from here on never ran
                replies.send({"note": {"kind": "out_of_time", "cell": number, "detail": f"{len(sources)}"}})
                break
            replies.send({"cell": number})
            filename = os.path.join(os.path.dirname(path), f"cell {number}")
            code = without_magics(source)
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # tracebacks show it
            problem = run_cell(code, filename, namespace, min(cell_seconds, remaining), describe, unwritten)
        if problem is not None and told < MAX_CELL_NOTES:
            replies.send({"note": {"kind": problem[0], "cell": number, "detail": problem[1]}})
            told += 1
        elif problem is not None:
            untold.append(number)
    if untold:
        replies.send({"note": {"kind": "more", "cell": untold[0], "detail": f"{len(untold)}"}})
    return True, module


def writefile_target(magic_line):
    """The .py file a `%%writefile [-a] NAME.py` line (or IPython's alias `%%file`) writes (its base name), or None
    for any other cell magic."""
    words = magic_line.split()
    names = [word for word in words[1:] if not word.startswith("-")]
    if words[:1] not in (["%%writefile"], ["%%file"]) or len(names) != 1:
        return None
    name = names[0].strip("'\"").replace("\\", "/").rsplit("/", 1)[-1]
    return name if name.endswith(".py") and name[:-3].isidentifier() else None


def run_cell(code, filename, namespace, seconds, describe, unwritten=None):
    """Run one cell's code: None, or (kind, message) with kind "raised", "colab", "no_module", "timed_out" or
    "unwritten_module" (an import of a file that a skipped %%writefile cell of `unwritten` was to write; the
    message is then "CELL\tFILE")."""
    kinds = []

    def described(exc):
        kinds.append(import_kind(exc, unwritten or {}))
        return describe(exc)

    ok, message = guarded(lambda: exec(compile(code, filename, "exec"), namespace), seconds, described)
    if ok:
        return None
    if message.startswith("timed out"):
        return "timed_out", message
    kind = kinds[-1] if kinds else "raised"
    if isinstance(kind, tuple):  # the module a %%writefile cell was to write
        return "unwritten_module", f"{kind[0]}\t{kind[1]}"
    return kind, message


def import_kind(exc, unwritten):
    """ "colab" for a failed import of Colab's own modules (google.colab exists only there), the (cell, file)
    of `unwritten` for a module that a skipped %%writefile cell was to write, "no_module" for another module
    that is not installed, else "raised"."""
    try:
        name = exc.name if isinstance(exc, ModuleNotFoundError) else None
        if type(name) is not str:
            return "raised"
        top = name.split(".")[0]
        return "colab" if top == "google" else unwritten.get(top, "no_module")
    except CallTimeout:
        raise
    except BaseException:
        return "raised"


def module_names(module, names):
    namespace = vars(module)
    return {name: plain(namespace[name]) for name in names if name in namespace}


def find_function(module, file_name, name):
    """(the function, None) or (None, why it cannot be called)."""
    function = vars(module).get(name)
    if function is None:
        return None, f"{file_name} defines no function named '{name}'."
    if not callable(function):
        return None, f"'{name}' in {file_name} is not a function (it is of type '{type_name(function)}')."
    return function, None


def rebuild(obj):
    """Fresh arguments from the task's JSON: {"__array__": [...]} becomes a float64 array."""
    if type(obj) is dict:
        if len(obj) == 1 and "__array__" in obj:
            return np.array(obj["__array__"], dtype=np.float64)
        return {key: rebuild(value) for key, value in obj.items()}
    if type(obj) is list:
        return [rebuild(value) for value in obj]
    return obj


class Describer:
    """Turns an exception from the student's code into a message with their own frames only."""

    def __init__(self, folder, memory_mb):
        self.prefix = folder.rstrip(os.sep) + os.sep
        self.memory_mb = memory_mb

    def __call__(self, exc):
        try:
            if isinstance(exc, MemoryError):
                traceback.clear_frames(exc.__traceback__)  # free what the student allocated
            frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith(self.prefix)]
            lines = ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
            lines += traceback.format_exception_only(type(exc), exc)
            if isinstance(exc, MemoryError):
                lines.insert(0, f"ran out of memory (limit {self.memory_mb} MB)\n")
            return cut("".join(lines).replace(self.prefix, "").rstrip("\n"))
        except CallTimeout:
            raise
        except BaseException:
            return f"{type_name(exc)} (its message could not be shown)"


def cut(text, limit=MAX_MESSAGE):
    if len(text) <= limit:
        return text
    half = limit // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters cut ...]\n{text[-half:]}"


def type_name(obj):
    """The name of obj's type, read from the type itself (a metaclass cannot lie about it)."""
    try:
        name = type.__dict__["__name__"].__get__(type(obj), type)
        return cut(str.__str__(name), 60)
    except BaseException:
        return "?"


def not_a_number(obj, dtype=None, reason=None):
    """The one marker the worker writes where a value is not a number: "<not a number: type 'T'>", "... type
    'ndarray' with dtype D>", or "<not a number: REASON>". The grader reads it in judge/numbers.py."""
    what = (
        reason
        if reason is not None
        else f"type '{type_name(obj)}'" + (f" with dtype {dtype}" if dtype is not None else "")
    )
    return f"<not a number: {what}>"


def plain(obj, depth=0):
    """JSON-ready data: dicts with str keys, lists, exact numbers; anything else is a marker string.

    Only the base types' own methods are used, so an object whose __float__, __iter__, __eq__,
    __array__ or __class__ lies cannot change what is sent back.
    """
    try:
        return convert(obj, depth)
    except CallTimeout:
        raise
    except BaseException:
        return not_a_number(obj)


def convert(obj, depth):
    """Numbers exactly: integers of any size as JSON integers, floats as their exact binary value
    (JSON's float repr round-trips), wider floats as {"rational": [p, q]}."""
    kind = type(obj)
    if depth > MAX_DEPTH or issubclass(kind, (bool, np.bool_)):
        return not_a_number(obj)
    if issubclass(kind, (np.ndarray, np.generic)):
        array = np.array(obj, copy=True, subok=False)
        if type(array) is np.ndarray and array.dtype.kind == "O":  # any objects (Fractions; None at index 0):
            return convert(array.tolist(), depth + 1)  # each read as itself; tolist calls nothing of theirs
        if type(array) is not np.ndarray or array.dtype.kind not in "iuf":
            if issubclass(kind, np.generic):
                return not_a_number(obj)
            return not_a_number(obj, dtype=array.dtype)
        if array.dtype.kind in "iu" or array.dtype.itemsize <= 8:
            exact = array if array.dtype.kind in "iu" else array.astype(np.float64)  # float16/32 widen exactly
            return exact.tolist()  # Python ints and floats
        wide = np.frompyfunc(wide_float, 1, 1)(array)  # long double: more bits than a float64
        return wide.tolist() if type(wide) is np.ndarray else wide
    if issubclass(kind, int):
        return whole_number(int.__index__(obj))
    if issubclass(kind, float):
        return float.__float__(obj)
    if issubclass(kind, Fraction):  # exact numbers read from answers.tex: 0.1 is one tenth
        numerator, denominator = int.__index__(obj.numerator), int.__index__(obj.denominator)
        if denominator <= 0:
            return not_a_number(obj)
        return {"rational": [numerator, denominator]}
    if issubclass(kind, decimal.Decimal):  # exact, like a Fraction, once its size is known to be a number's
        return exact_decimal(obj)
    if issubclass(kind, dict):
        return {
            str.__str__(key): plain(value, depth + 1) for key, value in dict.items(obj) if issubclass(type(key), str)
        }
    if issubclass(kind, list):
        return [plain(item, depth + 1) for item in list.__iter__(obj)]
    if issubclass(kind, tuple):
        return [plain(item, depth + 1) for item in tuple.__iter__(obj)]
    if tex is not None and kind is tex.Unreadable:  # answers.tex's reader says where and why, in the marker
        return str.__str__(obj)
    return not_a_number(obj)


MAX_DIGITS = 4000  # an integer longer than this is not a weight (and JSON readers refuse beyond 4300 digits)


def whole_number(value):
    """An int exactly, unless it is too long to be a number anyone meant."""
    if value.bit_length() > MAX_DIGITS * 3.33:  # log2(10) < 3.33: every int of MAX_DIGITS digits passes
        return not_a_number(value, reason=f"a whole number of more than {MAX_DIGITS} digits")
    return value


def exact_decimal(value):
    """A decimal.Decimal exactly: {"rational": [p, q]} when finite, else the float NaN or infinity; one with
    more digits, or a larger exponent, than a number anyone meant is a marker (never expanded)."""
    if not decimal.Decimal.is_finite(value):
        return float("nan") if decimal.Decimal.is_nan(value) else float(decimal.Decimal.__float__(value))
    digits = len(decimal.Decimal.as_tuple(value).digits)
    if digits > MAX_DIGITS or abs(decimal.Decimal.adjusted(value)) > MAX_DIGITS:
        return not_a_number(value, reason=f"a decimal of more than {MAX_DIGITS} digits")
    numerator, denominator = decimal.Decimal.as_integer_ratio(value)
    return {"rational": [int(numerator), int(denominator)]}


def wide_float(value):
    """A long double exactly: {"rational": [p, q]} when finite, else the float NaN or infinity."""
    if not np.isfinite(value):
        return float(value)
    numerator, denominator = value.as_integer_ratio()
    return {"rational": [int(numerator), int(denominator)]}


if __name__ == "__main__":
    if sys.argv[1:2] == ["zygote"]:
        serve(int(sys.argv[2]))
    sys.exit("usage: python -I inside.py zygote CONTROL_FD")
