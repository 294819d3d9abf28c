"""Hostile submissions end to end: nothing forged, nothing left running, time bounded, root or not."""

import csv
import hashlib
import io
import json
import os
import pwd
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from peak import BUDGET_MB, grading_peak_mb
from test_samples import run_autograder

from autograder.engine import grade
from autograder.kinds import load_config
from autograder.report.summary import question_scores
from autograder.worker import Sandbox
from autograder.worker.sandbox import scratch_folder
from conftest import ROOT, assert_valid_results, task_processes

SAMPLES = ROOT / "submissions_sample"
ROOT_ONLY = pytest.mark.skipif(
    os.geteuid() != 0, reason="the worker drops privileges only when the grader runs as root"
)


def test_a_daemon_cannot_outlive_grading_or_forge_results(tmp_path):
    """The double-forked daemon (it acts after 1 s) is killed before results are written: 2 s later
    nothing has changed, and its marker (named after this run's results path) was never written."""
    results = run_autograder(SAMPLES / "hostile_forge_daemon", tmp_path)
    path = tmp_path / "results" / "results.json"
    marker = Path(f"/tmp/rnn-autograder-daemon-{hashlib.sha256(str(path).encode()).hexdigest()[:16]}")
    written = path.read_text()
    time.sleep(2)
    assert not marker.exists(), "the student's daemon was still running after grading"
    assert path.read_text() == written
    assert results["score"] == 5


@ROOT_ONLY
def test_no_worker_process_is_left_after_a_fork_bomb():
    """Hundreds of forked children are bounded by the process limit and all gone when grading returns
    (counted while this test still holds its worker user: no other grading can use it meanwhile)."""
    with Sandbox() as sandbox:
        results = grade(SAMPLES / "hostile_fork_bomb", config=load_config(), sandbox=sandbox)
        assert question_scores(results)["1"] == (5.0, 5.0)
        assert task_processes(pwd.getpwnam(sandbox.user).pw_uid) == []


@pytest.mark.slow  # the fast tier grades hostile_infinite_loop's score in its batch of every sample
def test_an_endless_loop_costs_at_most_the_configured_timeouts(tmp_path):
    """Endless loops in both files are stopped by call_seconds; grading ends well within wall_seconds."""
    limits = load_config().limits
    started = time.monotonic()
    results = run_autograder(SAMPLES / "hostile_infinite_loop", tmp_path)
    elapsed = time.monotonic() - started
    assert elapsed < limits.wall_seconds, f"grading took {elapsed:.1f} s"
    assert results["score"] == 0


def test_an_empty_upload_gets_valid_results(tmp_path):
    """An empty submission folder scores 0 with a note, not a crash."""
    empty = tmp_path / "empty"
    empty.mkdir()
    results = run_autograder(empty, tmp_path / "gs")
    assert_valid_results(results)
    assert results["score"] == 0
    assert "Your submission is empty: no files were uploaded." in results["output"]


def test_a_zip_with_escaping_paths_and_links_is_graded_safely(tmp_path):
    """A zip with `../` entries and a link to the reference is graded from its safe entries only."""
    upload = tmp_path / "upload"
    upload.mkdir()
    with zipfile.ZipFile(upload / "submission.zip", "w") as archive:
        archive.writestr("../../adder.py", "U = 'FORGED'")
        link = zipfile.ZipInfo("lstm_bptt.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, str(ROOT / "reference" / "lstm_bptt.py"))
        archive.writestr("hw/adder.py", (ROOT / "reference" / "adder.py").read_text())
    results = run_autograder(upload, tmp_path / "gs")
    assert_valid_results(results)
    assert {q: s for q, (s, _) in question_scores(results).items()} == {"1": 5, "2a": 0, "2b": 0, "2c": 0}
    assert "`../../adder.py` in your zip points outside the upload; it was not read." in results["output"]
    assert "`lstm_bptt.py` in your zip is a link, not a file; it was not read." in results["output"]


@ROOT_ONLY
def test_as_root_an_open_grader_refuses_to_run_student_code(tmp_path):
    """A copy of the grader that other users can read (setup.sh not run) grades nothing: a valid results.json
    and a message that says to run setup.sh. (The copy holds no reference solution, and is removed.)"""
    os.makedirs("/run/rnn-autograder-tests", mode=0o755, exist_ok=True)
    with tempfile.TemporaryDirectory(dir="/run/rnn-autograder-tests") as folder:
        copy = Path(folder) / "grader"
        copy.mkdir()
        shutil.copytree(ROOT / "autograder", copy / "autograder", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "run_autograder", copy)
        (copy / ".venv").symlink_to(os.path.realpath(ROOT / ".venv"))
        for path in [Path(folder), copy, *copy.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755 if path.is_dir() else 0o644)
        (copy / "run_autograder").chmod(0o755)
        (tmp_path / "submission").mkdir()
        shutil.copy(ROOT / "reference" / "adder.py", tmp_path / "submission")
        (tmp_path / "results").mkdir()
        done = subprocess.run(
            [str(copy / "run_autograder")],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "AUTOGRADER_ROOT": str(tmp_path)},
        )
    results = json.loads((tmp_path / "results" / "results.json").read_text())
    assert_valid_results(results)
    assert results["score"] == 0
    assert "refusing to run student code: the worker user" in done.stderr
    assert "run ./setup.sh as root, which closes the grader's folder to other users" in done.stderr


