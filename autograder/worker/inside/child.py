"""Untrusted: what the child does once the student's code may run. It reads the task, loads the student's
file (or runs a notebook's cells), calls their function, and sends one JSON object per line on REPLY_FD;
the student's stdout and stderr go to the output pipe."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import sys
import types
from collections.abc import Callable
from typing import Any, NoReturn

from . import values
from .guard import Describer, guarded, type_name
from .notebook import run_notebook
from .values import plain, rebuild
from .wire import MAX_REPLY_CONTAINERS, MAX_REPLY_VALUES, REPLY_FD, Room, Task, count_values, write_text


class Replies:
    """The reply pipe. Only the task's own process speaks: a forked copy that gets here exits."""

    def __init__(self, limit: int) -> None:
        self.owner = os.getpid()
        self.limit = limit
        self.room = Room()  # as the grader counts what it reads: a value that would not fit is an error

    def send(self, obj: dict[str, Any]) -> None:
        if os.getpid() != self.owner:
            os._exit(0)
        text = json.dumps(obj, allow_nan=True, separators=(",", ":"))
        if len(text) >= self.limit and "value" in obj:
            text = json.dumps(
                {"error": f"returned a value too large to send back ({len(text)} bytes, limit {self.limit})"}
            )
        elif "value" in obj and not self.room.fits(text.encode()):
            values, containers = count_values(json.dumps(obj["value"], allow_nan=True).encode())
            text = json.dumps(
                {
                    "error": f"returned a value too large to send back ({values} values, {containers} of them lists "
                    f"and dicts; limits {MAX_REPLY_VALUES} and {MAX_REPLY_CONTAINERS} for all the calls together)"
                }
            )
        self.room.take(text.encode())
        try:
            write_text(REPLY_FD, text)
        except OSError:
            os._exit(1)  # the grader stopped listening


def run_task(task: Task, folder: str) -> None:
    """Answer the task's requests in order, then leave without running anyone's exit hooks."""
    replies = Replies(int(task["reply_bytes"]))  # the sandbox sends every limit: no default of its own here
    try:
        seconds = float(task["call_seconds"])
        described = Describer(folder, task["memory_mb"])
        path = os.path.join(folder, task["module"])
        if path.endswith(".ipynb"):
            ok, module = run_notebook(path, seconds, float(task.get("cells_seconds", seconds)), described, replies)
            module_error = None if ok else module
        else:
            ok, module = guarded(
                lambda: load(path), seconds, lambda exc: import_failure(task["module"], exc, described)
            )
            module_error = None if ok else module
        if "names" in task:  # a "names" task, or a "call" task that also asks for names (a notebook's)
            if module_error is None:
                ok, names = guarded(lambda: module_names(module, task["names"]), seconds, described)
                replies.send({"names": names} if ok else {"error": names})
            else:
                replies.send({"error": module_error})
        if task["task"] == "call":
            function = None
            if module_error is None:
                function, module_error = find_function(module, task["module"], task["function"])
            timed_out = None
            for arguments in task["calls"]:
                if function is None or timed_out:
                    replies.send({"error": module_error or f"not called: an earlier call {timed_out}"})
                    continue
                ok, value = guarded(functools.partial(answer, function, arguments), seconds, described)
                replies.send(value if ok else {"error": value})
                if not ok and value.startswith("timed out"):
                    timed_out = value  # a function that hangs once would hang again: bound the task by one call
        replies.send({"done": True})
    except BaseException as exc:  # the worker's own failure, or the student broke it
        out_of_memory = isinstance(exc, MemoryError)
        replies.send({"fatal": "ran out of memory" if out_of_memory else f"the worker failed: {type(exc).__name__}"})
    finish()


def finish() -> NoReturn:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()  # type: ignore[union-attr]  # a None stream raises, and is passed
        except BaseException:
            pass
    os._exit(0)


def answer(function: Callable[..., object], arguments: dict[str, Any]) -> dict[str, Any]:
    """One call's reply: {"value": plain}; for equations read from answers.tex also {"notes": {key: why
    that key cannot be graded}} and {"remarks": [text]} (see tex/__init__.py)."""
    result: Any = function(*rebuild(arguments).values())  # positionally: (x, weights, forward, dL_dh)
    reply: dict[str, Any] = {"value": plain(result)}
    if values.tex is not None and type(result) is values.tex.Evaluated:
        reply["notes"] = {str(key): str(note) for key, note in result.notes.items()}
        if result.remarks:
            reply["remarks"] = [str(remark) for remark in result.remarks]
    return reply


def import_failure(name: str, exc: BaseException, described: Callable[[BaseException], str]) -> str:
    """Why the student's file could not be loaded: answers.tex past a bound of its reader says so plainly
    (no exception name, no frames: the reader is ours); anything else is described as it was raised."""
    if values.tex is not None and isinstance(exc, values.tex.CannotRead):
        return str(exc)
    return f"Importing {name} failed:\n{described(exc)}"


def load(path: str) -> types.ModuleType:
    """Import the student's file under its own name (never from an import path); answers.tex is read."""
    if path.endswith(".tex"):
        if values.tex is None:
            raise ImportError("the reader of answers.tex is missing from the worker")
        module: types.ModuleType = values.tex.load(path)
        return module
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {os.path.basename(path)}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def module_names(module: types.ModuleType, names: list[str]) -> dict[str, Any]:
    namespace = vars(module)
    return {name: plain(namespace[name]) for name in names if name in namespace}


def find_function(
    module: types.ModuleType, file_name: str, name: str
) -> tuple[Callable[..., object], None] | tuple[None, str]:
    """(the function, None) or (None, why it cannot be called)."""
    function = vars(module).get(name)
    if function is None:
        return None, f"{file_name} defines no function named '{name}'."
    if not callable(function):
        return None, f"'{name}' in {file_name} is not a function (it is of type '{type_name(function)}')."
    return function, None
