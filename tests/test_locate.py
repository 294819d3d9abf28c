"""Tests of finding the student's files in a folder or zip: by name, safely, predictably."""

import os
import random
import stat
import struct
import zipfile
from pathlib import Path

import pytest
from peak import grading_peak_mb

from autograder import locate as locate_module
from autograder.locate import MAX_FILE_BYTES, locate
from conftest import ROOT


def make(tmp_path, files):
    for name, content in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return tmp_path


def zip_of(path, entries, links=()):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
        for name, target in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def test_files_are_found_anywhere_in_the_tree(tmp_path):
    """The wanted files are found in sub-folders; other files are ignored."""
    found = locate(make(tmp_path, {"hw/q1/adder.py": b"U = 1", "hw/lstm_bptt.py": b"x", "notes.txt": b"n"}))
    assert found.files == {"adder.py": b"U = 1", "lstm_bptt.py": b"x"}
    assert found.notes == ()


def test_a_name_differing_in_case_is_taken_with_a_note(tmp_path):
    """`Adder.py` in a sub-folder of a zip is graded as adder.py, and the student is told."""
    found = locate(zip_of(tmp_path / "up.zip", {"Homework/Adder.py": b"U = 2"}))
    assert found.files == {"adder.py": b"U = 2"}
    assert found.notes == (
        "Found `Homework/Adder.py` and graded it as `adder.py` (the name should be exactly `adder.py`).",
    )


def test_of_two_candidates_the_shallowest_wins_with_a_note(tmp_path):
    """Two adder.py files: the shallower path is graded, the other named in a note."""
    found = locate(make(tmp_path, {"old/v1/adder.py": b"old", "final/adder.py": b"new"}))
    assert found.files["adder.py"] == b"new"
    assert found.notes == ("Several files could be `adder.py`: graded `final/adder.py`, ignored `old/v1/adder.py`.",)


def test_adder_py_wins_over_adder_json(tmp_path):
    """With both adder.py and adder.json, adder.py is graded and the student is told."""
    found = locate(make(tmp_path, {"adder.py": b"py", "adder.json": b"{}"}))
    assert found.files == {"adder.py": b"py"}
    assert found.notes == ("Both `adder.py` and `adder.json` were found; graded `adder.py` only.",)


def test_of_two_files_for_question_1_the_shallower_wins(tmp_path):
    """A correct adder.yaml at the top and the kit's adder.py in drafts/: the shallower path is graded (docs/spec.md 1),
    and the note names both paths."""
    found = locate(make(tmp_path, {"drafts/adder.py": b"py", "adder.yaml": b"U: 1"}))
    assert found.files == {"adder.yaml": b"U: 1"} and found.found == {"adder.yaml": "adder.yaml"}
    assert found.notes == (
        "Both `adder.yaml` and `drafts/adder.py` were found; graded `adder.yaml` (the shallower) only.",
    )


def test_junk_is_ignored(tmp_path):
    """macOS and Python leftovers are never graded."""
    found = locate(
        make(
            tmp_path,
            {
                "__MACOSX/adder.py": b"junk",
                "._adder.py": b"junk",
                "__pycache__/lstm_bptt.py": b"junk",
                "sub/adder.py": b"real",
            },
        )
    )
    assert found.files == {"adder.py": b"real"} and found.notes == ()


def test_links_are_not_followed_in_a_folder(tmp_path):
    """A symbolic link named adder.py is not read (it could point at the reference solution)."""
    secret = tmp_path / "secret.py"
    secret.write_bytes(b"SECRET")
    folder = tmp_path / "sub"
    folder.mkdir()
    os.symlink(secret, folder / "adder.py")
    found = locate(folder)
    assert found.files == {}
    assert found.notes == ("`adder.py` is a link, not a file; it was not read.",)


