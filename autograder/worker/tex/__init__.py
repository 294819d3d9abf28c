"""Read answers.tex: question 1's matrices and question 2's equations, as a student module would define them.

`load(path)` returns a module whose names are what the file answers: `U`, `V`, `W`, `b_h`, `b_y`
as exact numbers (int, or fractions.Fraction for decimals and fractions: 0.1 is one tenth), or a
"<not a number: line N, column M: …>" text where a value cannot be read; and `lstm_bptt`, a
callable with the specified signature whose result is an `Evaluated` dict (the keys a student's
function returns) with `notes` and `remarks`. The worker sends them beside the value:

    {"value": {"h": [...], ..., "w_ix": x}, "notes": {"c": "line 12, column 5: …"}, "remarks": ["…"]}

A key in "notes" cannot be graded, for the reason given (a reading error, a circular definition,
no equation). If the key is also in "value", that value is a stand-in (1 at every step): the
answers built on it were computed from it, so they can earn carried-forward credit as beside a
wrong value; a key absent from "value" is missing, and so is what needs it. "remarks" are other
things worth saying (a definition given twice: the last counts).
"""

import types

if __name__.startswith("autograder."):  # in the grader; the worker's private copy has vendor/ on its path
    from autograder import vendor  # noqa: F401

from .answers import ADDER_NAMES, Answers, Unreadable
from .document import DocumentError, decode, read_document
from .equations import Equations, Evaluated

__all__ = ["CannotRead", "Evaluated", "Unreadable", "load", "read"]


class CannotRead(ValueError):
    """The whole file cannot be read (past a bound of the reader); the message is for the student as it is."""


def read(data: bytes, name: str = "answers.tex") -> types.ModuleType:
    """The answers of a LaTeX file's bytes, as a module; a file that cannot be read at all raises CannotRead."""
    try:
        answers = Answers(read_document(decode(data)))
    except DocumentError as error:
        raise CannotRead(f"{name} cannot be read: {error}") from None
    module = types.ModuleType(name.rsplit(".", 1)[0])
    module.__file__ = name
    for adder_name in ADDER_NAMES:  # the template's `?` alone answers nothing: decided by content, not bytes
        if adder_name in answers.adder and answers.adder_filled:
            setattr(module, adder_name, answers.adder[adder_name])
    if answers.has_equations:
        module.lstm_bptt = Equations(answers)  # type: ignore[attr-defined]
    return module


def load(path: str) -> types.ModuleType:
    with open(path, "rb") as stream:
        data = stream.read(2_000_000)
    return read(data, path.replace("\\", "/").rsplit("/", 1)[-1])


def warm_up() -> None:
    """Read and evaluate a small answers.tex once, so every module the reader uses is loaded."""
    module = read(
        b"$U = \\begin{bmatrix} 1 & \\frac12 \\end{bmatrix}$ $\\overline{h^{(t)}} = \\sigma'(x^{(t)})"
        b" \\tanh(h^{(t-1)})$ $\\overline{w_{ix}} = \\sum_t \\overline{h^{(t)}}$ \\begin{cases}"
    )
    zeros = [0.0, 0.0]
    module.lstm_bptt(zeros, {"w_ix": 0.0}, {key: zeros for key in "ifogch"}, zeros)
