"""The protection of a configuration named with `--config`: its hidden tests are closed to the worker users.

The sandbox refuses to run student code while the worker user can read the grader's own files (its
package, the reference solutions). A configuration the instructor or TA keeps elsewhere is theirs to
close; this says which file is open, in their terms, and how to close it, before any student code runs.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from autograder.worker.host import PACKAGE, SandboxError, check_closed, grader_mode, worker_users

CHECKOUT = os.path.dirname(PACKAGE)  # the grader's own files: the sandbox protects them and says how (setup.sh)


class ExposedError(Exception):
    """A worker user could read the configuration (or a file beside it): the message says how to close it."""


def protected(config_path: Path | str | None) -> tuple[str, ...]:
    """The files the worker must not read for this configuration: the file itself (its real path) and the
    files beside it, where other versions of the hidden tests and an editor's backups lie (`hidden.yaml~`).
    Sub-folders are not walked (a configuration kept in a home folder would mean walking the whole home at
    every grading), and in a folder any user may write (/tmp) only the file counts: the others are not the
    TA's. None (the default configuration, inside the package) adds nothing: the package is always protected."""
    if config_path is None or not os.path.isfile(config_path):
        return ()  # a configuration that cannot be read is refused by load_config, with its own message
    real = os.path.realpath(config_path)
    folder = os.path.dirname(real)
    if _shared(folder):
        return (real,)
    with os.scandir(folder) as entries:
        beside = sorted(entry.path for entry in entries if entry.is_file(follow_symlinks=False) and entry.path != real)
    return (real, *beside)


def check_protected(config_path: Path | str | None) -> tuple[str, ...]:
    """`protected(config_path)`, after checking, as root, that no worker user of setup.sh can read any of it.

    Raises ExposedError naming the file and the command that closes it. Not root, the students' code runs
    as the grader's own user (README, security model), so there is nothing to close it from."""
    files = protected(config_path)
    if grader_mode() != "dedicated":
        return files
    configuration = files[0] if files else ""
    for name in worker_users():
        entry = pwd.getpwnam(name)
        for path in files:
            if _inside(path, CHECKOUT):
                continue  # the sandbox's own check covers the checkout, and its fix is setup.sh
            try:
                check_closed(name, entry.pw_uid, entry.pw_gid, [path])
            except SandboxError:
                raise ExposedError(_exposed(name, path, configuration)) from None
            except FileNotFoundError:
                continue  # removed since it was listed: nobody can read it
    return files


def _exposed(user: str, path: str, configuration: str) -> str:
    folder = os.path.dirname(path)
    what = "your configuration, with its hidden tests" if path == configuration else "a file beside your configuration"
    fix = f"chmod 600 {path}" if _shared(folder) else f"chmod 700 {folder}"
    return (
        f"refusing to grade: {path} ({what}) can be read by the worker user {user}, which runs the students' "
        f"code, so a student could read it. Close it to other users, e.g. `{fix}`, and run again."
    )


def _shared(folder: str) -> bool:
    """A folder any user may write to (/tmp, /dev/shm): other users' files lie in it, not the TA's."""
    return bool(os.stat(folder).st_mode & 0o002)


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def check_private(places: list[tuple[Path, str]]) -> None:
    """As root, refuse while a worker user could read one of `places` (path, what it is in the TA's words): a
    batch's export, its `--out` or `--compare`'s folder, which hold the whole class's uploads, names and scores
    (docs/spec.md 6.3). A folder counts as readable when a worker user may list it or reach an entry directly in
    it (a folder they may pass but not list still gives away `submission_1234/` to a guess). Where the machine
    allows no mounts, these permissions are all that keeps a student from the class's data. A place that does not
    exist yet is skipped (the batch creates it 0700). Raises ExposedError with the command that closes it."""
    if grader_mode() != "dedicated":
        return
    for path, what in places:
        if not os.path.lexists(path):
            continue
        files = [str(path)]
        if os.path.isdir(path):
            with os.scandir(path) as entries:
                files += sorted(entry.path for entry in entries)
        fix = f"chmod 700 {path}" if os.path.isdir(path) else f"chmod 600 {path}"
        for name in worker_users():
            entry = pwd.getpwnam(name)
            try:
                check_closed(name, entry.pw_uid, entry.pw_gid, files)
            except SandboxError:
                raise ExposedError(
                    f"refusing to grade: {path} ({what}) can be read by the worker user {name}, which runs the "
                    f"students' code, so a student could read it. Close it to other users, e.g. `{fix}`, and run "
                    'again (docs/ta.md, "Who can read the output", says how to share the results with staff).'
                ) from None
            except FileNotFoundError:
                continue  # removed since it was listed: nobody can read it