def test_a_zip_with_parent_paths_or_links_is_read_safely(tmp_path):
    """`../` entries and link entries in a zip are skipped with a note; nothing is extracted."""
    archive = zip_of(
        tmp_path / "up.zip",
        {"../adder.py": b"escape", "ok/lstm_bptt.py": b"fine"},
        links=[("adder.py", "/autograder/source/reference/adder.py")],
    )
    found = locate(archive)
    assert found.files == {"lstm_bptt.py": b"fine"}
    assert found.notes == (
        "`../adder.py` in your zip points outside the upload; it was not read.",
        "`adder.py` in your zip is a link, not a file; it was not read.",
    )
    assert not (tmp_path.parent / "adder.py").exists()


def test_a_zip_inside_the_upload_folder_is_searched(tmp_path):
    """Gradescope unpacks a zip upload; a zip inside it (a zip of a zip) is still searched."""
    zip_of(tmp_path / "homework.zip", {"hw/adder.py": b"inner"})
    found = locate(tmp_path)
    assert found.files == {"adder.py": b"inner"}
    assert found.notes[0].startswith("Looked inside `homework.zip`")


def test_an_empty_upload_is_reported(tmp_path):
    """An empty folder gives no files and a note saying so."""
    assert locate(tmp_path).notes == ("Your submission is empty: no files were uploaded.",)


def test_a_broken_zip_is_reported(tmp_path):
    """A file that claims to be a zip but is not one is reported, not a crash."""
    bad = tmp_path / "up.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    found = locate(bad)
    assert found.files == {}
    assert "is not a readable zip file" in found.notes[0] or found.notes[0].startswith("Your submission is empty")


def test_an_oversized_file_is_not_read(tmp_path):
    """A file larger than the cap is skipped with a note (no memory blow-up)."""
    found = locate(make(tmp_path, {"adder.py": b"#" * (MAX_FILE_BYTES + 1)}))
    assert found.files == {}
    assert found.notes == ("`adder.py` is larger than 1000 kB; it was not read.",)


def test_a_damaged_zip_member_is_a_note_not_a_crash(tmp_path):
    """A zip whose member fails its checksum gives a note asking for a new upload."""
    archive = zip_of(tmp_path / "up.zip", {"adder.py": b"U = [[1, 1], [1, 1], [1, 1]]" * 10})
    data = bytearray(archive.read_bytes())
    start = data.index(b"U = [[")
    data[start : start + 4] = b"XXXX"
    archive.write_bytes(bytes(data))
    found = locate(archive)
    assert found.files == {}
    assert found.notes == ("`adder.py` could not be read (a damaged or encrypted file?); upload it again.",)


def test_a_file_that_is_not_utf8_is_read_as_windows_1252_with_a_note(tmp_path):
    """An adder.py saved by a Windows editor is converted to UTF-8, and the student is told."""
    found = locate(make(tmp_path, {"adder.py": "# poids trouvés\r\nU = 1\r\n".encode("cp1252")}))
    assert found.files == {"adder.py": "# poids trouvés\r\nU = 1\r\n".encode()}
    assert found.notes == ("`adder.py` is not UTF-8 text; it was read as Windows-1252 (save it as UTF-8).",)


def test_a_python_file_declaring_its_encoding_is_left_alone(tmp_path):
    """A PEP 263 coding line means Python itself will decode the file: its bytes are kept."""
    content = "# -*- coding: latin-1 -*-\n# é\nU = 1\n".encode("latin-1")
    assert locate(make(tmp_path, {"adder.py": content})).files == {"adder.py": content}


# -- untrusted bytes: names and sizes the student chose -------------------------------------------


def many_entries_zip(path, count):
    """A zip whose central directory lists `count` entries (all one empty file; zip64 end records): built
    in a second, where zipfile would need minutes to write it."""
    name = b"a"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0) + name
    central = struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 45, 20, 0, 0, 0, 0, 0, 0, 0, len(name), 0, 0, 0, 0, 0, 0) + name
    directory = len(central) * count
    end64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, directory, len(local))
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(local) + directory, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path, "wb") as out:
        out.write(local)
        out.write(central * count)
        out.write(end64 + locator + end)
    return path


