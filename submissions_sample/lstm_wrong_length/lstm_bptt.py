"""Correct equations, but the bars are stored in arrays of length T (index t-1 holds step t)."""

import numpy as np


def lstm_bptt(x, weights, forward, dL_dh):
    i, f, o, g, c = forward["i"], forward["f"], forward["o"], forward["g"], forward["c"]
    T = len(x) - 1
    h_bar, c_bar, g_bar, o_bar, f_bar, i_bar = (np.zeros(T) for _ in range(6))
    for t in range(T, 0, -1):
        k = t - 1
        h_bar[k] = dL_dh[t]
        if t < T:
            h_bar[k] += (i_bar[k + 1] * i[t + 1] * (1 - i[t + 1]) * weights["w_ih"]
                         + f_bar[k + 1] * f[t + 1] * (1 - f[t + 1]) * weights["w_fh"]
                         + o_bar[k + 1] * o[t + 1] * (1 - o[t + 1]) * weights["w_oh"]
                         + g_bar[k + 1] * (1 - g[t + 1] ** 2) * weights["w_gh"])
        c_bar[k] = h_bar[k] * o[t] * (1 - np.tanh(c[t]) ** 2)
        if t < T:
            c_bar[k] += c_bar[k + 1] * f[t + 1]
        g_bar[k] = c_bar[k] * i[t]
        o_bar[k] = h_bar[k] * np.tanh(c[t])
        f_bar[k] = c_bar[k] * c[t - 1]
        i_bar[k] = c_bar[k] * g[t]
    w_ix_bar = np.sum(i_bar * i[1:] * (1 - i[1:]) * x[1:])
    return {"h": h_bar, "c": c_bar, "g": g_bar, "o": o_bar, "f": f_bar, "i": i_bar, "w_ix": w_ix_bar}
