"""Tests of the TA's batch run: a 200-submission export into a gradebook and a report, resumable and reproducible."""

import csv
import io
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from test_classreport import Page

from autograder import batch
from autograder.export import Submission, Submitter, find_submissions
from autograder.judge.mistakes import load_mistakes
from autograder.kinds import load_config
from autograder.record import replace
from autograder.report.feedback_html import VISIBILITY
from autograder.report.gradebook import COLUMNS, NOT_LISTED
from autograder.worker import Sandbox, SandboxError
from autograder.worker.host import worker_users
from conftest import ROOT, assert_valid_results
from goldens import representatives

# Every sample is graded by a batch in tests/test_samples.py (against its golden); an export here is made of the
# reference (first: a test edits its adder.py) and samples for what a class run does with them: catalogued mistakes
# to count, a zip whose names clash, markup the report must escape, an upload with nothing to grade, forms to
# choose between; then a sample of every other family.
CASES = [ROOT / "reference"] + representatives(
    "lstm_c_bar_without_carry",
    "lstm_h_bar_without_recurrence",
    "lstm_w_ix_first_step_only",
    "zip_name_clash",
    "hostile_markup",
    "broken_wrong_files",
    "mixed_three_forms",
    "adder_wrong_output",
)
COPIES = -(-200 // len(CASES))  # of every case, for at least 200 submissions
QUESTIONS = ("1", "2a", "2b", "2c")


def expected_scores(case):
    return {q: float(s) for q, s in yaml.safe_load((case / "expected.yaml").read_text())["scores"].items()}


def make_export(folder: Path, copies: int) -> dict:
    """An export as Gradescope lays it out: one folder per submission and submission_metadata.yml; returns id ->
    case."""
    folder.mkdir(parents=True)
    cases, metadata = {}, {}
    for index in range(copies * len(CASES)):
        case = CASES[index % len(CASES)]
        sid = f"submission_{100000 + index}"
        shutil.copytree(case, folder / sid, ignore=shutil.ignore_patterns("expected.yaml", "golden.json"))
        cases[sid] = case
        people = [{":name": f"Student {index}", ":sid": f"{5000 + index}", ":email": f"s{index}@uni.edu"}]
        if index == 1:
            people = [
                {":name": "Zoë Doe, Jr.", ":sid": "1", ":email": "zoe@uni.edu"},
                {":name": "Bo Partner", ":sid": "2", ":email": "bo@uni.edu"},
            ]
        metadata[sid] = {":submitters": people, ":created_at": "2021-10-01 12:00:00.000000000 -07:00", ":score": 0.0}
    metadata["submission_999999"] = {":submitters": [{":name": "No Files", ":sid": "9", ":email": "nf@uni.edu"}]}
    (folder / "submission_metadata.yml").write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
    return cases


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as opened:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                opened.write(path, path.relative_to(folder.parent).as_posix())
        opened.writestr("__MACOSX/._junk", "junk")
    return archive


def run_cli(*arguments):
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "batch", *map(str, arguments)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return SimpleNamespace(stdout=done.stdout, stderr=done.stderr, seconds=time.monotonic() - started)


@pytest.fixture(scope="module")
def big_run(tmp_path_factory):
    """One batch run over a zipped export of at least 200 submissions, then a second run of the same command."""
    base = tmp_path_factory.mktemp("batch")
    cases = make_export(base / "assignment_42_export", COPIES)
    export = zip_folder(base / "assignment_42_export", base / "export.zip")
    out = base / "graded"
    first = run_cli(export, "--out", out, "--jobs", "2")
    print(f"\nbatch: {len(cases) + 1} submissions graded in {first.seconds:.1f} s with 2 jobs")
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("submissions/*/results.json")}
    second = run_cli(export, "--out", out, "--jobs", "2")
    with open(out / "gradebook.csv", newline="", encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    return SimpleNamespace(
        cases=cases,
        out=out,
        first=first,
        second=second,
        stamps=stamps,
        rows=rows,
        page=Page((out / "report.html").read_text(encoding="utf-8")),
    )


@pytest.mark.slow
def test_every_submission_has_a_row_with_its_expected_scores(big_run):
    """One row per student, in id order (two for the group), each question scored as its sample's expected.yaml says."""
    assert [row["submission_id"] for row in big_run.rows] == sorted(
        [*big_run.cases, "submission_100001", "submission_999999"]
    )
    for row in big_run.rows[:-1]:
        expected = expected_scores(big_run.cases[row["submission_id"]])
        assert {q: float(row[q]) for q in QUESTIONS} == expected, (big_run.cases[row["submission_id"]].name, row)
        assert float(row["total"]) == pytest.approx(sum(expected.values()))
        nothing = row["status"] == "no files" and row["reason"]  # why: the note the student reads, or none is in it
        graded = row["status"] in ("graded", "timeout")  # a reason for a name clash (zip_name_clash), a timeout
        assert graded or (nothing and not any(expected.values())), row
        assert "`" not in row["reason"], row


@pytest.mark.slow
def test_the_gradebook_names_the_submitters(big_run):
    """Name, email and SID come from the metadata; a group lists both students; a missing folder scores 0."""
    assert (
        (big_run.out / "gradebook.csv").read_bytes().startswith(b"\xef\xbb\xbf" + ",".join(COLUMNS).encode() + b"\r\n")
    )
    rows = {(row["submission_id"], row["sid"]): row for row in big_run.rows}
    first = rows[("submission_100000", "5000")]
    assert (first["name"], first["email"]) == ("Student 0", "s0@uni.edu")
    group = [rows[("submission_100001", sid)] for sid in ("1", "2")]
    assert [row["name"] for row in group] == ["Zoë Doe, Jr.", "Bo Partner"] and group[0]["total"] == group[1]["total"]
    empty = rows[("submission_999999", "9")]
    assert (empty["name"], empty["total"], empty["status"], empty["reason"]) == (
        "No Files",
        "0",
        "no folder",
        "the export holds no folder for it",
    )


@pytest.mark.slow
def test_each_results_json_is_valid_and_records_what_graded_it(big_run):
    """Every results.json is valid for Gradescope and records the configuration's hash and the submission's."""
    config = load_config()
    for path in sorted(big_run.out.glob("submissions/*/results.json")):
        results = json.loads(path.read_text())
        assert_valid_results(results)
        assert results["extra_data"]["config_sha256"] == config.sha256
        assert re.fullmatch(r"[0-9a-f]{64}", results["extra_data"]["submission_sha256"])
    assert len(big_run.stamps) == len(big_run.cases)


@pytest.mark.slow
def test_the_report_counts_the_class(big_run):
    """The report's overview, pass rates and mistake counts match what the samples are."""
    total = len(big_run.cases) + 1
    graded = len(big_run.cases)
    text = (big_run.out / "report.html").read_text(encoding="utf-8")
    assert f"<b>{total}</b>submissions" in text and f"<b>{graded}</b>graded" in text
    assert "<b>0</b>could not be graded" in text and "Every submission was graded." in text
    full_q1 = sum(1 for row in {r["submission_id"]: r for r in big_run.rows}.values() if row["1"] == "5")
    tests = {row[0]: row for row in big_run.page.tables["tests"][1:]}
    assert tests["1.3"][5].startswith(f"{full_q1} / {graded} (")
    mistakes = {re.search(r"\((\w+)\)$", row[1]).group(1): row[2] for row in big_run.page.tables["mistakes"][1:]}
    catalogued = {m.name for m in load_mistakes()}
    samples = {case.name[len("lstm_") :] for case in CASES} & catalogued
    assert samples, "the samples should show catalogued mistakes"
    for name in samples:
        count, of = mistakes[name].split(" (")[0].split(" / ")  # other forms' samples may share the mistake
        assert int(count) >= COPIES and int(of) == graded, name


@pytest.mark.slow
def test_progress_is_one_line_per_submission_off_a_terminal(big_run):
    """Without a terminal each finished submission prints one plain line after saying what it grades and why,
    and the run ends with a summary whose counts add up (the listed submission without a folder included)."""
    total, graded = len(big_run.cases) + 1, len(big_run.cases)
    lines = big_run.first.stderr.splitlines()
    assert lines[0] == f"Grading {graded} submissions ({graded} new)"
    assert len(lines) == graded + 1 and all(re.match(rf"\[\d+/{graded}\] submission_\d+: ", line) for line in lines[1:])
    assert re.search(  # its own line of the summary (the isolation line comes before it)
        rf"^{total} submissions in \d+:\d\d: {graded} graded now, 0 already graded, 0 could not be graded, "
        r"1 with no folder in the export\.",
        big_run.first.stdout,
        re.M,
    )


@pytest.mark.slow
def test_a_second_run_grades_nothing(big_run):
    """Run again with the same configuration, every submission is resumed: no results.json is rewritten."""
    graded = len(big_run.cases)
    assert f"{graded} submissions already graded with this configuration" in big_run.second.stderr
    assert f": 0 graded now, {graded} already graded" in big_run.second.stdout
    assert {p: p.stat().st_mtime_ns for p in big_run.out.glob("submissions/*/results.json")} == big_run.stamps


def comparable(results):
    """results.json without its timings."""
    return {
        **results,
        "execution_time": None,
        "tests": [{k: v for k, v in t.items() if k != "execution_time"} for t in results["tests"]],
    }


def run_api(export, out, **options):
    stdout, stderr = io.StringIO(), io.StringIO()
    status = batch.main(export=export, out=out, jobs=2, stdout=stdout, stderr=stderr, **options)
    assert status == 0, stderr.getvalue()
    return stdout.getvalue()


@pytest.mark.slow
def test_regrade_grades_again_and_gives_identical_results(tmp_path):
    """--regrade grades every submission again, and each results.json is the same as before (timings aside)."""
    make_export(tmp_path / "export", 1)
    out = tmp_path / "graded"
    run_api(tmp_path / "export", out)
    before = {p.parent.name: comparable(json.loads(p.read_text())) for p in out.glob("submissions/*/results.json")}
    summary = run_api(tmp_path / "export", out, regrade=True)
    assert f": {len(before)} graded now, 0 already graded" in summary
    after = {p.parent.name: comparable(json.loads(p.read_text())) for p in out.glob("submissions/*/results.json")}
    assert after == before


@pytest.mark.slow
def test_a_changed_submission_or_configuration_is_graded_again(tmp_path):
    """Resuming regrades a submission whose files changed, and everything when the configuration changed."""
    make_export(tmp_path / "export", 1)
    out = tmp_path / "graded"
    run_api(tmp_path / "export", out)
    adder = tmp_path / "export" / "submission_100000" / "adder.py"
    adder.write_text(adder.read_text().replace("b_y = -0.5", "b_y = 0.5"))
    assert f": 1 graded now, {len(CASES) - 1} already graded" in run_api(tmp_path / "export", out)
    rows = {row["submission_id"]: row for row in csv.DictReader(open(out / "gradebook.csv", encoding="utf-8-sig"))}
    assert rows["submission_100000"]["1"] == "0"
    config = tmp_path / "config.yaml"
    config.write_text("# another course\n" + (ROOT / "autograder" / "default.yaml").read_text())
    assert f": {len(CASES)} graded now, 0 already graded" in run_api(tmp_path / "export", out, config_path=config)


class BrokenSandbox:
    """A sandbox that cannot work: the grader's own failure, as when the worker user is missing."""

    def run(self, task, files, limits, **options):
        raise SandboxError("the worker user rnn-worker does not exist")


def faulty_serve(connection, config_path, user="auto", **_):
    """A pool process whose grader fails on `*_crash` submissions, dies on `*_die` ones and hangs on `*_hang` ones."""
    config = load_config(config_path)
    with Sandbox() as sandbox:
        while (job := connection.recv()) is not None:
            if job["id"].endswith("_die"):
                os._exit(9)
            if job["id"].endswith("_hang"):
                time.sleep(600)
            chosen = BrokenSandbox() if job["id"].endswith("_crash") else sandbox
            connection.send(batch.grade_into(job, config=config, sandbox=chosen))


def starving_serve(connection, config_path, hide=(), **_):
    """A pool process whose tasks' usage records are simulated: the first grading of `*_starved` waited for the CPU
    all its wall time (a neighbour's busy processes); every other task had the CPU when it was runnable. Each
    grading leaves a line in OUT/tries."""
    from autograder.worker import sandbox as sandbox_module

    real = sandbox_module.TaskUsage.read
    config = load_config(config_path)
    with Sandbox() as sandbox:
        while (job := connection.recv()) is not None:
            tries = Path(job["out"]) / "tries"
            tries.parent.mkdir(parents=True, exist_ok=True)
            starved = job["id"].endswith("_starved") and not tries.exists()
            with open(tries, "a") as log:
                log.write("graded\n")

            def simulated(record, starved=starved):
                usage = real(record)
                wall = usage.wall_seconds or config.limits.wall_seconds
                return usage and replace(usage, run_delay_seconds=wall * starved, wall_seconds=wall)

            sandbox_module.TaskUsage.read = simulated
            try:
                connection.send(batch.grade_into(job, config=config, sandbox=sandbox))
            finally:
                sandbox_module.TaskUsage.read = real


@pytest.mark.slow
def test_only_a_timeout_starved_of_cpu_is_graded_again_alone(tmp_path):
    """With two jobs, a grading that timed out while its task waited for the CPU more than half of its wall time
    (simulated by its usage record) may only have lost the CPU to its neighbour: it is graded again alone, and that
    grading counts, once in the outcomes. A task that slept and an endless loop that had the CPU are final."""
    config_path = tmp_path / "quick.yaml"
    data = yaml.safe_load((ROOT / "autograder" / "default.yaml").read_text())
    data["limits"].update(call_seconds=1, wall_seconds=3)
    config_path.write_text(yaml.safe_dump(data))
    loop = ROOT / "submissions_sample" / "hostile_infinite_loop"
    sources = {"a_sleeps": None, "b_spins": loop, "c_starved": loop, "d_ok": ROOT / "reference"}
    submissions = []
    for name, source in sources.items():
        if source is None:
            (tmp_path / name).mkdir()
            (tmp_path / name / "adder.py").write_text("import time\ntime.sleep(60)\n")
        else:
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("expected.yaml", "golden.json"))
        submissions.append(Submission(name, tmp_path / name, (Submitter(name.upper()),)))
    config, out = load_config(config_path), tmp_path / "graded"
    progress = batch.Progress(len(sources), io.StringIO(), tty=False)
    outcomes = batch.run_batch(
        submissions, out=out, config=config, jobs=2, regrade=False, progress=progress, serve=starving_serve
    )
    assert sorted((o.id, o.kind, o.score) for o in outcomes) == [
        ("a_sleeps", "graded", 0),
        ("b_spins", "graded", 0),
        ("c_starved", "graded", 0),
        ("d_ok", "graded", 10),
    ]
    tries = {name: (out / "submissions" / name / "tries").read_text().count("graded") for name in sources}
    assert tries == {"a_sleeps": 1, "b_spins": 1, "c_starved": 2, "d_ok": 1}
    for name in sources:
        results = json.loads((out / "submissions" / name / "results.json").read_text())
        assert "starved_timeouts" not in results["extra_data"]  # the grading that counts was not starved
        assert ("timed out after 1 s" in json.dumps(results)) == (name != "d_ok")


