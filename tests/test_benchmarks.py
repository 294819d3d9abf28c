"""The benchmark script still runs and still measures what it claims (its figures are not asserted here)."""

import subprocess
import sys

import pytest

from conftest import ROOT

FIGURES = (
    "1. adder exhaustive N=12",
    "2. adder proof",
    "3. LSTM FD truth, 5 default problems",
    "3. LSTM FD truth, one problem T=1000",
    "4. grade reference/ (default)",
    "4. CPU of the whole task tree per grading",
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
    assert "PROBLEM" not in done.stdout


def test_the_numpy_adder_baseline_checks_what_the_loop_checks():
    """The vectorised baseline finds the same pairs wrong as the per-pair loop, on a right and a wrong adder."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import baselines

    right = ([[1, 1], [1, 1], [1, 1]], [[0, 1, 0], [0, 1, 0], [0, 1, 0]], [1, -1, 1], [-0.5, -1.5, -2.5], -0.5)
    wrong = (right[0], [[0, 0, 0]] * 3, *right[2:])  # no carry
    assert baselines.adder_numpy(*right, 5) == baselines.adder_loop(*right, 5) == (baselines.adder_pairs(5), 0)
    assert baselines.adder_numpy(*wrong, 5) == baselines.adder_loop(*wrong, 5)
    assert baselines.adder_loop(*wrong, 5)[1] > 0
