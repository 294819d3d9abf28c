"""Find the student's files by name in a submission folder or zip, safely and predictably.

Everything here is the student's bytes read in the trusted process, so every read is bounded: the
number of entries looked at (a zip's count is read from its end record before zipfile parses its
directory, whose size is bounded too), the length of names, and the bytes read from each file (a
member is read only up to its limit, whatever its compression ratio or the size it claims). Names
the student chose reach notes only through `literal` (Markdown-safe; bytes that are not UTF-8 and
control characters shown as escapes).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable
from functools import partial
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import IO

from autograder.record import Record, field
from autograder.text import literal

# The files a submission may hold, by form; the first name of a group wins when several exist.
WANTED = {
    "adder": ("adder.py", "adder.yaml", "adder.yml", "adder.json"),
    "lstm": ("lstm_bptt.py",),
    "tex": ("answers.tex",),
    "notebook": ("*.ipynb",),
}
# Names that stand for any file with their suffix: a notebook may have any name (the shallowest is
# read); with no answers.tex, a single other .tex file is (Overleaf's main.tex, say).
SUFFIXES = {"*.ipynb": ".ipynb", "answers.tex": ".tex"}
KIT_MARKER = "kit.json"  # autograder/kit.json: the student kit's own package (build.py writes it), never graded
JUNK_PARTS = {"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"}
MAX_FILE_BYTES = 1_000_000
MAX_BYTES = {"*.ipynb": 20_000_000}  # a notebook's outputs may be large (they are never read)
MAX_ENTRIES = 10_000  # files and folders looked at in an upload (a homework has a handful)
MAX_DIRECTORY_BYTES = 2_000_000  # a zip's central directory (about 10,000 entries with long names)
# What makes a file too large, and how to shrink it, where there is a way the student would not guess.
TOO_LARGE = {
    "*.ipynb": " Its outputs (plots, printed logs) make it large, and they are never read: clear them (Edit > "
    "Clear all outputs in Colab, Edit > Clear Outputs of All Cells in Jupyter), save, and upload it again."
}
MAX_NAME = 1024  # characters in a path; longer ones are not looked at
MAX_INNER_ZIP_BYTES = 100 * 2**20  # a zip inside the upload: Gradescope's whole upload may be 100 MB


class Located(Record):
    """The student's files found in a submission: canonical name -> bytes, notes for the student, and the name
    clashes among them in plain words, for a TA's gradebook row (the notes say the same to the student)."""

    files: dict[str, bytes]
    notes: tuple[str, ...]
    found: dict[str, str] = field(default_factory=dict)  # canonical name -> the file's path in the upload
    clashes: tuple[str, ...] = ()

    def first(self, group: str) -> str | None:
        """The canonical name of the file found for a question (`adder` or `lstm`), if any."""
        return next((name for name in WANTED[group] if name in self.files), None)


class _Candidate(Record):
    path: PurePosixPath
    size: int
    open: Callable[[], IO[bytes]]

    def read(self, limit: int) -> bytes:
        """At most `limit` bytes, whatever size the file (or a zip header) claims."""
        with self.open() as file:
            return file.read(limit + 1)[:limit]


