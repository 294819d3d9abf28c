"""Trusted, the supervisor: the bound on the shared writable places where the task has no private ones.

With namespaces each task gets its own small tmpfs on /tmp, /dev/shm, ... and on its own folder, so the
kernel bounds what it writes there. Where the machine refuses namespaces (a Docker container: root
without CAP_SYS_ADMIN), the task writes to the machine's own places, and /dev/shm is memory.
RLIMIT_FSIZE still bounds each file; this bounds their sum and their number, as the tmpfs would:
the supervisor looks at the worker user's files in each place (and at everything in the task's own
folder) at every tick, and ends the task past the bound. A burst between two looks can pass the bound
by what is written in one tick; the clean-up by owner removes all of it after the task.
"""

from __future__ import annotations

import os
import stat

from .namespaces import TMPFS_INODES

# Entries looked at per place and tick. The worker user's own entries pass the bound (TMPFS_INODES) well
# before; a place crowded with others' files is looked at in part (never held against the task).
MAX_ENTRIES = 4 * TMPFS_INODES
OWN_FOLDER = "its own folder"  # what `exceeded` says for the task's folder (the grader's collector.py reads it)


class Bound:
    """The worker user's usage of the shared places and of the task's folder, against the tmpfs's bounds."""

    def __init__(self, uid: int, places: list[str], folder: str, file_size_mb: int):
        self.uid = uid
        self.places = places
        self.folder = folder
        self.limit = file_size_mb << 20
        self.start = usage(folder, None)[0]  # the student's own files, which the grader wrote there

    def exceeded(self) -> str | None:
        """The place whose bound the task has passed (bytes or files), or None."""
        for place in self.places:
            size, count = usage(place, self.uid)
            if size > self.limit or count > TMPFS_INODES:
                return place
        size, count = usage(self.folder, None)
        if size - self.start > self.limit or count > TMPFS_INODES:
            return OWN_FOLDER
        return None


def usage(place: str, uid: int | None) -> tuple[int, int]:
    """(bytes, entries) that `uid` holds in `place`, looking into its folders and folders others may write
    (None: everything in `place`, which is the task's own). Links are not followed; at most MAX_ENTRIES
    entries are looked at."""
    total, count, todo, seen = 0, 0, [place], 0
    while todo:
        try:
            entries = os.scandir(todo.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                seen += 1
                if seen > MAX_ENTRIES:
                    return total, count
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                mine = uid is None or info.st_uid == uid
                if mine:
                    total += info.st_blocks * 512
                    count += 1
                if stat.S_ISDIR(info.st_mode) and (mine or info.st_mode & 0o003 == 0o003):
                    todo.append(entry.path)
    return total, count
