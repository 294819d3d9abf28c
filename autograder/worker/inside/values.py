"""Untrusted: the conversion of the student's values into plain JSON data (exact numbers, lists, dicts;
anything else a marker string), and of the task's arguments into fresh values for each call."""

from __future__ import annotations

import decimal
import types
from fractions import Fraction
from typing import Any

import numpy as np

from .guard import CallTimeout, type_name

tex: types.ModuleType | None = None  # the reader of answers.tex, set by the zygote (zygote.import_readers)
MAX_DEPTH = 64  # deeper nesting is not a number


def rebuild(obj: Any) -> Any:
    """Fresh arguments from the task's JSON: {"__array__": [...]} becomes a float64 array."""
    if type(obj) is dict:
        if len(obj) == 1 and "__array__" in obj:
            return np.array(obj["__array__"], dtype=np.float64)
        return {key: rebuild(value) for key, value in obj.items()}
    if type(obj) is list:
        return [rebuild(value) for value in obj]
    return obj


def not_a_number(obj: object, dtype: object = None, reason: str | None = None) -> str:
    """The one marker the worker writes where a value is not a number: "<not a number: type 'T'>", "... type
    'ndarray' with dtype D>", or "<not a number: REASON>". The grader reads it in judge/numbers.py."""
    what = (
        reason
        if reason is not None
        else f"type '{type_name(obj)}'" + (f" with dtype {dtype}" if dtype is not None else "")
    )
    return f"<not a number: {what}>"


def plain(obj: object, depth: int = 0) -> Any:
    """JSON-ready data: dicts with str keys, lists, exact numbers; anything else is a marker string.

    Only the base types' own methods are used, so an object whose __float__, __iter__, __eq__,
    __array__ or __class__ lies cannot change what is sent back.
    """
    try:
        return convert(obj, depth)
    except CallTimeout:
        raise
    except BaseException:
        return not_a_number(obj)


def convert(obj: Any, depth: int) -> Any:
    """Numbers exactly: integers of any size as JSON integers, floats as their exact binary value
    (JSON's float repr round-trips), wider floats as {"rational": [p, q]}."""
    kind = type(obj)
    if depth > MAX_DEPTH or issubclass(kind, (bool, np.bool_)):
        return not_a_number(obj)
    if issubclass(kind, (np.ndarray, np.generic)):
        array = np.array(obj, copy=True, subok=False)
        if type(array) is np.ndarray and array.dtype.kind == "O":  # any objects (Fractions; None at index 0):
            return convert(array.tolist(), depth + 1)  # each read as itself; tolist calls nothing of theirs
        if type(array) is not np.ndarray or array.dtype.kind not in "iuf":
            if issubclass(kind, np.generic):
                return not_a_number(obj)
            return not_a_number(obj, dtype=array.dtype)
        if array.dtype.kind in "iu" or array.dtype.itemsize <= 8:
            exact = array if array.dtype.kind in "iu" else array.astype(np.float64)  # float16/32 widen exactly
            return exact.tolist()  # Python ints and floats
        wide = np.frompyfunc(wide_float, 1, 1)(array)  # long double: more bits than a float64
        return wide.tolist() if type(wide) is np.ndarray else wide
    if issubclass(kind, int):
        return whole_number(int.__index__(obj))
    if issubclass(kind, float):
        return float.__float__(obj)
    if issubclass(kind, Fraction):  # exact numbers read from answers.tex: 0.1 is one tenth
        numerator, denominator = int.__index__(obj.numerator), int.__index__(obj.denominator)
        if denominator <= 0:
            return not_a_number(obj)
        return {"rational": [numerator, denominator]}
    if issubclass(kind, decimal.Decimal):  # exact, like a Fraction, once its size is known to be a number's
        return exact_decimal(obj)
    if issubclass(kind, dict):
        return {
            str.__str__(key): plain(value, depth + 1) for key, value in dict.items(obj) if issubclass(type(key), str)
        }
    if issubclass(kind, list):
        return [plain(item, depth + 1) for item in list.__iter__(obj)]
    if issubclass(kind, tuple):
        return [plain(item, depth + 1) for item in tuple.__iter__(obj)]
    if tex is not None and kind is tex.Unreadable:  # answers.tex's reader says where and why, in the marker
        return str.__str__(obj)
    return not_a_number(obj)


MAX_DIGITS = 4000  # an integer longer than this is not a weight (and JSON readers refuse beyond 4300 digits)


def whole_number(value: int) -> int | str:
    """An int exactly, unless it is too long to be a number anyone meant."""
    if value.bit_length() > MAX_DIGITS * 3.33:  # log2(10) < 3.33: every int of MAX_DIGITS digits passes
        return not_a_number(value, reason=f"a whole number of more than {MAX_DIGITS} digits")
    return value


def exact_decimal(value: decimal.Decimal) -> float | str | dict[str, list[int]]:
    """A decimal.Decimal exactly: {"rational": [p, q]} when finite, else the float NaN or infinity; one with
    more digits, or a larger exponent, than a number anyone meant is a marker (never expanded)."""
    if not decimal.Decimal.is_finite(value):
        return float("nan") if decimal.Decimal.is_nan(value) else float(decimal.Decimal.__float__(value))
    digits = len(decimal.Decimal.as_tuple(value).digits)
    if digits > MAX_DIGITS or abs(decimal.Decimal.adjusted(value)) > MAX_DIGITS:
        return not_a_number(value, reason=f"a decimal of more than {MAX_DIGITS} digits")
    numerator, denominator = decimal.Decimal.as_integer_ratio(value)
    return {"rational": [int(numerator), int(denominator)]}


def wide_float(value: Any) -> float | dict[str, list[int]]:
    """A long double exactly: {"rational": [p, q]} when finite, else the float NaN or infinity."""
    if not np.isfinite(value):
        return float(value)
    numerator, denominator = value.as_integer_ratio()
    return {"rational": [int(numerator), int(denominator)]}
