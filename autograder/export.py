"""Gradescope exports: the submissions of an "Export Submissions" zip or folder, and who made each one.

Everything here is untrusted bytes read in the trusted process, so every read is bounded (docs/spec.md
5.4): the zip's member count before its directory is parsed, each submission's extracted bytes,
member count and compression ratio, name lengths, and the metadata's size, nesting and YAML
features. A bound crossed by one submission is that submission's row with the reason; only an
export that cannot be read at all stops the batch.
"""

from __future__ import annotations

import errno
import stat
import tempfile
import zipfile
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence, Sized
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from autograder.config import safe_yaml_loader
from autograder.locate import is_wanted
from autograder.record import Record, field

METADATA = "submission_metadata.yml"
JUNK = ("__MACOSX", ".DS_Store")

MAX_EXPORT_MEMBERS = 500_000  # a 10,000-student export holds about 50,000; a million-entry zip costs a gigabyte
MAX_SUBMISSION_MEMBERS = 2_000
MAX_SUBMISSION_BYTES = 100 * 2**20  # Gradescope's own upload limit is 100 MB
MAX_RATIO = 200  # deflate reaches about 1000:1 on zeros; text and notebooks compress 3-10:1
MAX_NAME_BYTES = 255  # one path component, as ext4, APFS and NTFS allow
MAX_PATH_BYTES = 1024  # a whole member name; PATH_MAX is 4096, our temporary folder takes some
MAX_METADATA_BYTES = 64 * 2**20  # 10,000 submissions take about 5 MB
MAX_METADATA_DEPTH = 16  # Gradescope's is 4 deep
MAX_METADATA_EVENTS = 2_000_000


class ExportError(Exception):
    """The export cannot be read; the message says why in the TA's terms."""


class Submitter(Record):
    """A student named in a Gradescope export's `submission_metadata.yml` (any field may be unknown)."""

    name: str = ""
    email: str = ""
    sid: str = ""


class Submission(Record):
    """One submission of an export: its id (the folder name), where it is (None: no folder), who made it,
    why it cannot be graded when it cannot, and notes on how it was read."""

    id: str
    path: Path | None
    submitters: tuple[Submitter, ...] = ()
    problem: str | None = None
    notes: tuple[str, ...] = ()  # what the TA should know although it was graded (a name clash in the export)
    listed: bool = True  # False: the export's metadata, read, does not list this folder (no one is known)


class Export(Record, frozen=False):
    """An export as a folder: where its submissions are, and what went wrong unpacking which of them."""

    root: Path
    problems: dict[str, str] = field(default_factory=dict)  # submission folder name -> why it is not graded
    notes: dict[str, list[str]] = field(default_factory=dict)  # submission folder name -> notes on its unpacking
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- the metadata


