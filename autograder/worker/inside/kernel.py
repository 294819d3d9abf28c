"""Trusted: the Linux calls the worker's trusted side makes through ctypes (prctl), and their numbers."""

from __future__ import annotations

import ctypes
import sys

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NAME, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 4, 15, 36, 38


def prctl(option: int, value: int | ctypes.c_char_p) -> bool:
    """Call Linux prctl(2); a no-op elsewhere. Returns whether it worked."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(option, value, 0, 0, 0) == 0)