def locate(submission: Path) -> Located:
    """Collect the wanted files of a folder or a .zip submission.

    Files are matched by name anywhere in the tree; a name that differs only in case is taken
    with a note; of several candidates the shallowest (then alphabetically first) path wins,
    with a note. Junk (`__MACOSX/`, `._*`, `.DS_Store`, `__pycache__/`), links and paths that
    leave the submission are never read. A folder that holds no wanted file but one .zip is
    searched inside that zip (a student who uploaded a zip of a zip).
    """
    notes: list[str] = []
    clashes: list[str] = []
    submission = Path(submission)
    if submission.is_file() and (zipfile.is_zipfile(submission) or submission.suffix.lower() == ".zip"):
        # Gradescope unpacks a zip upload into a folder: the zip given here is read as that folder.
        candidates = _zip_candidates(submission.name, partial(_open_file, submission), notes, clashes) or []
    elif submission.is_file():
        info = submission.stat()
        candidates = [_Candidate(PurePosixPath(submission.name), info.st_size, partial(_open_file, submission))]
    elif submission.is_dir():
        candidates = _folder_candidates(submission, notes)
    else:
        return Located({}, ("Your submission is empty: no files were uploaded.",))
    candidates = _without_the_kit(_inside_a_single_zip(_without_the_kit(candidates), notes, clashes))
    files: dict[str, bytes] = {}
    found: dict[str, str] = {}
    for group in WANTED.values():
        for name in group:
            matches = [c for c in candidates if _canonical(c.path) == name]
            alike = not matches  # only a name that looks like it (a Cyrillic а, a zero-width space): graded, said
            if alike:
                matches = [c for c in candidates if _canonical(c.path) is None and _look_alike(c.path) == name]
                notes.extend(_look_alike_note(candidate.path, name) for candidate in matches[:1])
            if not matches:
                continue
            # Exact name first (answers.tex before main.tex), then the right case, then the shallowest.
            matches.sort(
                key=lambda c: (c.path.name.lower() != name, c.path.name != name, len(c.path.parts), str(c.path))
            )
            chosen = matches[0]
            if name == "answers.tex" and chosen.path.name.lower() != name and not alike:
                if len(matches) > 1:
                    listed = ", ".join(literal(c.path) for c in matches)
                    notes.append(
                        f"No `answers.tex` was found, but several other .tex files ({listed}): none was "
                        "read. Name the file with your answers `answers.tex`: it is the one file read "
                        "(`\\input` and `\\include` are not followed)."
                    )
                    continue
                notes.append(f"No `answers.tex` was found: read {literal(chosen.path)} as your answers.")
            limit = MAX_BYTES.get(name, MAX_FILE_BYTES)
            if chosen.size > limit:
                notes.append(
                    f"{literal(chosen.path)} is larger than {_size(limit)}; it was not read.{TOO_LARGE.get(name, '')}"
                )
                continue
            try:
                files[name] = chosen.read(limit)
                found[name] = str(chosen.path)
            except Exception:  # noqa: BLE001 - zipfile and zlib raise many kinds on damaged data; nothing else runs
                notes.append(
                    f"{literal(chosen.path)} could not be read (a damaged or encrypted file?); upload it again."
                )
                continue
            if not _is_utf8(files[name]):
                files[name], encoding = _to_utf8(files[name])
                notes.append(f"{literal(chosen.path)} is not UTF-8 text; it was read as {encoding} (save it as UTF-8).")
            if name == "answers.tex":
                notes.extend(_includes_note(chosen.path, files[name]))
            if chosen.path.name.lower() == name != chosen.path.name:
                notes.append(
                    f"Found {literal(chosen.path)} and graded it as `{name}` (the name should be exactly `{name}`)."
                )
            if name == "*.ipynb" and len(matches) > 1:
                others = ", ".join(literal(c.path) for c in matches[1:])
                notes.append(
                    f"Several notebooks were found: read {literal(chosen.path)} (the shallowest), ignored {others}."
                )
                continue
            matches = [c for c in matches if c.path.name.lower() == chosen.path.name.lower()]  # not main.tex
            if len(matches) > 1:
                others = ", ".join(literal(c.path) for c in matches[1:])
                notes.append(f"Several files could be `{name}`: graded {literal(chosen.path)}, ignored {others}.")
        # Two files for one answer (adder.py and adder.yaml): the shallowest path, then the group's order.
        depth = {name: len(PurePosixPath(found[name]).parts) for name in group if name in files}
        present = sorted(depth, key=depth.__getitem__)
        for extra in present[1:]:
            shallower = " (the shallower)" if depth[extra] > depth[present[0]] else ""
            notes.append(
                f"Both {literal(found[present[0]])} and {literal(found[extra])} were found; graded "
                f"{literal(found[present[0]])}{shallower} only."
            )
            del files[extra], found[extra]
    if not candidates and not notes:
        notes.append("Your submission is empty: no files were uploaded.")
    return Located(files, tuple(notes), found, tuple(clashes))


def _size(limit: int) -> str:
    return f"{limit // 1_000_000} MB" if limit > 1_000_000 else f"{limit // 1000} kB"


