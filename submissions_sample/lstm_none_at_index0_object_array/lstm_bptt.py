"""A correct function whose arrays are np.empty(..., dtype=object): index 0, never filled, stays None."""

import numpy as np


def lstm_bptt(x, weights, forward, dL_dh):
    i, f, o, g, c = (forward[key] for key in "ifogc")
    T = len(x) - 1
    bar = {key: np.empty(T + 1, dtype=object) for key in "hcgofi"}  # every element None until filled
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
    return {**bar, "w_ix": w_ix}
