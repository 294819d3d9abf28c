"""LSTM backprop through time with plain Python lists and the math module (no numpy)."""

import math


def lstm_bptt(x, weights, forward, dL_dh):
    T = len(x) - 1
    i, f, o, g, c = ([float(v) for v in forward[k]] for k in "ifogc")
    dh = [float(v) for v in dL_dh]
    h_bar, c_bar, g_bar, o_bar, f_bar, i_bar = ([0.0] * (T + 1) for _ in range(6))
    # Error signals of the pre-activations of step t+1, and c_bar^(t+1) f^(t+1): zero beyond T.
    a_i = a_f = a_o = a_g = 0.0
    carry = 0.0
    for t in reversed(range(1, T + 1)):
        h_bar[t] = (dh[t] + a_i * weights["w_ih"] + a_f * weights["w_fh"]
                    + a_o * weights["w_oh"] + a_g * weights["w_gh"])
        th = math.tanh(c[t])
        c_bar[t] = h_bar[t] * o[t] * (1.0 - th * th) + carry
        g_bar[t] = c_bar[t] * i[t]
        o_bar[t] = h_bar[t] * th
        f_bar[t] = c_bar[t] * c[t - 1]
        i_bar[t] = c_bar[t] * g[t]
        a_i = i_bar[t] * i[t] * (1.0 - i[t])
        a_f = f_bar[t] * f[t] * (1.0 - f[t])
        a_o = o_bar[t] * o[t] * (1.0 - o[t])
        a_g = g_bar[t] * (1.0 - g[t] ** 2)
        carry = c_bar[t] * f[t]
    w_ix_bar = math.fsum(i_bar[t] * i[t] * (1.0 - i[t]) * float(x[t]) for t in range(1, T + 1))
    return dict(h=h_bar, c=c_bar, g=g_bar, o=o_bar, f=f_bar, i=i_bar, w_ix=w_ix_bar)