def test_the_terminal_summary_shows_escape_sequences_as_text():
    """Feedback that quotes a student's escape sequences (clear screen, retitle the terminal) prints them visibly."""
    from autograder.report.summary import summarize

    results = {
        "score": 0,
        "output": "Notes:\x1b]0;owned\x07",
        "tests": [
            {
                "name": "h_bar \x1b[2J",
                "score": 0,
                "max_score": 1,
                "status": "failed",
                "tags": ["2a"],
                "number": "2.1",
                "output": "ValueError: \x1b[31mred\r\nline two",
            }
        ],
    }
    text = summarize(results, title="Grading x")
    assert "\x1b" not in text and "\r" not in text
    assert "Notes:\\x1b]0;owned\\x07" in text and "ValueError: \\x1b[31mred\\x0d" in text


def test_the_students_printed_output_reaches_the_terminal_as_text(tmp_path):
    """What the student's code prints, echoed by `grade`, carries no live escape sequence."""
    (tmp_path / "upload").mkdir()
    (tmp_path / "upload" / "adder.py").write_text("print('\\x1b]0;owned\\x07\\x1b[2J hello')\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(tmp_path / "upload"),
            "--results",
            str(tmp_path / "results.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "\\x1b]0;owned\\x07\\x1b[2J hello" in done.stdout
    assert "\x1b" not in done.stdout + done.stderr


FENCED = re.compile(r"^(`{3,}|~{3,})[^\n]*\n.*?^\1[ \t]*$", re.S | re.M)
SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)


def test_markup_from_a_student_stays_literal_text(tmp_path):
    """hostile_markup: HTML in a type name, an exception's class name and its message: none of it stands
    outside a code span or a fenced block anywhere in results.json."""
    results = run_autograder(SAMPLES / "hostile_markup", tmp_path)
    for text in [results.get("output", "")] + [test.get("output", "") for test in results["tests"]]:
        bare = SPAN.sub("", FENCED.sub("", text))
        assert "<img" not in bare and "<script" not in bare, text


# -- untrusted bytes end to end: names, and a zip bomb under the memory budget --------------------

MEASURED = (
    "import resource, subprocess, sys\n"
    "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def run_autograder_measured(submission: Path, root: Path) -> tuple[dict, float]:
    """run_autograder in the Gradescope layout, and the peak memory (MB) of any process of that grading
    (the largest ru_maxrss of the children a fresh Python waited for)."""
    shutil.copytree(submission, root / "submission", ignore=shutil.ignore_patterns("expected.yaml", "golden.json"))
    (root / "results").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, str(ROOT / "run_autograder")],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "AUTOGRADER_ROOT": str(root)},
    )
    return json.loads((root / "results" / "results.json").read_text()), int(done.stdout) / 1024


def test_names_that_are_not_utf8_or_carry_markup_are_graded_and_shown_literally(tmp_path):
    """A folder whose name is not UTF-8 and one whose name carries HTML and backticks: results.json is
    written, the files in them are graded (full marks), and the notes show the names as literal text."""
    upload = os.fsencode(tmp_path / "upload")
    os.makedirs(os.path.join(upload, b"\xff\xfe"))
    shutil.copy(ROOT / "reference" / "adder.py", os.path.join(upload, b"\xff\xfe", b"Adder.py"))
    markup = os.path.join(upload, b"``<img src=x onerror=alert(1)>\x1b[2J")
    os.makedirs(markup)
    shutil.copy(ROOT / "reference" / "lstm_bptt.py", os.path.join(markup, b"LSTM_bptt.py"))
    results = run_autograder(Path(os.fsdecode(upload)), tmp_path / "gs")
    assert_valid_results(results)
    assert results["score"] == 10
    assert "Found `\\xff\\xfe/Adder.py` and graded it as `adder.py`" in results["output"]
    assert "Found ``` ``<img src=x onerror=alert(1)>\\x1b[2J/LSTM_bptt.py ``` and graded it" in results["output"]


