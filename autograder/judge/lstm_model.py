"""The univariate LSTM of question 2 as a forward graph: problems, the forward pass, the numerical truth.

Nothing here knows the backprop equations. The truth is measured: every bar is the total derivative
of the loss, by central finite differences through the whole forward pass (the perturbations of a
problem in batched passes, in chunks, in memory linear in T). The "own equation" of a bar, used for
error carried forward, is the one-step chain rule over the forward graph, whose local partials are
complex-step derivatives of a single forward equation (exact to rounding); for a fixed problem it is
an affine map of the child bars, and `judged_problems` hands the judge exactly these numbers
(lstm_problem.Problem), so the judge never needs this module.

Measured once (200 random problems of the default kind, seeds drawn from default_rng(0), T from 1
to 50), against the exact complex-step derivatives: the largest error of a central difference, divided
by the largest |bar| of its quantity in its problem, was 9.0e-8 at step 1e-4, 8.1e-9 at 3e-5,
8.8e-10 at 1e-5, 5.5e-10 at 3e-6 and 1.9e-9 at 1e-6; for w_ix, divided by |w_ix_bar| itself,
8.3e-8, 8.4e-9, 3.5e-9, 1.6e-8 and 4.3e-8 (truncation wins above 1e-5, rounding below). Hence
`fd_step` = 1e-5, and `rtol` = 1e-5 leaves a margin of over 1000 above the truth's own error, while
each catalogued mistake is off by 1e-2 or more of that scale on the default problems. The reference
solution agrees with the complex step to 6e-14. The truth of the 5 default problems (T up to 50)
takes about 3 ms, of one problem with T = 1000 about 0.3 s and under 1 MB of arrays (benchmarks/).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from autograder.judge import lstm_problem as judged
from autograder.judge.lstm_graph import ACTIVATIONS, GRAPH, LINKS, NO_EDIT, NODES, PATHS, Link, LinkEdit
from autograder.judge.lstm_problem import FORWARD_KEYS, GRADED, WEIGHT_NAMES, DemoParams, LstmParams
from autograder.judge.mistakes import load_mistakes
from autograder.record import Record, field, fields, replace

COMPLEX_STEP = 1e-20  # a complex-step derivative has no cancellation: any tiny step is exact


class Problem(Record, eq=False):
    """One call of the student's function, with everything the judge measured about it.

    Arrays are indexed by time t = 0..T like the student's. `values` holds every node of the
    forward pass (and `x`); `truth` the finite-difference bars (index 0 is NaN: not graded).
    """

    seed: int
    x: np.ndarray
    weights: Mapping[str, float]
    loss_a: np.ndarray
    loss_b: np.ndarray
    values: Mapping[str, np.ndarray]
    dL_dh: np.ndarray
    truth: Mapping[str, np.ndarray] = field(default_factory=dict)
    truth_w_ix: float = float("nan")

    @property
    def length(self) -> int:
        return len(self.x) - 1


def make_problems(params: LstmParams) -> list[Problem]:
    """The graded problems, one per seed, with their truth: deterministic from the parameters."""
    return list(_make_problems(make_problems_key(params)))


@lru_cache(maxsize=16)
def _make_problems(settings: tuple) -> tuple[Problem, ...]:
    s = dict(settings)
    return tuple(_random_problem(seed, length, s) for seed, length in zip(s["seeds"], s["lengths"], strict=True))


def _random_problem(seed: int, length: int, s: Mapping[str, Any]) -> Problem:
    rng = np.random.default_rng(seed)

    def signed(low_high: Sequence[float], size: int | None = None) -> Any:
        return rng.choice((-1.0, 1.0), size) * rng.uniform(low_high[0], low_high[1], size)

    weights = dict(zip(WEIGHT_NAMES, (float(w) for w in signed(s["weight_range"], len(WEIGHT_NAMES))), strict=True))
    x = np.concatenate(([0.0], s["input_scale"] * rng.standard_normal(length)))
    h0, c0 = float(signed(s["initial_h_range"])), float(signed(s["initial_c_range"]))
    loss_a = np.concatenate(([0.0], s["loss_linear"] * rng.standard_normal(length)))
    loss_b = np.concatenate(([0.0], s["loss_quadratic"] * rng.standard_normal(length)))
    return with_truth(build_problem(seed, x, weights, h0, c0, loss_a, loss_b), s["fd_step"])


def make_demo_problem(params: DemoParams) -> Problem:
    """Part (c)'s regime: forget gates near 1, input and output gates near 0; the loss reads h^(T) only."""
    return _make_demo_problem(params.length, params.fd_step)


