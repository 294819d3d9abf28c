"""Nested numbers as they reach the grader: their shape, their leaves, exact or float values, and what a bad one is.

The student's values arrive as plain data: nested lists whose leaves are JSON numbers (Python ints
of any size, floats), exact rationals read from text (`{"rational": [p, q]}` from the worker,
`Fraction` from a data file read here), or the worker's marker text `<not a number: ...>` for
anything else. Both questions read through this module (adder_weights.py, lstm_answer.py), so a
bad value is described in the same words everywhere. Everything here is iterative: a reply nested
deeper than any recursion limit is still only data.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

import numpy as np

from autograder.text import literal

# The one parent-side definition of the worker's marker (worker/inside/values.py writes it; tests check both agree).
_MARKER = re.compile(r"<not a number: (?:type '(?P<type>[^']*)'(?: with dtype (?P<dtype>.*))?|(?P<reason>.*))>\Z", re.S)
_PLAIN = re.compile(r"[\w ,.;:()'+-]{1,200}\Z")  # a reason shown as words; anything else is shown literally


def not_a_number(*, type_name: str | None = None, reason: str | None = None) -> str:
    """The marker that stands where a value is not a number: of a type, or for a reason."""
    return f"<not a number: type '{type_name}'>" if type_name is not None else f"<not a number: {reason}>"


def rational(value: Any) -> Fraction | None:
    """The exact value of a `{"rational": [p, q]}` object (q > 0), or None if `value` is not one."""
    if type(value) is not dict or set(value) != {"rational"}:
        return None
    pair = value["rational"]
    if type(pair) is not list or len(pair) != 2 or any(type(n) is not int for n in pair) or pair[1] <= 0:
        return None
    return Fraction(pair[0], pair[1])


def is_number(value: Any) -> bool:
    """Is this leaf a number (finite or not)? Booleans are not: `True` in a weight is an expression gone astray."""
    if isinstance(value, (bool, np.bool_)):
        return False
    return isinstance(value, (int, float, Fraction, np.integer, np.floating)) or rational(value) is not None


def is_finite(value: Any) -> bool:
    """Is this number finite? (Only floats can be NaN or infinite.)"""
    return not isinstance(value, (float, np.floating)) or math.isfinite(value)


def non_finite(value: Any) -> str:
    """How a number that is not finite is named to the student: "NaN", "infinity" or "minus infinity"."""
    if math.isnan(value):
        return "NaN"
    return "infinity" if value > 0 else "minus infinity"


def exact(value: Any) -> Fraction:
    """A finite number's exact value: integers as integers, floats as their exact binary value, rationals as written."""
    if isinstance(value, (float, np.floating)):
        return Fraction(*value.as_integer_ratio())  # exact for every width (long double too); raises for NaN, inf
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return Fraction(int(value))
    if isinstance(value, Fraction):
        return value
    found = rational(value)
    if found is None:
        raise TypeError(f"not a number: {type(value).__name__}")
    return found


def to_float(value: Any) -> float:
    """A number as the nearest float64 (too large: an infinity of its sign)."""
    if isinstance(value, (float, np.floating)):
        return float(value)
    number = exact(value)
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


def shape(value: Any) -> tuple[int, ...] | None:
    """The shape of nested lists, () for a single leaf, None when ragged (rows of different lengths)."""
    dims = []
    probe = value
    while isinstance(probe, (list, tuple)):
        dims.append(len(probe))
        if not probe:
            break
        probe = probe[0]
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, tuple)):
            if depth >= len(dims) or len(item) != dims[depth]:
                return None
            stack.extend((child, depth + 1) for child in item)
        elif depth != len(dims):
            return None
    return tuple(dims)


def flatten(value: Any) -> list[Any]:
    """The leaves of nested lists, in row-major order."""
    leaves, stack = [], [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            leaves.append(item)
    return leaves


def first_non_number(value: Any) -> tuple[tuple[int, ...], Any] | None:
    """The index and value of the first leaf (row-major) that is not a number, or None if every leaf is one."""
    stack: list[tuple[Any, int, int]] = [(value, 0, 0)]
    path: list[int] = []  # the index of the item being looked at (one entry per level)
    while stack:
        item, depth, index = stack.pop()
        if depth:
            del path[depth - 1 :]
            path.append(index)
        if isinstance(item, (list, tuple)):
            stack.extend((item[i], depth + 1, i) for i in reversed(range(len(item))))
        elif not is_number(item):
            return tuple(path), item
    return None


def reason(value: Any) -> str | None:
    """Why a value stands for no number, as the marker says (a reason shown as words, anything else
    literally), or None when `value` is not a marker with a reason."""
    marker = _MARKER.match(value) if isinstance(value, str) else None
    if marker is None or marker.group("reason") is None:
        return None
    why = marker.group("reason")
    return why if _PLAIN.match(why) else literal(why)


def describe(value: Any) -> tuple[str, str]:
    """What a non-number is, in the student's terms (Markdown, student text literal), and short advice ("" if none)."""
    if isinstance(value, (bool, np.bool_)):
        return f"{bool(value)} (a `bool`)", "; write 1 or 0"
    if value is None:
        return "None", ""
    if isinstance(value, str):
        marker = _MARKER.match(value)
        if marker and marker.group("dtype") is not None:
            return (
                f"an array of type {literal(marker.group('type'), limit=60)} holding "
                f"{literal(marker.group('dtype'), limit=60)}"
            ), "; use numbers"
        if marker and marker.group("type") is not None:
            kind = marker.group("type")
            if kind == "str":
                return "text (a `str`)", "; write the numbers without quotes"
            if kind == "bool":
                return "True or False (a `bool`)", "; write 1 or 0"
            if kind == "NoneType":
                return "None", ""
            return f"a value of type {literal(kind, limit=60)}", ""
        if marker:
            return f"not usable ({reason(value)})", ""
        return f"the text {literal(value, limit=30)}", "; write the numbers without quotes"
    return f"a value of type {literal(type(value).__name__, limit=60)}", ""
