"""The worker's own conversions, for the judges' tests: values made plain by the worker (inside/values.py) and
carried to the grader the way a real reply is."""

import json

from autograder.worker.inside.values import plain, rebuild
from autograder.worker.inside.wire import parse_reply


def crossed(value):
    """A value as the grader receives it: made plain by the worker, written as its reply line is, and read
    as the sandbox reads it (integers bounded in length, nesting in depth)."""
    reply = parse_reply(json.dumps({"value": plain(value)}, allow_nan=True, separators=(",", ":")).encode())
    assert reply is not None, "the worker's reply is not data"
    return reply["value"]


def arguments(call):
    """A call's arguments as the student's function receives them, in order: the grader's JSON task (no NaN
    allowed) rebuilt by the worker."""
    return tuple(rebuild(json.loads(json.dumps(call, allow_nan=False))).values())