@lru_cache(maxsize=4)
def _make_demo_problem(length: int, fd_step: float) -> Problem:
    weights = {"w_ix": -4.0, "w_ih": 0.5, "w_fx": 5.0, "w_fh": 0.5, "w_ox": -4.0, "w_oh": 0.5, "w_gx": 1.0, "w_gh": 0.5}
    x = np.concatenate(([0.0], np.ones(length)))
    loss_a = np.zeros(length + 1)
    loss_a[length] = 1.0
    return with_truth(build_problem(0, x, weights, 0.0, 1.0, loss_a, np.zeros(length + 1)), fd_step)


def build_problem(
    seed: int, x: np.ndarray, weights: Mapping[str, float], h0: float, c0: float, loss_a: np.ndarray, loss_b: np.ndarray
) -> Problem:
    """A problem from its inputs, with its forward pass and dL_dh (its truth not yet measured)."""
    x = np.asarray(x, dtype=float)
    values = {name: column[:, 0] for name, column in run_forward(x, weights, h0, c0, columns=1).items()}
    dL_dh = loss_a + loss_b * values["h"]
    dL_dh[0] = 0.0  # the loss has no term at step 0
    return Problem(
        seed=seed,
        x=x,
        weights=dict(weights),
        loss_a=np.asarray(loss_a, float),
        loss_b=np.asarray(loss_b, float),
        values=values,
        dL_dh=dL_dh,
    )


def with_truth(problem: Problem, fd_step: float) -> Problem:
    """The problem with its finite-difference truth attached."""
    bars, w_ix = finite_difference_bars(problem, fd_step)
    return replace(problem, truth=bars, truth_w_ix=w_ix)


def run_forward(
    x: np.ndarray,
    weights: Mapping[str, Any],
    h0: Any,
    c0: Any,
    *,
    columns: int,
    nudges: Mapping[str, np.ndarray] | None = None,
    dtype: type = float,
) -> dict[str, np.ndarray]:
    """The forward pass on `columns` copies at once.

    `nudges[name][t]` is added to node `name` right after step t computes it, before anything
    downstream reads it; weights may be arrays over the columns. Returns every node (and `x`) as
    arrays of shape (T+1, columns).
    """
    nudges = nudges or {}
    length = len(x) - 1
    values: dict[str, np.ndarray] = {node.name: np.zeros((length + 1, columns), dtype) for node in GRAPH}
    values["x"] = np.asarray(x, dtype=float)[:, None]
    values["h"][0], values["c"][0], values["tanh_c"][0] = h0, c0, np.tanh(c0)
    for t in range(1, length + 1):

        def read(name: str, lag: int, t: int = t) -> np.ndarray:
            return values[name][t + lag]

        for node in GRAPH:
            value = node.equation(read, weights, ACTIVATIONS)
            nudge = nudges.get(node.name)
            values[node.name][t] = value if nudge is None else value + nudge[t]
    return values


CHUNK_COLUMNS = 2048  # perturbed copies run side by side: big enough to amortise Python, small enough for cache


