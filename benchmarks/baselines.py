"""The baselines of the benchmarks: the adder checked per pair in Python and vectorised in numpy, and a
one-perturbation-at-a-time truth.

The loops are the straightforward way to do the job in plain Python, written for speed within that
style (plain floats and the math module, not numpy on 3-element arrays, which is slower); the numpy
adder check is what a TA who knows numpy would write: every pair of a length at once. So the ratios
the benchmark prints are not inflated by a poor baseline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

GRADED = ("h", "c", "g", "o", "f", "i")  # the bars of question 2(a), as in autograder/judge/lstm_model.py


def adder_pairs(max_bits: int) -> int:
    """How many pairs the exhaustive check runs: every pair of n-bit numbers for n = 1..max_bits."""
    return sum(4**n for n in range(1, max_bits + 1))


def adder_loop(
    U: Sequence[Sequence[float]],
    W: Sequence[Sequence[float]],
    V: Sequence[float],
    b_h: Sequence[float],
    b_y: float,
    max_bits: int,
    *,
    fires_at_zero: bool = True,
) -> tuple[int, int]:
    """Run the network's equations on every pair of n-bit numbers, n = 1..max_bits, one pair at a time.

    Each pair runs n + 1 steps (one padding zero), h^(0) = 0, and every output bit is compared with
    the sum's bit. Returns (pairs run, pairs with a wrong bit).
    """

    def phi(z: float) -> int:
        return 1 if z > 0 or (z == 0 and fires_at_zero) else 0

    pairs = wrong = 0
    for n in range(1, max_bits + 1):
        for a in range(1 << n):
            for b in range(1 << n):
                total = a + b
                h: tuple[int, ...] = (0, 0, 0)
                ok = True
                for t in range(n + 1):
                    x1, x2 = (a >> t) & 1, (b >> t) & 1
                    h = tuple(
                        phi(U[i][0] * x1 + U[i][1] * x2 + W[i][0] * h[0] + W[i][1] * h[1] + W[i][2] * h[2] + b_h[i])
                        for i in range(3)
                    )
                    y = phi(V[0] * h[0] + V[1] * h[1] + V[2] * h[2] + b_y)
                    if y != (total >> t) & 1:
                        ok = False
                pairs += 1
                wrong += not ok
    return pairs, wrong


def adder_numpy(
    U: Sequence[Sequence[float]],
    W: Sequence[Sequence[float]],
    V: Sequence[float],
    b_h: Sequence[float],
    b_y: float,
    max_bits: int,
    *,
    fires_at_zero: bool = True,
) -> tuple[int, int]:
    """The same check as `adder_loop`, vectorised: for each length n, all 4^n pairs run side by side,
    one matrix product per step. Returns (pairs run, pairs with a wrong bit)."""
    U_, W_, V_, b = np.asarray(U, float), np.asarray(W, float), np.ravel(np.asarray(V, float)), np.asarray(b_h, float)
    pairs = wrong = 0
    for n in range(1, max_bits + 1):
        a, c = np.divmod(np.arange(4**n, dtype=np.int64), 1 << n)
        total = a + c
        h = np.zeros((len(a), 3))
        ok = np.ones(len(a), dtype=bool)
        for t in range(n + 1):
            x = np.stack(((a >> t) & 1, (c >> t) & 1), axis=1).astype(float)
            z = x @ U_.T + h @ W_.T + b
            h = ((z > 0) | ((z == 0) & fires_at_zero)).astype(float)
            out = h @ V_ + b_y
            y = (out > 0) | ((out == 0) & fires_at_zero)
            ok &= y == ((total >> t) & 1).astype(bool)
        pairs += len(a)
        wrong += int(np.count_nonzero(~ok))
    return pairs, wrong


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def lstm_loss(
    x: Sequence[float],
    w: Mapping[str, float],
    h0: float,
    c0: float,
    loss_a: Sequence[float],
    loss_b: Sequence[float],
    nudge: tuple[str, int, float] | None = None,
) -> float:
    """The handout's forward pass and the loss sum_t a_t h^(t) + b_t (h^(t))^2 / 2, in scalars.

    `nudge` = (node, t, delta) adds delta to that node right after step t computes it.
    """
    name, when, delta = nudge if nudge is not None else ("", -1, 0.0)
    h, c, loss = h0, c0, 0.0
    for t in range(1, len(x)):
        extra = {name: delta} if t == when else {}
        i = _sigmoid(w["w_ix"] * x[t] + w["w_ih"] * h) + extra.get("i", 0.0)
        f = _sigmoid(w["w_fx"] * x[t] + w["w_fh"] * h) + extra.get("f", 0.0)
        o = _sigmoid(w["w_ox"] * x[t] + w["w_oh"] * h) + extra.get("o", 0.0)
        g = math.tanh(w["w_gx"] * x[t] + w["w_gh"] * h) + extra.get("g", 0.0)
        c = f * c + i * g + extra.get("c", 0.0)
        h = o * math.tanh(c) + extra.get("h", 0.0)
        loss += loss_a[t] * h + 0.5 * loss_b[t] * h * h
    return loss


def lstm_fd_loop(
    x: Sequence[float],
    weights: Mapping[str, float],
    h0: float,
    c0: float,
    loss_a: Sequence[float],
    loss_b: Sequence[float],
    step: float,
) -> tuple[dict[str, list[float]], float]:
    """Every bar at every step, and w_ix's, by central differences: one node at one step nudged by
    +step and by -step, the whole forward pass rerun each time. Bars are lists over t = 0..T (index 0 NaN)."""
    args = (x, weights, h0, c0, loss_a, loss_b)
    bars = {}
    for name in GRADED:
        bars[name] = [math.nan] + [
            (lstm_loss(*args, nudge=(name, t, step)) - lstm_loss(*args, nudge=(name, t, -step))) / (2 * step)
            for t in range(1, len(x))
        ]
    plus = lstm_loss(x, {**weights, "w_ix": weights["w_ix"] + step}, h0, c0, loss_a, loss_b)
    minus = lstm_loss(x, {**weights, "w_ix": weights["w_ix"] - step}, h0, c0, loss_a, loss_b)
    return bars, (plus - minus) / (2 * step)