def is_wanted(name: str) -> bool:
    """Whether a file of this name could be one of the student's (a notebook, a .tex file, adder.py...), also
    under a name that only looks like one (which is graded, with a note)."""
    path = PurePosixPath(name)
    return _canonical(path) is not None or _look_alike(path) is not None


def _is_utf8(content: bytes) -> bool:
    """UTF-8, or a Python file that declares its own encoding (PEP 263)."""
    try:
        content.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return re.search(rb"^[ \t\f]*#.*?coding[:=]", b"\n".join(content.splitlines()[:2]), re.M) is not None


def _to_utf8(content: bytes) -> tuple[bytes, str]:
    """UTF-16 or UTF-32 with its byte-order mark (Notepad's "Unicode"), else Windows-1252 (what editors on
    Windows write), else Latin-1 (which decodes anything): as UTF-8, with the encoding's name."""
    for bom, encoding, shown in _BOMS:
        if content.startswith(bom):
            try:
                return content.decode(encoding).encode("utf-8"), shown
            except UnicodeDecodeError:
                break
    try:
        return content.decode("cp1252").encode("utf-8"), "Windows-1252"
    except UnicodeDecodeError:
        return content.decode("latin-1").encode("utf-8"), "Latin-1"


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),  # before UTF-16's: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
# \input{q2}, \include{sections/q2}, \subfile{…}, \import{dir/}{file} on a line that is not a comment
_INCLUDE = re.compile(
    rb"^[^%\n]*?\\(?:input|include|subfile|import|subimport)(?![a-zA-Z])\s*(?:\{[^{}\n]*\}\s*)?\{([^{}\n]{1,200})\}",
    re.M,
)


def _includes_note(path: PurePosixPath, content: bytes) -> list[str]:
    """A note when the LaTeX file includes others, which the grader never reads (nothing is compiled)."""
    included = [match.group(1).decode("utf-8", "replace").strip() for match in islice(_INCLUDE.finditer(content), 4)]
    if not included:
        return []
    shown = ", ".join(literal(name) for name in included[:3]) + (", …" if len(included) > 3 else "")
    return [
        f"{literal(path)} includes other files ({shown}) with `\\input` or `\\include`: they are not read "
        f"(nothing is compiled; only {literal(path)} itself is). Put all your answers in {literal(path)}."
    ]


def _canonical(path: PurePosixPath) -> str | None:
    lowered = path.name.lower()
    return next(
        (name for group in WANTED.values() for name in group if name == lowered),
        next((name for name, suffix in SUFFIXES.items() if lowered.endswith(suffix)), None),
    )


# Letters of other scripts that look like the Latin letters of the names we grade (Unicode's confusables,
# for those letters), after NFKC (which folds full-width letters and dots) and lower case.
_CONFUSABLES = str.maketrans(
    {
        **dict.fromkeys("аɑα", "a"),
        **dict.fromkeys("ԁ", "d"),
        **dict.fromkeys("еҽ", "e"),
        **dict.fromkeys("һ", "h"),
        **dict.fromkeys("іιı", "i"),
        **dict.fromkeys("ј", "j"),
        **dict.fromkeys("ӏ", "l"),
        **dict.fromkeys("ո", "n"),
        **dict.fromkeys("оοօ", "o"),
        **dict.fromkeys("рρ", "p"),
        **dict.fromkeys("г", "r"),
        **dict.fromkeys("ѕ", "s"),
        **dict.fromkeys("սυ", "u"),
        **dict.fromkeys("νѵ", "v"),
        **dict.fromkeys("ԝ", "w"),
        **dict.fromkeys("хχ", "x"),
        **dict.fromkeys("уүγ", "y"),
        **dict.fromkeys("ьЬ", "b"),
    }
)


def _skeleton(name: str) -> str:
    """A name as it looks: NFKC (full-width letters), invisible characters (zero-width spaces, joiners, the
    byte-order mark: Unicode's format characters) removed, lower case, look-alike letters as their Latin twin;
    a capital I as the l it looks like (Istm_bptt.py)."""
    name = unicodedata.normalize("NFKC", name.replace("I", "l"))
    return "".join(char for char in name if unicodedata.category(char) != "Cf").lower().translate(_CONFUSABLES)


