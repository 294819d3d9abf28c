"""Run the student's files in the worker and bring back plain data: the adder's names, the LSTM answers."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import yaml

from autograder.locate import Located
from autograder.worker.sandbox import Limits, Sandbox, TaskResult

ADDER_NAMES = ("U", "V", "W", "b_h", "b_y")
LSTM_FUNCTION = "lstm_bptt"


@dataclass(frozen=True)
class Collected:
    """What came back from the student's files, as plain data, or why nothing did (in the student's terms)."""

    adder: Mapping[str, Any] | str
    adder_file: str = "adder.py"  # the file the adder's names came from (adder.py, adder.yaml or adder.json)
    replies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # call key -> {"value": ...} | {"error": ...}
    lstm_problem: str | None = None
    output: str = ""  # what the student's code printed (shown to instructors only)

    def reply(self, call: Mapping[str, Any]) -> Mapping[str, Any]:
        """The reply to one call of the student's function."""
        return self.replies[call_key(call)]


def call_key(call: Mapping[str, Any]) -> str:
    """A call's identity: calls with equal arguments are made once."""
    return json.dumps(call, sort_keys=True)


def collect(located: Located, *, calls: Sequence[Mapping[str, Any]], sandbox: Sandbox, limits: Limits) -> Collected:
    """Collect both questions at once: each runs in its own worker task, side by side."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        adder = pool.submit(_collect_adder, located, sandbox, limits)
        lstm = pool.submit(_collect_calls, located, calls, sandbox, limits)
        (adder_data, adder_output), (replies, lstm_problem, lstm_output) = adder.result(), lstm.result()
    output = "".join(f"--- output of {name} ---\n{text}\n" for name, text in
                     (("adder.py", adder_output), ("lstm_bptt.py", lstm_output)) if text)
    return Collected(adder=adder_data, adder_file=located.first("adder") or "adder.py", replies=replies,
                     lstm_problem=lstm_problem, output=output)


def _collect_adder(located: Located, sandbox: Sandbox, limits: Limits) -> tuple[Mapping[str, Any] | str, str]:
    name = located.first("adder")
    if name is None:
        return "No `adder.py` (or `adder.yaml` / `adder.json`) was found in your submission.", ""
    if not name.endswith(".py"):
        return _read_data_file(name, located.files[name]), ""
    task = {"task": "names", "module": name, "names": list(ADDER_NAMES)}
    result = sandbox.run(task, {name: located.files[name]}, limits)
    if result.replies and "names" in result.replies[0] and isinstance(result.replies[0]["names"], dict):
        return result.replies[0]["names"], result.output
    problem = _task_problem(name, result).replace("`" * 3, "'" * 3)
    return f"Your `{name}` could not be loaded:\n\n```\n{problem}\n```", result.output


def _collect_calls(located: Located, calls: Sequence[Mapping[str, Any]], sandbox: Sandbox,
                   limits: Limits) -> tuple[dict[str, Mapping[str, Any]], str | None, str]:
    name = located.first("lstm")
    if name is None:
        return {}, "No `lstm_bptt.py` was found in your submission.", ""
    unique = list({call_key(call): call for call in calls}.items())
    if not unique:
        return {}, None, ""
    task = {"task": "call", "module": name, "function": LSTM_FUNCTION, "call_seconds": limits.call_seconds,
            "calls": [call for _, call in unique]}
    result = sandbox.run(task, {name: located.files[name]}, limits)
    answers = [reply for reply in result.replies if "value" in reply or "error" in reply]
    replies = {key: answers[index] if index < len(answers) else {"error": _task_problem(name, result)}
               for index, (key, _) in enumerate(unique)}
    return replies, None, result.output


def _task_problem(name: str, result: TaskResult) -> str:
    """Why the worker gave no (further) answer, in the student's terms."""
    last = result.replies[-1] if result.replies else {}
    for key in ("error", "fatal"):
        if isinstance(last.get(key), str):
            return last[key]
    if result.failure:
        return f"Your `{name}` {result.failure}."
    return f"Your `{name}` gave no answer."


def _read_data_file(name: str, content: bytes) -> Mapping[str, Any] | str:
    """Parse adder.yaml / adder.json here in the trusted process: it is data, never code."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return f"`{name}` is not UTF-8 text; save it as UTF-8."
    try:
        data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        return f"`{name}` could not be read: {first_line}"
    if not isinstance(data, dict):
        return f"`{name}` must map the names {', '.join(ADDER_NAMES)} to their values."
    budget = [10_000]
    return {key: _plain(value, budget) for key, value in data.items() if key in ADDER_NAMES}


def _plain(value: Any, budget: list[int]) -> Any:
    """Numbers and nested lists as they are; anything else becomes the worker's "<not a number: ...>" text."""
    budget[0] -= 1
    if budget[0] < 0:
        return "<not a number: too large>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, list):
        return [_plain(item, budget) for item in value]
    return f"<not a number: type '{type(value).__name__}'>"
