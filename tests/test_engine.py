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


def test_a_submission_is_read_once_for_all_the_tests_that_read_it(monkeypatch, sandbox):
    """Question 1's weights are read once for its tests, and each reply of question 2 once for the bar and weight
    tests that share its problem (collect.Collected.memo): not once per test."""
    from autograder.judge import adder, lstm_answer

    read = {"weights": 0, "replies": 0}

    def counting(name, real):
        def counted(*args, **kwargs):
            read[name] += 1
            return real(*args, **kwargs)

        return counted

    monkeypatch.setattr(adder, "read_adder_weights", counting("weights", adder.read_adder_weights))
    monkeypatch.setattr(lstm_answer, "read_answer", counting("replies", lstm_answer.read_answer))
    config = load_config()
    results = engine.grade(ROOT / "reference", config=config, sandbox=sandbox)
    assert results["score"] == 10
    checks = [test.check for test in config.tests]
    assert checks.count("adder_exhaustive") + checks.count("adder_proof") == 3 and read["weights"] == 1
    lstm = [test for test in config.tests if test.check in ("lstm_bar", "lstm_weight")]
    assert len(lstm) == 7 and {len(KINDS[test.check].problems(test.params)) for test in lstm} == {5}
    assert read["replies"] == 5  # not 7 x 5


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
