"""Run a command as a Docker container would run the grader: root without CAP_SYS_ADMIN, under a seccomp
profile that denies namespaces, mounts and keyrings (docker's default; Gradescope's containers are Docker's).

    python tests/container.py COMMAND [ARG...]

The command keeps root's user and files, but holds only Docker's default capabilities (no CAP_SYS_ADMIN,
so no IPC_RMID of another user's object, no mount), and the filter refuses unshare, setns, mount,
umount2, pivot_root, keyctl, add_key, request_key and clone with a namespace flag, as Docker's default
profile does for a container without CAP_SYS_ADMIN. It is the grader's own seccomp module with another
list. The test suites run the hostile cases once as they are and once through this (tests/test_hostile.py).
Needs root (the tests that use it are root-only) and libseccomp.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from autograder.worker.inside import seccomp  # noqa: E402

HERE = Path(__file__).resolve()
PR_CAPBSET_DROP = 24
LAST_CAPABILITY = 63
# Docker's default capabilities (moby's oci/caps/defaults.go): everything else is dropped.
DOCKER_CAPABILITIES = {0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31}  # CHOWN ... SETFCAP
# What Docker's default profile refuses without CAP_SYS_ADMIN, of what the grader would otherwise use.
DOCKER_RULES = (
    seccomp.refuse(
        ("unshare", "setns", "mount", "umount2", "pivot_root", "keyctl", "add_key", "request_key", "bpf", "fsopen")
    )
    + tuple(("clone", errno.EPERM, ((0, seccomp.MASKED_EQ, flag, flag),)) for flag in seccomp.CLONE_NAMESPACES)
    + (("clone3", errno.ENOSYS, ()),)
)


def command(argv: list[str]) -> list[str]:
    """`argv`, to be run in the container-like mode (a prefix for subprocess)."""
    return [sys.executable, str(HERE), *argv]


def enter() -> None:
    """Put this process (and what it runs) in the container-like mode: the filter first (loading it without
    no_new_privs needs the capability that is dropped next), then every capability Docker does not give."""
    if os.geteuid() != 0:
        raise SystemExit("tests/container.py: run as root (it takes root's capabilities away, as Docker does)")
    seccomp.Filter.build(DOCKER_RULES, no_new_privs=False).load()
    libc = ctypes.CDLL(None, use_errno=True)
    for number in range(LAST_CAPABILITY + 1):
        if number not in DOCKER_CAPABILITIES and libc.prctl(PR_CAPBSET_DROP, number, 0, 0, 0) != 0:
            if ctypes.get_errno() == errno.EINVAL:
                break  # past the kernel's last capability
            raise OSError(ctypes.get_errno(), f"cannot drop capability {number}")
    os.environ["AUTOGRADER_TEST_CONTAINER"] = "1"  # tests that spawn graders know the mode they are in


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    if os.environ.get("AUTOGRADER_TEST_CONTAINER") != "1":  # once is enough (and the capability is gone)
        enter()
    os.execvp(sys.argv[1], sys.argv[1:])  # exec recomputes root's capabilities from the bounding set
