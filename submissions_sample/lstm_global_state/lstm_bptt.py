"""Right equations, but w_ix_bar is summed into a module-level total that is never reset between calls."""

import numpy as np

W_IX_BAR = 0.0


def lstm_bptt(x, weights, forward, dL_dh):
    global W_IX_BAR
    x = np.asarray(x, dtype=float)
    i, f, o, g, c = (np.asarray(forward[key], dtype=float) for key in ("i", "f", "o", "g", "c"))
    T = len(x) - 1
    bars = {key: np.zeros(T + 1) for key in ("h", "c", "g", "o", "f", "i")}
    for t in range(T, 0, -1):
        h_bar = dL_dh[t]
        c_carry = 0.0
        if t < T:
            h_bar += (
                bars["i"][t + 1] * i[t + 1] * (1 - i[t + 1]) * weights["w_ih"]
                + bars["f"][t + 1] * f[t + 1] * (1 - f[t + 1]) * weights["w_fh"]
                + bars["o"][t + 1] * o[t + 1] * (1 - o[t + 1]) * weights["w_oh"]
                + bars["g"][t + 1] * (1 - g[t + 1] ** 2) * weights["w_gh"]
            )
            c_carry = bars["c"][t + 1] * f[t + 1]
        tanh_c = np.tanh(c[t])
        c_bar = h_bar * o[t] * (1 - tanh_c**2) + c_carry
        bars["h"][t], bars["c"][t] = h_bar, c_bar
        bars["g"][t], bars["o"][t] = c_bar * i[t], h_bar * tanh_c
        bars["f"][t], bars["i"][t] = c_bar * c[t - 1], c_bar * g[t]
        W_IX_BAR += bars["i"][t] * i[t] * (1 - i[t]) * x[t]
    return {**bars, "w_ix": W_IX_BAR}