def _nudge_contrasts(problem: Problem, sides: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """For every graded node at every step, and then w_ix (the order `_unpack` reads): the contrast
    of the loss when that one value is nudged by each entry of `sides`, and of the nudged value itself.

    The contrast of two sides is their difference, of one complex side its imaginary part. Each
    perturbation runs once per side, in its own column of a batched forward pass. A column equals
    the unperturbed pass until its nudge, so a chunk of perturbations whose nudges fall in steps
    first..last-1 starts at `first` from the stored h and c, and a pass keeps only the current and
    the previous step: memory is linear in T (no (T, 6T) arrays), time is quadratic as node
    perturbation must be, about halved by the late starts. Losses are contrasted step by step
    before summing over time, so the loss terms upstream of a nudge cancel exactly.
    """
    length, count, width = problem.length, len(GRADED), len(sides)
    assert max(link.offset for link in LINKS) == 1  # a node reads only its own and the previous step

    def contrast(values: np.ndarray) -> np.ndarray:
        pairs = values.reshape(-1, width)
        return pairs[:, 0] - pairs[:, 1] if width == 2 else pairs[:, 0].imag

    dtype = complex if any(isinstance(side, complex) for side in sides) else float
    nudges = np.array(sides, dtype)
    losses, taken = np.zeros(count * length + 1), np.zeros(count * length + 1)
    w_ix = problem.weights["w_ix"]
    taken[-1] = contrast(w_ix + nudges)[0]
    chunk_steps = max(1, CHUNK_COLUMNS // (count * width))
    for first in range(1, length + 1, chunk_steps):
        last = min(first + chunk_steps, length + 1)
        # Columns: (nudge step first..last-1, graded node, side), then in the first chunk w_ix's sides.
        perturbations = (last - first) * count + (1 if first == 1 else 0)
        weights: dict[str, Any] = dict(problem.weights)
        if first == 1:
            weights["w_ix"] = np.full(perturbations * width, w_ix, dtype)
            weights["w_ix"][-width:] += nudges
        previous = {name: np.full(perturbations * width, problem.values[name][first - 1], dtype) for name in ("h", "c")}
        summed = np.zeros(perturbations)
        for t in range(first, length + 1):
            current: dict[str, np.ndarray] = {}

            def read(name: str, lag: int, t: int = t, current: dict = current, previous: dict = previous) -> Any:
                return problem.x[t + lag] if name == "x" else (current if lag == 0 else previous)[name]

            for node in GRAPH:
                value = current[node.name] = node.equation(read, weights, ACTIVATIONS)
                if t < last and node.name in GRADED:
                    column = ((t - first) * count + GRADED.index(node.name)) * width
                    value[column : column + width] += nudges
                    taken[GRADED.index(node.name) * length + t - 1] = contrast(value[column : column + width])[0]
            h = current["h"]
            summed += contrast(problem.loss_a[t] * h + 0.5 * problem.loss_b[t] * h * h)
            previous = current
        steps, nodes = np.divmod(np.arange((last - first) * count), count)
        losses[nodes * length + first + steps - 1] = summed[: (last - first) * count]
        if first == 1:
            losses[-1] = summed[-1]
    return losses, taken


def _unpack(problem: Problem, derivatives: np.ndarray) -> tuple[dict[str, np.ndarray], float]:
    length = problem.length
    bars = {
        name: np.concatenate(([np.nan], derivatives[index * length : (index + 1) * length]))
        for index, name in enumerate(GRADED)
    }
    return bars, float(derivatives[-1])


def finite_difference_bars(problem: Problem, step: float) -> tuple[dict[str, np.ndarray], float]:
    """Every bar at every step, and w_ix's, by central differences (the truth of the grading).

    The divisor is the nudge as actually stored (value + step minus value - step, in floating point).
    """
    losses, taken = _nudge_contrasts(problem, (step, -step))
    return _unpack(problem, losses / taken)


def complex_step_bars(problem: Problem) -> tuple[dict[str, np.ndarray], float]:
    """Every bar at every step, and w_ix's, by the complex step: exact to rounding (a witness for the tests)."""
    losses, _ = _nudge_contrasts(problem, (1j * COMPLEX_STEP,))
    return _unpack(problem, losses / COMPLEX_STEP)


def local_partial(problem: Problem, link: Link, steps: np.ndarray, edit: LinkEdit = NO_EDIT) -> np.ndarray:
    """d child^(s) / d parent^(s - offset) at the child steps `steps`: the complex step on the child's equation."""
    last = problem.length

    def read(name: str, lag: int) -> np.ndarray:
        where = np.clip(steps + lag + edit.shift_inputs.get(name, 0), 0, last)
        value = problem.values[name][where].astype(complex)
        return value + 1j * COMPLEX_STEP if name == link.parent else value

    weights = {name: complex(value) for name, value in problem.weights.items()}
    if link.parent in weights:
        weights[link.parent] += 1j * COMPLEX_STEP
    activations = {**ACTIVATIONS, **edit.functions}
    partial = np.broadcast_to(NODES[link.child].equation(read, weights, activations).imag / COMPLEX_STEP, steps.shape)
    return partial**edit.power if edit.power != 1 else partial


HANDOUT_ORDER = ("h", "c", "i", "f", "o", "g")  # the order the handout's equations name the bars in


def equation(problem: Problem, quantity: str, edits: Sequence[LinkEdit] = (), steps: str = "all") -> judged.Affine:
    """A quantity's own equation on this problem, as an affine map of the bars it is built from: the
    loss's direct term, and per child bar and step offset the sum over routes of the local partials.

    `edits` change links as a mistake would; for `w_ix`, `steps` keeps the terms of `all` steps
    (summed), or of the `first` or the `last` step only.
    """
    length = problem.length
    by_link = {edit.link: edit for edit in edits}
    t = np.arange(1, length + 1)
    coefs: dict[tuple[str, int], np.ndarray] = {}
    for path in PATHS[quantity]:
        child_steps = t.copy()
        factor: np.ndarray = np.ones(length)
        for link in path:
            child_steps = child_steps + link.offset
            inside = (child_steps >= 1) & (child_steps <= length)
            factor = np.where(inside, factor, 0.0)
            factor[inside] *= local_partial(problem, link, child_steps[inside], by_link.get(link.key, NO_EDIT))
        if any(by_link.get(link.key, NO_EDIT).drop for link in path):
            factor = np.zeros(length)
        key = (path[-1].child, sum(link.offset for link in path))
        coefs[key] = coefs.get(key, np.zeros(length)) + factor
    if quantity == "w_ix" and steps != "all":
        keep = np.zeros(length, dtype=bool)
        keep[0 if steps == "first" else -1] = True
        coefs = {key: np.where(keep, coef, 0.0) for key, coef in coefs.items()}
    order = sorted(coefs, key=lambda key: (key[1], HANDOUT_ORDER.index(key[0])))
    direct = problem.dL_dh[1:] if quantity == "h" else np.zeros(length)
    return judged.Affine(
        direct=direct,
        terms=tuple(judged.Term(child, offset, coefs[child, offset]) for child, offset in order),
        total=quantity == "w_ix",
    )


def chain_rule(
    problem: Problem, quantity: str, bars: Mapping[str, np.ndarray], edits: Sequence[LinkEdit] = (), steps: str = "all"
) -> tuple[Any, Any]:
    """A bar's own equation evaluated on `bars` (arrays indexed t = 0..T): the direct part and the part
    carried through the children, two arrays over t = 1..T, or for `w_ix` two numbers."""
    direct, carried = equation(problem, quantity, edits, steps).parts(bars)
    return (0.0, float(carried[0])) if quantity == "w_ix" else (direct, carried)


def mistake_equation(problem: Problem, mistake: Any) -> judged.Affine:
    """A catalogued mistake's equation on this problem (mistakes.py): the right equation of its quantity (or of
    the quantity named by `as`) with its link edits, on the initial states it assumes (`initial`: the
    pre-activations of step 1 recomputed from them), times the local partials of its `times` links at step t."""
    if mistake.initial:
        problem = _with_initial(problem, mistake.initial)
    affine = equation(problem, mistake.as_quantity or mistake.quantity, mistake.edits, mistake.steps)
    if not mistake.times:
        return affine
    t = np.arange(1, problem.length + 1)
    scale = np.ones(problem.length)
    for key in mistake.times:
        scale = scale * local_partial(problem, next(link for link in LINKS if link.key == key), t)
    return judged.Affine(
        direct=affine.direct * scale,
        terms=tuple(judged.Term(term.child, term.offset, term.coef * scale) for term in affine.terms),
        total=affine.total,
    )


def mistake_chain_rule(problem: Problem, mistake: Any, bars: Mapping[str, np.ndarray]) -> tuple[Any, Any]:
    """A catalogued mistake's equation evaluated on `bars`, as chain_rule evaluates a right one."""
    direct, carried = mistake_equation(problem, mistake).parts(bars)
    return (0.0, float(carried[0])) if mistake.quantity == "w_ix" else (direct, carried)


def _with_initial(problem: Problem, initial: Mapping[str, float]) -> Problem:
    """The problem as a student who takes h^(0) (or c^(0)) as given values would compute its step 1: those
    initial states replaced, and the pre-activations of step 1 recomputed from them (the rest as given)."""
    values = {name: np.array(array) for name, array in problem.values.items()}
    for name, value in initial.items():
        values[name][0] = value

    def read(name: str, lag: int) -> Any:
        return values[name][1 + lag]

    for node in GRAPH:
        if node.name.startswith("z_"):
            values[node.name][1] = node.equation(read, problem.weights, ACTIVATIONS)
    return replace(problem, values=values)


def judged_problem(problem: Problem, mistakes: Sequence[Any] = (), *, equations: bool = True) -> judged.Problem:
    """The numbers the judge needs about a measured problem: the call, the truth, and (with `equations`)
    the right equation of every quantity and of every mistake in `mistakes` (catalogue entries, mistakes.py)."""
    rights = {quantity: equation(problem, quantity) for quantity in judged.QUANTITIES} if equations else {}
    return judged.Problem(
        seed=problem.seed,
        x=problem.x,
        weights=problem.weights,
        forward={key: problem.values[key] for key in FORWARD_KEYS},
        dL_dh=problem.dL_dh,
        truth={key: problem.truth[key][1:] for key in GRADED},
        truth_w_ix=problem.truth_w_ix,
        equations=rights,
        mistakes=tuple(
            judged.MistakeEquation(m.name, m.quantity, m.hint, mistake_equation(problem, m)) for m in mistakes
        ),
    )


def judged_problems(params: LstmParams) -> tuple[judged.Problem, ...]:
    """The graded problems as the judge reads them (equations and catalogued mistakes included), built once."""
    return _judged_problems(make_problems_key(params))


def make_problems_key(params: LstmParams) -> tuple:
    """What the problems depend on: every parameter but the grading rule's."""
    settings = {f.name: getattr(params, f.name) for f in fields(LstmParams)}
    for name in ("carried_forward_credit", "rtol", "atol"):
        settings.pop(name)
    return tuple(sorted(settings.items()))


@lru_cache(maxsize=16)
def _judged_problems(settings: tuple) -> tuple[judged.Problem, ...]:
    return tuple(judged_problem(problem, load_mistakes()) for problem in _make_problems(settings))


def judged_demo_problem(params: DemoParams) -> judged.Problem:
    """Part (c)'s problem as the judge reads it (its truth and call; no equations are needed)."""
    return _judged_demo_problem(params.length, params.fd_step)


@lru_cache(maxsize=4)
def _judged_demo_problem(length: int, fd_step: float) -> judged.Problem:
    return judged_problem(_make_demo_problem(length, fd_step), equations=False)
