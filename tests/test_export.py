"""Tests of export reading: Gradescope's submission_metadata.yml, the submission folders, and unpacking the zip."""

import stat
import zipfile
from textwrap import dedent

import pytest

from autograder.export import ExportError, find_submissions, read_metadata, unpack_export
from autograder.report.gradebook import Submitter

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
    """Metadata one folder down is found; listed folders, unlisted folders and listed-but-missing ones all count; junk does not."""
    export = tmp_path / "assignment_9_export"
    export.mkdir()
    (export / "submission_metadata.yml").write_text(METADATA)
    for name in ("submission_101", "submission_102", "stray_folder", "__MACOSX", ".hidden", "graded"):
        (export / name).mkdir()
    (export / "notes.txt").write_text("not a submission")
    submissions, warnings = find_submissions(tmp_path, exclude=export / "graded")
    assert [s.id for s in submissions] == ["stray_folder", "submission_101", "submission_102", "submission_103"]
    assert submissions[1].path == export / "submission_101" and submissions[1].submitters[0].name == "Ada Lovelace"
    assert submissions[0].submitters == () and submissions[3].path is None
    assert warnings == []


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
        ("../evil", None, "its name is not a plain folder name"), ("submission_1", None, None)]
    assert warnings == []


def test_an_empty_export_is_an_error(tmp_path):
    """A folder with no submissions at all is refused, not graded into an empty gradebook."""
    with pytest.raises(ExportError, match="no submissions found"):
        find_submissions(tmp_path)


def test_unpacking_keeps_the_export_and_drops_links_escapes_and_junk(tmp_path):
    """Members outside the target, links and macOS junk are not extracted; the single top folder is returned."""
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("assignment_9_export/submission_metadata.yml", METADATA)
        archive.writestr("assignment_9_export/submission_101/adder.py", "U = 1\n")
        archive.writestr("__MACOSX/assignment_9_export/._submission_101", "junk")
        archive.writestr("../escape.txt", "outside")
        link = zipfile.ZipInfo("assignment_9_export/submission_101/lstm_bptt.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    into = tmp_path / "unpacked"
    into.mkdir()
    unpacked = unpack_export(export, into)
    assert unpacked.root == into / "assignment_9_export" and unpacked.problems == {}
    assert sorted(p.relative_to(into).as_posix() for p in into.rglob("*")) == [
        "assignment_9_export", "assignment_9_export/submission_101", "assignment_9_export/submission_101/adder.py",
        "assignment_9_export/submission_metadata.yml"]
    assert not (tmp_path / "escape.txt").exists()


def test_a_file_that_is_not_a_zip_is_an_export_error(tmp_path):
    """A broken export names itself in the error."""
    (tmp_path / "export.zip").write_text("not a zip")
    with pytest.raises(ExportError, match="export.zip: not a readable zip file"):
        unpack_export(tmp_path / "export.zip", tmp_path)
