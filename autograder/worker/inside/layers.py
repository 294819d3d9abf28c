"""Which protection layers this machine allows, found once as the zygote starts (docs/spec.md 6.1).

A Docker container (Gradescope's, most CI) runs as root *without* CAP_SYS_ADMIN under a seccomp
profile that denies unshare, setns and mount: there the task's private namespaces cannot be made,
and the grader must say so rather than run weaker in silence. The namespaces are tried for real, in
a forked process that exits at once, so what is reported is what a task will get; this costs one
fork, done while the grader imports its judges. Standard library only: this runs in the worker. (The
system-call filter is the other layer found here: the zygote builds it, seccomp.py.)
"""

from __future__ import annotations

import ctypes
import os
import sys
from typing import Any

from .namespaces import CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWUSER, MS_PRIVATE, MS_REC, own_user_namespace

CAP_SYS_ADMIN = 21
# The bits of the probe's exit status: one per namespace it could make.
FOUND = {"mount_namespace": 1, "ipc_namespace": 2, "network_namespace": 4, "user_namespace": 8}


def capability(number: int, status: str = "/proc/self/status") -> bool:
    """Whether this process holds the capability `number` (effective): False where /proc cannot tell."""
    try:
        with open(status) as lines:
            for line in lines:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> number & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def namespaces() -> dict[str, bool]:
    """{name: allowed} for the mount, IPC, network and user namespaces, tried in a forked process (as the
    task does: not root, in a user namespace of its own first; then mount and IPC together, a private mount
    of /, the network. As root the user namespace is tried last, on its own)."""
    found = dict.fromkeys(FOUND, False)
    if not sys.platform.startswith("linux"):
        return found
    child = os.fork()
    if child == 0:
        bits = 0
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            root = os.geteuid() == 0
            if not root and own_user_namespace():
                bits |= FOUND["user_namespace"]
            if libc.unshare(CLONE_NEWNS | CLONE_NEWIPC) == 0:
                bits |= FOUND["ipc_namespace"]
                if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0:
                    bits |= FOUND["mount_namespace"]
            if libc.unshare(CLONE_NEWNET) == 0:
                bits |= FOUND["network_namespace"]
            if root and libc.unshare(CLONE_NEWUSER) == 0:
                bits |= FOUND["user_namespace"]
        finally:
            os._exit(bits)
    _, status = os.waitpid(child, 0)
    bits = os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 0
    return {name: bool(bits & bit) for name, bit in FOUND.items()}


def detect() -> dict[str, Any]:
    """What this machine allows, as plain data for the grader: {"root", "cap_sys_admin", the namespaces,
    "seccomp": None}; the zygote puts why in "seccomp" if it cannot build the filter. The grader decides
    what is in force (isolation.py)."""
    return {"root": os.geteuid() == 0, "cap_sys_admin": capability(CAP_SYS_ADMIN), **namespaces(), "seccomp": None}
