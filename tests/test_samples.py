"""End to end: every sample submission, and the reference, graded through the real `run_autograder` (each
sample on its own: slow tier) and through one `batch` of them all (fast tier)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from autograder.report.summary import question_scores
from conftest import ROOT, assert_valid_results

# The reference is graded once, by test_the_reference_scores_full_marks, which asserts full marks outright
# rather than whatever reference/expected.yaml says.
SAMPLES = sorted(p for p in (ROOT / "submissions_sample").iterdir() if (p / "expected.yaml").is_file())


def run_autograder(submission: Path, root: Path) -> dict:
    """Lay out an /autograder-style tree, run ./run_autograder as Gradescope would, return results.json."""
    shutil.copytree(submission, root / "submission", ignore=shutil.ignore_patterns("expected.yaml"))
    (root / "results").mkdir()
    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run(
        [str(ROOT / "run_autograder")], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text())


def assert_expected(case: Path, results: dict) -> None:
    """A sample's results.json is valid, scores what its expected.yaml says per question, and shows its feedback."""
    expected = yaml.safe_load((case / "expected.yaml").read_text())
    if expected.get("root_only") and os.geteuid() != 0:
        pytest.skip("this protection needs root: not root, the worker runs as you (README, security model)")
    assert_valid_results(results)
    assert "FORGED" not in json.dumps(results), "a submission's forged text reached results.json"
    scores = {question: score for question, (score, _) in question_scores(results).items()}
    isolation = results.get("extra_data", {}).get("isolation", {})
    # Without private places (a Docker container), the supervisor stops a task a tmpfs would have bounded.
    stopped = isolation.get("mode") == "dedicated" and "mount_namespace" in isolation.get("missing", {})
    key = "scores_without_namespaces" if stopped and "scores_without_namespaces" in expected else "scores"
    assert scores == {q: pytest.approx(float(s)) for q, s in expected[key].items()}
    shown = results["output"] + "\n".join(t.get("output", "") for t in results["tests"])
    for phrase in expected.get("output_contains", []):
        assert phrase in shown
    for phrase in expected.get("output_lacks", []):
        assert phrase not in shown
    statuses = {t["number"]: t["status"] for t in results["tests"]}
    assert statuses["1.2"] == statuses["1.3"], "the exhaustive check and the proof disagree"


@pytest.mark.slow
@pytest.mark.parametrize("case", SAMPLES, ids=[p.name for p in SAMPLES])
def test_each_sample_gets_its_expected_scores(case, tmp_path):
    """Each sample on its own, through ./run_autograder in the Gradescope layout."""
    assert_expected(case, run_autograder(case, tmp_path))


@pytest.fixture(scope="module")
def graded_in_one_batch(request, tmp_path_factory) -> Path:
    """The selected samples as the folders of one export, graded by one `batch` run (the TA's command, the
    same grading as run_autograder's): the folder of their results.json files. Four jobs on two cores: the
    hostile samples' timeouts wait rather than compute."""
    selected = {
        item.callspec.params["case"]
        for item in request.session.items
        if getattr(item, "originalname", None) == "test_each_sample_scores_the_same_in_a_batch"
    }
    export, out = tmp_path_factory.mktemp("export"), tmp_path_factory.mktemp("batch")
    for case in selected:
        shutil.copytree(case, export / case.name, symlinks=True, ignore=shutil.ignore_patterns("expected.yaml"))
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "batch", str(export), "--out", str(out), "--jobs", "4"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    return out / "submissions"


@pytest.mark.parametrize("case", SAMPLES, ids=[p.name for p in SAMPLES])
def test_each_sample_scores_the_same_in_a_batch(case, graded_in_one_batch):
    """Each sample, graded with all the others in one batch (the fast tier's way through every sample)."""
    assert_expected(case, json.loads((graded_in_one_batch / case.name / "results.json").read_text()))


def test_the_reference_scores_full_marks(tmp_path):
    """The reference solution, graded for real through ./run_autograder, scores 5 + 4 + 1 (+ 0 for part (c))
    under the default configuration, with every test passed."""
    results = run_autograder(ROOT / "reference", tmp_path)
    assert_valid_results(results)
    scores = {question: score for question, (score, _) in question_scores(results).items()}
    assert scores == {"1": 5, "2a": 4, "2b": 1, "2c": 0}
    assert results["score"] == 10 and all(test["status"] == "passed" for test in results["tests"])
