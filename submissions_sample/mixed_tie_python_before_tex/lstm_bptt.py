"""Question 2: backprop through time for the univariate LSTM (c_bar forgets that c^(t) feeds c^(t+1))."""

import numpy as np


def sigmoid_slope(s):
    """The slope of the sigmoid, from its output s = sigma(z)."""
    return s * (1 - s)


def lstm_bptt(x, weights, forward, dL_dh):
    i, f, o, g, c = forward["i"], forward["f"], forward["o"], forward["g"], forward["c"]
    T = len(x) - 1
    h_bar = np.zeros(T + 1)
    c_bar = np.zeros(T + 1)
    g_bar = np.zeros(T + 1)
    o_bar = np.zeros(T + 1)
    f_bar = np.zeros(T + 1)
    i_bar = np.zeros(T + 1)
    for t in range(T, 0, -1):
        h_bar[t] = dL_dh[t]
        if t < T:
            h_bar[t] += i_bar[t + 1] * sigmoid_slope(i[t + 1]) * weights["w_ih"]
            h_bar[t] += f_bar[t + 1] * sigmoid_slope(f[t + 1]) * weights["w_fh"]
            h_bar[t] += o_bar[t + 1] * sigmoid_slope(o[t + 1]) * weights["w_oh"]
            h_bar[t] += g_bar[t + 1] * (1 - g[t + 1] ** 2) * weights["w_gh"]
        c_bar[t] = h_bar[t] * o[t] * (1 - np.tanh(c[t]) ** 2)
        g_bar[t] = c_bar[t] * i[t]
        o_bar[t] = h_bar[t] * np.tanh(c[t])
        f_bar[t] = c_bar[t] * c[t - 1]
        i_bar[t] = c_bar[t] * g[t]
    w_ix_bar = 0.0
    for t in range(1, T + 1):
        w_ix_bar += i_bar[t] * sigmoid_slope(i[t]) * x[t]
    return {"h": h_bar, "c": c_bar, "g": g_bar, "o": o_bar, "f": f_bar, "i": i_bar, "w_ix": w_ix_bar}
