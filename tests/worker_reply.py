"""The worker's own conversions, for the judges' tests: worker/inside.py loaded from its path (one standalone
file, as the worker runs it), and values carried to the grader the way a real reply is."""

import importlib.util
import json

from autograder.worker.protocol import parse_reply
from conftest import ROOT

_spec = importlib.util.spec_from_file_location("inside", ROOT / "autograder" / "worker" / "inside.py")
inside = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(inside)


def crossed(value):
    """A value as the grader receives it: made plain by the worker, written as its reply line is, and read
    as the sandbox reads it (integers bounded in length, nesting in depth)."""
    reply = parse_reply(json.dumps({"value": inside.plain(value)}, allow_nan=True, separators=(",", ":")).encode())
    assert reply is not None, "the worker's reply is not data"
    return reply["value"]


def arguments(call):
    """A call's arguments as the student's function receives them, in order: the grader's JSON task (no NaN
    allowed) rebuilt by the worker."""
    return tuple(inside.rebuild(json.loads(json.dumps(call, allow_nan=False))).values())