@pytest.mark.slow
def test_a_submission_the_grader_fails_on_still_gets_a_row_and_a_reason(tmp_path):
    """The grader failing, or its process dying, costs that submission a row of zeros and a line in the report."""
    names = ["a_crash", "b_die", "c_ok", "d_ok"]
    submissions = []
    for name in names:
        shutil.copytree(
            ROOT / "reference", tmp_path / name, ignore=shutil.ignore_patterns("expected.yaml", "golden.json")
        )
        submissions.append(Submission(name, tmp_path / name, (Submitter(name.upper()),)))
    config, out = load_config(), tmp_path / "graded"
    progress = batch.Progress(len(names), io.StringIO(), tty=False)
    outcomes = batch.run_batch(
        submissions, out=out, config=config, jobs=2, regrade=False, progress=progress, serve=faulty_serve
    )
    assert sorted((o.id, o.kind) for o in outcomes) == [
        ("a_crash", "failed"),
        ("b_die", "failed"),
        ("c_ok", "graded"),
        ("d_ok", "graded"),
    ]
    rows = {row.id: row for row in batch.write_reports(submissions, out=out, config=config, title="t").rows}
    assert rows["a_crash"].problem == "the grader failed (SandboxError: the worker user rnn-worker does not exist)"
    assert rows["b_die"].problem == "the grading process died (exit code 9)"
    assert rows["c_ok"].total == 10 and rows["a_crash"].total == rows["b_die"].total == 0
    for name in ("a_crash", "b_die"):
        assert_valid_results(json.loads((out / "submissions" / name / "results.json").read_text()))
    gradebook = {row["submission_id"]: row for row in csv.DictReader(open(out / "gradebook.csv", encoding="utf-8-sig"))}
    assert (gradebook["b_die"]["status"], gradebook["b_die"]["reason"]) == (
        "grader failed",
        "the grading process died (exit code 9)",
    )
    problems = Page((out / "report.html").read_text(encoding="utf-8")).tables["problems"][1:]
    assert problems == [["a_crash", "A_CRASH", rows["a_crash"].problem], ["b_die", "B_DIE", rows["b_die"].problem]]
    again = batch.run_batch(
        submissions, out=out, config=config, jobs=2, regrade=False, progress=progress, serve=faulty_serve
    )
    assert sorted((o.id, o.kind) for o in again if o.kind != "resumed") == [("a_crash", "failed"), ("b_die", "failed")]