def test_a_zip_with_a_million_entries_is_refused_before_it_is_parsed(tmp_path):
    """The entry count is read from the zip's end record: the directory is never parsed, with a note."""
    found = locate(many_entries_zip(tmp_path / "upload.zip", 1_000_000))
    assert found.files == {}
    assert found.notes == (
        "`upload.zip` holds 1,000,000 entries; a homework zip may hold at most 10,000. Upload only your files.",
    )


def test_a_zip_inside_the_upload_is_bounded_the_same_way(tmp_path):
    """A folder holding only a zip (a zip of a zip, unpacked by Gradescope) is refused the same way."""
    (tmp_path / "up").mkdir()
    many_entries_zip(tmp_path / "up" / "homework.zip", 20_000)
    found = locate(tmp_path / "up")
    assert found.notes[-1].startswith("`homework.zip` holds 20,000 entries")


def test_a_folder_of_many_files_is_looked_at_up_to_a_bound(tmp_path, monkeypatch):
    """More entries than MAX_ENTRIES: only the first are looked at, shallowest first, with a note."""
    monkeypatch.setattr(locate_module, "MAX_ENTRIES", 50)
    (tmp_path / "up" / "junk").mkdir(parents=True)
    for index in range(60):
        (tmp_path / "up" / "junk" / f"{index}.txt").touch()
    (tmp_path / "up" / "adder.py").write_bytes(b"U = 1")
    found = locate(tmp_path / "up")
    assert found.files == {"adder.py": b"U = 1"}
    assert found.notes == ("Your upload holds more than 50 files and folders: only some were looked at.",)


def test_names_that_are_not_utf8_or_carry_markup_are_shown_literally(tmp_path):
    """A folder name that is not UTF-8 and file names with backticks, HTML or terminal escapes reach the
    notes as literal text: bytes as \\xNN, inside a code span longer than any backticks in the name."""
    root = tmp_path / "up"
    os.makedirs(os.path.join(os.fsencode(root), b"\xff\xfedir"))
    with open(os.path.join(os.fsencode(root), b"\xff\xfedir", b"Adder.py"), "wb") as out:
        out.write(b"U = 3")
    for name in ("x``<img src=x onerror=alert(1)>/lstm_bptt.py", "\x1b[2J/lstm_bptt.py"):
        (root / name).parent.mkdir(parents=True)
        (root / name).write_bytes(b"pass")
    found = locate(root)
    assert found.files["adder.py"] == b"U = 3"
    assert found.notes == (
        "Found `\\xff\\xfedir/Adder.py` and graded it as `adder.py` (the name should be exactly `adder.py`).",
        "Several files could be `lstm_bptt.py`: graded `\\x1b[2J/lstm_bptt.py`, ignored "
        "```x``<img src=x onerror=alert(1)>/lstm_bptt.py```.",
    )


def test_a_zip_member_is_read_only_up_to_its_limit_whatever_it_claims(tmp_path):
    """A member that claims to be small but inflates far beyond the limit is cut at the limit, not inflated."""
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("adder.py", b"#" * (50 * MAX_FILE_BYTES))
    with open(path, "r+b") as data:  # make both headers lie: 10 bytes uncompressed
        raw = data.read()
        for at in (raw.find(b"PK\x03\x04") + 22, raw.find(b"PK\x01\x02") + 24):
            data.seek(at)
            data.write(struct.pack("<L", 10))
    found = locate(path)
    assert len(found.files.get("adder.py", b"")) <= MAX_FILE_BYTES


def both_forms(tmp_path, entries):
    """The same upload as a zip given to `grade` and as the folder Gradescope unpacks it into."""
    upload = zip_of(tmp_path / "upload.zip", entries)
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(upload) as archive:
        archive.extractall(unpacked)
    return locate(upload), locate(unpacked)


