"""What keeps one grading near two Python starts: one BLAS thread in the grader, bytecode compiled at setup."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT

THREADS = "print(open('/proc/self/status').read().split('Threads:')[1].split()[0])"


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not os.path.exists("/proc/self/status"), reason="needs 2 CPUs, Linux")
def test_the_grader_loads_numpy_with_one_blas_thread():
    """Importing the grader before numpy sets one BLAS thread: numpy's import starts no thread (it starts one per
    extra core without it), unless the caller chose a number."""
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}

    def threads(code, env):
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return int(done.stdout)

    assert threads(f"import numpy; {THREADS}", clean) > 1  # what the grader would get without it
    assert threads(f"import autograder.engine; {THREADS}", clean) == 1
    assert threads(f"import autograder.engine; {THREADS}", {**clean, "OPENBLAS_NUM_THREADS": "2"}) == 2


def test_setup_compiles_the_graders_bytecode_before_closing_its_folder():
    """setup.sh compiles the package (Gradescope's first grading would else compile it), before `chmod go-rwx`."""
    setup = (ROOT / "setup.sh").read_text()
    compiled = setup.index('-m compileall -q "$here/autograder"')
    assert compiled < setup.index('chmod -R go-rwx "$here"')
    done = subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "autograder")], capture_output=True)
    assert done.returncode == 0, done.stdout  # every file of the package compiles (the vendored ones too)


def test_a_configuration_that_loads_is_parsed_once(monkeypatch, tmp_path):
    """The YAML is parsed once; the line map for error messages is composed only when a message needs it."""
    import yaml

    from autograder.config import ConfigError, load_config

    def composed(*args, **kwargs):
        raise AssertionError("composed again")

    with monkeypatch.context() as patch:
        patch.setattr(yaml, "compose", composed)
        assert load_config().tests
    broken = tmp_path / "broken.yaml"
    broken.write_text((ROOT / "autograder" / "default.yaml").read_text().replace("max_bits: 10", "max_bits: ten"))
    with pytest.raises(ConfigError, match=r"broken.yaml:\d+: `tests\[\d\]\.params\.max_bits`"):
        load_config(broken)


def test_the_grader_prepares_its_calls_before_it_waits_for_the_worker(monkeypatch):
    """grade computes each test's calls (question 2's problems) and imports the report while the worker starts."""
    from autograder import engine, grading
    from autograder.worker.sandbox import SandboxError

    order = []
    monkeypatch.setattr(engine, "prepare", lambda config: order.append("prepare"))

    def started():
        order.append("waited for the worker")
        raise SandboxError("no worker in this test")

    code, results = grading._grade_with(
        started, ROOT / "reference", None, student_output=None, stderr=open(os.devnull, "w")
    )
    assert order == ["prepare", "waited for the worker"]
    assert code == 1 and results["output"].startswith("The autograder itself failed")


def test_replies_of_plain_floats_are_read_as_the_careful_reading_reads_them():
    """The quick reading of an all-float reply gives the array the item-by-item reading gives; a reply with a NaN
    or infinity still gets the careful reading's message."""
    from autograder.judge import lstm_answer

    value = [None, 0.5, -1.25, 3e-300, 2.0]
    assert lstm_answer._read_array(value, 4, "p").tolist() == [0.0, 0.5, -1.25, 3e-300, 2.0]
    assert lstm_answer._read_array([*value[:-1], [2.0]], 4, "p").tolist() == [0.0, 0.5, -1.25, 3e-300, 2.0]
    assert lstm_answer._read_array([*value[:-1], float("nan")], 4, "p") == "not finite at t = 4 on p: got NaN."
    assert lstm_answer._read_array([0.0, float("-inf"), 1.0], 2, "p") == "not finite at t = 1 on p: got minus infinity."
