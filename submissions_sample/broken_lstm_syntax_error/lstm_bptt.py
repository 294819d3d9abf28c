import numpy as np


def lstm_bptt(x, weights, forward, dL_dh)
    T = len(x) - 1
    return {key: np.zeros(T + 1) for key in ("h", "c", "g", "o", "f", "i")} | {"w_ix": 0.0}