@pytest.mark.slow  # waits out the pool's time-out
def test_a_grader_that_hangs_is_stopped_and_the_pool_goes_on(tmp_path):
    """A submission whose grading overruns the pool's time-out fails with the reason; the next one is still graded.
    (The time-out also covers a new pool process's start and its grading, which took over 10 s once on a loaded
    machine: hence 25 s.)"""
    jobs = [
        {
            "id": name,
            "path": str(ROOT / "reference"),
            "out": str(tmp_path / name),
            "fingerprint": "f",
            "config_sha256": "c",
        }
        for name in ("a_hang", "b_ok")
    ]
    pool, outcomes = batch._Pool(1, str(ROOT / "autograder" / "default.yaml"), timeout=25, serve=faulty_serve), []
    try:
        pool.run(jobs, outcomes.append)
    finally:
        pool.close()
    assert [(o.id, o.kind, o.problem) for o in outcomes] == [
        ("a_hang", "failed", "grading took longer than 25 s and was stopped"),
        ("b_ok", "graded", None),
    ]


def test_progress_off_a_terminal_says_points_in_the_singular_for_one():
    """ "1 point", not "1 points"; 4.5 points as the gradebook writes it."""
    stream = io.StringIO()
    progress = batch.Progress(3, stream, tty=False)
    for name, score in (("s1", 1.0), ("s2", 4.5), ("s3", 0.0)):
        progress.done(batch.Outcome(name, "graded", score=score))
    assert stream.getvalue() == "[1/3] s1: 1 point\n[2/3] s2: 4.5 points\n[3/3] s3: 0 points\n"


def test_progress_on_a_terminal_is_one_updating_line():
    """On a terminal the progress line is rewritten in place and ends with a newline when done."""
    stream = io.StringIO()
    progress = batch.Progress(4, stream, tty=True)
    progress.resumed(1)
    progress.done(batch.Outcome("s1", "graded", score=5.0))
    progress.done(batch.Outcome("s2", "failed", problem="x"))
    progress.close()
    lines = stream.getvalue().split("\r")
    assert lines[0] == "" and len(lines) == 3 and stream.getvalue().endswith("\x1b[K\n")
    assert re.fullmatch(
        r"2/4 submissions \[#{12}-{12}\] 0 could not be graded, \d+:\d\d elapsed, ~\d+:\d\d left\x1b\[K", lines[1]
    )
    assert lines[2].startswith("3/4 submissions [##################------] 1 could not be graded, ")


def test_an_unreadable_export_stops_before_grading(tmp_path):
    """A missing export exits 2 with a message and writes nothing."""
    stdout, stderr = io.StringIO(), io.StringIO()
    assert batch.main(export=tmp_path / "nope.zip", out=tmp_path / "out", stdout=stdout, stderr=stderr) == 2
    assert stderr.getvalue() == f"batch: {tmp_path / 'nope.zip'}: no such folder or zip file\n"
    assert not (tmp_path / "out").exists()


def test_the_output_folder_inside_the_export_is_not_a_submission(tmp_path):
    """Writing the results inside a plain export folder does not make them a submission on the next run."""
    (tmp_path / "alice").mkdir()
    submissions, _ = find_submissions(tmp_path, exclude=tmp_path / "graded")
    (tmp_path / "graded").mkdir()
    again, _ = find_submissions(tmp_path, exclude=tmp_path / "graded")
    assert [s.id for s in submissions] == [s.id for s in again] == ["alice"]


