"""A correct function whose answers are exact numbers: Fractions, long doubles, and ints where a value is whole."""

from fractions import Fraction

import numpy as np


def exact(value):
    """An int when the value is whole (index 0 is 0), else the Fraction of the float."""
    value = float(value)
    return int(value) if value.is_integer() else Fraction(value)


def lstm_bptt(x, weights, forward, dL_dh):
    i, f, o, g, c = (forward[key] for key in "ifogc")
    T = len(x) - 1
    bar = {key: np.zeros(T + 1) for key in "hcgofi"}
    for t in range(T, 0, -1):
        h = dL_dh[t]
        if t < T:
            h += (bar["i"][t + 1] * i[t + 1] * (1 - i[t + 1]) * weights["w_ih"]
                  + bar["f"][t + 1] * f[t + 1] * (1 - f[t + 1]) * weights["w_fh"]
                  + bar["o"][t + 1] * o[t + 1] * (1 - o[t + 1]) * weights["w_oh"]
                  + bar["g"][t + 1] * (1 - g[t + 1] ** 2) * weights["w_gh"])
        cell = h * o[t] * (1 - np.tanh(c[t]) ** 2) + (bar["c"][t + 1] * f[t + 1] if t < T else 0.0)
        bar["h"][t], bar["c"][t] = h, cell
        bar["g"][t], bar["o"][t] = cell * i[t], h * np.tanh(c[t])
        bar["f"][t], bar["i"][t] = cell * c[t - 1], cell * g[t]
    w_ix = sum(bar["i"][t] * i[t] * (1 - i[t]) * x[t] for t in range(1, T + 1))
    return {
        "h": bar["h"].astype(np.longdouble),  # long double: sent exactly, more bits than a float64
        "c": [exact(v) for v in bar["c"]],  # a list of Fractions, int 0 at index 0
        "g": np.array([exact(v) for v in bar["g"]], dtype=object),  # the same in an object array
        "o": [np.longdouble(v) for v in bar["o"]],  # a list of numpy long double scalars
        "f": [Fraction(v) for v in bar["f"]],
        "i": np.array([exact(v) for v in bar["i"]], dtype=object).reshape(-1, 1),  # a column of objects
        "w_ix": Fraction(float(w_ix)),
    }
