"""The one writer of results.json: configured tests become unittest cases run by gradescope-utils."""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import unittest
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gradescope_utils.autograder_utils.decorators import number, partial_credit, tags, visibility
from gradescope_utils.autograder_utils.json_test_runner import JSONTestRunner

from autograder.config import TestSpec
from autograder.judge.verdict import Verdict
from autograder.report.feedback import say_once
from autograder.report.view import NOT_YOUR_FAULT, cut


def build_results(
    outcomes: Sequence[tuple[TestSpec, Verdict]],
    *,
    output: str = "",
    extra_data: Mapping[str, Any] | None = None,
    printed: bool = False,
) -> dict:
    """Run one unittest case per configured test through JSONTestRunner and return its results dict.

    `printed`: the student's code printed something in a task that feeds visible feedback (say_once's note)."""
    outcomes, output = say_once(outcomes, output, printed=printed)
    case = _test_case(outcomes)
    stream = io.StringIO()

    def finish(results: dict) -> None:
        for test, (_, verdict) in zip(results["tests"], outcomes, strict=True):
            if verdict.data:
                test["extra_data"] = dict(verdict.data)
            test["score"] = round(float(test["score"]), 6)
            test["output_format"] = "md"
            test["tags"] = list(test.get("tags", ()))
        results["score"] = round(sum(test["score"] for test in results["tests"]), 6)
        results["execution_time"] = float(results["execution_time"])
        results["output"] = cut(output)
        results["output_format"] = "md"
        results["stdout_visibility"] = "hidden"
        results["extra_data"] = dict(extra_data or {})
        results.pop("leaderboard", None)

    runner = JSONTestRunner(stream=stream, failure_prefix="", post_processor=finish)
    runner.run(unittest.defaultTestLoader.loadTestsFromTestCase(case))
    return json.loads(stream.getvalue())


def failure_results(message: str, *, extra_data: Mapping[str, Any] | None = None) -> dict:
    """A valid results.json for when grading could not finish: score 0 and the reason."""
    return {
        "score": 0.0,
        "execution_time": 0.0,
        "output": cut(NOT_YOUR_FAULT + message),
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": [],
        "extra_data": dict(extra_data or {}),
    }


def write_results(path: Path | str, results: Mapping[str, Any], *, mode: int = 0o644) -> None:
    """Write results.json atomically, as strict JSON (NaN and infinity are refused, not written), with `mode`
    (a batch's are the TA's only: 0o600)."""
    path = Path(path)
    text = results_text(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".results-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def results_text(results: Mapping[str, Any]) -> str:
    """results.json's text: strict JSON, indented, one final newline. Always encodable: a lone surrogate
    (a file name that is not UTF-8, which should have passed through text.printable) becomes U+FFFD."""
    text = json.dumps(results, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    return re.sub("[\ud800-\udfff]", "\ufffd", text)


def _test_case(outcomes: Sequence[tuple[TestSpec, Verdict]]) -> type:
    methods = {}
    for index, (spec, verdict) in enumerate(outcomes):
        methods[f"test_{index:04d}"] = _test_method(spec, verdict)
    return type("GradedTests", (unittest.TestCase,), methods)


def _test_method(spec: TestSpec, verdict: Verdict):
    def test(self, set_score=None):
        set_score(verdict.fraction * spec.max_score)
        if not verdict.passed:
            raise self.failureException(cut(verdict.output))
        print(cut(verdict.output))

    test.__doc__ = spec.name  # its name in results.json (partial_credit's wrapper keeps it)
    test = partial_credit(spec.max_score)(test)
    for decorate in (number(spec.number), tags(spec.question), visibility(spec.visibility)):
        test = decorate(test)
    return test
