"""Question 2: backprop through time for the univariate LSTM.

The forward pass (the handout's), for t = 1..T, with the initial states h^(0) and c^(0) given:

    i^(t) = sigma(w_ix x^(t) + w_ih h^(t-1))
    f^(t) = sigma(w_fx x^(t) + w_fh h^(t-1))
    o^(t) = sigma(w_ox x^(t) + w_oh h^(t-1))
    g^(t) = tanh(w_gx x^(t) + w_gh h^(t-1))
    c^(t) = f^(t) c^(t-1) + i^(t) g^(t)
    h^(t) = o^(t) tanh(c^(t))

Write `lstm_bptt` below. `lstm_forward` computes the forward pass in the layout the grader uses, so
that you can make test problems of your own (see the end of this file).
"""

import numpy as np


def lstm_bptt(x, weights, forward, dL_dh):
    """The error signals of the LSTM: the total derivatives of the loss L.

    Every array is indexed by time: index t holds the value at time t, for t = 0..T.

    Arguments:
        x       float64 array, shape (T+1,): x[t] is x^(t); x[0] is 0 and unused.
        weights dict of floats: w_ix w_ih w_fx w_fh w_ox w_oh w_gx w_gh.
        forward dict of float64 arrays, shape (T+1,), keys i f o g c h: the forward pass.
                forward['h'][0] and forward['c'][0] are the initial states h^(0), c^(0) (they may
                be non-zero); index 0 of the gates i f o g is 0.
        dL_dh   float64 array, shape (T+1,): dL_dh[t] is the derivative of the loss term at step t
                with respect to h^(t), that is the loss's direct dependence on h^(t) only.

    Returns a dict:
        'h' 'c' 'g' 'o' 'f' 'i'   arrays of shape (T+1,): index t holds h_bar^(t), c_bar^(t), g_bar^(t),
                                  o_bar^(t), f_bar^(t), i_bar^(t) for t = 1..T (index 0 is not graded);
        'w_ix'                    a number: w_ix_bar.

    The grader calls this function many times, with T = 1 and longer, non-zero initial states and
    non-zero recurrent weights. It passes copies: changing the arguments changes nothing.
    """
    raise NotImplementedError("lstm_bptt is not written yet")


def lstm_forward(x, weights, h0=0.0, c0=0.0):
    """The forward pass of the handout, in the layout `lstm_bptt` receives as `forward`.

    x is an array of shape (T+1,) with x[0] = 0 (unused); h0 and c0 are the initial states.
    Returns a dict of arrays of shape (T+1,), keys i f o g c h; index 0 holds h0 and c0 (and 0 for the gates).
    """
    x = np.asarray(x, dtype=float)
    T = len(x) - 1
    forward = {key: np.zeros(T + 1) for key in ("i", "f", "o", "g", "c", "h")}
    forward["h"][0], forward["c"][0] = h0, c0
    w = weights
    for t in range(1, T + 1):
        h_prev = forward["h"][t - 1]
        forward["i"][t] = _sigmoid(w["w_ix"] * x[t] + w["w_ih"] * h_prev)
        forward["f"][t] = _sigmoid(w["w_fx"] * x[t] + w["w_fh"] * h_prev)
        forward["o"][t] = _sigmoid(w["w_ox"] * x[t] + w["w_oh"] * h_prev)
        forward["g"][t] = np.tanh(w["w_gx"] * x[t] + w["w_gh"] * h_prev)
        forward["c"][t] = forward["f"][t] * forward["c"][t - 1] + forward["i"][t] * forward["g"][t]
        forward["h"][t] = forward["o"][t] * np.tanh(forward["c"][t])
    return forward


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


if __name__ == "__main__":
    # A small problem of your own: T = 3, the loss L = sum_t h^(t), so dL_dh[t] = 1 for t = 1..T.
    # To test an answer, nudge one quantity by a tiny amount, run the rest of the forward pass again,
    # and compare the change of L with your bar (a finite difference).
    x = np.array([0.0, 0.5, -1.0, 2.0])
    weights = {
        "w_ix": 0.7,
        "w_ih": -0.4,
        "w_fx": 1.1,
        "w_fh": 0.3,
        "w_ox": -0.8,
        "w_oh": 0.9,
        "w_gx": 0.6,
        "w_gh": -1.2,
    }
    forward = lstm_forward(x, weights, h0=0.3, c0=-0.5)
    dL_dh = np.array([0.0, 1.0, 1.0, 1.0])
    bars = lstm_bptt(x, weights, forward, dL_dh)
    for key in ("h", "c", "g", "o", "f", "i"):
        print(f"{key}_bar:", np.asarray(bars[key])[1:])
    print("w_ix_bar:", bars["w_ix"])