@pytest.mark.skipif(os.geteuid() != 0, reason="separate worker users need root")
def test_concurrent_gradings_run_students_code_as_different_users(tmp_path):
    """As root, the two pool processes run students' code as two different unprivileged users."""
    export = tmp_path / "export"
    for index in range(8):
        (export / f"s{index}").mkdir(parents=True)
        (export / f"s{index}" / "adder.py").write_text("import os, time\nprint('uid', os.getuid())\ntime.sleep(0.3)\n")
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "batch", str(export), "--out", str(tmp_path / "out"), "--jobs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    uids = {
        int(uid)
        for uid in re.findall(r"uid (\d+)", "".join(p.read_text() for p in (tmp_path / "out").rglob("output.txt")))
    }
    assert len(uids) == 2 and 0 not in uids
    assert uids <= {pwd.getpwnam(name).pw_uid for name in worker_users()}


# ---------------------------------------------------------------- a small class, end to end

HOSTILE_NAME = "<script>alert(1)</script>\x1b[2J\x1b]0;owned\x07"
RAISES = (
    "def lstm_bptt(x, weights, forward, dL_dh):\n"
    "    raise ValueError('<img src=x onerror=alert(1)><script>alert(2)</script>')\n"
)


def small_class(folder: Path) -> Path:
    """Five submissions: a group of two (reference), a student whose name and feedback carry HTML and script,
    a syntax error, no student files, and a metadata entry without a folder."""
    folder.mkdir(parents=True)
    shutil.copytree(
        ROOT / "reference", folder / "submission_1", ignore=shutil.ignore_patterns("expected.yaml", "golden.json")
    )
    (folder / "submission_2").mkdir()
    shutil.copy(ROOT / "reference" / "adder.py", folder / "submission_2")
    (folder / "submission_2" / "lstm_bptt.py").write_text(RAISES)
    for number, sample in ((3, "broken_syntax_error"), (4, "broken_wrong_files")):
        shutil.copytree(
            ROOT / "submissions_sample" / sample,
            folder / f"submission_{number}",
            ignore=shutil.ignore_patterns("expected.yaml", "golden.json"),
        )
    people = {
        1: [("Zoë García", "1", "zoe@uni.edu"), ('=HYPERLINK("http://evil","x")', "+2", "bo@uni.edu")],
        2: [(HOSTILE_NAME, "@3", "eve@uni.edu")],
        3: [("Syd Tax", "4", "syd@uni.edu")],
        4: [("Wren Files", "5", "wren@uni.edu")],
        5: [("Mia Missing", "6", "mia@uni.edu")],
    }
    metadata = {
        f"submission_{n}": {":submitters": [{":name": a, ":sid": b, ":email": c} for a, b, c in who]}
        for n, who in people.items()
    }
    (folder / "submission_metadata.yml").write_text(yaml.safe_dump(metadata, allow_unicode=True), encoding="utf-8")
    return folder


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def report_data(out):
    """The student table's data embedded in report.html, and the feedback's."""
    text = (out / "report.html").read_text(encoding="utf-8")
    data = {}
    for name in ("class-data", "feedback-data"):
        start = text.index(f'<script type="application/json" id="{name}">') + len(name) + 38
        data.update(json.loads(text[start : text.index("</script>", start)]))
    return data


def run_main(export, out, **options):
    stdout, stderr = io.StringIO(), io.StringIO()
    options = {"jobs": 2, **options}
    status = batch.main(export=export, out=out, stdout=stdout, stderr=stderr, tty=False, **options)
    return status, stdout.getvalue(), stderr.getvalue()


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """The small class graded from a zip, then regraded after a configuration change and one changed file, compared."""
    base = tmp_path_factory.mktemp("small")
    export = zip_folder(small_class(base / "assignment_7_export"), base / "export.zip")
    out = base / "graded"
    first = run_main(export, out, canvas="HW 4 (RNN)")
    before = {
        "canvas": read_csv(out / "canvas.csv"),
        "gradebook": read_csv(out / "gradebook.csv"),
        "data": report_data(out),
        "points": read_csv(out / "points_possible.csv"),
        "bytes": (out / "gradebook.csv").read_bytes(),
        "html": (out / "report.html").read_text(encoding="utf-8"),
    }
    config = base / "more_points.yaml"
    default = (ROOT / "autograder" / "default.yaml").read_text()
    config.write_text(default.replace("    max_score: 2\n", "    max_score: 4\n", 1))
    shutil.copy(ROOT / "reference" / "adder.py", base / "assignment_7_export" / "submission_3" / "adder.py")
    export = zip_folder(base / "assignment_7_export", base / "export2.zip")
    second = run_main(export, out, config_path=config, compare=out)
    return SimpleNamespace(out=out, first=first, second=second, before=before)