def zip_bytes(tmp_path, name, entries):
    return zip_of(tmp_path / name, entries).read_bytes()


def test_a_zip_holding_only_a_zip_is_read_the_same_as_a_zip_or_unpacked(tmp_path):
    """dave.zip -> inner.zip -> adder.py: the zip given to `grade` finds what Gradescope's unpacked folder finds,
    with the same note."""
    inner = zip_bytes(tmp_path, "inner.zip", {"adder.py": b"U = 1"})
    as_zip, as_folder = both_forms(tmp_path, {"inner.zip": inner})
    assert as_zip.files == as_folder.files == {"adder.py": b"U = 1"}
    assert (
        as_zip.notes
        == as_folder.notes
        == ("Looked inside `inner.zip`: your upload holds no file we grade outside it.",)
    )


def test_zips_are_opened_one_level_deep_only(tmp_path):
    """A zip in a zip in the upload is not opened (in either form), and the note says why nothing was found."""
    innermost = zip_bytes(tmp_path, "c.zip", {"adder.py": b"U = 1"})
    middle = zip_bytes(tmp_path, "b.zip", {"c.zip": innermost})
    as_zip, as_folder = both_forms(tmp_path, {"b.zip": middle})
    assert as_zip.files == as_folder.files == {}
    assert as_zip.notes == as_folder.notes
    assert as_zip.notes[-1] == (
        "`b.zip` holds only another zip, `c.zip`: a zip inside a zip is not opened. "
        "Upload your files, or one zip of them."
    )


def test_an_inner_zip_past_its_size_bound_is_not_opened(tmp_path, monkeypatch):
    """The inner zip is opened only up to its bound (the same in both forms): past it, a note, nothing read."""
    monkeypatch.setattr(locate_module, "MAX_INNER_ZIP_BYTES", 100)
    inner = zip_bytes(tmp_path, "inner.zip", {"adder.py": b"U = 1" * 100})
    as_zip, as_folder = both_forms(tmp_path, {"inner.zip": inner})
    assert as_zip.files == as_folder.files == {}
    assert as_zip.notes == as_folder.notes == ("`inner.zip` is larger than 0 kB; it was not opened.",)


def test_a_damaged_inner_zip_is_a_note(tmp_path):
    """An inner .zip that is not a zip says so, in both forms, and only that: it was never looked inside."""
    as_zip, as_folder = both_forms(tmp_path, {"inner.zip": b"PK\x03\x04 not a zip"})
    assert as_zip.files == as_folder.files == {}
    assert as_zip.notes == as_folder.notes == ("`inner.zip` is not a readable zip file.",)


@pytest.mark.parametrize(
    ("bound", "value", "said"),
    [
        ("MAX_ENTRIES", 2, "`inner.zip` holds 3 entries; a homework zip may hold at most 2. Upload only your files."),
        ("MAX_DIRECTORY_BYTES", 100, "`inner.zip` lists its files in 153 bytes (very many or very long names)"),
    ],
)
def test_an_inner_zip_past_a_bound_of_its_directory_is_one_note(tmp_path, monkeypatch, bound, value, said):
    """An inner zip refused for its directory says why, once, in both forms, and never that it was looked inside
    (the bounds let the outer zip, of one short entry, through)."""
    monkeypatch.setattr(locate_module, bound, value)
    inner = zip_bytes(tmp_path, "inner.zip", {"a.txt": b"1", "b.txt": b"2", "c.txt": b"3"})
    as_zip, as_folder = both_forms(tmp_path, {"inner.zip": inner})
    assert as_zip.files == as_folder.files == {}
    assert as_zip.notes == as_folder.notes
    assert len(as_zip.notes) == 1 and as_zip.notes[0].startswith(said), as_zip.notes


