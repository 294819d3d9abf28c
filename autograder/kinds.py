"""The check kinds a configured test names with `check:`: each one's parameters, the calls it needs, and its judge.

(Not the `check` verb, the student's check of their folder: that is check.py.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from autograder import built
from autograder.collect import LATEX, Collected
from autograder.config import Config, read_config
from autograder.judge import adder, lstm
from autograder.judge.verdict import Verdict
from autograder.record import Record


class Kind(Record):
    """A kind of test: the record class of its YAML `params`, the student calls it needs, and its judge; for question 2,
    how its problems are computed (`build` writes them ahead into autograder/problems.json)."""

    params: type
    calls: Callable[[Any], Sequence[Mapping[str, Any]]]
    run: Callable[[Any, Collected], Verdict]
    problems: Callable[[Any], tuple] | None = None


def _no_calls(params: Any) -> Sequence[Mapping[str, Any]]:
    return ()


def _adder_check(judge: Callable[[adder.AdderWeights, Any], Verdict]) -> Callable[[Any, Collected], Verdict]:
    def run(params: Any, collected: Collected) -> Verdict:
        if isinstance(collected.adder, str):
            return Verdict(0.0, collected.adder)
        weights = collected.memo.get("adder weights")
        if weights is None:  # read once for all of question 1's tests
            weights = adder.read_adder_weights(collected.adder, file_name=collected.adder_file)
            collected.memo["adder weights"] = weights
        if isinstance(weights, str):
            return Verdict(0.0, weights)
        return judge(weights, params)

    return run


def _compute_problems(params: Any) -> tuple:
    from autograder.judge import lstm_model  # the builder (a solver): never in the student kit, which has them built

    return lstm_model.judged_problems(params)


def _compute_demo_problems(params: Any) -> tuple:
    from autograder.judge import lstm_model

    return (lstm_model.judged_demo_problem(params),)


def _built_or(compute: Callable[[Any], tuple]) -> Callable[[Any], tuple]:
    """A test's problems: the build's numbers where it has them (every visible test, in the kit and on Gradescope),
    else computed."""

    @lru_cache(maxsize=64)
    def problems(params: Any) -> tuple:
        found = built.problems(params)
        return found if found is not None else compute(params)

    return problems


_problems, _demo_problems = _built_or(_compute_problems), _built_or(_compute_demo_problems)


def _lstm_calls(problems: Callable[[Any], tuple], *, again: bool) -> Callable[[Any], tuple]:
    """The student's calls for a test's problems (with `again`, the first once more at the end: lstm.calls_of),
    built once per parameters (collecting and judging share them)."""
    return lru_cache(maxsize=64)(lambda params: lstm.calls_of(problems(params), again=again))


_calls, _demo_calls = _lstm_calls(_problems, again=True), _lstm_calls(_demo_problems, again=False)


def _lstm_check(
    problems: Callable[[Any], tuple], calls: Callable[[Any], tuple], judge: Callable[..., Verdict]
) -> Callable[[Any, Collected], Verdict]:
    def run(params: Any, collected: Collected) -> Verdict:
        if collected.lstm_problem is not None:
            return Verdict(0.0, collected.lstm_problem)
        return judge(problems(params), [collected.reply(call) for call in calls(params)], params, collected)

    return run


def _demo(problems: Sequence[Any], replies: Sequence[Any], params: Any, collected: Collected) -> Verdict:
    """Part (c)'s demonstration: the student's bars, from their function or from their equations (answers.tex)."""
    source = "your equations" if collected.form == LATEX else "your function"
    return lstm.check_vanishing_demo(problems[0], replies[0], params, source=source)


KINDS: dict[str, Kind] = {
    "adder_exhaustive": Kind(adder.ExhaustiveParams, _no_calls, _adder_check(adder.check_exhaustive)),
    "adder_proof": Kind(adder.ProofParams, _no_calls, _adder_check(adder.check_proof)),
    "lstm_bar": Kind(
        lstm.BarParams,
        _calls,
        _lstm_check(_problems, _calls, lambda p, r, params, c: lstm.check_bar(params.quantity, p, r, params, c.memo)),
        _compute_problems,
    ),
    "lstm_weight": Kind(
        lstm.LstmParams,
        _calls,
        _lstm_check(_problems, _calls, lambda p, r, params, c: lstm.check_weight(p, r, params, c.memo)),
        _compute_problems,
    ),
    "lstm_vanishing_demo": Kind(
        lstm.DemoParams, _demo_calls, _lstm_check(_demo_problems, _demo_calls, _demo), _compute_demo_problems
    ),
}
PARAMS: dict[str, type] = {name: kind.params for name, kind in KINDS.items()}


def load_config(path: Path | str | None = None) -> Config:
    """The configuration at `path` (the default one when None), each test's `params` checked against its kind."""
    return read_config(path, kinds=PARAMS)
