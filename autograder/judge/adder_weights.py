"""The adder's weights as the student wrote them: read exactly from plain data, or a clear message per problem."""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction

import numpy as np

from autograder.judge import numbers
from autograder.record import Record, field
from autograder.text import literal

# name -> accepted shapes (the canonical one first), in the specification's order
SHAPES: dict[str, tuple[tuple[int, ...], ...]] = {
    "U": ((3, 2),),
    "W": ((3, 3),),
    "V": ((1, 3), (3,), (3, 1)),  # (3, 1): the column v of y = phi(v^T h + b_y)
    "b_h": ((3,), (3, 1), (1, 3)),
    "b_y": ((), (1,), (1, 1)),
}
ALIASES = {"V": "v"}  # course notes write the output weights as the vector v; `V` wins when both are defined
_PLAIN_NAME = re.compile(r"[\w./ -]{1,100}\Z")


def _exact_array(value: object, shape: tuple[int, ...]) -> np.ndarray:
    """Numbers as a read-only object array of exact Fractions, in `shape`."""
    leaves = np.asarray(value, dtype=object).ravel().tolist()
    flat = np.empty(len(leaves), dtype=object)
    flat[:] = [numbers.exact(leaf) for leaf in leaves]
    array = flat.reshape(shape)
    array.setflags(write=False)
    return array


_NARROW = (("float16", np.float16), ("float32", np.float32))


def printed(value: object) -> tuple[str, Fraction] | None:
    """A float whose printed decimal is not its exact value: its width ("float16", "float32" or "float64",
    the narrowest that holds it exactly) and the decimal it prints as (float16 0.1 is 0.0999755859375). The
    worker sends float16 and float32 values widened exactly, so the width is read from the value."""
    if not isinstance(value, (float, np.floating)) or not np.isfinite(value) or isinstance(value, np.longdouble):
        return None
    width, text = "float64", repr(float(value))
    for name, kind in _NARROW:
        with np.errstate(over="ignore"):  # too large for this width: infinity, which is not the value
            narrow = kind(value)
        if float(narrow) == float(value):
            width, text = name, np.format_float_positional(narrow, unique=True, trim="0")
            break
    decimal = Fraction(text)
    return None if decimal == numbers.exact(value) else (width, decimal)


class AdderWeights(Record, eq=False):
    """The network's weights exactly as written (arrays of Fractions) in the specification's canonical shapes.

    `printed` keeps, for every float whose printed decimal differs from its exact binary value, that
    decimal and the float's width, by (name, index in the flattened array): decisions use the exact
    values; a hint says when the rounding is what decided (adder_hints.py)."""

    U: np.ndarray  # (3, 2)
    W: np.ndarray  # (3, 3); W[i, j] is the weight from h_j^(t-1) to h_i^(t)
    V: np.ndarray  # (1, 3)
    b_h: np.ndarray  # (3,)
    b_y: Fraction
    printed: Mapping[tuple[str, int], tuple[str, Fraction]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        found: dict[tuple[str, int], tuple[str, Fraction]] = {}
        for name in ("U", "W", "V", "b_h", "b_y"):
            for index, leaf in enumerate(np.asarray(getattr(self, name), dtype=object).ravel().tolist()):
                rounded = printed(leaf)
                if rounded is not None:
                    found[(name, index)] = rounded
        object.__setattr__(self, "printed", found)
        for name, shape in (("U", (3, 2)), ("W", (3, 3)), ("V", (1, 3)), ("b_h", (3,))):
            object.__setattr__(self, name, _exact_array(getattr(self, name), shape))
        object.__setattr__(self, "b_y", _exact_array(self.b_y, (1,))[0])


def read_adder_weights(raw: Mapping[str, object], *, file_name: str = "adder.py") -> AdderWeights | str:
    """Turn the plain data collected from the student's adder file into weights, or say (markdown) what is wrong.

    Every problem is reported, one bullet each. Booleans are refused like text: `True` in a weight is
    almost always an expression such as `x > 0` gone astray, and reading it as 1 would hide that.
    """
    shown_file = file_name if _PLAIN_NAME.match(file_name) else literal(file_name)
    problems: list[str] = []
    missing = False
    arrays: dict[str, np.ndarray] = {}
    for name, accepted in SHAPES.items():
        written = name if name in raw or ALIASES.get(name) not in raw else ALIASES[name]
        if written not in raw:
            problems.append(f"`{name}` is missing: define it in {shown_file}")
            missing = True
            continue
        found = _problems(written, raw[written], accepted)
        if found:
            problems.extend(found)
        else:
            arrays[name] = raw[written]  # type: ignore[assignment]
    if problems:
        if missing and file_name.endswith(".py"):
            problems.append(  # the usual reason a name the student did write is not there
                "names are read from the top level of the file once it has run: a name set inside a function, or "
                'under `if __name__ == "__main__":`, is not seen'
            )
        return "\n".join(f"- {problem}" for problem in problems)
    return AdderWeights(**arrays)  # type: ignore[arg-type]


def _problems(name: str, value: object, accepted: tuple[tuple[int, ...], ...]) -> list[str]:
    """What is wrong with one weight, as a list of messages ([] when it is usable)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    bad = numbers.first_non_number(value)
    if bad is not None:
        where, item = bad
        what, advice = numbers.describe(item)
        why = numbers.reason(item)
        if not where and why is not None:  # unreadable as written (a LaTeX error, a number too large)
            return [f"`{name}` cannot be used: {why}"]
        if not where:
            return [f"`{name}` is not a number or a list of numbers: it is {what}{advice}"]
        return [f"`{name}` has a non-number at {_index(where)}: it is {what}{advice}"]
    shape = numbers.shape(value)
    if shape is None:
        return [f"`{name}` is a ragged list (its rows have different lengths), expected shape {_expected(accepted)}"]
    problems = []
    if shape not in accepted:
        transposed = ": did you transpose it?" if tuple(reversed(shape)) in accepted else ""
        found = (
            "is a single number"
            if shape == ()
            else f"has shape {shape}"
            if len(shape) <= 4
            else f"is nested {len(shape)} levels deep"
        )
        problems.append(f"`{name}` {found}, expected {_expected(accepted)}{transposed}")
    leaves = numbers.flatten(value)
    named = [numbers.non_finite(leaf) if not numbers.is_finite(leaf) else None for leaf in leaves]
    for what in ("NaN", "infinity", "minus infinity"):
        bad_places = [i for i, name in enumerate(named) if name == what]
        if not bad_places:
            continue
        if shape == ():
            problems.append(f"`{name}` is {what}: every weight must be a finite number")
            continue
        count = len(bad_places) - 1
        more = f" and {count} more place{'s' if count > 1 else ''}" if count else ""
        where = tuple(int(i) for i in np.unravel_index(bad_places[0], shape))
        problems.append(f"`{name}` contains {what} at {_index(where)}{more}: every weight must be a finite number")
    return problems


def _index(where: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(i)) for i in where) + "]"


def _expected(accepted: tuple[tuple[int, ...], ...]) -> str:
    if accepted[0] == ():
        return "a single number"
    names = [str(shape) for shape in accepted]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