def test_an_inner_zip_whose_compressed_bytes_are_damaged_is_a_note(tmp_path):
    """The outer zip's copy of inner.zip fails to decompress (zlib's own error): a note, never a crash."""
    upload = tmp_path / "up.zip"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as archive:
        noise = random.Random(0).randbytes(5000)  # so that the damage stays inside the member
        archive.writestr("inner.zip", zip_bytes(tmp_path, "inner.zip", {"adder.py": b"U = 1\n", "noise": noise}))
    data = bytearray(upload.read_bytes())
    start = data.index(b"inner.zip") + 40  # into the member's compressed bytes
    data[start : start + 200] = bytes(byte ^ 0x5A for byte in data[start : start + 200])
    upload.write_bytes(bytes(data))
    found = locate(upload)
    assert found.files == {} and found.notes == ("`inner.zip` is not a readable zip file.",)


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_two_members_of_the_same_name_grade_the_last_with_a_note(tmp_path):
    """A zip holding adder.py twice (appended to): the last copy is graded, as unzipping keeps it, and the
    student is told; in a zip inside the upload too."""
    archive = tmp_path / "up.zip"
    with zipfile.ZipFile(archive, "w") as writing:
        writing.writestr("adder.py", b"first")
        writing.writestr("adder.py", b"last")
    found = locate(archive)
    assert found.files == {"adder.py": b"last"}
    assert found.notes == (
        "`up.zip` holds `adder.py` 2 times: graded the last copy (the one unzipping keeps), ignored the others.",
    )
    assert found.clashes == ("up.zip holds adder.py more than once: the last copy was graded",)
    folder = tmp_path / "folder"
    folder.mkdir()
    archive.rename(folder / "up.zip")
    assert locate(folder).files == {"adder.py": b"last"}
    assert locate(folder).notes[-1] == found.notes[0]


def test_several_zips_and_no_file_we_grade_are_not_opened_and_the_note_says_so(tmp_path):
    """Two zips in the upload (two versions?) and nothing else: neither is opened, in either form, and the note
    says why."""
    as_zip, as_folder = both_forms(
        tmp_path,
        {"v1.zip": zip_bytes(tmp_path, "a.zip", {"adder.py": b"1"}), "v2.zip": zip_bytes(tmp_path, "b.zip", {})},
    )
    assert as_zip.files == as_folder.files == {}
    assert (
        as_zip.notes
        == as_folder.notes
        == (
            "Your upload holds 2 zips (`v1.zip`, `v2.zip`) and no file we grade outside them: none was opened (which "
            "one holds your work cannot be told). Upload your files, or one zip of them.",
        )
    )


