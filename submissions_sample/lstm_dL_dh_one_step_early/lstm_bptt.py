"""Reads dL_dh one step early (dL_dh[t - 1] where dL_dh[t] belongs); every other equation is right."""

import numpy as np


def slope(s):
    return s * (1 - s)


def lstm_bptt(x, weights, forward, dL_dh):
    i, f, o, g, c = forward["i"], forward["f"], forward["o"], forward["g"], forward["c"]
    T = len(x) - 1
    bar = {key: np.zeros(T + 1) for key in "hcgofi"}
    for t in range(T, 0, -1):
        bar["h"][t] = dL_dh[t - 1]  # the mistake: the loss term of the previous step
        if t < T:
            bar["h"][t] += (bar["i"][t + 1] * slope(i[t + 1]) * weights["w_ih"]
                            + bar["f"][t + 1] * slope(f[t + 1]) * weights["w_fh"]
                            + bar["o"][t + 1] * slope(o[t + 1]) * weights["w_oh"]
                            + bar["g"][t + 1] * (1 - g[t + 1] ** 2) * weights["w_gh"])
        bar["c"][t] = bar["h"][t] * o[t] * (1 - np.tanh(c[t]) ** 2)
        if t < T:
            bar["c"][t] += bar["c"][t + 1] * f[t + 1]
        bar["g"][t] = bar["c"][t] * i[t]
        bar["o"][t] = bar["h"][t] * np.tanh(c[t])
        bar["f"][t] = bar["c"][t] * c[t - 1]
        bar["i"][t] = bar["c"][t] * g[t]
    w_ix = float(np.sum(bar["i"][1:] * slope(i[1:]) * x[1:]))
    return {**bar, "w_ix": w_ix}