def read_metadata(path: Path, *, shown: Path | None = None) -> dict[str, tuple[Submitter, ...]]:
    """Gradescope's `submission_metadata.yml`: submission folder -> its submitters (`:name`, `:email`, `:sid`).

    Ruby-specific tags that Gradescope may write (for example for scores) are read as plain values. Errors
    name the file as `shown` (where the TA knows it), else as `path`.
    """
    where = shown or path
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_METADATA_BYTES + 1)
        if len(data) > MAX_METADATA_BYTES:
            raise ExportError(f"{where}: larger than {MAX_METADATA_BYTES // 2**20} MB")
        text = data.decode("utf-8")
        _check_bounded(text)
        tree = yaml.load(text, Loader=_TolerantLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ExportError(f"{where}: cannot read the submission metadata ({_one_line(error)})") from None
    except ExportError as error:
        raise ExportError(f"{where}: cannot read the submission metadata ({error})") from None
    if not isinstance(tree, dict):
        raise ExportError(f"{where}: expected a mapping of submission folders to their submitters")
    found = {}
    for key, entry in tree.items():
        entry = _plain_keys(entry) if isinstance(entry, dict) else {}
        people = entry.get("submitters")
        people = people if isinstance(people, list) else []
        found[str(key)] = tuple(_submitter(person) for person in people if isinstance(person, dict))
    return found


def _one_line(error: Exception) -> str:
    """A parser's error as one readable line: PyYAML's is several lines, each place "in "<unicode string>"
    ..."; here "found unexpected end of stream at line 6, column 1 (while scanning a quoted scalar that
    starts at line 3, column 12)"."""
    if not isinstance(error, yaml.MarkedYAMLError):
        return " ".join(str(error).split())

    def place(mark: Any) -> str:
        return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""

    text = f"{error.problem or 'not valid YAML'}{place(error.problem_mark)}"
    if error.context:
        text += f" ({error.context}{' that starts' + place(error.context_mark) if error.context_mark else ''})"
    return " ".join(text.split())


def _check_bounded(text: str) -> None:
    """Refuse, before anything is built, YAML that could expand or recurse: aliases, anchors, merge keys,
    deep nesting, too many nodes. The parser is a state machine, and it is stopped at the first excess."""
    depth = events = 0
    for event in yaml.parse(text, Loader=_TolerantLoader):
        events += 1
        if events > MAX_METADATA_EVENTS:
            raise ExportError(f"more than {MAX_METADATA_EVENTS:,} YAML nodes")
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise ExportError("it uses YAML anchors or aliases, which Gradescope never writes")
        if isinstance(event, yaml.ScalarEvent) and event.value == "<<" and not event.style:  # plain, not quoted
            raise ExportError("it uses YAML merge keys (<<), which Gradescope never writes")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_METADATA_DEPTH:
                raise ExportError(f"nested more than {MAX_METADATA_DEPTH} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


class _TolerantLoader(safe_yaml_loader()):  # type: ignore[misc]
    """SafeLoader that reads any unknown tag (`!ruby/object:BigDecimal ...`) as the plain value underneath."""


def _construct_untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_TolerantLoader.add_multi_constructor("!", _construct_untagged)


def _plain_keys(entry: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key).lstrip(":"): value for key, value in entry.items()}


def _submitter(person: Mapping[Any, Any]) -> Submitter:
    person = _plain_keys(person)
    return Submitter(
        **{key: "" if person.get(key) is None else writable(str(person[key])[:500]) for key in ("name", "email", "sid")}
    )


def writable(text: str) -> str:
    """`text` with anything UTF-8 cannot encode (a lone surrogate: a YAML escape, or a folder name that is not
    UTF-8) written as a visible escape, so that the gradebook and the report can always be written."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


# ---------------------------------------------------------------- the submissions


def find_submissions(
    root: Path,
    *,
    exclude: Path | None = None,
    problems: Mapping[str, str] | None = None,
    notes: Mapping[str, Sequence[str]] | None = None,
    shown: Path | None = None,
) -> tuple[list[Submission], list[str]]:
    """The submissions of an unpacked export, sorted by id, and warnings about the export as a whole.

    With a `submission_metadata.yml` (in `root` or one folder down) its entries name the submissions;
    without one, every folder and .zip directly in `root` is a submission. `problems` and `notes` are the
    unpacking's reasons and notes per submission folder; `shown` is what to call `root` in warnings (the export
    zip, where `root` is a temporary folder it was unpacked into). A metadata file that cannot be read is a warning:
    the folders are still graded, without names. Nothing is skipped unseen: a link (never followed) is a row
    with the reason, and any other entry that is not a submission is named in a warning (junk aside).
    """
    problems = dict(problems or {})
    metadata_file = next(
        (
            p
            for p in [root / METADATA, *sorted(root.glob(f"*/{METADATA}"))]
            if not p.is_symlink() and not p.parent.is_symlink() and p.is_file()
        ),
        None,
    )
    base = metadata_file.parent if metadata_file else root
    warnings, metadata = [], {}
    listing = False  # a metadata file was read: a folder it does not list is flagged
    if metadata_file:
        try:
            metadata = read_metadata(metadata_file, shown=shown / metadata_file.relative_to(root) if shown else None)
            listing = True
        except ExportError as error:
            warnings.append(f"{error}; every submission folder is graded, without names")
    children, links = {}, set()
    # Beside a submissions' folder one level down, nothing is a submission (the output folder aside).
    skipped = [
        child.name
        for child in (sorted(root.iterdir()) if base != root else [])
        if child != base and child.name not in JUNK and (exclude is None or child.resolve() != exclude.resolve())
    ]
    for child in sorted(base.iterdir()):
        if child.name in JUNK or child.name == METADATA and not child.is_symlink():
            continue
        if child.name == METADATA:
            skipped.append(child.relative_to(root).as_posix())  # a link: never read
        elif child.is_symlink():
            links.add(child.name)  # a link may lead anywhere on this machine: never followed
        elif exclude is not None and child.resolve() == exclude.resolve():
            continue  # this run's own output
        elif not child.name.startswith(".") and (child.is_dir() or child.is_file() and child.suffix.lower() == ".zip"):
            children[child.name] = child
        elif child.name in metadata:
            problems.setdefault(child.name, "its entry in the export is not a folder (nor a .zip)")
        else:
            skipped.append(child.relative_to(root).as_posix())
    if skipped:
        warnings.append(
            f"{shown or root}: skipped {_count(skipped, 'entry', 'entries')} that cannot be a submission (hidden, a "
            f"link, a file that is not a .zip, or beside the submissions' folder): {_names(sorted(skipped))}"
        )
    submissions = []
    for name in sorted(set(metadata) | set(children) | set(problems) | links):
        problem = problems.get(name) or _id_problem(name)
        if name in links and not problem:
            problem = "its folder in the export is a link, which is never followed"
        path = None if problem else children.get(name)
        found = tuple((notes or {}).get(name, ()))
        listed = not listing or name in metadata
        submissions.append(Submission(writable(name), path, metadata.get(name, ()), problem, found, listed))
    if not submissions:
        raise ExportError(f"{root}: no submissions found (expected {METADATA} or folders of submissions)")
    unlisted = [s.id for s in submissions if not s.listed]
    if unlisted:
        where = shown / metadata_file.relative_to(root) if shown and metadata_file else metadata_file
        warnings.append(
            f"{where} does not list {_count(unlisted, 'submission folder', 'submission folders')}, so no name, "
            f"email or SID is known for {'it' if len(unlisted) == 1 else 'them'} (graded, and under Needs "
            f"attention in the report; canvas.csv cannot hold {'it' if len(unlisted) == 1 else 'them'}): "
            f"{_names(unlisted)}"
        )
    return submissions, warnings


def _count(items: Sized, one: str, many: str) -> str:
    return f"{len(items):,} {one if len(items) == 1 else many}"


def _names(names: Sequence[str], shown: int = 10) -> str:
    """Names for a warning, quoted, at most `shown` of them."""
    text = ", ".join(repr(writable(name)) for name in names[:shown])
    return text + (f" and {len(names) - shown:,} more" if len(names) > shown else "")


def _id_problem(name: str) -> str | None:
    """Why a name cannot be one folder of the output, or None when it can."""
    if not name or name.startswith(".") or any(c in name for c in "/\\\0") or name in ("..", "."):
        return "its name is not a plain folder name"
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return "its folder name is not valid UTF-8"
    if len(encoded) > MAX_NAME_BYTES - 16:
        return "its folder name is longer than the file system allows"
    return None


# ---------------------------------------------------------------- the zip


def unpack_export(export: Path, into: Path) -> Export:
    """Extract an export .zip into `into` under the bounds above (no links, nothing outside it, no junk).

    The submissions' folder is the one holding `submission_metadata.yml` (at the top or one folder
    down), else the zip's single top folder, else the top. A submission whose members break a bound or
    cannot be written (a file and a folder of the same name, a name too long) gets its reason in
    `problems`, and the rest of its members are skipped. Of two members with the same name the last is
    kept (as unzipping does, and as a student's zip is read), with a note for that submission's row when
    it is a file the grader reads. Members never extracted (links, paths out of the zip, members outside
    the submissions' folder) are named in a warning; macOS junk is dropped silently.
    """
    try:
        archive = zipfile.ZipFile(_bounded_zip(export))
    except (zipfile.BadZipFile, OSError) as error:
        raise ExportError(f"{export}: not a readable zip file ({error})") from None
    found = Export(into)
    with archive:
        members: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
        unsafe: list[str] = []
        for info in archive.infolist():
            parts = _member_parts(info)
            if parts is None:
                unsafe.append(info.filename)
            elif parts:
                members.append((info, parts))
        # `zip -r` writes an entry for every folder: the submissions' folder's own (and those above it) hold no
        # file, so they neither decide where the submissions are nor count as skipped.
        base = _base_of([parts for info, parts in members if not info.is_dir()])
        spent: dict[str, list[int]] = {}  # submission -> [members, bytes]
        copies = Counter(parts for _, parts in members)
        outside = []
        for info, parts in members:
            if info.is_dir() and parts == base[: len(parts)]:
                continue
            if parts[: len(base)] != base or len(parts) == len(base):
                outside.append(info.filename)
                continue
            rest = parts[len(base) :]
            if len(rest) == 1 and rest[0] == METADATA:
                _extract_metadata(archive, info, into.joinpath(*parts), export)
                continue
            key = rest[0]
            if key in found.problems:
                continue
            budget = spent.setdefault(key, [0, 0])
            problem = _extract_member(archive, info, into, parts, budget, folder=len(base))
            if problem:
                found.problems[key] = problem
            elif copies[parts] > 1 and not info.is_dir() and is_wanted(parts[-1]):
                copies[parts] = 0  # one note per name
                found.notes.setdefault(key, []).append(
                    f"its zip holds {'/'.join(rest[1:])} more than once: the last copy was graded"
                )
    found.root = into.joinpath(*base)
    if unsafe:
        found.warnings.append(
            f"{export}: skipped {_count(unsafe, 'member', 'members')} that could lead out of the export "
            f"(links, absolute paths, '..'): {_names(unsafe)}"
        )
    if outside:
        found.warnings.append(
            f"{export}: skipped {_count(outside, 'member', 'members')} outside the submissions' folder "
            f"{'/'.join(base) or '(the top)'}: {_names(outside)}"
        )
    return found


def _bounded_zip(export: Path) -> Path:
    """The export, once its end record says it holds no more members than we are willing to list."""
    with open(export, "rb") as file:
        record = zipfile._EndRecData(file)  # type: ignore[attr-defined] # the only way to count before listing
    if record is None:
        raise zipfile.BadZipFile("no end of central directory")
    count = record[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]
    if count > MAX_EXPORT_MEMBERS:
        raise ExportError(f"{export}: holds {count:,} files, more than the {MAX_EXPORT_MEMBERS:,} an export may hold")
    return export


def _member_parts(info: zipfile.ZipInfo) -> tuple[str, ...] | None:
    """A member's path as parts; () for junk (dropped silently), None for a member that could lead out of the
    export (absolute, `..`, a link, a NUL byte): never extracted, and named in a warning."""
    relative = PurePosixPath(info.filename.replace("\\", "/"))
    parts = tuple(p for p in relative.parts if p not in ("", "."))
    if not parts or any(p in JUNK for p in parts):
        return ()
    if relative.is_absolute() or ".." in parts or stat.S_ISLNK(info.external_attr >> 16) or "\0" in info.filename:
        return None
    return parts


def _base_of(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    metadata = sorted((p[:-1] for p in paths if p[-1] == METADATA and len(p) <= 2), key=len)
    if metadata:
        return metadata[0]
    tops = {p[0] for p in paths}
    if len(tops) == 1 and all(len(p) > 1 for p in paths):
        return (tops.pop(),)
    return ()


def _extract_metadata(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, export: Path) -> None:
    if info.file_size > MAX_METADATA_BYTES:
        raise ExportError(f"{export}: {METADATA} is larger than {MAX_METADATA_BYTES // 2**20} MB")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _copy(archive, info, target, MAX_METADATA_BYTES)
    except Exception as error:  # noqa: BLE001 - zipfile and zlib raise many kinds on damaged data
        raise ExportError(f"{export}: cannot extract {METADATA} ({error})") from None


def _extract_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, into: Path, parts: tuple[str, ...], budget: list[int], folder: int
) -> str | None:
    """Extract one member of a submission (whose folder is `parts[folder]`) within its budget; the reason it could
    not be, or None."""
    shown = "/".join(parts[-2:])
    if len(parts[folder].encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        return "its folder name is longer than the file system allows"
    if (
        any(len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for p in parts)
        or len(info.filename.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES
    ):
        return "a file name in it is longer than the file system allows"
    budget[0] += 1
    if budget[0] > MAX_SUBMISSION_MEMBERS:
        return f"it holds more than {MAX_SUBMISSION_MEMBERS:,} files"
    if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        return f"{shown} is compressed more than {MAX_RATIO}:1 (a zip bomb?)"
    left = MAX_SUBMISSION_BYTES - budget[1]
    if info.file_size > left:
        return f"its files are larger than {MAX_SUBMISSION_BYTES // 2**20} MB in all"
    target = into.joinpath(*parts)
    try:
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        budget[1] += _copy(archive, info, target, left)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):  # the machine's problem, not this student's: stop
            raise ExportError(
                f"no space left to unpack the export into {into} ({error.strerror}): make room there, or set "
                "TMPDIR to a folder with room, and run again"
            ) from None
        if error.errno in (errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
            return f"it holds a file and a folder of the same name ({shown})"
        if error.errno == errno.ENAMETOOLONG:
            return "a file name in it is longer than the file system allows"
        return f"{shown} could not be extracted ({error.strerror or error})"
    except ValueError:
        return f"its files are larger than {MAX_SUBMISSION_BYTES // 2**20} MB in all"
    except Exception as error:  # noqa: BLE001 - zipfile and zlib raise many kinds on damaged data (zlib.error)
        return f"{shown} could not be extracted ({error})"
    return None


def _copy(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int) -> int:
    """Copy one member, counting what really comes out (a header may lie about the size); ValueError past `limit`."""
    written = 0
    with archive.open(info) as source, open(target, "wb") as sink:
        while chunk := source.read(1 << 20):
            written += len(chunk)
            if written > limit:
                raise ValueError("over the limit")
            sink.write(chunk)
    return written


@contextmanager
def opened_export(export: Path) -> Iterator[Export]:
    """The export as a folder: itself, or a zip unpacked into a temporary folder removed afterwards."""
    if export.is_dir():
        yield Export(export)
    elif export.is_file():
        with tempfile.TemporaryDirectory(prefix="autograder-export-") as scratch:
            yield unpack_export(export, Path(scratch))
    else:
        raise ExportError(f"{export}: no such folder or zip file")