def test_the_gradebook_has_a_row_per_student_with_a_status(small_run):
    """Row by row: each group member with the group's scores, formulas neutralised, escapes visible, and a
    status that says graded, no files (and why), in a UTF-8 file with a BOM."""
    status, stdout, stderr = small_run.first
    assert status == 0, stderr
    assert small_run.before["bytes"].startswith(
        b"\xef\xbb\xbfsubmission_id,name,email,sid,1,2a,2b,2c,total,status,reason\r\n"
    )
    rows = [[row[c] for c in COLUMNS] for row in small_run.before["gradebook"]]
    assert rows == [
        ["submission_1", "Zoë García", "zoe@uni.edu", "1", "5", "4", "1", "0", "10", "graded", ""],
        [
            "submission_1",
            '\'=HYPERLINK("http://evil","x")',
            "bo@uni.edu",
            "'+2",
            "5",
            "4",
            "1",
            "0",
            "10",
            "graded",
            "",
        ],
        [
            "submission_2",
            "<script>alert(1)</script>\\x1b[2J\\x1b]0;owned\\x07",
            "eve@uni.edu",
            "'@3",
            "5",
            "0",
            "0",
            "0",
            "5",
            "graded",
            "",
        ],
        ["submission_3", "Syd Tax", "syd@uni.edu", "4", "0", "0", "0", "0", "0", "graded", ""],
        [
            "submission_4",
            "Wren Files",
            "wren@uni.edu",
            "5",
            "0",
            "0",
            "0",
            "0",
            "0",
            "no files",
            "none of the assignment's files is in it",
        ],
        [
            "submission_5",
            "Mia Missing",
            "mia@uni.edu",
            "6",
            "0",
            "0",
            "0",
            "0",
            "0",
            "no folder",
            "the export holds no folder for it",
        ],
    ]
    assert [[row[c] for c in COLUMNS] for row in small_run.before["points"]] == [
        ["points possible", "", "", "", "5", "4", "1", "0", "10", "", ""]
    ]
    assert "\x1b" not in stdout + stderr
    progress = [line for line in stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 4 and progress[-1].startswith("[4/4] ")  # the folder-less one is not counted
    # Mia Missing has no submission: left out of canvas.csv (a 0 would overwrite her grade), and said so.
    assert [(row["Student"], row["SIS User ID"], row["HW 4 (RNN)"]) for row in small_run.before["canvas"]] == [
        (row[1], row[3], row[8]) for row in rows[:-1]
    ]
    assert (
        "batch: canvas.csv leaves out 1 student (no submission in the export; a 0 would overwrite their grade in "
        "Canvas): Mia Missing (submission_5)"
    ) in stderr
    assert "Mia Missing (submission_5)" in small_run.before["html"].split('id="left-out-of-canvas.csv"')[1]


def test_the_report_lists_every_student_and_who_needs_attention(small_run):
    """A row per student with flags; the needs-attention list names the zero, the syntax error and the missing files."""
    data = small_run.before["data"]
    assert [(row[0], row[1], row[9], row[10]) for row in data["students"]] == [
        ("submission_1", "Zoë García", "graded", []),
        ("submission_1", '=HYPERLINK("http://evil","x")', "graded", []),
        ("submission_2", "<script>alert(1)</script>\\x1b[2J\\x1b]0;owned\\x07", "graded", []),
        ("submission_3", "Syd Tax", "graded", ["syntax error"]),
        ("submission_4", "Wren Files", "no files", ["no files"]),
        ("submission_5", "Mia Missing", "no folder", ["no files"]),
    ]
    attention = [item for item in Page(small_run.before["html"]).tags if item[0] == "a" and "data-student" in item[1]]
    assert [attrs["data-student"] for _, attrs in attention] == ["3", "4", "5"]
    assert re.search(
        r"Syd Tax · 4</a> <span class=\"note\">submission_3</span>: scored 0, syntax error", small_run.before["html"]
    )


def test_the_feedback_is_the_instructors_view_and_never_markup(small_run):
    """Each student's feedback holds every test with its visibility; the student's HTML is text, never a tag."""
    data, html = small_run.before["data"], small_run.before["html"]
    pieces = [data["pieces"][k] for k in data["sequences"][data["submissions"][1]]]
    assert sum(piece.startswith('<div class="test ') for piece in pieces) == len(load_config().tests)
    assert any("&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in p for p in pieces)
    for visibility in {t.visibility for t in load_config().tests} - {"visible"}:
        assert any(VISIBILITY[visibility] in p for p in pieces), visibility
    assert "<img" not in html and html.count("<script") == 3 and "\x1b" not in html
    assert [tag for tag, _ in Page(html).tags if tag in ("img", "iframe", "object", "embed", "link")] == []


def test_a_regrade_says_why_and_changes_csv_lists_who_moved(small_run):
    """After a configuration change and one changed submission: the run says why it regrades, changes.csv has a row
    per student whose score moved (per question before and after, and why), and the report has the section."""
    status, stdout, stderr = small_run.second
    assert status == 0, stderr
    assert stderr.splitlines()[0] == (
        "Grading 4 submissions (3 configuration changed, 1 configuration and submission changed)"
    )
    assert "Changes since" in stdout and "4 students" in stdout
    changes = read_csv(small_run.out / "changes.csv")
    assert [
        (r["submission_id"], r["sid"], r["1 before"], r["1 after"], r["total before"], r["total after"], r["why"])
        for r in changes
    ] == [
        ("submission_1", "'+2", "5", "7", "10", "12", "configuration changed"),
        ("submission_1", "1", "5", "7", "10", "12", "configuration changed"),
        ("submission_2", "'@3", "5", "7", "5", "7", "configuration changed"),
        ("submission_3", "4", "0", "7", "0", "7", "configuration changed and submission changed"),
    ]
    html = (small_run.out / "report.html").read_text(encoding="utf-8")
    page = Page(html)
    assert len(page.tables["changes"]) == 1 + 4 and "changes" in page.ids
    assert (
        "This run graded 4 submissions (3 configuration changed, 1 configuration and submission changed); "
        "0 were already graded under this configuration."
    ) in html


SLOW_ADDER = "import time\ntime.sleep(60)\n"  # held by the sandbox's time limit, long enough to interrupt


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.slow
def test_an_interrupted_run_writes_a_partial_gradebook_and_report(tmp_path, signal_number):
    """Stopped after its first submission, the batch writes the gradebook and report of what it graded, marked
    partial, and exits 130; the next run grades the rest."""
    export = tmp_path / "export"
    shutil.copytree(
        ROOT / "reference", export / "a_first", ignore=shutil.ignore_patterns("expected.yaml", "golden.json")
    )
    for name in ("b_slow", "c_slow"):
        (export / name).mkdir(parents=True)
        (export / name / "adder.py").write_text(SLOW_ADDER)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "autograder", "batch", str(export), "--out", str(out), "--jobs", "1"]
    process = subprocess.Popen(  # Ctrl-C as a TA's terminal sends it (a test worker may run with SIGINT ignored)
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    for line in process.stderr:
        if line.startswith("[1/3]"):
            break
    process.send_signal(signal_number)
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 130, rest
    assert "interrupted after 1 of 3 submissions" in rest
    rows = {row["submission_id"]: row for row in read_csv(out / "gradebook.csv")}
    assert (rows["a_first"]["total"], rows["a_first"]["status"]) == ("10", "graded")
    for name in ("b_slow", "c_slow"):
        assert (rows[name]["status"], rows[name]["reason"]) == (
            "interrupted",
            "the run was interrupted before grading it",
        )
    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="partial"' in html and "interrupted after 1 of 3 submissions" in html


def test_a_hostile_export_costs_each_bad_submission_its_own_row(tmp_path):
    """A file and a folder of one name, a name too long, a zip bomb, folders named like the batch's own outputs,
    and metadata built from YAML aliases: every submission gets a row, the bad ones with their reason, and the
    good ones (gradebook.csv and report.html included) their scores; the batch's own files stay files."""
    adder = (ROOT / "reference" / "adder.py").read_bytes()
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as opened:
        opened.writestr("export/submission_metadata.yml", "x: &x {':submitters': []}\nclash: *x\n")
        opened.writestr("export/clash/adder.py", adder)
        opened.writestr("export/clash/adder.py/inner.txt", "x")
        opened.writestr("export/long/" + "n" * 300 + ".py", "x")
        opened.writestr("export/bomb/adder.py", adder)
        opened.writestr("export/bomb/zeros.bin", bytes(4 * 2**20))
        for name in ("gradebook.csv", "report.html"):
            opened.writestr(f"export/{name}/adder.py", adder)
    out = tmp_path / "out"
    status, stdout, stderr = run_main(archive, out)
    assert status == 0, stderr
    assert "YAML anchors or aliases" in stderr and "every submission folder is graded, without names" in stderr
    rows = {row["submission_id"]: (row["1"], row["status"], row["reason"]) for row in read_csv(out / "gradebook.csv")}
    assert rows == {
        "bomb": ("0", "bad upload", "bomb/zeros.bin is compressed more than 200:1 (a zip bomb?)"),
        "clash": ("0", "bad upload", "it holds a file and a folder of the same name (adder.py/inner.txt)"),
        "gradebook.csv": ("5", "graded", ""),
        "report.html": ("5", "graded", ""),
        "long": ("0", "bad upload", "a file name in it is longer than the file system allows"),
    }
    assert (out / "gradebook.csv").is_file() and (out / "report.html").is_file()
    assert "Export warnings" in (out / "report.html").read_text(encoding="utf-8")


def test_a_listed_link_out_of_a_folder_export_is_never_graded(tmp_path):
    """A submission folder that is a link to a folder outside the export is a row with the reason, never graded."""
    outside = tmp_path / "outside"
    shutil.copytree(ROOT / "reference", outside, ignore=shutil.ignore_patterns("expected.yaml"))
    export = tmp_path / "export"
    shutil.copytree(
        ROOT / "reference", export / "submission_1", ignore=shutil.ignore_patterns("expected.yaml", "golden.json")
    )
    (export / "submission_2").symlink_to(outside)
    (export / "submission_metadata.yml").write_text("submission_1: {}\nsubmission_2: {}\n")
    status, _, stderr = run_main(export, tmp_path / "out")
    assert status == 0, stderr
    rows = {
        row["submission_id"]: (row["total"], row["status"], row["reason"])
        for row in read_csv(tmp_path / "out" / "gradebook.csv")
    }
    assert rows == {
        "submission_1": ("10", "graded", ""),
        "submission_2": ("0", "bad upload", "its folder in the export is a link, which is never followed"),
    }
    assert not (tmp_path / "out" / "submissions" / "submission_2").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="worker users are leased only as root")
def test_more_jobs_than_worker_users_are_capped_with_a_message():
    """As root, --jobs above the number of worker users grades one submission per user at a time, and says so."""
    stderr = io.StringIO()
    users = len(worker_users())
    assert batch.capped_jobs(users + 5, stderr) == users
    assert f"grading {users} submissions at a time, one per worker user ({users + 5} asked" in stderr.getvalue()
    assert batch.capped_jobs(1, stderr) == 1


def test_compare_with_a_folder_without_a_gradebook_stops_before_grading(tmp_path):
    """--compare with a folder that holds no gradebook.csv exits 2 with the reason, before anything is graded."""
    (tmp_path / "export" / "alice").mkdir(parents=True)
    status, _, stderr = run_main(tmp_path / "export", tmp_path / "out", compare=tmp_path / "nowhere")
    assert status == 2 and stderr.startswith(f"batch: --compare: {tmp_path / 'nowhere' / 'gradebook.csv'}: cannot read")
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(os.geteuid() != 0 or not worker_users(), reason="the worker users that root grades with")
def test_a_configuration_the_worker_could_read_stops_the_batch_before_grading(tmp_path):
    """As root, `batch --config` with a file the worker users could read exits 2 with the file and the fix,
    before anything is graded or written; once the folder is closed, the same run grades."""
    from test_grading import open_folder

    export = tmp_path / "export"
    shutil.copytree(ROOT / "reference", export / "alice", ignore=shutil.ignore_patterns("expected.yaml"))
    with open_folder() as (folder, config):
        status, _, stderr = run_main(export, tmp_path / "out", config_path=config)
        assert status == 2 and stderr.startswith(f"batch: refusing to grade: {config} (your configuration"), stderr
        assert f"`chmod 700 {folder}`" in stderr
        assert not (tmp_path / "out").exists()
        os.chmod(folder, 0o700)
        status, _, stderr = run_main(export, tmp_path / "out", config_path=config)
        assert status == 0, stderr
        assert [row["total"] for row in read_csv(tmp_path / "out" / "gradebook.csv")] == ["10"]


def test_the_readme_and_the_tas_guide_name_every_option_of_batch():
    """The README's TA line and docs/ta.md's option table name each option that `batch --help` lists."""
    from autograder.cli import parser

    verbs = next(action for action in parser()._actions if action.dest == "verb")
    options = {
        option
        for action in verbs.choices["batch"]._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    }
    assert options >= {"--compare", "--canvas", "--jobs", "--regrade"}
    ta_line = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| TA |"))
    guide = (ROOT / "docs" / "ta.md").read_text()
    for option in options - {"--config"}:  # "Every command takes `--config FILE`", below the table
        assert option in ta_line, option
    for option in options:
        assert re.search(f"^\\| `{option}[ `]", guide, re.M), option


def zip_bytes(entries):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as opened:
        for name, data in entries:
            opened.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.slow
def test_every_form_of_one_upload_finds_the_same_files_with_the_same_note(tmp_path):
    """A zip holding only a zip, handed in as a .zip, as Gradescope's unpacked folder, and as a zip in an export
    zip: each is graded the same, with the same note; a corrupt zip's row says why, as its feedback does; a zip
    holding adder.py twice is graded from the last copy, and its row says so."""
    adder = (ROOT / "reference" / "adder.py").read_bytes()
    dave = zip_bytes([("inner.zip", zip_bytes([("adder.py", adder)]))])
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "dave.zip").write_bytes(dave)
    (folder / "dave_unpacked").mkdir()
    (folder / "dave_unpacked" / "inner.zip").write_bytes(zip_bytes([("adder.py", adder)]))
    (folder / "carol.zip").write_bytes(b"PK\x03\x04 not a zip at all")
    (folder / "erin.zip").write_bytes(zip_bytes([("adder.py", b"U = 'first'"), ("adder.py", adder)]))
    exported = tmp_path / "export.zip"
    with zipfile.ZipFile(exported, "w") as opened:
        opened.writestr("export/dave_in_export/inner.zip", zip_bytes([("adder.py", adder)]))
        opened.writestr("export/dave.zip", dave)
    note = "Looked inside `inner.zip`: your upload holds no file we grade outside it."
    for export, names in ((folder, ("dave.zip", "dave_unpacked")), (exported, ("dave_in_export", "dave.zip"))):
        out = tmp_path / f"out_{export.name}"
        status, _, stderr = run_main(export, out)
        assert status == 0, stderr
        rows = {row["submission_id"]: (row["1"], row["status"]) for row in read_csv(out / "gradebook.csv")}
        for name in names:
            assert rows[name] == ("5", "graded")
            assert note in json.loads((out / "submissions" / name / "results.json").read_text())["output"]
        assert "outside the submissions' folder" not in stderr
    carol = json.loads((tmp_path / "out_folder" / "submissions" / "carol.zip" / "results.json").read_text())
    assert "`carol.zip` is not a readable zip file." in carol["output"]
    rows = {
        row["submission_id"]: (row["1"], row["status"], row["reason"])
        for row in read_csv(tmp_path / "out_folder" / "gradebook.csv")
    }
    assert rows["carol.zip"] == ("0", "no files", "carol.zip is not a readable zip file.")  # plain text
    assert rows["erin.zip"] == ("5", "graded", "erin.zip holds adder.py more than once: the last copy was graded")


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.slow
def test_every_entry_of_an_export_is_a_row_or_a_warning_and_the_counts_add_up(tmp_path):
    """A name clash is graded (the last copy) with a reason in its row; a folder name too long, a bomb and a
    link are rows with their reasons, flagged as bad uploads (not grader failures); a stray file is a warning;
    a listed submission without a folder is counted: the summary line adds up to every row."""
    adder = (ROOT / "reference" / "adder.py").read_bytes()
    wrong = b"U = [[1, 1], [1, 1], [1, 1]]\nW = [[0, 1, 0]] * 3\nV = [1, 1, 1]\nb_h = [-0.5, -1.5, -2.5]\nb_y = -0.5\n"
    long_name = "submission_" + "9" * 280
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as opened:
        opened.writestr("submission_metadata.yml", "clash: {':submitters': [{':name': Dup}]}\nmissing: {}\n")
        opened.writestr("clash/adder.py", wrong)
        opened.writestr("clash/adder.py", adder)
        opened.writestr(f"{long_name}/adder.py", adder)
        opened.writestr("bomb/zeros.bin", bytes(4 * 2**20))
        opened.writestr("good/adder.py", adder)
        opened.writestr("stray.txt", "not a submission")
        link = zipfile.ZipInfo("linked/adder.py")
        link.external_attr = (0o120777) << 16
        opened.writestr(link, "/etc/passwd")
    out = tmp_path / "out"
    status, stdout, stderr = run_main(archive, out)
    assert status == 0, stderr
    rows = {row["submission_id"]: (row["1"], row["status"], row["reason"]) for row in read_csv(out / "gradebook.csv")}
    assert rows == {  # the metadata lists only `clash` and `missing`: the others say so (no name is known)
        "bomb": ("0", "bad upload", f"bomb/zeros.bin is compressed more than 200:1 (a zip bomb?); {NOT_LISTED}"),
        "clash": ("5", "graded", "its zip holds adder.py more than once: the last copy was graded"),
        "good": ("5", "graded", NOT_LISTED),
        long_name: ("0", "bad upload", f"its folder name is longer than the file system allows; {NOT_LISTED}"),
        "missing": ("0", "no folder", "the export holds no folder for it"),
    }
    assert "submission_metadata.yml does not list 3 submission folders, so no name, email or SID is known" in stderr
    assert '(no name)</a> <span class="note">good</span>: not in metadata</li>' in (out / "report.html").read_text(
        encoding="utf-8"
    )
    assert (
        "skipped 1 member that could lead out of the export (links, absolute paths, '..'): 'linked/adder.py'" in stderr
    )
    assert (
        f"{archive}: skipped 1 entry that cannot be a submission (hidden, a link, a file that is not a .zip, or "
        in stderr
    )
    assert "beside the submissions' folder): 'stray.txt'" in stderr
    assert re.search(
        r"^5 submissions in \d+:\d\d: 2 graded now, 0 already graded, 2 could not be graded \(2 bad upload\), "
        r"1 with no folder in the export\.$",
        stdout,
        re.M,
    )
    data = json.dumps(report_data(out))
    assert "bad upload" in data and "grader failed" not in data
    assert "stray.txt" in (out / "report.html").read_text(encoding="utf-8")


