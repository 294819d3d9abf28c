"""Tests of how collect frames a task's failure in the student's terms."""

import pytest

from autograder.collect import collect
from autograder.locate import Located
from autograder.worker.limits import Limits
from autograder.worker.sandbox import TaskResult

TOO_MANY = "sent more values back than the grader reads (200,000 numbers, texts, lists and dicts; 20,000 lists)"


class Replying:
    """A stand-in sandbox whose every task ends as given."""

    def __init__(self, result: TaskResult):
        self.result = result

    def run(self, task, files, limits, **options):
        return self.result


@pytest.mark.parametrize(
    ("result", "says"),
    [
        (TaskResult([], "", TOO_MANY), f"Your `adder.py` {TOO_MANY}."),
        (TaskResult([], "", "timed out after 10 s"), "Your `adder.py` timed out after 10 s."),
        (TaskResult([], "", "used more than 500 MB of memory"), "Your `adder.py` used more than 500 MB of memory."),
        (TaskResult([{"error": "timed out after 5 s"}], "", None), "timed out after 5 s"),
        (TaskResult([{"error": "Importing adder.py failed:\nSyntaxError"}], "", None), "Importing adder.py failed"),
    ],
)
def test_an_adder_that_gave_no_weights_is_never_said_to_have_failed_to_load(result, says):
    """Only the worker knows that the import failed (and says "Importing adder.py failed"): a file that sent
    too much back, hung or ran out of memory may well have loaded, so the frame claims only what is true."""
    located = Located(files={"adder.py": b"U = 1\n"}, notes=())
    python, *_ = collect(located, calls=[], sandbox=Replying(result), limits=Limits())
    assert isinstance(python.adder, str)
    assert python.adder.startswith("The weights (U, V, W, b_h, b_y) could not be read from your `adder.py`:")
    assert says in python.adder
    assert "could not be loaded" not in python.adder


def test_a_call_is_keyed_by_its_arguments_once_per_call_object(monkeypatch):
    """Equal arguments, one key; a prepared call asked again (every judge does) is not written out again."""
    from autograder import collect as module

    written = []
    monkeypatch.setattr(module.json, "dumps", lambda value, **options: written.append(value) or repr(sorted(value)))
    call = {"x": [1.0, 2.0], "weights": {"w_ix": 0.5}}
    first = module.call_key(call)
    assert module.call_key(call) == first and len(written) == 1
    assert module.call_key(dict(call)) == first and len(written) == 2  # another object: keyed on its own
    monkeypatch.setattr(module, "KEYS_KEPT", 0)  # full: a new call's key clears what is kept
    module.call_key({"x": [3.0]})
    assert module.call_key(call) == first and len(written) == 4
