"""The numbers `build` computes ahead: each visible test's question-2 problems (call, truth, equations, mistakes).

`build kit` and `build gradescope` write them into `autograder/problems.json`; the checks read a test's
problems from there when it holds them, and compute them (autograder/judge/lstm_model.py: finite
differences and the chain rule) only when it does not. So the student kit, which holds this file
but not the builder, judges its visible tests from exactly the numbers that Gradescope judges them
from, and cannot compute the bars of any other problem (docs/spec.md 5.5).

The file: {"problems": [Problem.to_data(), ...], "tests": {key: [index into problems, ...]}}, where a
key names a check's parameters (every field), so that tests sharing problems share their numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder.judge.lstm_problem import Problem
from autograder.record import asdict

BUILT = Path(__file__).with_name("problems.json")


def key(params: Any) -> str:
    """The identity of a check's parameters: their type and every field, as canonical JSON."""
    return json.dumps({"type": type(params).__name__, **asdict(params)}, sort_keys=True)


def problems(params: Any, *, path: Path = BUILT) -> tuple[Problem, ...] | None:
    """The problems built for these parameters, or None when the build holds none for them (or there is no build)."""
    found = _load(path)
    if found is None or key(params) not in found[1]:
        return None
    data = found[0]
    return tuple(data[index] for index in found[1][key(params)])


@lru_cache(maxsize=4)
def _load(path: Path) -> tuple[tuple[Problem, ...], dict[str, list[int]]] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    data = json.loads(text)
    return tuple(Problem.from_data(item) for item in data["problems"]), data["tests"]


def build(tests: Iterable[tuple[Any, Callable[[Any], tuple[Problem, ...]]]]) -> bytes:
    """problems.json for (parameters, the function that computes their problems) pairs; equal problems stored once."""
    problems_data: list[dict] = []
    index: dict[str, int] = {}
    tests_data: dict[str, list[int]] = {}
    for params, compute in tests:
        numbers = []
        for problem in compute(params):
            data = problem.to_data()
            text = json.dumps(data, sort_keys=True)
            if text not in index:
                index[text] = len(problems_data)
                problems_data.append(data)
            numbers.append(index[text])
        tests_data[key(params)] = numbers
    return (
        json.dumps(
            {"problems": problems_data, "tests": dict(sorted(tests_data.items()))},
            separators=(",", ":"),
            allow_nan=False,
        )
        + "\n"
    ).encode()
