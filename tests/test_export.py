"""Tests of export reading: Gradescope's submission_metadata.yml, the submission folders, and unpacking the zip."""

import os
import random
import stat
import subprocess
import sys
import zipfile
from textwrap import dedent

import pytest

from autograder import export
from autograder.export import ExportError, Submitter, find_submissions, read_metadata, unpack_export
from conftest import ROOT

# As Gradescope writes it (Ruby symbols as keys; a BigDecimal score with its Ruby tag).
METADATA = dedent("""\
    submission_101:
      :submitters:
      - :name: Ada Lovelace
        :sid: '17'
        :email: ada@uni.edu
      :created_at: 2021-10-01 12:34:56.789012000 -07:00
      :score: !ruby/object:BigDecimal 18:0.75e1
      :history: []
    submission_102:
      :submitters:
      - :name: Bo One
        :sid: 21
        :email: bo@uni.edu
      - :name: Cy Two
        :email: cy@uni.edu
    submission_103:
      :submitters: []
    """)


def test_the_metadata_maps_folders_to_submitters(tmp_path):
    """Names, emails and SIDs are read (an SID written as a number too); Ruby tags and other keys are ignored."""
    (tmp_path / "submission_metadata.yml").write_text(METADATA)
    assert read_metadata(tmp_path / "submission_metadata.yml") == {
        "submission_101": (Submitter("Ada Lovelace", "ada@uni.edu", "17"),),
        "submission_102": (Submitter("Bo One", "bo@uni.edu", "21"), Submitter("Cy Two", "cy@uni.edu", "")),
        "submission_103": (),
    }


def test_unreadable_metadata_is_an_export_error(tmp_path):
    """Metadata that is not a mapping is refused with the file named."""
    (tmp_path / "submission_metadata.yml").write_text("- just\n- a list\n")
    with pytest.raises(ExportError, match="submission_metadata.yml: expected a mapping"):
        read_metadata(tmp_path / "submission_metadata.yml")


def test_an_export_folder_lists_every_submission_once(tmp_path):
    """Metadata one folder down is found; listed folders, unlisted folders and listed-but-missing ones all count; junk
    does not."""
    export = tmp_path / "assignment_9_export"
    export.mkdir()
    (export / "submission_metadata.yml").write_text(METADATA)
    for name in ("submission_101", "submission_102", "stray_folder", "__MACOSX", ".hidden", "graded"):
        (export / name).mkdir()
    (export / "notes.txt").write_text("not a submission")
    (tmp_path / "beside").mkdir()  # beside the folder of the metadata: not a submission
    submissions, warnings = find_submissions(tmp_path, exclude=export / "graded")
    assert [s.id for s in submissions] == ["stray_folder", "submission_101", "submission_102", "submission_103"]
    assert submissions[1].path == export / "submission_101" and submissions[1].submitters[0].name == "Ada Lovelace"
    assert submissions[0].submitters == () and submissions[3].path is None
    assert [s.listed for s in submissions] == [False, True, True, True]  # stray_folder: flagged, not a blank row
    assert warnings == [
        f"{tmp_path}: skipped 3 entries that cannot be a submission (hidden, a link, a file that is not a .zip, or "
        "beside the submissions' folder): 'assignment_9_export/.hidden', 'assignment_9_export/notes.txt', 'beside'",
        f"{export / 'submission_metadata.yml'} does not list 1 submission folder, so no name, email or SID is known "
        "for it (graded, and under Needs attention in the report; canvas.csv cannot hold it): 'stray_folder'",
    ]


def test_without_readable_metadata_no_folder_is_flagged_as_unlisted(tmp_path):
    """A plain folder export (or metadata that cannot be read, which has its own warning) lists no one: the
    folders are not each flagged as missing from it."""
    (tmp_path / "alice").mkdir()
    submissions, warnings = find_submissions(tmp_path)
    assert [s.listed for s in submissions] == [True] and warnings == []


def test_a_plain_folder_of_submissions_needs_no_metadata(tmp_path):
    """Without metadata every folder and .zip in the folder is a submission, named by its file name."""
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob.zip").write_bytes(b"PK")
    (tmp_path / "readme.txt").write_text("x")
    submissions, _ = find_submissions(tmp_path)
    assert [(s.id, s.path.name) for s in submissions] == [("alice", "alice"), ("bob.zip", "bob.zip")]


