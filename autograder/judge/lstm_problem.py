"""The numbers a question-2 problem is judged from: the call, the truth, and each equation as an affine map.

For a fixed problem, the right equation of every quantity is affine in the bars it is built from:

    own[t] = direct[t] + sum over terms (child, offset, coef):  coef[t] * bar_child[t + offset],   t = 1..T

(for `w_ix` the same terms, summed over t; `direct` is dL/dh^(t) for h and 0 elsewhere). A
catalogued mistake edits that equation, and for a fixed problem its edit is affine too. So a
`Problem` holds only numbers: the call's arguments, the truth, and the coefficients of each
quantity's right equation and of each catalogued mistake. The builder (lstm_model.py: finite
differences, complex step, chain rule) computes them; the judge (lstm.py) only reads them and never
imports the builder, so the student kit ships the judge with the numbers of its visible problems
and no solver (docs/spec.md 5.5): nothing here computes a bar for any other problem.

`Problem.to_data()` gives plain JSON-able data and `Problem.from_data()` reads it back exactly:

    {"seed": 1007, "length": T,
     "arguments": {"x": [T+1 floats], "weights": {"w_ix": float, ... 8 names},
                   "forward": {"i" "f" "o" "g" "c" "h": [T+1 floats]}, "dL_dh": [T+1 floats]},
     "truth": {"h" "c" "g" "o" "f" "i": [T floats, t = 1..T], "w_ix": float},
     "equations": {"h" ... "i" "w_ix": EQUATION},          (empty for part (c)'s demonstration)
     "mistakes": [{"name": str, "quantity": str, "hint": str, "equation": EQUATION}, ...]}
    EQUATION = {"direct": [T floats], "total": bool (true for w_ix: summed over t),
                "terms": [{"child": "i", "offset": 1, "coef": [T floats, t = 1..T]}, ...]}

A coefficient is 0 where t + offset lies beyond T. This module also holds the checks' YAML
parameters, which the judge and the builder share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from autograder.record import Record, field

GRADED = ("h", "c", "g", "o", "f", "i")  # the bars of question 2(a), in the order of the handout
QUANTITIES = GRADED + ("w_ix",)  # every graded quantity: the bars, then w_ix of question 2(b)
FORWARD_KEYS = ("i", "f", "o", "g", "c", "h")  # the keys of the student's `forward` argument
WEIGHT_NAMES = ("w_ix", "w_ih", "w_fx", "w_fh", "w_ox", "w_oh", "w_gx", "w_gh")
CALL_ORDER = ("x", "weights", "forward", "dL_dh")  # the student's function is called positionally, in this order


def _param(default: Any, doc: str) -> Any:
    return field(default=default, metadata={"doc": doc})


class LstmParams(Record):
    """The YAML `params` of the LSTM checks: the problems and the grading rule (every default here)."""

    seeds: tuple[int, ...] = _param(
        (1007, 1014, 1016, 1003, 1618),
        "Random seeds, one problem per seed (shown to students); the defaults give |c| of order 1.",
    )
    lengths: tuple[int, ...] = _param(
        (1, 3, 6, 15, 50), "The sequence length T of each problem, in the order of `seeds`."
    )
    carried_forward_credit: float = _param(
        1.0,
        "The share of a quantity's points earned when its own equation holds with the student's own "
        "values of the bars it is built from, but those are wrong (error carried forward).",
    )
    rtol: float = _param(
        1e-5,
        "A value passes when |actual - expected| <= rtol * (the largest |expected| of that quantity "
        "in that problem) + atol; `expected` is always the truth, never a value the student gave.",
    )
    atol: float = _param(1e-9, "The absolute part of the tolerance (tiny: it matters only for a quantity near 0).")
    fd_step: float = _param(1e-5, "The step of the finite differences that measure the truth (see lstm_model.py).")
    weight_range: tuple[float, ...] = _param(
        (0.5, 1.5), "Each weight's magnitude is drawn uniformly from this range, its sign at random."
    )
    input_scale: float = _param(1.0, "The standard deviation of the inputs x^(t).")
    initial_h_range: tuple[float, ...] = _param(
        (0.2, 0.8), "|h^(0)| is drawn uniformly from this range, its sign at random."
    )
    initial_c_range: tuple[float, ...] = _param(
        (0.5, 1.5), "|c^(0)| is drawn uniformly from this range, its sign at random."
    )
    loss_linear: float = _param(
        1.0, "The loss is sum_t a_t h^(t) + b_t (h^(t))^2 / 2; a_t is normal with this standard deviation."
    )
    loss_quadratic: float = _param(1.0, "The standard deviation of b_t in the loss.")

    def __post_init__(self) -> None:
        for name in ("seeds", "lengths", "weight_range", "initial_h_range", "initial_c_range"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.seeds or len(self.seeds) != len(self.lengths):
            raise ValueError("`seeds` and `lengths` must be non-empty lists of the same length")
        if any(length < 1 for length in self.lengths):
            raise ValueError("every length T must be at least 1")
        if not 0.0 <= self.carried_forward_credit <= 1.0:
            raise ValueError("`carried_forward_credit` must lie between 0 and 1")
        if self.rtol <= 0 or self.atol < 0 or self.fd_step <= 0:
            raise ValueError("`rtol` and `fd_step` must be positive and `atol` not negative")
        for name in ("weight_range", "initial_h_range", "initial_c_range"):
            low_high = getattr(self, name)
            if len(low_high) != 2 or not 0 <= low_high[0] <= low_high[1]:
                raise ValueError(f"`{name}` must be two numbers 0 <= low <= high")


class BarParams(LstmParams, kw_only=True):
    """The YAML `params` of an `lstm_bar` test: the problems and grading rule, and which bar it grades."""

    quantity: str = field(metadata={"doc": "The bar this test grades: one of " + ", ".join(GRADED) + "."})

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.quantity not in GRADED:
            raise ValueError(f"`quantity` must be one of {', '.join(GRADED)}, not {self.quantity!r}")


class DemoParams(Record):
    """The YAML `params` of the part (c) demonstration."""

    length: int = _param(60, "The sequence length T of the demonstration.")
    fd_step: float = _param(1e-5, "The step of the finite differences that measure the truth shown beside it.")
    explain: bool = _param(
        False,
        "Also say what the numbers show: why the gradient does not explode there, which answers part (c). Only "
        "for a test with `visibility: after_due_date`; without it the test shows numbers only.",
    )

    def __post_init__(self) -> None:
        if self.length < 1 or self.fd_step <= 0:
            raise ValueError("`length` must be at least 1 and `fd_step` positive")


def _floats(values: Any) -> np.ndarray:
    array = np.array(values, dtype=np.float64)
    array.flags.writeable = False  # shared by every judging of the problem
    return array


def _listed(array: np.ndarray) -> list[float]:
    return [float(value) for value in array]


class Term(Record):
    """One term of an affine equation: coef[t] * bar_child[t + offset] for t = 1..T."""

    child: str
    offset: int
    coef: np.ndarray

    def __post_init__(self) -> None:
        object.__setattr__(self, "coef", _floats(self.coef))


class Affine(Record):
    """An equation for a fixed problem: direct[t] + sum of the terms, over t = 1..T (summed over t if `total`)."""

    direct: np.ndarray
    terms: tuple[Term, ...]
    total: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "direct", _floats(self.direct))
        object.__setattr__(self, "terms", tuple(self.terms))

    @property
    def children(self) -> tuple[str, ...]:
        """The bars this equation reads, each once, in the order of its terms."""
        return tuple(dict.fromkeys(term.child for term in self.terms))

    def parts(self, bars: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        """(direct part, carried part) over t = 1..T, or each summed to one number (shape (1,)) if `total`.

        `bars[child]` holds a child's values over t = 0..T (index 0 is never read). Values so large that
        a product overflows give infinities, which match nothing.
        """
        with np.errstate(all="ignore"):
            carried = sum(self._products(bars), np.zeros(len(self.direct)))
        if self.total:
            return np.array([self.direct.sum()]), np.array([carried.sum()])
        return self.direct, carried

    def magnitude(self, bars: Mapping[str, Any]) -> np.ndarray:
        """The sum of the absolute values of the equation's terms at each step (as `parts` lays them out):
        what the rounding error of evaluating it in floating point is proportional to."""
        with np.errstate(all="ignore"):
            size = sum((np.abs(product) for product in self._products(bars)), np.abs(self.direct))
        return np.array([size.sum()]) if self.total else size

    def _products(self, bars: Mapping[str, Any]) -> list[np.ndarray]:
        """Each term's coefficient times its child's bar, over t = 1..T."""
        length = len(self.direct)
        products = []
        with np.errstate(all="ignore"):
            for term in self.terms:
                values = np.zeros(length + 2)
                values[1 : length + 1] = np.asarray(bars[term.child], dtype=np.float64)[1 : length + 1]
                read = values[1 + term.offset : length + 1 + term.offset]
                products.append(np.where(term.coef == 0.0, 0.0, term.coef * read))
        return products

    def to_data(self) -> dict[str, Any]:
        return {
            "direct": _listed(self.direct),
            "total": self.total,
            "terms": [{"child": t.child, "offset": t.offset, "coef": _listed(t.coef)} for t in self.terms],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Affine:
        return cls(
            direct=data["direct"],
            total=bool(data["total"]),
            terms=tuple(Term(t["child"], int(t["offset"]), t["coef"]) for t in data["terms"]),
        )


class MistakeEquation(Record):
    """A catalogued mistake as the judge needs it: its name, its quantity, its hint, its equation here."""

    name: str
    quantity: str
    hint: str
    equation: Affine


class Problem(Record, eq=False):
    """One call of the student's function and everything the judge needs to judge the reply (numbers only).

    `x`, `forward[key]` and `dL_dh` are the call's arrays over t = 0..T; `truth[bar]` the measured bars
    over t = 1..T (the graded steps); `equations[quantity]` the right equation of each quantity and
    `mistakes` the catalogued mistakes, in catalogue order (see the module docstring).
    """

    seed: int
    x: np.ndarray
    weights: Mapping[str, float]
    forward: Mapping[str, np.ndarray]
    dL_dh: np.ndarray
    truth: Mapping[str, np.ndarray]
    truth_w_ix: float
    equations: Mapping[str, Affine] = field(default_factory=dict)
    mistakes: tuple[MistakeEquation, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "x", _floats(self.x))
        object.__setattr__(self, "dL_dh", _floats(self.dL_dh))
        object.__setattr__(self, "weights", {name: float(self.weights[name]) for name in WEIGHT_NAMES})
        object.__setattr__(self, "forward", {key: _floats(self.forward[key]) for key in FORWARD_KEYS})
        object.__setattr__(self, "truth", {key: _floats(self.truth[key]) for key in GRADED})
        object.__setattr__(self, "truth_w_ix", float(self.truth_w_ix))
        object.__setattr__(self, "mistakes", tuple(self.mistakes))

    @property
    def length(self) -> int:
        return len(self.x) - 1

    def expected(self, quantity: str) -> np.ndarray:
        """The truth of a quantity: over t = 1..T for a bar, one number (shape (1,)) for w_ix."""
        return np.array([self.truth_w_ix]) if quantity == "w_ix" else self.truth[quantity]

    def call_arguments(self) -> dict[str, Any]:
        """The student's call as JSON-able data, in CALL_ORDER; `{"__array__": [...]}` marks a float64 1-D array."""

        def array(values: np.ndarray) -> dict[str, list[float]]:
            return {"__array__": _listed(values)}

        return {
            "x": array(self.x),
            "weights": dict(self.weights),
            "forward": {key: array(self.forward[key]) for key in FORWARD_KEYS},
            "dL_dh": array(self.dL_dh),
        }

    def to_data(self) -> dict[str, Any]:
        """The problem as plain JSON-able data (lists of floats; see the module docstring)."""
        return {
            "seed": self.seed,
            "length": self.length,
            "arguments": {
                "x": _listed(self.x),
                "weights": dict(self.weights),
                "forward": {key: _listed(self.forward[key]) for key in FORWARD_KEYS},
                "dL_dh": _listed(self.dL_dh),
            },
            "truth": {**{key: _listed(self.truth[key]) for key in GRADED}, "w_ix": self.truth_w_ix},
            "equations": {quantity: equation.to_data() for quantity, equation in self.equations.items()},
            "mistakes": [
                {"name": m.name, "quantity": m.quantity, "hint": m.hint, "equation": m.equation.to_data()}
                for m in self.mistakes
            ],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Problem:
        """The problem `to_data()` described (raises KeyError or ValueError on malformed data)."""
        arguments, truth = data["arguments"], data["truth"]
        problem = cls(
            seed=int(data["seed"]),
            x=arguments["x"],
            weights=arguments["weights"],
            forward=arguments["forward"],
            dL_dh=arguments["dL_dh"],
            truth={key: truth[key] for key in GRADED},
            truth_w_ix=truth["w_ix"],
            equations={
                quantity: Affine.from_data(equation) for quantity, equation in data.get("equations", {}).items()
            },
            mistakes=tuple(
                MistakeEquation(m["name"], m["quantity"], m["hint"], Affine.from_data(m["equation"]))
                for m in data.get("mistakes", ())
            ),
        )
        if problem.length != int(data["length"]) or any(len(problem.truth[key]) != problem.length for key in GRADED):
            raise ValueError("a problem's arrays disagree with its length")
        return problem


def call_arguments(problem: Problem) -> dict[str, Any]:
    """The student's call for `problem` as JSON-able data (the worker passes the values positionally)."""
    return problem.call_arguments()


def calls_of(problems: Sequence[Problem], *, again: bool = True) -> tuple[dict[str, Any], ...]:
    """The student's calls for these problems, in order; with `again` (and more than one problem), the first
    problem once more at the end, so that a function whose later calls depend on earlier ones shows it. The
    repeat differs from the first call only in the sign of x[0], which is 0 and unused (docs/spec.md 1, question 2),
    so that it is a call of its own (calls with equal arguments are made once)."""
    calls = [call_arguments(problem) for problem in problems]
    if again and len(problems) > 1:
        repeat = call_arguments(problems[0])
        repeat["x"] = {"__array__": [-0.0] + repeat["x"]["__array__"][1:]}
        calls.append(repeat)
    return tuple(calls)


def problems_from_data(data: Sequence[Mapping[str, Any]]) -> tuple[Problem, ...]:
    """Problems from a list of `to_data()` dicts."""
    return tuple(Problem.from_data(item) for item in data)
