"""Two mistakes: i_bar^(2) is a wild 1e9 (an upstream slip), and w_ix_bar has no sigma' (a real mistake
downstream). Every other equation is right, built on the student's own (wild) bars."""

import numpy as np


def slope(s):
    return s * (1 - s)


def lstm_bptt(x, weights, forward, dL_dh):
    i, f, o, g, c = forward["i"], forward["f"], forward["o"], forward["g"], forward["c"]
    T = len(x) - 1
    bar = {key: np.zeros(T + 1) for key in "hcgofi"}
    for t in range(T, 0, -1):
        bar["h"][t] = dL_dh[t]
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
        bar["i"][t] = 1e9 if t == 2 else bar["c"][t] * g[t]  # the upstream slip
    w_ix = float(np.sum(bar["i"][1:] * x[1:]))  # the real mistake: no sigma'(z_i)
    return {**bar, "w_ix": w_ix}
