"""Gradescope exports: the submissions of an "Export Submissions" zip or folder, and who made each one."""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, Mapping

import yaml

from autograder.report.gradebook import Submitter

METADATA = "submission_metadata.yml"
JUNK = ("__MACOSX", ".DS_Store")


class ExportError(Exception):
    """The export cannot be read; the message says why in the TA's terms."""


@dataclass(frozen=True)
class Submission:
    """One submission of an export: its id (the folder name, also its folder in the output), where it is, who made it."""

    id: str
    path: Path
    submitters: tuple[Submitter, ...] = ()


def read_metadata(path: Path) -> dict[str, tuple[Submitter, ...]]:
    """Gradescope's `submission_metadata.yml`: submission folder -> its submitters (`:name`, `:email`, `:sid`).

    Ruby-specific tags that Gradescope may write (for example for scores) are read as plain values.
    """
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TolerantLoader)  # noqa: S506 - safe: SafeLoader subclass
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ExportError(f"{path}: cannot read the submission metadata ({error})") from None
    if not isinstance(data, dict):
        raise ExportError(f"{path}: expected a mapping of submission folders to their submitters")
    found = {}
    for key, entry in data.items():
        entry = _plain_keys(entry) if isinstance(entry, dict) else {}
        people = entry.get("submitters") if isinstance(entry.get("submitters"), list) else []
        found[str(key)] = tuple(_submitter(person) for person in people if isinstance(person, dict))
    return found


class _TolerantLoader(yaml.SafeLoader):
    """SafeLoader that reads any unknown tag (`!ruby/object:BigDecimal ...`) as the plain value underneath."""


def _construct_untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_TolerantLoader.add_multi_constructor("!", _construct_untagged)


def _plain_keys(entry: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key).lstrip(":"): value for key, value in entry.items()}


def _submitter(person: Mapping[Any, Any]) -> Submitter:
    person = _plain_keys(person)
    return Submitter(**{key: "" if person.get(key) is None else str(person[key]) for key in ("name", "email", "sid")})


def find_submissions(root: Path, *, exclude: Path | None = None) -> tuple[list[Submission], list[str]]:
    """The submissions of an unpacked export, sorted by id, and warnings about what was skipped.

    With a `submission_metadata.yml` (in `root` or one folder down) its entries name the submissions;
    without one, every folder and .zip directly in `root` is a submission.
    """
    metadata_file = next((p for p in [root / METADATA, *sorted(root.glob(f"*/{METADATA}"))] if p.is_file()), None)
    base = metadata_file.parent if metadata_file else root
    metadata = read_metadata(metadata_file) if metadata_file else {}
    warnings = []
    children = {}
    for child in sorted(base.iterdir()):
        if child.name.startswith(".") or child.name in JUNK or child.is_symlink():
            continue
        if exclude is not None and child.resolve() == exclude.resolve():
            continue
        if child.is_dir() or (child.is_file() and child.suffix.lower() == ".zip"):
            children[child.name] = child
    submissions = []
    for name in sorted(set(metadata) | set(children)):
        if not _safe_id(name):
            warnings.append(f"skipped {name!r}: not a plain folder name")
            continue
        submissions.append(Submission(name, children.get(name, base / name), metadata.get(name, ())))
    if not submissions:
        raise ExportError(f"{root}: no submissions found (expected {METADATA} or folders of submissions)")
    return submissions, warnings


def _safe_id(name: str) -> bool:
    """A name usable as one folder of the output: not empty, not hidden, no separators."""
    return bool(name) and not name.startswith(".") and not any(c in name for c in "/\\\0")


def unpack_export(export: Path, into: Path) -> Path:
    """Extract an export .zip into `into` (no links, nothing outside it, no junk) and return its top folder."""
    try:
        archive = zipfile.ZipFile(export)
    except (zipfile.BadZipFile, OSError) as error:
        raise ExportError(f"{export}: not a readable zip file ({error})") from None
    with archive:
        for info in archive.infolist():
            relative = PurePosixPath(info.filename.replace("\\", "/"))
            if (not relative.parts or relative.is_absolute() or ".." in relative.parts
                    or any(p in JUNK for p in relative.parts) or stat.S_ISLNK(info.external_attr >> 16)):
                continue
            target = into.joinpath(*relative.parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(info) as source, open(target, "wb") as sink:
                    shutil.copyfileobj(source, sink)
            except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError) as error:
                raise ExportError(f"{export}: cannot extract {info.filename} ({error})") from None
    entries = [p for p in into.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not (into / METADATA).exists():
        return entries[0]
    return into


@contextmanager
def opened_export(export: Path) -> Iterator[Path]:
    """The export as a folder: itself, or a zip unpacked into a temporary folder removed afterwards."""
    if export.is_dir():
        yield export
    elif export.is_file():
        with tempfile.TemporaryDirectory(prefix="autograder-export-") as scratch:
            yield unpack_export(export, Path(scratch))
    else:
        raise ExportError(f"{export}: no such folder or zip file")
