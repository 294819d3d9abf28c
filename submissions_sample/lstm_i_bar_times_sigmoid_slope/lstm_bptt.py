"""The reference, with one mistake: i_bar returned already multiplied by the gate's sigma' (the derivative with respect to the pre-activation)."""

import numpy as np


def lstm_bptt(x, weights, forward, dL_dh):
    """The error signals h c g o f i (arrays over t = 0..T, index 0 left at 0) and w_ix_bar."""
    x = np.asarray(x, dtype=float)
    i, f, o, g, c = (np.asarray(forward[key], dtype=float) for key in ("i", "f", "o", "g", "c"))
    dL_dh = np.asarray(dL_dh, dtype=float)
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
        bars["h"][t] = h_bar
        bars["c"][t] = c_bar
        bars["g"][t] = c_bar * i[t]
        bars["o"][t] = h_bar * tanh_c
        bars["f"][t] = c_bar * c[t - 1]
        bars["i"][t] = c_bar * g[t] * i[t] * (1 - i[t])  # d/dz_i, not d/di
    steps = slice(1, T + 1)
    w_ix_bar = float(np.sum(bars["i"][steps] * i[steps] * (1 - i[steps]) * x[steps]))
    return {**bars, "w_ix": w_ix_bar}
