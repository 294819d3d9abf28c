"""The system-call filter of the student's process: seccomp, built by libseccomp (through ctypes).

The filter needs no privilege: with no_new_privs set (the child sets it after dropping root, and
libseccomp sets it again on load), any process may install one, in any container. It allows
everything but what the homework never needs and what would let a task keep or pass data outside
its limits (docs/spec.md 6.1): SysV IPC and POSIX queues (memory outside `memory_mb`, objects that
outlive the task), kernel keyrings, tracing or reading another process, namespaces and mounts,
sockets (`socket()` of every family: an abstract local socket is a channel too; `socketpair` stays),
and kernel facilities of the same kind (bpf, perf, io_uring, which could do the same behind the
filter's back). Each is refused with EPERM, so the student's code fails with a plain
PermissionError ("Operation not permitted") that the feedback names.

Standard library only: this runs in the worker. Where libseccomp cannot be loaded (macOS, a
machine without it), `Filter.build` raises `Unavailable` and that layer is reported missing.
"""

from __future__ import annotations

import ctypes
import errno
import sys
from collections.abc import Iterable, Sequence

LIBRARY = "libseccomp.so.2"  # ships on Debian and Ubuntu images (Gradescope's included)
ALLOW = 0x7FFF0000  # SCMP_ACT_ALLOW
ERRNO = 0x00050000  # SCMP_ACT_ERRNO(code) is ERRNO | code
NE, EQ, MASKED_EQ = 1, 4, 7  # enum scmp_compare
ATTRIBUTE_NO_NEW_PRIVS = 3  # SCMP_FLTATR_CTL_NNP
PR_SET_DUMPABLE = 4

# The namespace flags of clone(2): a process may fork, never make a namespace.
CLONE_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000)

# Refused outright, by what they are.
SYSV_IPC = (
    "shmget",
    "shmat",
    "shmdt",
    "shmctl",
    "msgget",
    "msgsnd",
    "msgrcv",
    "msgctl",
    "semget",
    "semop",
    "semtimedop",
    "semctl",
    "ipc",  # the multiplexer of older ABIs
)
POSIX_QUEUES = ("mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr")
KEYRINGS = ("add_key", "request_key", "keyctl")
OTHER_PROCESSES = ("ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_getfd", "kcmp")
NAMESPACES = (
    "unshare",
    "setns",
    "mount",
    "umount",
    "umount2",
    "pivot_root",
    "chroot",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
)
# socketpair is not here: a pair made by one process is no channel to another.
SOCKETS = ("socket", "socketcall", "bind", "connect", "listen", "accept", "accept4")
KERNEL = (
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",  # io_uring does reads, writes and socket calls the filter never sees
    "io_uring_enter",
    "io_uring_register",
    "fanotify_init",
    "name_to_handle_at",
    "open_by_handle_at",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "acct",
    "swapon",
    "swapoff",
    "reboot",
    "syslog",
    "iopl",
    "ioperm",
    "quotactl",
    "lookup_dcookie",
    "vhangup",
)

# A rule: (system call, errno, conditions); a condition is (argument, comparison, value, second value: the
# mask of MASKED_EQ, else 0). Several rules for one call: any that matches refuses it.
Condition = tuple[int, int, int, int]
Rule = tuple[str, int, tuple[Condition, ...]]


def refuse(names: Iterable[str], code: int = errno.EPERM) -> tuple[Rule, ...]:
    """Rules refusing each of `names` outright with `code`."""
    return tuple((name, code, ()) for name in names)


STUDENT_RULES: tuple[Rule, ...] = (
    refuse(SYSV_IPC + POSIX_QUEUES + KEYRINGS + OTHER_PROCESSES + NAMESPACES + SOCKETS + KERNEL)
    + tuple(("clone", errno.EPERM, ((0, MASKED_EQ, flag, flag),)) for flag in CLONE_NAMESPACES)
    # clone3 passes its flags in memory, which a filter cannot read: "not implemented" makes the C
    # library fall back to clone, whose flags it can (as Docker's default profile does).
    + (("clone3", errno.ENOSYS, ()),)
    + (("personality", errno.EPERM, ((0, NE, 0xFFFFFFFF, 0),)),)  # asking is allowed, changing is not
    + (("sendto", errno.EPERM, ((4, NE, 0, 0),)),)  # to an address: a socketpair needs none
    # Dumpable again, a process of the worker user could be read through /proc/PID/mem by another.
    + (("prctl", errno.EPERM, ((0, EQ, PR_SET_DUMPABLE, 0),)),)
)


class Unavailable(Exception):
    """No seccomp here (not Linux, no libseccomp, a kernel without it): the layer is missing, said so."""


class ArgumentCheck(ctypes.Structure):
    """struct scmp_arg_cmp."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


class Filter:
    """A filter built once (in the trusted zygote) and loaded in each student's process after fork."""

    def __init__(self, library: ctypes.CDLL, context: int):
        self._library, self._context = library, context

    @classmethod
    def build(cls, rules: Sequence[Rule] = STUDENT_RULES, no_new_privs: bool = True) -> Filter:
        """The filter of `rules` (default: the student's), allowing every other call. Raises Unavailable.
        Without `no_new_privs` (a container's own profile) loading it needs CAP_SYS_ADMIN."""
        if not sys.platform.startswith("linux"):
            raise Unavailable("seccomp exists on Linux only")
        try:
            library = ctypes.CDLL(LIBRARY, use_errno=True)
        except OSError as error:
            raise Unavailable(f"{LIBRARY} cannot be loaded ({error})") from None
        library.seccomp_init.restype = ctypes.c_void_p
        library.seccomp_init.argtypes = [ctypes.c_uint32]
        library.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        library.seccomp_rule_add_array.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.POINTER(ArgumentCheck),
        ]
        library.seccomp_load.argtypes = [ctypes.c_void_p]
        library.seccomp_release.argtypes = [ctypes.c_void_p]
        context = library.seccomp_init(ALLOW)
        if not context:
            raise Unavailable("seccomp_init failed")
        if not no_new_privs:
            library.seccomp_attr_set(ctypes.c_void_p(context), ATTRIBUTE_NO_NEW_PRIVS, ctypes.c_uint32(0))
        for name, code, conditions in rules:
            number = library.seccomp_syscall_resolve_name(name.encode())
            if number < 0:
                continue  # not a system call on this architecture (ipc on x86_64, iopl on arm64)
            checks = (ArgumentCheck * max(len(conditions), 1))(*(ArgumentCheck(*check) for check in conditions))
            done = library.seccomp_rule_add_array(context, ERRNO | code, number, len(conditions), checks)
            if done < 0:
                library.seccomp_release(context)
                raise Unavailable(f"libseccomp refused the rule for {name} ({errno.errorcode.get(-done, done)})")
        return cls(library, context)

    def load(self) -> None:
        """Install the filter in this process (and every process it starts), for good. Raises Unavailable."""
        done = self._library.seccomp_load(self._context)
        if done < 0:
            raise Unavailable(f"the kernel refused the filter ({errno.errorcode.get(-done, done)})")