def _look_alike(path: PurePosixPath) -> str | None:
    """The graded name that a file's name looks like but is not (`аdder.py` with a Cyrillic а), else None."""
    if path.name.isascii() and "I" not in path.name:
        return None
    return _canonical(PurePosixPath(_skeleton(path.name)))


def _look_alike_note(path: PurePosixPath, name: str) -> str:
    """Which characters make a name only look like `name`, and what to rename the file to."""
    odd = []
    for char in dict.fromkeys(path.name):
        if char == "I":
            odd.append("`I` (a capital i) instead of `l`")
        elif not char.isascii():
            called = unicodedata.name(char, f"U+{ord(char):04X}")
            odd.append(f"an invisible {called}" if unicodedata.category(char) == "Cf" else f"`{char}` ({called})")
    target = name if not name.startswith("*") else _skeleton(path.name)
    return (
        f"{literal(path)} is not named `{target}`: its name only looks like it, with "
        f"{', '.join(odd[:4])}{', …' if len(odd) > 4 else ''}. It was graded as `{target}`; rename it to "
        f"`{target}`, typed on a keyboard."
    )


def _without_the_kit(candidates: list[_Candidate]) -> list[_Candidate]:
    """The candidates outside the student kit's own `autograder/` package (marked by its `kit.json`), which a
    student who uploads the whole kit folder hands in too: its `judge/adder.py` is the grader's, not theirs."""
    kits = {c.path.parent for c in candidates if c.path.name == KIT_MARKER and c.path.parent.name == "autograder"}
    if not kits:
        return candidates
    return [c for c in candidates if not any(kit in c.path.parents for kit in kits)]


def _is_junk(path: PurePosixPath) -> bool:
    return any(part in JUNK_PARTS for part in path.parts) or path.name.startswith("._") or path.name == ".DS_Store"


def _folder_candidates(root: Path, notes: list[str]) -> list[_Candidate]:
    """The files of a folder upload, shallowest first, looking at MAX_ENTRIES entries at most (a listing
    is read only that far: a folder of a million files costs no more than one of ten thousand)."""
    found: list[_Candidate] = []
    budget, todo = MAX_ENTRIES, [root]
    while todo:
        folder = todo.pop(0)
        try:
            with os.scandir(folder) as listing:
                entries = sorted(islice(listing, budget + 1), key=lambda entry: entry.name)
        except OSError:
            continue
        budget -= len(entries)
        if budget < 0:
            notes.append(f"Your upload holds more than {MAX_ENTRIES:,} files and folders: only some were looked at.")
            entries = entries[:budget]
        for entry in entries:
            full = Path(entry.path)
            relative = PurePosixPath(full.relative_to(root).as_posix())
            if _is_junk(relative) or len(str(relative)) > MAX_NAME:
                continue
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                if _canonical(relative):
                    notes.append(f"{literal(relative)} is a link, not a file; it was not read.")
            elif stat.S_ISDIR(info.st_mode):
                todo.append(full)
            elif stat.S_ISREG(info.st_mode):
                found.append(_Candidate(relative, info.st_size, partial(_open_file, full)))
        if budget < 0:
            break
    return found


def _directory_size(file: IO[bytes]) -> tuple[int, int] | None:
    """(entries, bytes) of a zip's central directory as its end record states them (zip64 too), read
    before zipfile parses the directory: a small zip may hold a million entries. None if not a zip."""
    try:
        end = zipfile._EndRecData(file)  # type: ignore[attr-defined]  # zipfile's own reader of it
    except OSError:
        return None
    if not end:
        return None
    return end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]  # type: ignore[attr-defined]


