"""Trusted: the cleaner. For a dedicated worker user only, when none of the grader's tasks runs, it
removes everything of that user: processes, files in the shared writable places, SysV IPC objects,
kernel keys. Also `remove_tree`, which the grader uses for its own folders too."""

from __future__ import annotations

import ctypes
import os
import signal
import stat
import sys
import time
from collections.abc import Callable

from .kernel import PR_SET_NAME, prctl
from .wire import CleanJob, write_line

CLEANER_NAME = b"rnn-cleaner"  # the cleaner and its helpers that act as the worker user, as `ps` shows them
CLEANUP_SECONDS = 10.0
IPC_RMID = 0


def clean(job: CleanJob, status_fd: int) -> None:
    """Remove everything of a dedicated worker user, who is leased to one grader and runs no task now:
    its processes, its files in the shared writable places, its SysV IPC objects, its kernel keys. Reports
    on status_fd."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    prctl(PR_SET_NAME, ctypes.c_char_p(CLEANER_NAME))
    uid = int(job["uid"])
    report: dict[str, object] = {"processes": kill_user(uid)}
    report["ipc"] = remove_ipc(uid)
    report["files"] = remove_files(uid, job["places"])
    report["keys"] = clear_keys(uid)
    write_line(status_fd, report)


KEYCTL = {"x86_64": 250, "aarch64": 219}  # the keyctl system call's number (libc has no wrapper)
KEYCTL_CLEAR, USER_KEYRINGS = 7, (-4, -5)  # the user's keyring and its default session keyring


def clear_keys(uid: int) -> bool:
    """Empty the kernel keyrings of uid, which outlive its processes: a task could leave a note there for
    the next student graded as the same user. Returns whether it was done (not Linux: nothing to do)."""
    number = KEYCTL.get(os.uname().machine) if sys.platform.startswith("linux") else None
    if number is None:
        return False

    def clear() -> int:
        libc = ctypes.CDLL(None, use_errno=True)
        for keyring in USER_KEYRINGS:
            libc.syscall(number, KEYCTL_CLEAR, keyring)
        return 0

    return as_user(uid, clear) == 0  # the user keyrings are the calling user's


def as_user(uid: int, action: Callable[[], int]) -> int | None:
    """Run `action` in a forked process that is `uid` (for what only that user can do, or what root without
    CAP_SYS_ADMIN may not do for it): its result (0 to 254), or None if it raised or could not become uid.
    The helper is named CLEANER_NAME before it becomes uid: a process of uid by that name is the cleaner's."""
    child = os.fork()
    if child == 0:
        code = 255
        try:
            prctl(PR_SET_NAME, ctypes.c_char_p(CLEANER_NAME))
            os.setresuid(uid, uid, uid)
            if uid == 0 or os.getresuid() != (uid, uid, uid):  # never act as root or as anyone else
                raise PermissionError(f"could not become uid {uid}")
            code = max(0, min(action(), 254))
        finally:
            os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    return code if 0 <= code < 255 else None


def kill_user(uid: int) -> bool:
    """SIGKILL every process of uid until none is left; returns whether none is. A process of that user
    calls kill(-1), which reaches all of them at once: a fork bomb cannot outrun it."""
    give_up = time.monotonic() + CLEANUP_SECONDS
    while processes_of(uid):
        if time.monotonic() > give_up:
            return False
        as_user(uid, kill_all)
        time.sleep(0.005)
    return True


def kill_all() -> int:
    """SIGKILL every process of the calling user (kill(-1) as that user), at once. Never as root: there,
    kill(-1) would reach every process on the machine."""
    if 0 in os.getresuid():
        raise PermissionError("kill(-1) as root")
    os.kill(-1, signal.SIGKILL)
    return 0


def processes_of(uid: int) -> list[int]:
    """The pids of uid's processes that are not zombies (those are dead: their parent reaps them)."""
    found: list[int] = []
    wanted = str(uid).encode()
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/status", "rb") as status:
                    text = status.read()
                state = text.split(b"\nState:", 1)[1].split(None, 1)[0]  # only the two lines it needs
                uids = text.split(b"\nUid:", 1)[1].split(b"\n", 1)[0].split()  # real, effective, saved, filesystem
            except (OSError, IndexError):
                continue
            if wanted in uids and state != b"Z":
                found.append(int(name))
    return found


def remove_ipc(uid: int) -> int:
    """Remove the SysV shared memory, message queues and semaphores that uid owns or created, as uid: the
    owner or creator may remove them, where root needs CAP_SYS_ADMIN (which a Docker container lacks).
    (The filter keeps a task from making any; this is the belt to its braces.) Returns how many."""
    found: list[tuple[str, int]] = []
    for kind, key in (("shm", "shmid"), ("msg", "msqid"), ("sem", "semid")):
        try:
            with open(f"/proc/sysvipc/{kind}") as table:
                header, *rows = [line.split() for line in table]
        except (OSError, ValueError):
            continue
        for values in rows:
            row = dict(zip(header, values, strict=False))  # the kernel may add columns
            if uid in (int(row["uid"]), int(row["cuid"])):
                found.append((kind, int(row[key])))

    def remove() -> int:
        libc = ctypes.CDLL(None, use_errno=True)
        removed = 0
        for kind, ident in found:
            if kind == "sem":
                removed += libc.semctl(ident, 0, IPC_RMID) == 0
            else:
                removed += getattr(libc, f"{kind}ctl")(ident, IPC_RMID, None) == 0
        return removed

    return (as_user(uid, remove) or 0) if found else 0


def remove_tree(path: str) -> bool:
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
        subfolders: list[str] = []
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


def remove_files(uid: int, places: list[str]) -> int:
    """Remove what uid owns in the shared writable places, and in the world-writable folders below them."""
    removed, seen, todo = 0, set[tuple[int, int]](), list(places)
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
