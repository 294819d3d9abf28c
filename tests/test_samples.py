"""End to end: every sample submission graded once, in batches (the TA's `batch`, the same grading as Gradescope's),
and compared with its golden result and its expected.yaml; then `./run_autograder`, Gradescope's door, on a few
samples chosen for what it does differently (tests/goldens.py says how goldens are kept)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.report.summary import question_scores
from conftest import ROOT, assert_valid_results
from goldens import (
    SAMPLES,
    assert_expected,
    assert_golden,
    expected,
    golden_path,
    how_to_create,
    representatives,
    updating,
    write_golden,
)

# The golden run's batches: each shard is graded by one `batch` run, in one process of the test run (xdist's
# --dist loadgroup keeps a shard's tests together), so that two processes grade side by side.
SHARDS = 4


def shard_of(case: Path) -> int:
    """The shard a sample is graded in: the fast tier's cross-section (FAST, below) fills two, the others all four."""
    if case.name in FAST:
        return sorted(FAST).index(case.name) % 2
    return SAMPLES.index(case) % SHARDS


def run_autograder(submission: Path, root: Path) -> dict:
    """Lay out an /autograder-style tree, run ./run_autograder as Gradescope would, return results.json."""
    shutil.copytree(submission, root / "submission", ignore=shutil.ignore_patterns("expected.yaml", "golden.json"))
    (root / "results").mkdir()
    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run(
        [str(ROOT / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture(scope="session")
def golden_batches(request, tmp_path_factory):
    """Grades a shard's selected samples, as the folders of one export, with one `batch` run, the first time one of
    them is asked for; returns a sample's results. Four jobs in all, shared by the test run's processes: the hostile
    samples' timeouts wait rather than compute."""
    graded: dict[int, Path] = {}

    def results_of(case: Path) -> dict:
        shard = shard_of(case)
        if shard not in graded:
            selected = {
                item.callspec.params["case"]
                for item in request.session.items
                if getattr(item, "originalname", None) == "test_each_sample_matches_its_golden"
            }
            export = tmp_path_factory.mktemp(f"export{shard}")
            out = tmp_path_factory.mktemp(f"batch{shard}")
            for sample in selected:
                if shard_of(sample) == shard:
                    shutil.copytree(
                        sample,
                        export / sample.name,
                        symlinks=True,
                        ignore=shutil.ignore_patterns("expected.yaml", "golden.json"),
                    )
            jobs = str(max(1, 4 // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))))
            done = subprocess.run(
                [sys.executable, "-m", "autograder", "batch", str(export), "--out", str(out), "--jobs", jobs],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert done.returncode == 0, done.stderr
            graded[shard] = out / "submissions"
        return json.loads((graded[shard] / case.name / "results.json").read_text())

    return results_of


# Between edits (the fast tier, `-m "not slow"`), a cross-section: every family, each sample chosen for a mechanism
# of its own (a form, a mistake, an attack, a refusal); the whole suite grades every sample.
FAST = {
    sample.name
    for sample in representatives(
        "adder_bias_too_low",
        "adder_yaml",
        "adder_permuted",
        "broken_syntax_error",
        "broken_corrupt_zip",
        "encoding_windows_1252",
        "hostile_read_reference",
        "hostile_forge_atexit",
        "hostile_exfiltrate_config",
        "hostile_fork_bomb",
        "hostile_leftovers",
        "lstm_c_bar_without_carry",
        "lstm_correct_loop",
        "lstm_w_ix_last_step_only",
        "mixed_three_forms",
        "notebook_writefile_cell",
        "tex_seed_template",
        "tex_c_bar_without_carry_overline",
        "tex_error_cases",
        "tex_overleaf_main_tex",
        "tex_hostile_input_reference",
        "zip_two_zips",
    )
}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case,
            marks=[pytest.mark.xdist_group(f"golden{shard_of(case)}")]
            + ([] if case.name in FAST else [pytest.mark.slow]),
        )
        for case in SAMPLES
    ],
    ids=[p.name for p in SAMPLES],
)
def test_each_sample_matches_its_golden(case, golden_batches, request):
    """Each sample, graded once: its expected.yaml's scores and phrases, and its golden result (every test's score,
    status and verdict, the forms that counted, where each pinned phrase shows). With --update-goldens the golden
    is rewritten from this grading instead (a diff to review is shown at the end)."""
    results = golden_batches(case)
    assert_expected(case, results)
    if updating(request.config):
        write_golden(case, results)
        return
    if not golden_path(case).is_file():
        pytest.fail(how_to_create(case), pytrace=False)
    pins = json.loads(golden_path(case).read_text(encoding="utf-8"))["pinned"]
    assert list(pins) == expected(case).get("output_contains", []), (
        f"{case.name}: expected.yaml pins other phrases than its golden.json: rewrite the golden with "
        f"`python -m pytest tests/test_samples.py -k {case.name} --update-goldens`"
    )
    assert_golden(case, results)


def test_every_sample_folder_has_an_expected_yaml():
    """A folder in submissions_sample/ without expected.yaml would never be graded: each one has it."""
    folders = sorted(p.name for p in (ROOT / "submissions_sample").iterdir() if p.is_dir())
    assert folders == [p.name for p in SAMPLES], "a sample folder without expected.yaml"


# ---------------------------------------------------------------- the Gradescope door: ./run_autograder

# What run_autograder does that batch does not: Gradescope's layout (the grader's own files beside the
# submission, which the root-only samples try to read or forge), its own results writer and log, and the
# upload as Gradescope stores it (zips, encodings, notebooks and LaTeX read from /autograder/submission).
RUN_AUTOGRADER = representatives(
    "hostile_read_reference",
    "hostile_exfiltrate_config",
    "hostile_forge_atexit",
    "hostile_forge_daemon",
    "hostile_leftovers",
    "zip_two_zips",
    "encoding_windows_1252",
    "notebook_colab",
    "tex_overleaf_main_tex",
    "mixed_three_forms",
    "lstm_c_bar_without_carry",
    "adder_yaml",
    "broken_corrupt_zip",
)


@pytest.mark.slow
@pytest.mark.parametrize("case", RUN_AUTOGRADER, ids=[p.name for p in RUN_AUTOGRADER])
def test_run_autograder_gives_the_golden_results(case, tmp_path, request):
    """A sample through ./run_autograder in the Gradescope layout: its expected.yaml and its golden."""
    if updating(request.config):
        pytest.skip("the goldens are being rewritten by this run")
    results = run_autograder(case, tmp_path)
    assert_expected(case, results)
    assert_golden(case, results)


def test_the_reference_scores_full_marks(tmp_path):
    """The reference solution, graded for real through ./run_autograder, scores 5 + 4 + 1 (+ 0 for part (c))
    under the default configuration, with every test passed."""
    results = run_autograder(ROOT / "reference", tmp_path)
    assert_valid_results(results)
    scores = {question: score for question, (score, _) in question_scores(results).items()}
    assert scores == {"1": 5, "2a": 4, "2b": 1, "2c": 0}
    assert results["score"] == 10 and all(test["status"] == "passed" for test in results["tests"])