def _zip_candidates(
    name: str, opener: Callable[[], IO[bytes]], notes: list[str], clashes: list[str]
) -> list[_Candidate] | None:
    """The members of a zip (`name` as the student knows it) as candidates, or None (with a note saying why) if
    it cannot be opened. Of several members with the same name the last is taken, as unzipping leaves it (a zip
    updated by appending holds the newest copy last)."""
    try:
        file = opener()
        directory = _directory_size(file)
        if directory is not None and directory[0] > MAX_ENTRIES:
            notes.append(
                f"{literal(name)} holds {directory[0]:,} entries; a homework zip may hold at most "
                f"{MAX_ENTRIES:,}. Upload only your files."
            )
            return None
        if directory is not None and directory[1] > MAX_DIRECTORY_BYTES:
            notes.append(
                f"{literal(name)} lists its files in {directory[1]:,} bytes (very many or very long names); a "
                f"homework zip may list them in at most {MAX_DIRECTORY_BYTES:,}. Upload only your files."
            )
            return None
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
        notes.append(f"{literal(name)} is not a readable zip file.")
        return None
    found: dict[PurePosixPath, _Candidate] = {}
    copies: Counter[PurePosixPath] = Counter()
    for info in islice(archive.infolist(), MAX_ENTRIES):
        if not info.filename or info.is_dir() or len(info.filename) > MAX_NAME:
            continue
        relative = PurePosixPath(info.filename.replace("\\", "/"))
        if _is_junk(relative):
            continue
        if relative.is_absolute() or ".." in relative.parts:
            notes.append(f"{literal(info.filename)} in your zip points outside the upload; it was not read.")
            continue
        if stat.S_ISLNK(info.external_attr >> 16):
            if _canonical(relative):
                notes.append(f"{literal(relative)} in your zip is a link, not a file; it was not read.")
            continue
        copies[relative] += 1
        found[relative] = _Candidate(relative, info.file_size, partial(archive.open, info))
    for relative, count in copies.items():
        if count > 1 and _canonical(relative):
            notes.append(
                f"{literal(name)} holds {literal(relative)} {count} times: graded the last copy (the one unzipping "
                "keeps), ignored the others."
            )
            clashes.append(f"{name} holds {relative} more than once: the last copy was graded")
    return list(found.values())


def _inside_a_single_zip(candidates: list[_Candidate], notes: list[str], clashes: list[str]) -> list[_Candidate]:
    """A student who zipped a zip: an upload with no file we grade but one .zip is read as that zip's contents,
    whether the upload is a folder (Gradescope unpacked the outer zip) or the outer zip itself. One level only:
    a zip inside that one is not opened, and several zips are not opened either; the notes say so."""
    zips = [c for c in candidates if c.path.suffix.lower() == ".zip"]
    if not zips or any(_canonical(c.path) for c in candidates):
        return candidates
    if len(zips) > 1:
        listed = ", ".join(literal(c.path) for c in zips[:5]) + (", …" if len(zips) > 5 else "")
        notes.append(
            f"Your upload holds {len(zips)} zips ({listed}) and no file we grade outside them: none was opened "
            "(which one holds your work cannot be told). Upload your files, or one zip of them."
        )
        return candidates
    inner = zips[0]
    if inner.size > MAX_INNER_ZIP_BYTES:
        notes.append(f"{literal(inner.path)} is larger than {_size(MAX_INNER_ZIP_BYTES)}; it was not opened.")
        return candidates
    said = len(notes)
    found = _zip_candidates(str(inner.path), partial(_seekable, inner), notes, clashes)
    if found is None:  # its note says why it could not be opened: it was not looked inside
        return []
    notes.insert(said, f"Looked inside {literal(inner.path)}: your upload holds no file we grade outside it.")
    deeper = [c for c in found if c.path.suffix.lower() == ".zip"]
    if deeper and not any(_canonical(c.path) for c in found):
        notes.append(
            f"{literal(inner.path)} holds only another zip, {literal(deeper[0].path)}: a zip inside a zip is "
            "not opened. Upload your files, or one zip of them."
        )
    return found


def _seekable(candidate: _Candidate) -> IO[bytes]:
    """The candidate as a file zipfile can seek in: a file of a folder in place, a zip member copied to a
    temporary file (seeking in a compressed member decompresses it again from the start every time)."""
    source = candidate.open()
    if isinstance(source, io.BufferedReader):
        return source
    copy = tempfile.TemporaryFile()  # it lives as long as the zipfile reading it
    with source:
        try:
            shutil.copyfileobj(source, copy)  # at most the size the header claims, which was bounded
        except Exception as error:  # noqa: BLE001 - zipfile and zlib raise many kinds on damaged data
            copy.close()
            raise zipfile.BadZipFile(str(error)) from None
    copy.seek(0)
    return copy


def _open_file(path: Path) -> IO[bytes]:
    return open(path, "rb")
