"""The benchmark script still runs, measures what it claims, and stops loudly when a grading fails (its figures
are not asserted here)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import batch
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import run  # benchmarks/run.py

FIGURES = (
    "1. adder exhaustive N=12",
    "2. adder proof",
    "3. LSTM FD truth, 5 default problems",
    "3. LSTM FD truth, one problem T=1000",
    "4. grade reference/ (Gradescope's tree)",
    "4. CPU of the whole task tree, same",
    "4. grade reference/ (repository)",
    "4. the student's check (kit), reference/",
    "5. grade reference/ (T=1000)",
    "5. grade reference/ (N=13)",
    "6. batch 20 submissions",
    "6. same with 1 endless loop",
    "6. CPU of the whole tree per submission",
    "7. batch overhead, 1,000 vs 100 submissions",
    "8. class report 10,000 students (shared feedback)",
    "8. class report 10,000 students (unique feedback)",
    "Load average before:",
    "Load average after:",
)


@pytest.mark.slow
def test_the_quick_benchmark_runs_and_reports_every_figure():
    """`benchmarks/run.py --quick` exits 0 (every measurement made, every result right) and prints each figure
    with the machine's load."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for figure in FIGURES:
        assert figure in done.stdout, figure
    assert "FAILED" not in done.stdout + done.stderr


def test_figure_4_alone_runs_at_a_chosen_load_and_leaves_no_busy_process(monkeypatch, capsys):
    """`--only 4 --background N`: figures 4-5 alone, with N busy processes running throughout (a machine at load N),
    said in the header; none of them is left when it ends. (The figures themselves run in the quick benchmark's
    test: here a stand-in for figures 4-5 looks at the busy processes while it runs.)"""
    ran = []

    def busy_processes() -> list[str]:
        return subprocess.run(["pgrep", "-f", "while True: pass"], capture_output=True, text=True).stdout.split()

    def figure(name):
        def stand_in(*arguments):
            ran.append((name, len(busy_processes())))
            return {}

        return stand_in

    for name in ("exhaustive", "proof", "truth", "grade", "batch", "scale", "class_report"):
        monkeypatch.setattr(run, f"figure_{name}", figure(name))
    assert run.main(["--quick", "--only", "4", "--background", "2"]) == 0
    assert "With 2 busy processes running throughout." in capsys.readouterr().out
    assert ran == [("grade", 2)]
    assert busy_processes() == []


def test_figure_7s_stand_in_grader_takes_what_the_pool_passes():
    """The canned grader of figure 7 takes batch._serve's parameters; one that drifts stops the run before it starts
    a pool whose every process would die."""
    run.same_parameters(run.canned_serve, batch._serve)

    def drifted(connection, config_path):
        pass

    with pytest.raises(run.BenchmarkFailed, match="no longer takes what the pool passes"):
        run.same_parameters(drifted, batch._serve)


def dying_serve(connection, config_path, hide=(), phases=None):
    """A pool process that dies at its first submission."""
    connection.recv()
    os._exit(3)


@pytest.mark.slow  # grades the reference once and writes 1,100 folders
def test_a_batch_figure_whose_pool_dies_stops_at_once(tmp_path):
    """Figure 7 with pool processes that die stops at the first submission they fail, saying so."""
    with pytest.raises(run.BenchmarkFailed, match=r"the batch did not grade .*the grading process died \(exit code 3"):
        run.figure_scale(True, tmp_path, serve=dying_serve)


def test_a_batch_scoring_what_a_sample_does_not_expect_stops_the_run(tmp_path):
    """A submission of a batch figure with another score than its sample's, or not graded, is an error."""
    made = run.make_export(tmp_path / "export", 2)
    assert list(made.values()) == [10.0, run.expected_score(run.class_samples()[1])]
    out = tmp_path / "out"
    for folder, score in made.items():
        (out / batch.SUBMISSIONS / folder.name).mkdir(parents=True)
        results = {"score": score, "tests": [], "extra_data": {}}
        (out / batch.SUBMISSIONS / folder.name / "results.json").write_text(json.dumps(results))
    run.check_batch(out, made, "batch")
    first = out / batch.SUBMISSIONS / next(iter(made)).name / "results.json"
    died = {"score": 0, "tests": [], "extra_data": {"grading_failed": "the grading process died"}}
    first.write_text(json.dumps(died))
    with pytest.raises(run.BenchmarkFailed, match="was not graded: the grading process died"):
        run.check_batch(out, made, "batch")
    first.write_text(json.dumps({"score": 5, "tests": [], "extra_data": {}}))
    with pytest.raises(run.BenchmarkFailed, match="scored 5, its sample expects 10"):
        run.check_batch(out, made, "batch")


def test_a_batch_figures_export_holds_each_sample_whole(tmp_path):
    """Each folder of a batch figure's export is its sample's upload whole, its sub-folders too (an Overleaf project,
    a whole kit), without the files that say what it should score: one folder per class sample."""
    samples = run.class_samples()
    made = run.make_export(tmp_path / "export", len(samples))

    def files(folder):
        return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())

    for (folder, _), sample in zip(made.items(), samples, strict=True):
        assert files(folder) == [f for f in files(sample) if f not in ("expected.yaml", "golden.json")], sample.name
    assert any(len(Path(f).parts) > 1 for folder in made for f in files(folder))  # sub-folders were met


def test_a_failed_figure_ends_the_run_with_an_error_and_no_table(monkeypatch, capsys):
    """The run stops at the first wrong result: exit status 1, the reason on stderr, no figure printed."""

    def wrong(quick):
        run.fail("check_proof does not pass the reference adder")

    monkeypatch.setattr(run, "figure_exhaustive", wrong)
    assert run.main(["--quick"]) == 1
    printed = capsys.readouterr()
    assert "BENCHMARK FAILED" in printed.err and "check_proof does not pass" in printed.err
    assert "figure" not in printed.out and "median" not in printed.out


def test_the_numpy_adder_baseline_checks_what_the_loop_checks():
    """The vectorised baseline finds the same pairs wrong as the per-pair loop, on a right and a wrong adder."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import baselines

    right = ([[1, 1], [1, 1], [1, 1]], [[0, 1, 0], [0, 1, 0], [0, 1, 0]], [1, -1, 1], [-0.5, -1.5, -2.5], -0.5)
    wrong = (right[0], [[0, 0, 0]] * 3, *right[2:])  # no carry
    assert baselines.adder_numpy(*right, 5) == baselines.adder_loop(*right, 5) == (baselines.adder_pairs(5), 0)
    assert baselines.adder_numpy(*wrong, 5) == baselines.adder_loop(*wrong, 5)
    assert baselines.adder_loop(*wrong, 5)[1] > 0
