"""Tests of the pipeline's own promises: printed output stays out of results, our bugs are not blamed on students."""

import json

import pytest

from autograder import engine
from autograder.config import TestSpec
from autograder.kinds import KINDS, Kind, load_config
from autograder.worker.sandbox import Sandbox
from conftest import ROOT, assert_valid_results


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as opened:
        yield opened


def test_what_the_student_prints_never_reaches_the_results(tmp_path, sandbox):
    """Printed text (which could carry hidden problems) goes to the given sink, not into results.json."""
    (tmp_path / "adder.py").write_text(
        (ROOT / "reference" / "adder.py").read_text() + "\nprint('PRINTED-BY-STUDENT')\n"
    )
    printed = []
    results = engine.grade(tmp_path, config=load_config(), sandbox=sandbox, student_output=printed.append)
    assert "PRINTED-BY-STUDENT" not in json.dumps(results)
    assert "PRINTED-BY-STUDENT" in "".join(printed)
    assert_valid_results(results)


def test_a_bug_in_a_check_is_reported_as_ours(monkeypatch, capsys):
    """A check that raises gives 0 for that test with a 'not your fault' message; the traceback goes to the log."""

    def broken(params, collected):
        raise ZeroDivisionError("oops")

    monkeypatch.setitem(KINDS, "broken", Kind(params=object, calls=lambda params: (), run=broken))
    spec = TestSpec(name="x", number="1.1", question="1", max_score=1, check="broken")
    verdict = engine.judge(spec, collected=None)
    assert verdict.fraction == 0 and "This is not your fault" in verdict.output
    assert "ZeroDivisionError: oops" in capsys.readouterr().err


def test_results_record_what_a_regrade_needs():
    """Provenance: the configuration's hash, the seeds of question 2, and the versions."""
    config = load_config()
    data = engine.provenance(config)
    assert data["config_sha256"] == config.sha256 and len(data["seeds"]) >= 5
    assert set(data["versions"]) == {"autograder", "python", "numpy"}