def test_a_malformed_metadata_file_is_one_readable_line_in_stderr_and_the_report(tmp_path):
    """PyYAML's multi-line error reaches the TA as one line, with no literal `\\n`, in stderr and report.html."""
    shutil.copytree(
        ROOT / "reference", tmp_path / "export" / "sub_a", ignore=shutil.ignore_patterns("expected.yaml", "golden.json")
    )
    (tmp_path / "export" / "submission_metadata.yml").write_text('sub_a:\n  :submitters:\n  - :name: "Unclosed\n')
    status, _, stderr = run_main(tmp_path / "export", tmp_path / "out")
    assert status == 0, stderr
    assert "found unexpected end of stream at line 4, column 1" in stderr and "\\n" not in stderr
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "found unexpected end of stream at line 4, column 1" in html and "\\n" not in html.split("<script")[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="namespaces and worker users need root")
def test_a_student_in_a_batch_sees_neither_classmates_uploads_nor_results():
    """An export, --out and --compare folder that anyone may read (under /srv, not a place every task gets
    covered): `batch` refuses them (below); graded all the same through the API, each task has the folders
    holding the uploads, the results and the earlier run hidden, so the spy below finds nothing to copy and
    keeps the weights that score only when it sees nothing."""
    os.makedirs("/srv", exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="rnn-batch-", dir="/srv"))
    try:
        base.chmod(0o755)
        export, out, earlier = base / "export", base / "out", base / "earlier"
        reference = (ROOT / "reference" / "adder.py").read_text()
        spy = (
            "import os\n"
            f"seen = os.path.exists({str(export / 'b_classmate' / 'adder.py')!r})\n"
            f"seen = seen or os.path.exists({str(out / 'submissions')!r})\n"
            f"seen = seen or os.path.exists({str(earlier / 'gradebook.csv')!r})\n"
            + reference
            + "\nif seen:\n    U = [[0, 0], [0, 0], [0, 0]]\n"
        )
        for name, text in (("a_spy", spy), ("b_classmate", reference)):
            (export / name).mkdir(parents=True)
            (export / name / "adder.py").write_text(text)
        earlier.mkdir()
        (earlier / "gradebook.csv").write_text("submission_id,name,email,sid\n")
        for path in base.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        submissions, _ = find_submissions(export)
        progress = batch.Progress(2, io.StringIO(), tty=False)
        batch.run_batch(
            submissions, out=out, config=load_config(), jobs=1, regrade=False, progress=progress, hide=[earlier]
        )
        results = json.loads((out / "submissions" / "a_spy" / "results.json").read_text())
        assert sum(t["score"] for t in results["tests"] if "1" in t["tags"]) == 5
    finally:
        shutil.rmtree(base)