def test_a_metadata_key_that_is_not_a_folder_name_is_a_row_with_the_reason(tmp_path):
    """A key that would escape the output folder is never used as a path: its row says why it was not graded."""
    (tmp_path / "submission_metadata.yml").write_text("'../evil': {}\nsubmission_1: {}\n")
    submissions, warnings = find_submissions(tmp_path)
    assert [(s.id, s.path, s.problem) for s in submissions] == [
        ("../evil", None, "its name is not a plain folder name"),
        ("submission_1", None, None),
    ]
    assert warnings == []


def test_an_empty_export_is_an_error(tmp_path):
    """A folder with no submissions at all is refused, not graded into an empty gradebook."""
    with pytest.raises(ExportError, match="no submissions found"):
        find_submissions(tmp_path)


def test_unpacking_keeps_the_export_and_drops_links_escapes_and_junk(tmp_path):
    """Members outside the target, links and macOS junk are not extracted; the single top folder is returned;
    the TA is told which members were not extracted (junk aside)."""
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("assignment_9_export/submission_metadata.yml", METADATA)
        archive.writestr("assignment_9_export/submission_101/adder.py", "U = 1\n")
        archive.writestr("__MACOSX/assignment_9_export/._submission_101", "junk")
        archive.writestr("../escape.txt", "outside")
        archive.writestr("stray.txt", "beside the export")
        link = zipfile.ZipInfo("assignment_9_export/submission_101/lstm_bptt.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    into = tmp_path / "unpacked"
    into.mkdir()
    unpacked = unpack_export(export, into)
    assert unpacked.root == into / "assignment_9_export" and unpacked.problems == {}
    assert sorted(p.relative_to(into).as_posix() for p in into.rglob("*")) == [
        "assignment_9_export",
        "assignment_9_export/submission_101",
        "assignment_9_export/submission_101/adder.py",
        "assignment_9_export/submission_metadata.yml",
    ]
    assert not (tmp_path / "escape.txt").exists()
    assert unpacked.warnings == [
        f"{export}: skipped 2 members that could lead out of the export (links, absolute paths, '..'): "
        "'../escape.txt', 'assignment_9_export/submission_101/lstm_bptt.py'",
        f"{export}: skipped 1 member outside the submissions' folder assignment_9_export: 'stray.txt'",
    ]


def test_a_file_that_is_not_a_zip_is_an_export_error(tmp_path):
    """A broken export names itself in the error."""
    (tmp_path / "export.zip").write_text("not a zip")
    with pytest.raises(ExportError, match="export.zip: not a readable zip file"):
        unpack_export(tmp_path / "export.zip", tmp_path)


# ---------------------------------------------------------------- a hostile export (issue 10, class 4)


def hostile_zip(path, members):
    """A zip of (name, bytes) members under `assignment_9_export/`, with metadata naming each submission."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(f"assignment_9_export/{name}", data)
    return path


def unpack(tmp_path, members):
    into = tmp_path / "unpacked"
    into.mkdir()
    return unpack_export(hostile_zip(tmp_path / "export.zip", members), into)


def test_a_file_and_a_folder_of_the_same_name_is_that_submissions_reason(tmp_path):
    """`s1/adder.py` as a file and as a folder: s1 is not graded, and says why; s2 is unpacked as usual."""
    unpacked = unpack(tmp_path, [("s1/adder.py", b"U = 1\n"), ("s1/adder.py/x", b"y"), ("s2/adder.py", b"U = 2\n")])
    assert unpacked.problems == {"s1": "it holds a file and a folder of the same name (adder.py/x)"}
    assert (unpacked.root / "s2" / "adder.py").read_bytes() == b"U = 2\n"


def test_a_name_longer_than_the_file_system_allows_is_that_submissions_reason(tmp_path):
    """A 300-byte file name, or a path of 5,000 bytes, cannot be written: the submission's row says so."""
    unpacked = unpack(
        tmp_path,
        [("s1/" + "a" * 300 + ".py", b"x"), ("s2/" + "d/" * 2500 + "adder.py", b"x"), ("s3/adder.py", b"U = 3\n")],
    )
    assert unpacked.problems == {
        "s1": "a file name in it is longer than the file system allows",
        "s2": "a file name in it is longer than the file system allows",
    }
    assert (unpacked.root / "s3" / "adder.py").exists()


def test_a_submission_folder_name_too_long_is_named_as_the_folders_own(tmp_path):
    """A 280-character submission folder: its row says the folder's own name is too long, not a file in it."""
    unpacked = unpack(tmp_path, [("submission_" + "9" * 280 + "/adder.py", b"U = 1\n"), ("s3/adder.py", b"U = 3\n")])
    assert unpacked.problems == {"submission_" + "9" * 280: "its folder name is longer than the file system allows"}


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_two_members_of_the_same_name_keep_the_last_with_a_note_for_the_row(tmp_path):
    """A submission holding adder.py twice: the last copy is graded (as a student's zip is read), and its row
    gets a note; a clash of files the grader never reads is no note."""
    unpacked = unpack(
        tmp_path,
        [("s1/hw/adder.py", b"first"), ("s1/hw/adder.py", b"last"), ("s1/a.txt", b"1"), ("s1/a.txt", b"2")],
    )
    assert (unpacked.root / "s1" / "hw" / "adder.py").read_bytes() == b"last" and unpacked.problems == {}
    assert unpacked.notes == {"s1": ["its zip holds hw/adder.py more than once: the last copy was graded"]}
    submissions, _ = find_submissions(unpacked.root, notes=unpacked.notes)
    assert submissions[0].notes == ("its zip holds hw/adder.py more than once: the last copy was graded",)


def test_a_malformed_metadata_file_is_described_on_one_readable_line(tmp_path):
    """PyYAML's multi-line message (with its `<unicode string>` places) becomes one line a TA can read."""
    (tmp_path / "submission_metadata.yml").write_text('sub_a:\n  :submitters:\n  - :name: "Unclosed\n    :sid: 1\n')
    with pytest.raises(ExportError) as raised:
        read_metadata(tmp_path / "submission_metadata.yml")
    message = str(raised.value)
    assert "\n" not in message and "<unicode string>" not in message
    assert message.endswith(
        "cannot read the submission metadata (found unexpected end of stream at line 5, column 1 "
        "(while scanning a quoted scalar that starts at line 3, column 12))"
    )


def test_a_zip_bomb_is_stopped_by_its_ratio_its_size_and_its_count(tmp_path, monkeypatch):
    """A member compressed over 200:1, a submission over its byte budget or its file count: that submission's
    reason, found before (or while) writing, never by filling the disk."""
    monkeypatch.setattr(export, "MAX_SUBMISSION_BYTES", 3 * 2**20)
    monkeypatch.setattr(export, "MAX_SUBMISSION_MEMBERS", 5)
    noise = os.urandom(2 * 2**20)  # incompressible: passes the ratio check, not the byte budget
    unpacked = unpack(
        tmp_path,
        [
            ("bomb/zeros.bin", bytes(8 * 2**20)),
            ("big/a.bin", noise),
            ("big/b.bin", noise),
            *((f"many/f{i}.txt", b"x") for i in range(6)),
            ("ok/adder.py", b"U = 1\n"),
        ],
    )
    assert unpacked.problems == {
        "bomb": "bomb/zeros.bin is compressed more than 200:1 (a zip bomb?)",
        "big": "its files are larger than 3 MB in all",
        "many": "it holds more than 5 files",
    }
    assert not (unpacked.root / "bomb" / "zeros.bin").exists() and (unpacked.root / "ok" / "adder.py").exists()
    written = sum(p.stat().st_size for p in (unpacked.root / "big").rglob("*") if p.is_file())
    assert written <= 3 * 2**20


def test_a_member_whose_header_lies_about_its_size_is_cut_at_the_budget(tmp_path, monkeypatch):
    """Sizes are counted as the bytes come out, not read from the header: a lying header cannot pass the budget."""
    monkeypatch.setattr(export, "MAX_SUBMISSION_BYTES", 2**20)
    archive_path = hostile_zip(tmp_path / "export.zip", [("s1/data.bin", os.urandom(3 * 2**20))])
    data = bytearray(archive_path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # the local and central headers' sizes
        at = data.find(signature)
        data[at + offset : at + offset + 4] = (1000).to_bytes(4, "little")
    archive_path.write_bytes(bytes(data))
    into = tmp_path / "unpacked"
    into.mkdir()
    unpacked = unpack_export(archive_path, into)
    assert list(unpacked.problems) == ["s1"]
    assert sum(p.stat().st_size for p in into.rglob("*") if p.is_file()) <= 2**20


def test_an_export_with_too_many_members_is_refused_before_its_directory_is_read(tmp_path, monkeypatch):
    """The member count comes from the zip's end record: a million-entry zip is refused without listing it."""
    monkeypatch.setattr(export, "MAX_EXPORT_MEMBERS", 10)
    archive = hostile_zip(tmp_path / "export.zip", [(f"s{i}/adder.py", b"x") for i in range(11)])
    with pytest.raises(ExportError, match="holds 11 files, more than the 10 an export may hold"):
        unpack_export(archive, tmp_path)


BOMBS = {
    "billion-laughs": "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n",
    "merge-keys": "base: {x: 1}\nsubmission_1:\n  <<: {':submitters': []}\n",
    "deep": "a: " + "[" * 100_000 + "]" * 100_000 + "\n",
    "anchor-only": "submission_1: &s {':submitters': []}\n",
}


@pytest.mark.parametrize("text", BOMBS.values(), ids=BOMBS.keys())
def test_metadata_with_aliases_merges_or_deep_nesting_is_refused_quickly(tmp_path, text):
    """Aliases, anchors, merge keys and nesting past 16 levels are refused before anything is built: no expansion,
    no RecursionError, and a message that names the file."""
    (tmp_path / "submission_metadata.yml").write_text(text)
    with pytest.raises(ExportError, match="submission_metadata.yml: cannot read the submission metadata"):
        read_metadata(tmp_path / "submission_metadata.yml")


def test_refused_metadata_is_a_warning_and_the_folders_are_still_graded(tmp_path):
    """An export whose metadata is a bomb still lists its submission folders, without names, with a warning."""
    (tmp_path / "submission_metadata.yml").write_text(BOMBS["billion-laughs"])
    (tmp_path / "submission_1").mkdir()
    submissions, warnings = find_submissions(tmp_path)
    assert [(s.id, s.submitters, s.problem) for s in submissions] == [("submission_1", (), None)]
    assert len(warnings) == 1 and "YAML anchors or aliases" in warnings[0]


def test_a_submission_folder_that_is_a_link_out_of_the_export_is_never_graded(tmp_path):
    """In a folder export, a submission folder that is a symbolic link (to anywhere), listed in the metadata or
    not, is a row with the reason; a metadata file that is a link is not read."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "adder.py").write_text("secret")
    export_folder = tmp_path / "export"
    export_folder.mkdir()
    (export_folder / "submission_metadata.yml").write_text("submission_1: {':submitters': [{':name': Ann}]}\n")
    (export_folder / "submission_1").symlink_to(outside)
    (export_folder / "stray").symlink_to(outside)
    (export_folder / "submission_metadata.yml").rename(export_folder / "metadata.yml")
    (export_folder / "submission_metadata.yml").symlink_to(export_folder / "metadata.yml")  # never read either
    submissions, warnings = find_submissions(export_folder)
    link = "its folder in the export is a link, which is never followed"
    assert [(s.id, s.path, s.problem) for s in submissions] == [("stray", None, link), ("submission_1", None, link)]
    assert warnings == [
        f"{export_folder}: skipped 2 entries that cannot be a submission (hidden, a link, a file that is not a .zip, "
        "or beside the submissions' folder): 'metadata.yml', 'submission_metadata.yml'"
    ]


@pytest.mark.parametrize("name", ["=cmd|' -C calc'!A0", "+1", "-1", "@SUM(1)"])
def test_a_folder_named_like_a_formula_is_a_submission_like_any_other(tmp_path, name):
    """Only the gradebook has to worry about formulas: such a folder is found and graded as usual."""
    (tmp_path / name).mkdir()
    submissions, _ = find_submissions(tmp_path)
    assert [(s.id, s.problem) for s in submissions] == [(name, None)]


MEMORY_PROBE = """
import re, sys, zipfile
from pathlib import Path
from autograder import export
export.MAX_RATIO = 10**9  # let the bytes through to the extraction's own budget
into = Path(sys.argv[2])
unpacked = export.unpack_export(Path(sys.argv[1]), into)
try:
    export.read_metadata(unpacked.root / "submission_metadata.yml")
except export.ExportError as error:
    print("refused:", error)
print(sorted(unpacked.problems.items()))
# VmHWM, not ru_maxrss: ru_maxrss keeps the high-water mark of the address space forked from pytest.
print("peak", int(re.search(r"VmHWM:\\s*(\\d+) kB", open("/proc/self/status").read()).group(1)) * 1024)
"""


def test_unpacking_a_bomb_stays_far_under_the_memory_budget(tmp_path):
    """A 60 MB member is streamed to disk (1 MB at a time), a 120 MB one is refused by its submission's 100 MB
    budget, and a billion-laughs metadata file is refused: all in well under the 250 MB budget."""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as opened:
        opened.writestr("export/submission_metadata.yml", BOMBS["billion-laughs"] * 2)
        for name, megabytes in (("bomb", 120), ("big", 60)):
            with opened.open(f"export/{name}/zeros.bin", "w", force_zip64=True) as member:
                for _ in range(megabytes):
                    member.write(bytes(2**20))
    (tmp_path / "into").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(archive), str(tmp_path / "into")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("refused:") and "YAML anchors or aliases" in lines[0]
    assert lines[1] == "[('bomb', 'its files are larger than 100 MB in all')]"
    assert (tmp_path / "into" / "export" / "big" / "zeros.bin").stat().st_size == 60 * 2**20
    assert int(lines[2].split()[1]) < 100 * 2**20


def test_a_folder_name_that_is_not_utf8_becomes_a_row_with_a_visible_escape(tmp_path):
    """A folder name that is not UTF-8 is a row (not graded, with the reason) whose id is written with an escape,
    so the gradebook and the report can always be written. (YAML itself refuses lone surrogates.)"""
    os.mkdir(os.path.join(os.fsencode(tmp_path), b"caf\xe9"))
    (tmp_path / "ok").mkdir()
    submissions, _ = find_submissions(tmp_path)
    assert [(s.id, s.path, s.problem) for s in submissions] == [
        ("caf\\udce9", None, "its folder name is not valid UTF-8"),
        ("ok", tmp_path / "ok", None),
    ]


def test_a_member_whose_compressed_bytes_are_damaged_is_that_submissions_reason(tmp_path):
    """Deflate data that zlib refuses (its own error, not zipfile's) costs that submission its row, with the
    reason; the other submissions are unpacked as usual."""
    noise = random.Random(0).randbytes(5000)
    archive = hostile_zip(tmp_path / "export.zip", [("s1/adder.py", b"U = 1\n" * 300 + noise), ("s2/adder.py", b"U")])
    data = bytearray(archive.read_bytes())
    start = data.index(b"s1/adder.py") + len("s1/adder.py")  # the member's compressed bytes follow its name
    data[start : start + 50] = bytes(byte ^ 0x5A for byte in data[start : start + 50])
    archive.write_bytes(bytes(data))
    (tmp_path / "into").mkdir()
    unpacked = unpack_export(archive, tmp_path / "into")
    assert list(unpacked.problems) == ["s1"]
    assert unpacked.problems["s1"].startswith("s1/adder.py could not be extracted (Error -3 while decompressing")
    assert (unpacked.root / "s2" / "adder.py").read_bytes() == b"U"


@pytest.mark.parametrize("metadata", [True, False], ids=["with-metadata", "plain-folder"])
def test_a_zip_made_by_zip_r_has_no_warning_for_its_own_folders(tmp_path, metadata):
    """`zip -r export.zip assignment_9_export` writes an entry for every folder, the export's own included: that
    entry is not "outside the submissions' folder", and without metadata it does not hide the single top folder
    (which would make the whole export one submission)."""
    folder = tmp_path / "assignment_9_export"
    for name in ("submission_101", "submission_102"):
        (folder / name / "sub").mkdir(parents=True)
        (folder / name / "adder.py").write_text("U = 1\n")
    if metadata:
        (folder / "submission_metadata.yml").write_text(METADATA)
    archive = tmp_path / "export.zip"
    subprocess.run(["zip", "-q", "-r", str(archive), folder.name], cwd=tmp_path, check=True)
    with zipfile.ZipFile(archive) as opened:
        assert "assignment_9_export/" in opened.namelist()  # the folder entries this is about
    unpacked = unpack_export(archive, tmp_path / "into")
    assert unpacked.warnings == [] and unpacked.root == tmp_path / "into" / "assignment_9_export"
    submissions, warnings = find_submissions(unpacked.root)
    assert [s.id for s in submissions][:2] == ["submission_101", "submission_102"]
    assert (unpacked.root / "submission_101" / "sub").is_dir()


def test_a_full_disk_while_unpacking_stops_the_batch_instead_of_failing_each_student(tmp_path, monkeypatch):
    """No space left in the temporary folder is the machine's problem, not the students': the export is refused
    with what to do, instead of every later submission becoming a "bad upload"."""
    archive = hostile_zip(tmp_path / "export.zip", [("a/adder.py", b"x"), ("b/adder.py", b"y")])

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_copy", full)
    with pytest.raises(ExportError, match="no space left to unpack the export.*TMPDIR"):
        unpack_export(archive, tmp_path / "into")
