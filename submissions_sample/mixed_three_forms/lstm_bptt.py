"""A placeholder that returns zeros of the right shapes (no work done)."""

import numpy as np


def lstm_bptt(x, weights, forward, dL_dh):
    T = len(x) - 1
    result = {key: np.zeros(T + 1) for key in ("h", "c", "g", "o", "f", "i")}
    result["w_ix"] = 0
    return result