@pytest.mark.skipif(os.geteuid() != 0 or not worker_users(), reason="the worker users that root grades with")
def test_class_data_a_worker_could_read_stops_the_batch_before_grading():
    """As root, an export, --out or --compare folder a worker user could read stops the batch (exit 2) with the
    folder and the command that closes it, before anything is graded or written (docs/spec.md 6.3); closed, the
    same command grades."""
    os.makedirs("/srv", exist_ok=True)
    base = Path(tempfile.mkdtemp(prefix="rnn-private-", dir="/srv"))
    try:
        base.chmod(0o755)
        export, out, earlier = base / "export", base / "out", base / "earlier"
        shutil.copytree(
            ROOT / "reference", export / "alice", ignore=shutil.ignore_patterns("expected.yaml", "golden.json")
        )
        for path in [export, *export.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        status, _, stderr = run_main(export, out)
        assert status == 2 and stderr.startswith(f"batch: refusing to grade: {export} (the export"), stderr
        assert f"`chmod 700 {export}`" in stderr and not out.exists()
        export.chmod(0o711)  # passable but not listable: `alice/adder.py` is still one guess away
        assert run_main(export, out)[0] == 2
        export.chmod(0o700)
        earlier.mkdir(mode=0o755)
        earlier.chmod(0o755)
        (earlier / "gradebook.csv").write_text("submission_id,name,email,sid,1,2a,2b,2c,total,status\n")
        status, _, stderr = run_main(export, out, compare=earlier)
        assert status == 2 and f"{earlier} (--compare's folder" in stderr and f"`chmod 700 {earlier}`" in stderr
        earlier.chmod(0o700)
        out.mkdir()
        out.chmod(0o755)  # an older run's, made before output was private
        status, _, stderr = run_main(export, out, compare=earlier)
        assert status == 2 and f"{out} (the batch's output" in stderr
        out.chmod(0o700)
        status, _, stderr = run_main(export, out, compare=earlier)
        assert status == 0, stderr
    finally:
        shutil.rmtree(base)


def test_everything_the_batch_writes_is_private_whatever_the_umask(tmp_path):
    """--out and every folder in it 0700, every file 0600 (gradebook, report, changes, canvas, results.json,
    output.txt, and no temporary file left), even under a umask of 0."""
    export = tmp_path / "export"
    shutil.copytree(ROOT / "reference", export / "alice", ignore=shutil.ignore_patterns("expected.yaml"))
    (export / "bob").mkdir()
    (export / "bob" / "adder.py").write_text(
        "print('hello from bob')\n" + (ROOT / "reference" / "adder.py").read_text()
    )
    out = tmp_path / "new" / "out"
    umask = os.umask(0)
    try:
        status, _, stderr = run_main(export, out, canvas="HW", compare=None)
        assert status == 0, stderr
        status, _, stderr = run_main(export, out, regrade=True, compare=out)
        assert status == 0, stderr
    finally:
        os.umask(umask)
    modes = {str(path.relative_to(out)): path.stat().st_mode & 0o777 for path in [out, *out.rglob("*")]}
    assert {"gradebook.csv", "report.html", "canvas.csv", "changes.csv", "points_possible.csv"} <= set(modes)
    assert "submissions/bob/results.json" in modes and "submissions/bob/output.txt" in modes
    assert {name: mode for name, mode in modes.items() if mode != (0o700 if (out / name).is_dir() else 0o600)} == {}
    assert not [name for name in modes if Path(name).name.startswith(".")]


@pytest.mark.slow
def test_a_report_that_does_not_fit_on_the_disk_is_named_and_the_others_are_written(tmp_path, monkeypatch):
    """A full disk while writing the reports: the gradebook is written, the report that did not fit is removed
    (an older one would be stale) and named, and nothing half-written is left behind."""
    shutil.copytree(
        ROOT / "reference", tmp_path / "export" / "alice", ignore=shutil.ignore_patterns("expected.yaml", "golden.json")
    )
    out = tmp_path / "out"
    assert run_main(tmp_path / "export", out)[0] == 0
    real = batch._write_text

    def full_for_the_report(path, text, encoding=batch.ENCODING):
        if path.name == "report.html":
            with open(path.with_name(".report.html.tmp"), "w") as half:
                half.write(text[:100])
            raise OSError(28, "No space left on device")
        real(path, text, encoding)

    monkeypatch.setattr(batch, "_write_text", full_for_the_report)
    status, stdout, stderr = run_main(tmp_path / "export", out)
    assert status == batch.EXIT_NO_SPACE == 74
    assert "every submission is graded, but report.html did not fit on the disk" in stderr
    assert f"the disk holding {out} is full" in stderr and "Traceback" not in stderr
    assert (out / "gradebook.csv").is_file() and not (out / "report.html").exists()
    assert "Class report: did not fit on the disk" in stdout
    assert read_csv(out / "gradebook.csv")[0]["total"] == "10"


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
@pytest.mark.slow
def test_a_full_disk_stops_with_a_message_keeps_what_was_graded_and_resumes(tmp_path):
    """--out on a 2 MB tmpfs with room for one results.json: the batch stops at the next with one line (no
    traceback) and exit 74, keeps the first, writes the gradebook marked partial where it fits and names what
    did not; after making room, the same command grades only the rest."""
    export = tmp_path / "export"
    for name in ("a", "b", "c", "d"):
        shutil.copytree(
            ROOT / "reference", export / name, ignore=shutil.ignore_patterns("expected.yaml", "golden.json")
        )
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], check=True)
    try:
        filler = disk / "filler"
        descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(descriptor, bytes(4096)):
                pass
        except OSError:
            pass
        finally:
            os.close(descriptor)
        # one results.json (about 11 kB: 3 pages) and its similarity record (about 7 kB: 2 pages), the next
        # submission's record (written before its results.json), then a page each for two small CSV files
        room = 9 * 4096
        with open(filler, "r+b") as file:
            file.truncate(filler.stat().st_size - room)
        out = disk / "out"
        status, stdout, stderr = run_main(export, out, jobs=1)
        assert status == 74, stderr
        assert "Traceback" not in stderr and f"the disk holding {out} is full (No space left on device)" in stderr
        assert "batch: stopped after 1 of 4 submissions" in stderr and "report.html did not fit on the disk" in stderr
        rows = {row["submission_id"]: row for row in read_csv(out / "gradebook.csv")}
        assert (rows["a"]["total"], rows["a"]["status"]) == ("10", "graded")
        for name in ("b", "c", "d"):
            assert (rows[name]["status"], rows[name]["reason"]) == (
                "interrupted",
                f"the run stopped before grading it: the disk holding {out} is full",
            )
        assert not [path for path in disk.rglob(".*")]  # no temporary file left behind
        filler.unlink()
        status, stdout, stderr = run_main(export, out, jobs=1)
        assert status == 0, stderr
        assert "1 submission already graded with this configuration" in stderr
        assert re.search(r": 3 graded now, 1 already graded", stdout)
        assert [row["total"] for row in read_csv(out / "gradebook.csv")] == ["10"] * 4
    finally:
        subprocess.run(["umount", str(disk)], check=True)


