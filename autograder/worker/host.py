"""The machine the worker runs on: the worker's Python, the dedicated worker users and their leases, and
the checks that refuse an unsafe setup (a worker user that could read the grader's files or not reach
its Python). Each refusal is a `SandboxError` that says how to fix the setup.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import stat
import sys
import time

try:
    import pwd
except ImportError:  # Windows: importable, but Sandbox() says it cannot work there
    pwd = None  # type: ignore[assignment]

# The autograder package: never readable by the worker.
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORKER_USER = "rnn-worker"  # and rnn-worker1, rnn-worker2, ...: setup.sh makes them
USER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")  # also names its lock file: never a path
LEASES = "/run/rnn-autograder"  # root-only: one lock file per worker user, held by the sandbox that uses it
LEASE_SECONDS = 600.0  # how long a sandbox waits for a worker user that other graders hold
SETUP_HINT = "run ./setup.sh as root to set the worker up"
# Where any user may write. A task with a dedicated user gets its own empty tmpfs on each (where the
# machine allows namespaces), and the clean-up by owner looks in each, and in world-writable folders below.
SHARED_PLACES = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/var/lock", "/var/crash", "/dev/mqueue")


class SandboxError(RuntimeError):
    """The sandbox itself cannot work (a setup problem): the grader's fault, never the student's."""


def resolve_python(python: str | None) -> str:
    """The interpreter for the worker: one the worker user can run (not a path through the repo)."""
    if python is None:
        python = os.environ.get("AUTOGRADER_WORKER_PYTHON")
    if python is None:
        if sys.prefix != sys.base_prefix:  # a venv: ./.venv may be a link into /opt
            python = os.path.join(os.path.realpath(sys.prefix), "bin", "python")
        if python is None or not os.path.isfile(python):
            python = os.path.realpath(sys.executable)
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        raise SandboxError(f"the worker's Python {python} is not an executable file")
    return python


def is_within(path: str, folder: str) -> bool:
    """Is `path` (by its real path) the folder `folder` (a real path) or inside it?"""
    return os.path.commonpath([os.path.realpath(path), folder]) == folder


def grader_mode() -> str:
    """The mode of the grading verbs (Gradescope, `grade`, `batch`): dedicated worker users as root; not
    root, a grader cannot switch users, so it runs the code as you (a TA's own laptop: README, security)."""
    return "dedicated" if os.geteuid() == 0 else "self"


def worker_users() -> list[str]:
    """The dedicated worker users on this machine: rnn-worker, rnn-worker1, ... (AUTOGRADER_WORKER_USER
    renames them)."""
    base = os.environ.get("AUTOGRADER_WORKER_USER") or WORKER_USER
    pattern = re.compile(re.escape(base) + r"(\d*)")
    found = [
        (int(match.group(1) or 0), entry.pw_name)
        for entry in pwd.getpwall()
        if (match := pattern.fullmatch(entry.pw_name)) and entry.pw_uid not in (0, os.geteuid())
    ]
    return [name for _, name in sorted(found)]


def dedicated_users(user: str | None) -> list[str]:
    """The users a dedicated sandbox may lease: `user` alone, or all of setup.sh's; refuses when that cannot be."""
    if os.geteuid() != 0:
        raise SandboxError(
            "only root can run student code as a dedicated worker user; not root, the code runs as you (mode 'self')"
        )
    names = [user] if user is not None else worker_users()
    if not all(isinstance(name, str) and USER_NAME.fullmatch(name) for name in names):
        raise SandboxError(f"not a user name: {names!r}")
    if not names:
        base = os.environ.get("AUTOGRADER_WORKER_USER") or WORKER_USER
        raise SandboxError(
            f"the worker user '{base}' does not exist; {SETUP_HINT} (as root, student code never runs as root)"
        )
    for name in names:
        try:
            uid = pwd.getpwnam(name).pw_uid
        except KeyError:
            raise SandboxError(f"the worker user '{name}' does not exist; {SETUP_HINT}") from None
        if uid in (0, os.geteuid()):
            raise SandboxError(f"refusing to run student code as root ('{name}')")
    return names


class Lease:
    """One worker user held by one sandbox, machine-wide: an exclusive lock on its file in a root-only
    folder. Another grader on the machine (a batch beside run_autograder, a second copy of the tests)
    takes another user or waits, so no two tasks ever share a user, and the clean-up by owner never
    touches another grader's task. The kernel drops the lock if the holder dies."""

    def __init__(self, names: list[str], wait: float):
        folder = lease_folder()
        give_up = time.monotonic() + wait
        while True:
            for name in reversed(names):  # highest first: graders from before leases used the low ones unleased
                path = os.path.join(folder, f"{name}.lock")
                flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
                try:
                    fd, fresh = os.open(path, flags | os.O_EXCL, 0o600), True
                except FileExistsError:
                    fd, fresh = os.open(path, flags, 0o600), False
                lock = os.fdopen(fd, "rb", buffering=0)  # closed, and so released, with this object at the latest
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    lock.close()
                    continue
                entry = pwd.getpwnam(name)
                self.name, self.uid, self.gid, self._lock = name, entry.pw_uid, entry.pw_gid, lock
                # This lease made the user's lock file: no grader held the user since the lease folder was made
                # (a tmpfs, at boot; on Gradescope, with the container), so none can have left anything of it.
                self.fresh = fresh
                return
            if time.monotonic() > give_up:
                raise SandboxError(
                    f"every worker user ({', '.join(names)}) is in use by other gradings on this "
                    f"machine (waited {wait:g} s); ./setup.sh can make more (AUTOGRADER_WORKERS)"
                )
            time.sleep(0.1)

    def release(self) -> None:
        self._lock.close()


def lease_folder() -> str:
    """The root-only folder of the leases' lock files (made on first use)."""
    os.makedirs(LEASES, mode=0o700, exist_ok=True)
    info = os.lstat(LEASES)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxError(f"{LEASES} must be a folder that only root can write")
    return LEASES


def grader_files(extra: tuple[str, ...] = ()) -> list[str]:
    """The files the worker must never read: the grader's package (its configuration included), the
    reference solutions of its checkout, and `extra` files or folders."""
    files = []
    for root in (PACKAGE, os.path.join(os.path.dirname(PACKAGE), "reference"), *extra):
        if os.path.isfile(root):
            files.append(root)
        for folder, dirs, names in os.walk(root):
            dirs[:] = [name for name in dirs if name != "__pycache__"]
            files += [os.path.join(folder, name) for name in names]
    return files


def check_closed(user: str, uid: int, gid: int, files: list[str]) -> None:
    """Refuse while the worker user can read one of `files`: passing every folder above it, then reading it.
    (A folder closed higher up, like a checkout in a private home, closes everything below it.)"""
    passable: dict[str, bool] = {}

    def allows(path: str, want: int) -> bool:
        info = os.stat(path)
        shift = 6 if info.st_uid == uid else 3 if info.st_gid == gid else 0
        return (info.st_mode >> shift) & want == want

    def reachable(folder: str) -> bool:
        if folder not in passable:
            parent = os.path.dirname(folder)
            passable[folder] = (parent == folder or reachable(parent)) and allows(folder, 0o1)
        return passable[folder]

    for path in files:
        real = os.path.realpath(path)
        if reachable(os.path.dirname(real)) and allows(real, 0o4):
            raise SandboxError(
                f"refusing to run student code: the worker user {user} can read {path} (the "
                "grader's own files: configuration, reference solutions, the autograder package); "
                "run ./setup.sh as root, which closes the grader's folder to other users"
            )


def check_reachable(path: str) -> None:
    """The worker user (another user) must be able to reach and run the interpreter."""
    for target in (os.path.abspath(path), os.path.realpath(path)):
        folder = os.path.dirname(target)
        while True:
            if not os.stat(folder).st_mode & 0o001:
                raise SandboxError(
                    f"the worker user cannot reach {path}: {folder} is closed to other users; {SETUP_HINT}"
                )
            if folder == os.path.dirname(folder):
                break
            folder = os.path.dirname(folder)
    if not os.stat(path).st_mode & 0o001:
        raise SandboxError(f"the worker user cannot run {path}; {SETUP_HINT}")


@functools.lru_cache(maxsize=1)
def shared_places() -> tuple[str, ...]:
    """Every folder where any user may write: the usual ones, and the world-writable folders one level
    below /, /var, /run and /dev (a fuller search of the disk takes seconds). Real paths, each once."""
    found = [place for place in SHARED_PLACES if os.path.isdir(place)]
    for parent in ("/", "/var", "/run", "/dev"):
        try:
            found += [
                entry.path
                for entry in os.scandir(parent)
                if entry.is_dir(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mode & 0o002
            ]
        except OSError:
            continue
    places = []
    for place in found:
        real = os.path.realpath(place)
        if real not in places and not real.startswith(("/proc", "/sys")):
            places.append(real)
    return tuple(places)