def test_a_zip_holding_a_million_entries_is_refused_within_the_memory_budget(tmp_path):
    """A zip of a million entries in the upload: a note, score 0, and no process of the grading above 250 MB."""
    from test_locate import many_entries_zip

    (tmp_path / "upload").mkdir()
    many_entries_zip(tmp_path / "upload" / "homework.zip", 1_000_000)
    results, peak = run_autograder_measured(tmp_path / "upload", tmp_path / "gs")
    assert_valid_results(results)
    assert results["score"] == 0
    assert "`homework.zip` holds 1,000,000 entries; a homework zip may hold at most 10,000." in results["output"]
    assert peak < 250, f"{peak:.0f} MB"


def test_replies_nested_deep_are_refused_within_the_memory_budget(tmp_path):
    """hostile_deep_replies: every reply refused before it is parsed, and no process above 250 MB."""
    results, peak = run_autograder_measured(SAMPLES / "hostile_deep_replies", tmp_path / "gs")
    assert results["score"] == 0 and "sent something that is not data" in json.dumps(results)
    assert peak < 250, f"{peak:.0f} MB"


# Reply shapes that cost the grader the most memory per byte once parsed (a dict of 64 bytes for `{},`, two
# containers for 5 bytes in `[{}],`, a new string for `"ab",`), and one of numbers for comparison.
MANY_VALUES = {
    "dicts": b"{},",
    "lists": b"[],",
    "dicts_in_lists": b"[{}],",
    "lists_in_lists": b"[[]],",
    "one_key_dicts": b'{"a":0},',
    "texts": b'"ab",',
    "numbers": b"1.5,",
}


@pytest.mark.slow
@pytest.mark.parametrize("shape", MANY_VALUES.values(), ids=MANY_VALUES.keys())
def test_replies_of_many_values_are_refused_within_the_memory_budget(shape, tmp_path):
    """Both questions' tasks write, at the same time, a reply line just under the task's 4 MB made of one small
    value repeated: the grader counts what the line holds before parsing it, refuses both tasks with the reason,
    and the whole grading (measured in a fresh process) stays within the budget."""
    submission = tmp_path / "submission"
    submission.mkdir()
    for name, key, more in (
        ("lstm_bptt.py", "value", "def lstm_bptt(*a):\n    return {}\n"),
        ("adder.py", "names", ""),
    ):
        line = f"b'{{\"{key}\":[' + {shape!r} * {3_900_000 // len(shape)} + b'0]}}\\n'"
        (submission / name).write_text(f"import os\nos.write(3, {line})\n{more}")
    peak, results = grading_peak_mb(submission, tmp_path / "results.json")
    assert results["score"] == 0
    assert json.dumps(results).count("sent more values back than the grader reads") >= 2
    assert peak < BUDGET_MB, f"{peak:.0f} MB"


def test_the_sample_of_many_values_is_refused_within_the_memory_budget(tmp_path):
    """hostile_reply_many_values (`{},{},...` and `[],[],...`, 4 MB each; 355 MB in the grader before values
    were counted)."""
    peak, results = grading_peak_mb(SAMPLES / "hostile_reply_many_values", tmp_path / "results.json")
    assert results["score"] == 0
    assert "sent more values back than the grader reads" in json.dumps(results)
    assert peak < BUDGET_MB, f"{peak:.0f} MB"


# The student graded after hostile_leftovers: full marks only if none of it reached them.
CAREFUL = """
import ctypes, os, pwd
libc = ctypes.CDLL(None, use_errno=True)
def left(path):  # by a grading: what this suite's runs as nobody leave is nobody's (README, security model)
    try:
        return os.lstat(path).st_uid != pwd.getpwnam("nobody").pw_uid
    except OSError:
        return False
found = [place for place in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
         if any(left(os.path.join(place, name)) for name in ("rnn-leftover", "rnn-leftover-dir"))]
found += [name for name, there in (("shm", libc.shmget(0x524E4E00, 0, 0)), ("msg", libc.msgget(0x524E4E01, 0)),
                                   ("sem", libc.semget(0x524E4E02, 0, 0))) if there >= 0]
with open("/dev/shm/careful", "wb") as out:
    out.write(bytes(8 << 20))  # "No space left on device" if the last student filled it
os.unlink("/dev/shm/careful")
if found:
    raise RuntimeError(f"the last student left {found} for me")
"""


