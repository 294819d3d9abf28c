"""Shared fixtures: the repository's paths and a validator of Gradescope's results.json format."""

import json
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "gradescope_results.schema.json").read_text())


def assert_valid_results(results: dict) -> None:
    """results.json follows Gradescope's specification, is strict JSON, and tags every test with one question."""
    jsonschema.validate(results, SCHEMA)
    json.dumps(results, allow_nan=False)
    for test in results["tests"]:
        assert len([tag for tag in test["tags"] if tag in ("1", "2a", "2b", "2c")]) == 1, test


@pytest.fixture
def valid_results():
    return assert_valid_results
