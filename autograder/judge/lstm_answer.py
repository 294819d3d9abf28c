"""A question-2 answer as the student's function returned it: read from plain data, or why each key cannot be used.

Reading is separate from judging (lstm.py) and shares the one reader of nested numbers
(numbers.py) with question 1: every real number the worker can send (an int of any size, a float,
a long double or Fraction as `{"rational": [p, q]}`) is read as its value, and a bad value (NaN,
an infinity, a complex, text, None) is described in the same words as in question 1. Index 0 of
every array is the unused step: whatever it holds is ignored (docs/spec.md 5.1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autograder.judge import numbers
from autograder.judge.lstm_problem import CALL_ORDER, QUANTITIES, Problem
from autograder.record import Record
from autograder.text import literal, literal_block

KEYS_TEXT = "h, c, g, o, f, i and w_ix"
SIGNATURE = "lstm_bptt(" + ", ".join(CALL_ORDER) + ")"
_TIMEOUT = re.compile(r"timed out after ([0-9.]+) s")
_NOT_FOUND = re.compile(r"\S+ defines no function named '|'[^']*' in \S+ is not a function \(")  # child.py's words


class Answer(Record):
    """One reply, read: each usable key's value (a float64 array over t = 0..T, index 0 set to 0, or
    w_ix's number), and for every other key why it cannot be used (a sentence naming the problem)."""

    values: Mapping[str, Any]
    problems: Mapping[str, str]
    of_the_reply: frozenset[str] = frozenset()  # keys whose problem is the whole reply's (said once for all)


def where(problem: Problem, index: int) -> str:
    """How messages name a problem: "problem 2 (seed 1014, T = 3)"."""
    return f"problem {index + 1} (seed {problem.seed}, T = {problem.length})"


def read_replies(
    problems: Sequence[Problem], replies: Sequence[Mapping[str, Any]], memo: dict[Any, Any] | None = None
) -> list[Answer]:
    """Read every reply once: exact length T+1, numbers only, finite at the graded steps. With a `memo`, the
    same replies to the same problems (the very objects: every bar's test reads them) are read only once."""
    if len(problems) != len(replies):
        raise ValueError(f"{len(replies)} replies for {len(problems)} problems")
    key = ("answers", *map(id, problems), *map(id, replies))
    if memo is not None and key in memo:
        return list(memo[key][1])
    answers = [
        read_answer(problem, reply, where(problem, index))
        for index, (problem, reply) in enumerate(zip(problems, replies, strict=True))
    ]
    if memo is not None:
        memo[key] = ((tuple(problems), tuple(replies)), tuple(answers))  # holding them, so that their ids stay theirs
    return answers


def read_answer(problem: Problem, reply: Mapping[str, Any], place: str) -> Answer:
    """Read one reply; `place` names the problem in messages ("problem 2 (seed 1014, T = 3)")."""
    if not isinstance(reply, Mapping) or "value" not in reply:
        text = str(reply.get("error", "no answer")) if isinstance(reply, Mapping) else "no answer"
        message = _failure(text, place, problem.length)
        return Answer({}, dict.fromkeys(QUANTITIES, message), frozenset(QUANTITIES))
    result = reply["value"]
    if not isinstance(result, Mapping) or numbers.rational(result) is not None:
        message = f"your function returned {_what(result)} on {place}; expected a dict with keys {KEYS_TEXT}."
        return Answer({}, dict.fromkeys(QUANTITIES, message), frozenset(QUANTITIES))
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    missing = [key for key in QUANTITIES if key not in result]
    if missing:
        has = ", ".join(literal(str(key)) for key in list(result)[:12]) + (", …" if len(result) > 12 else "")
        keys = f"key '{missing[0]}'" if len(missing) == 1 else "keys " + ", ".join(f"'{key}'" for key in missing)
        message = f"the dict your function returned on {place} has no {keys}; expected keys {KEYS_TEXT}" + (
            f" (it has {has})." if result else " (it is empty)."
        )
        problems.update(dict.fromkeys(missing, message))
    for key in QUANTITIES:
        if key in missing:
            continue
        read = _read_number(result[key], place) if key == "w_ix" else _read_array(result[key], problem.length, place)
        if isinstance(read, str):
            problems[key] = read
        else:
            values[key] = read
    notes = reply.get("notes")  # answers.tex: why an equation cannot be graded (autograder/worker/tex/__init__.py)
    for key, note in notes.items() if isinstance(notes, Mapping) else ():
        if key in QUANTITIES and isinstance(note, str):  # a value beside it is a stand-in, kept in `values` as
            problems[key] = f"your equation cannot be graded:\n\n{literal_block(note)}"  # the others' upstream bar
    return Answer(values, problems, frozenset(missing))