def phases_serve(connection, config_path, hide=(), phases=None):
    """A pool process that only writes down the phases folder it was given, in each job's folder."""
    while (job := connection.recv()) is not None:
        Path(job["out"]).mkdir(parents=True, exist_ok=True)
        (Path(job["out"]) / "phases").write_text(str(phases))
        connection.send(batch.write_failure(job, "recorded"))


def test_a_batch_gives_its_pool_processes_one_private_phases_lock(tmp_path):
    """Every pool process of a run gets the same folder for the phases lock (worker/phases.py: a hidden task runs
    while no other process's visible task does), closed to other users, and gone once the run ends."""
    submissions = []
    for name in ("a", "b", "c", "d"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "adder.py").write_text("U = 1\n")
        submissions.append(Submission(name, tmp_path / name, (Submitter(name.upper()),)))
    out, seen = tmp_path / "graded", []
    progress = batch.Progress(len(submissions), io.StringIO(), tty=False)
    real_pool = batch._Pool

    def pool(*args, **kwargs):
        made = real_pool(*args, **kwargs)
        seen.append(os.stat(kwargs["phases"]).st_mode & 0o777)
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(batch, "_Pool", pool)
        batch.run_batch(
            submissions, out=out, config=load_config(), jobs=2, regrade=False, progress=progress, serve=phases_serve
        )
    folders = {path.read_text() for path in out.rglob("phases")}
    assert len(folders) == 1 and seen == [0o700]
    assert not os.path.exists(folders.pop())
