"""Reference solution of question 2: backprop through time for the univariate LSTM.

The forward pass (the handout's), for t = 1..T, with h^(0) and c^(0) given:

    i^(t) = sigma(w_ix x^(t) + w_ih h^(t-1))
    f^(t) = sigma(w_fx x^(t) + w_fh h^(t-1))
    o^(t) = sigma(w_ox x^(t) + w_oh h^(t-1))
    g^(t) = tanh(w_gx x^(t) + w_gh h^(t-1))
    c^(t) = f^(t) c^(t-1) + i^(t) g^(t)
    h^(t) = o^(t) tanh(c^(t))

Backprop through time, for t = T down to 1 (every term with t+1 is absent at t = T), where
sigma'(z) = sigma(z)(1 - sigma(z)) and tanh'(z) = 1 - tanh(z)^2 turn into gate values:

    (a) h_bar^(t) = dL/dh^(t)
                    + i_bar^(t+1) i^(t+1) (1 - i^(t+1)) w_ih
                    + f_bar^(t+1) f^(t+1) (1 - f^(t+1)) w_fh
                    + o_bar^(t+1) o^(t+1) (1 - o^(t+1)) w_oh
                    + g_bar^(t+1) (1 - (g^(t+1))^2) w_gh
        c_bar^(t) = h_bar^(t) o^(t) (1 - tanh^2(c^(t))) + c_bar^(t+1) f^(t+1)
        g_bar^(t) = c_bar^(t) i^(t)
        o_bar^(t) = h_bar^(t) tanh(c^(t))
        f_bar^(t) = c_bar^(t) c^(t-1)
        i_bar^(t) = c_bar^(t) g^(t)

    (b) w_ix_bar = sum_{t=1..T} i_bar^(t) i^(t) (1 - i^(t)) x^(t)

Arguments and result follow the assignment's conventions (docs/spec.md 1): arrays of shape (T+1,) indexed by time,
index 0 unused for the bars; `dL_dh[t]` is the loss's direct dependence on h^(t).
"""

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
            h_bar += (bars["i"][t + 1] * i[t + 1] * (1 - i[t + 1]) * weights["w_ih"]
                      + bars["f"][t + 1] * f[t + 1] * (1 - f[t + 1]) * weights["w_fh"]
                      + bars["o"][t + 1] * o[t + 1] * (1 - o[t + 1]) * weights["w_oh"]
                      + bars["g"][t + 1] * (1 - g[t + 1] ** 2) * weights["w_gh"])
            c_carry = bars["c"][t + 1] * f[t + 1]
        tanh_c = np.tanh(c[t])
        c_bar = h_bar * o[t] * (1 - tanh_c ** 2) + c_carry
        bars["h"][t] = h_bar
        bars["c"][t] = c_bar
        bars["g"][t] = c_bar * i[t]
        bars["o"][t] = h_bar * tanh_c
        bars["f"][t] = c_bar * c[t - 1]
        bars["i"][t] = c_bar * g[t]
    steps = slice(1, T + 1)
    w_ix_bar = float(np.sum(bars["i"][steps] * i[steps] * (1 - i[steps]) * x[steps]))
    return {**bars, "w_ix": w_ix_bar}