def careful_student(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "adder.py").write_text(CAREFUL + (ROOT / "reference" / "adder.py").read_text())
    shutil.copy(ROOT / "reference" / "lstm_bptt.py", folder)
    return folder


@ROOT_ONLY
def test_the_next_student_starts_clean_after_one_who_leaves_everything_behind(tmp_path):
    """Graded one after the other in the same container, the student after hostile_leftovers finds no file,
    no full /dev/shm, no IPC object of theirs: full marks."""
    first = run_autograder(SAMPLES / "hostile_leftovers", tmp_path / "first")
    assert question_scores(first)["1"] == (5.0, 5.0)
    second = run_autograder(careful_student(tmp_path / "careful"), tmp_path / "second")
    assert second["score"] == 10, second["tests"][0]["output"]


@ROOT_ONLY
def test_a_deep_tree_and_a_full_folder_leave_nothing_on_the_machine():
    """hostile_deep_tree_and_fill writes into its folder until a bound stops it and leaves a 3000-deep tree:
    graded right (a recursive clean-up used to crash the grader), and nothing of it stays in the scratch
    place (RAM on /dev/shm) for the next grading to trip on. Without namespaces the supervisor's bound stops
    the fill instead (question 1 then fails, saying why)."""
    scratch = Path(scratch_folder() or tempfile.gettempdir())
    ours = f"rnn-sandbox-{os.getpid()}-"  # other graders on the machine come and go meanwhile
    before = {path for path in scratch.iterdir() if path.name.startswith(ours)}
    with Sandbox() as sandbox:
        results = grade(SAMPLES / "hostile_deep_tree_and_fill", config=load_config(), sandbox=sandbox)
    if "mount_namespace" in results["extra_data"]["isolation"]["in_force"]:
        assert question_scores(results)["1"] == (5.0, 5.0)
    else:
        assert question_scores(results)["1"] == (0.0, 5.0)
        assert "wrote more than 16 MB (or more than 4,096 files) into its own folder" in json.dumps(results)
    assert {path for path in scratch.iterdir() if path.name.startswith(ours)} <= before


@ROOT_ONLY
def test_in_a_batch_the_next_student_starts_clean_too(tmp_path):
    """In one pool process (one worker user), the student after hostile_leftovers gets full marks."""
    from autograder import batch

    export = tmp_path / "export"
    shutil.copytree(
        SAMPLES / "hostile_leftovers",
        export / "a_hostile",
        ignore=shutil.ignore_patterns("expected.yaml", "golden.json"),
    )
    careful_student(export / "b_careful")
    stdout, stderr = io.StringIO(), io.StringIO()
    assert batch.main(export=export, out=tmp_path / "out", jobs=1, stdout=stdout, stderr=stderr, tty=False) == 0
    scores = {
        row["submission_id"]: row["total"]
        for row in csv.DictReader((tmp_path / "out" / "gradebook.csv").read_text(encoding="utf-8-sig").splitlines())
    }
    assert scores == {"a_hostile": "5", "b_careful": "10"}, stderr.getvalue()


# As nobody: a few representative cases in the fast tier (no endless loop: its timeouts are seconds),
# everything in the slow one.
REPRESENTATIVE = [
    "tests/test_samples.py::test_the_reference_scores_full_marks",
    "tests/test_samples.py::test_run_autograder_gives_the_golden_results[hostile_forge_atexit]",
    "tests/test_hostile.py::test_a_daemon_cannot_outlive_grading_or_forge_results",
    "tests/test_sandbox.py::test_self_mode_runs_as_the_current_user",
    "tests/test_sandbox.py::test_a_fork_bomb_is_bounded_and_leaves_nothing",
    "tests/test_isolation.py::test_not_root_a_user_namespace_gives_the_task_private_places_where_the_system_allows",
]


@ROOT_ONLY
@pytest.mark.slow
def test_representative_cases_pass_as_a_user_who_is_not_root():
    """Not root (a TA's laptop), the worker runs as that user: a few cases of each kind still pass."""
    run_as_nobody(REPRESENTATIVE)