def _failure(text: str, place: str, length: int) -> str:
    """Why a call gave no value, in the student's terms: a file that could not be imported or holds no such
    function is said as such (no problem was reached), a timeout and a call that does not fit the signature say
    what usually causes them; the worker's text is always shown literally."""
    importing = text.startswith("Importing ")  # the worker's words when the import itself failed
    timeout = _TIMEOUT.search(text)
    if timeout:
        seconds = timeout.group(1)
        if text.startswith("not called"):
            what = f"your function was not called on {place}: an earlier call timed out after {seconds} s"
        elif importing:
            what = f"importing your file timed out after {seconds} s, before any call of your function"
        else:  # the worker's words for the import and for a call alike ("timed out after 5 s")
            what = f"your code timed out after {seconds} s on {place}"
        return (
            f"{what}: it did not finish. This usually "
            f"means an endless loop (a `while` whose condition never changes), a loop over a huge range (here "
            f"`len(x)` is T+1 = {length + 1}), or waiting for input (`input()` waits forever). Check the bounds of "
            f"each loop, and what runs when the file is imported (everything outside a function)."
        )
    if importing:
        return f"your file could not be imported, so your function was never called:\n\n{literal_block(text)}"
    if _NOT_FOUND.match(text):
        return f"your function was never called:\n\n{literal_block(text)}"
    if text.startswith("TypeError:"):  # raised at the call itself: the worker shows no frame of the student's file
        return (
            f"your function could not be called as `{SIGNATURE}` on {place}:\n\n{literal_block(text)}\n\n"
            f"It is called with four positional arguments, in this order: define it as `def lstm_bptt(x, "
            f"weights, forward, dL_dh):` (the parameter names are yours to choose; no other parameter may be "
            f"required)."
        )
    return f"your function failed on {place}:\n\n{literal_block(text)}"


def _what(value: Any) -> str:
    """What a returned value is, in a few words: a number by its value, a container by its kind, anything
    else as question 1 describes it (numbers.describe)."""
    if numbers.is_number(value):
        return f"the number {numbers.to_float(value):.4g}"
    if isinstance(value, list):
        return "a list or tuple"  # the worker sends both as lists
    if isinstance(value, Mapping):
        return "a dict"
    what, advice = numbers.describe(value)
    return what + advice


def _unusable(leaf: Any) -> tuple[str, str] | None:
    """Why a leaf cannot be graded as a number, and what it is (("not a number", "None")), or None when it
    can: as its value rounded to float64, which a finite number beyond the float64 range cannot be."""
    if not numbers.is_number(leaf):
        what, advice = numbers.describe(leaf)
        return "not a number", what + advice
    if not numbers.is_finite(leaf):
        return "not finite", numbers.non_finite(leaf)
    if math.isinf(numbers.to_float(leaf)):
        return "too large", "a number beyond the range of a float (about ±1.8e308)"
    return None


def _unwrap(value: Any, *, rows: bool = False) -> Any:
    """A value without one-element list wrappers: [[v]] is v; with `rows`, only lists around a list are
    removed ([[v0, v1, ...]] is [v0, v1, ...], [v] stays a list of one number)."""
    while isinstance(value, list) and len(value) == 1 and (not rows or isinstance(value[0], list)):
        value = value[0]
    return value


def _read_array(value: Any, length: int, place: str) -> np.ndarray | str:
    """T+1 values over t = 0..T (a row or column is fine); index 0 is ignored whatever it holds."""
    wanted = f"expected a list or array of T+1 = {length + 1} numbers (index 0 to T = {length}) on {place}"
    value = _unwrap(value, rows=True)
    if not isinstance(value, list):
        return f"{wanted}, got {_what(value)}."
    if len(value) != length + 1:
        shape = numbers.shape(value)
        if shape is not None and len(shape) > 1 and shape[1:] != (1,) * (len(shape) - 1):
            return f"{wanted}, got an array of shape {shape}."
        note = (
            " Index t holds the value at time t, so index 0 must be there too (it is not graded)."
            if len(value) == length
            else ""
        )
        return f"{wanted}, got {_count(len(value))}.{note}"
    if all(type(item) is float for item in value[1:]):  # the usual reply: plain floats, read at once if all finite
        array = np.array([0.0, *value[1:]], dtype=np.float64)
        if np.isfinite(array).all():
            return array
    items = [_unwrap(item) for item in value[1:]]
    if any(isinstance(item, list) for item in items):
        shape = numbers.shape(value)
        return f"{wanted}, got " + (f"an array of shape {shape}." if shape else "nested lists of different lengths.")
    for t, item in enumerate(items, start=1):
        why = _unusable(item)
        if why is not None:
            return f"{why[0]} at t = {t} on {place}: got {why[1]}."
    return np.array([0.0] + [numbers.to_float(item) for item in items], dtype=np.float64)


def _read_number(value: Any, place: str) -> float | str:
    shape = numbers.shape(value)
    items = numbers.flatten(value) if shape is not None else []
    if shape is None or len(items) != 1:
        count = _count(len(items)) if shape is not None else "nested lists of different lengths"
        return f"expected a single number on {place}, got {count}."
    why = _unusable(items[0])
    if why is not None:
        return f"{why[0]} on {place}: got {why[1]}."
    return numbers.to_float(items[0])


def _count(count: int) -> str:
    return f"{count} number" + ("" if count == 1 else "s")