@pytest.mark.slow
def test_a_large_inner_zip_is_streamed_within_the_memory_budget(tmp_path):
    """A zip holding a 90 MB inner zip (its adder.py at the end, after 90 MB of padding) is read through a temporary
    file, not memory: the grading finds adder.py and stays far under the 250 MB budget."""
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_STORED) as archive:
        with archive.open("padding.bin", "w", force_zip64=True) as member:
            for _ in range(90):
                member.write(bytes(2**20))
        archive.write(ROOT / "reference" / "adder.py", "adder.py")
    upload = tmp_path / "upload.zip"
    with zipfile.ZipFile(upload, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(inner, "inner.zip")
    inner.unlink()
    peak, results = grading_peak_mb(upload, tmp_path / "results.json")
    assert results["output"].count("Looked inside `inner.zip`") == 1
    assert sum(t["score"] for t in results["tests"] if "1" in t["tags"]) == 5
    assert peak < 150, peak


DAMAGED = sorted((Path(__file__).parent / "data" / "damaged_zips").glob("*.zip"))


@pytest.mark.parametrize("damaged", DAMAGED, ids=[p.stem for p in DAMAGED])
def test_a_damaged_zip_is_a_note_never_a_crash(damaged, tmp_path):
    """Zips a fuzzer damaged (corrupt deflate data: zlib.error; a member with an empty name: IndexError; a local
    header name that is not UTF-8: UnicodeDecodeError), uploaded as they are or inside the upload's folder:
    a note names each member that could not be read, never the grader's own failure."""
    for upload in (damaged, make(tmp_path, {"inner.zip": damaged.read_bytes()})):
        found = locate(upload)  # the members that are whole are still read
        assert any("could not be read (a damaged or encrypted file?)" in note for note in found.notes), found.notes


@pytest.mark.parametrize(
    ("name", "graded_as", "said"),
    [
        ("\u0430dder.py", "adder.py", "`\u0430` (CYRILLIC SMALL LETTER A)"),
        ("ad\u200bder.py", "adder.py", "an invisible ZERO WIDTH SPACE"),
        ("\ufeffadder.yaml", "adder.yaml", "an invisible ZERO WIDTH NO-BREAK SPACE"),
        ("\uff41\uff44\uff44\uff45\uff52.py", "adder.py", "(FULLWIDTH LATIN SMALL LETTER A)"),
        ("Istm_bptt.py", "lstm_bptt.py", "`I` (a capital i) instead of `l`"),
        ("lstm_bptt.\u0440\u0443", "lstm_bptt.py", "(CYRILLIC SMALL LETTER ER)"),
        ("answers.t\u0435x", "answers.tex", "(CYRILLIC SMALL LETTER IE)"),
        ("hw3.\u0456pynb", "*.ipynb", "rename it to `hw3.ipynb`"),
    ],
    ids=[
        "cyrillic_a",
        "zero_width",
        "byte_order_mark",
        "full_width",
        "capital_i",
        "cyrillic_suffix",
        "tex",
        "notebook",
    ],
)
def test_a_look_alike_name_is_graded_with_a_note_naming_it(tmp_path, name, graded_as, said):
    """A name that only looks like a graded one is graded as it, with a note that names the look-alike
    characters and the name to type (as a name that differs in case is, docs/spec.md 5.1)."""
    found = locate(make(tmp_path, {f"hw/{name}": b"U = 1"}))
    assert found.files == {graded_as: b"U = 1"}
    (note,) = found.notes
    assert f"`hw/{name}` is not named" in note and said in note and "It was graded as" in note
    assert locate_module.is_wanted(name)


def test_the_real_name_wins_over_a_look_alike(tmp_path):
    """With adder.py present, a Cyrillic look-alike beside it is not read, and nothing is said of it."""
    found = locate(make(tmp_path, {"adder.py": b"U = 1", "\u0430dder.py": b"U = 2", "Notes.txt": b"I"}))
    assert found.files == {"adder.py": b"U = 1"} and found.notes == ()


KIT_UPLOAD = {  # a student who zipped the whole kit folder: the kit's package beside their answers
    "student_kit/answers.tex": b"U = 1",
    "student_kit/check.py": b"",
    "student_kit/autograder/kit.json": b"{}",
    "student_kit/autograder/judge/adder.py": b"from autograder.judge.adder_hints import hint",
}


def test_the_kits_own_package_in_an_upload_is_never_graded(tmp_path):
    """The kit's `autograder/` (marked by its kit.json) holds the grader's judge/adder.py: a student who uploads
    the whole kit folder, answering question 1 in answers.tex, must not have it graded as their adder.py,
    whether the upload is a folder, a zip or a zip in a folder."""
    folder = locate(make(tmp_path / "folder", KIT_UPLOAD))
    archive = locate(zip_of(tmp_path / "kit.zip", KIT_UPLOAD))
    inner = locate(make(tmp_path / "outer", {"kit.zip": (tmp_path / "kit.zip").read_bytes()}))
    for found in (folder, archive, inner):
        assert set(found.files) == {"answers.tex"}, found.found


def test_a_folder_named_autograder_without_the_kits_mark_is_the_students(tmp_path):
    """Only the kit's own package is left out: a student's folder that happens to be named `autograder`
    is read like any other."""
    found = locate(make(tmp_path, {"autograder/adder.py": b"U = 1"}))
    assert found.files == {"adder.py": b"U = 1"}
