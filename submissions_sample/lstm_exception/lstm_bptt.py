"""A loop that reads past the end of the arrays at t = T (no guard for the last step)."""

import numpy as np


def lstm_bptt(x, weights, forward, dL_dh):
    i, f, o, g, c = forward["i"], forward["f"], forward["o"], forward["g"], forward["c"]
    T = len(x) - 1
    bars = {key: np.zeros(T + 1) for key in ("h", "c", "g", "o", "f", "i")}
    for t in range(T, 0, -1):
        bars["h"][t] = dL_dh[t] + bars["i"][t + 1] * i[t + 1] * (1 - i[t + 1]) * weights["w_ih"]
        bars["c"][t] = bars["h"][t] * o[t] * (1 - np.tanh(c[t]) ** 2) + bars["c"][t + 1] * f[t + 1]
    return bars