@ROOT_ONLY
@pytest.mark.slow
def test_the_end_to_end_suites_pass_as_a_user_who_is_not_root():
    """Not root, the Gradescope door's samples (one of every family at least) and the hostile cases pass, but for
    the root-only protections."""
    run_as_nobody(
        [
            "tests/test_samples.py::test_run_autograder_gives_the_golden_results",
            "tests/test_samples.py::test_the_reference_scores_full_marks",
            "tests/test_hostile.py",
            "tests/test_sandbox.py",
        ]
    )


def run_as_nobody(tests: list[str]) -> None:
    """Run tests as `nobody` on a copy of the repository that only nobody (and root) can read, removed after:
    no world-readable copy of the grader is ever left on the machine, not even during the run."""
    nobody = pwd.getpwnam("nobody")
    # Not in /tmp: there, each task has its own (a user namespace), and the tests' shared folders are in the copy.
    os.makedirs("/run/rnn-autograder-tests", mode=0o755, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rnn-nonroot-", dir="/run/rnn-autograder-tests") as folder:
        copy = Path(folder) / "repo"
        shutil.copytree(
            ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", "dist")
        )
        for path in [Path(folder), copy, *copy.rglob("*")]:
            os.lchown(path, nobody.pw_uid, nobody.pw_gid)
        os.chmod(folder, 0o700)
        command = (
            f"cd {copy} && PYTHONDONTWRITEBYTECODE=1 .venv/bin/python -m pytest -q -p no:cacheprovider "
            + " ".join(f"'{test}'" for test in tests)
        )
        done = subprocess.run(
            ["su", "-s", "/bin/sh", "nobody", "-c", command], capture_output=True, text=True, timeout=900
        )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


# -- the same promises in a container-like mode (docs/spec.md 6.1) -------------------------------------------

IN_CONTAINER = os.environ.get("AUTOGRADER_TEST_CONTAINER") == "1"  # set by tests/container.py
NAMESPACES = ("mount_namespace", "ipc_namespace", "network_namespace")


def capable() -> bool:
    """Whether this process holds CAP_SYS_ADMIN (what namespaces need)."""
    status = Path("/proc/self/status").read_text()
    return bool(int(re.search(r"^CapEff:\s*([0-9a-f]+)$", status, re.M).group(1), 16) >> 21 & 1)


@ROOT_ONLY
def test_the_grader_says_which_layers_it_has(tmp_path):
    """results.json says the layers in force: all of them as root with CAP_SYS_ADMIN; in the container-like
    mode the namespaces are missing (root lacks the capability) and the worker user and filter remain."""
    results = run_autograder(ROOT / "reference", tmp_path)
    isolation = results["extra_data"]["isolation"]
    if IN_CONTAINER:
        assert set(isolation["missing"]) == set(NAMESPACES), isolation
        assert all("root lacks CAP_SYS_ADMIN" in why for why in isolation["missing"].values())
        assert isolation["in_force"] == ["worker_user", "seccomp"] and isolation["cap_sys_admin"] is False
    elif capable():
        assert isolation["missing"] == {} and isolation["cap_sys_admin"] is True


def run_in_container(selection: list[str]) -> None:
    """Run tests again as root without CAP_SYS_ADMIN under Docker's filter (tests/container.py)."""
    from container import command

    done = subprocess.run(
        command([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection]),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout


@ROOT_ONLY
@pytest.mark.skipif(IN_CONTAINER, reason="already in the container-like mode")
def test_representative_cases_hold_in_a_container_like_mode():
    """As a Docker container runs the grader: it says the namespaces are missing, the next student still starts
    clean (the IPC objects are removed as the worker user), and the filter holds."""
    run_in_container(
        [
            "tests/test_hostile.py::test_the_grader_says_which_layers_it_has",
            "tests/test_hostile.py::test_the_next_student_starts_clean_after_one_who_leaves_everything_behind",
            "tests/test_isolation.py::test_the_filter_refuses_channels_and_keeps_what_python_needs",
        ]
    )


@ROOT_ONLY
@pytest.mark.slow
@pytest.mark.skipif(IN_CONTAINER, reason="already in the container-like mode")
def test_every_hostile_case_holds_in_a_container_like_mode():
    """Every hostile sample (alone and in a batch) and every test of this file, in the container-like mode."""
    run_in_container(
        ["tests/test_hostile.py", "tests/test_samples.py", "-k", "(test_hostile and not not_root) or hostile_"]
    )
