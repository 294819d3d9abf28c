"""Trusted, in the child before it drops privileges: the task's private namespaces (IPC, network, mounts)
and its private, size-bounded places (/tmp, /dev/shm, its own folder), where the machine allows them."""

from __future__ import annotations

import ctypes
import os
import stat
import sys

from .kernel import PR_SET_DUMPABLE, prctl
from .wire import Job

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x08000000, 0x10000000, 0x40000000
CAPABILITY_VERSION_3 = 0x20080522  # capset(2)'s header version
TMPFS_INODES = 4096  # files and folders a task may make in each private place
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 2, 4, 4096, 16384, 1 << 18


def private_places(job: Job) -> bool:
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


def own_user_namespace() -> bool:
    """Not root: enter an unprivileged user namespace, where the system allows one, that maps this user to
    itself, so that private_places can make the task's namespaces as root would. Returns whether it could;
    the capabilities it gives inside are dropped again by drop_capabilities once the places are made."""
    if not sys.platform.startswith("linux"):
        return False
    uid, gid = os.getuid(), os.getgid()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWUSER) != 0:
        return False
    prctl(PR_SET_DUMPABLE, 1)  # else /proc/self/uid_map is root's (the zygote and supervisor are not dumpable)
    try:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as map_file:
                map_file.write(text)
    except OSError:
        return False
    return True


def drop_capabilities() -> None:
    """Drop every capability (those a user namespace gave): the task keeps none, in any namespace."""
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    nothing = (ctypes.c_uint32 * 6)()
    if ctypes.CDLL(None, use_errno=True).capset(header, nothing) != 0:
        raise OSError(ctypes.get_errno(), "the task's capabilities could not be dropped")


def own_folder(libc: ctypes.CDLL, job: Job, folder: str, original: int) -> None:
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
            if job["uid"] is not None and job["gid"] is not None:
                os.fchown(target.fileno(), job["uid"], job["gid"])
