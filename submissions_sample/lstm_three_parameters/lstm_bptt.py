"""A function with the wrong signature: it leaves out dL_dh and reads the loss from a global instead."""

import numpy as np


def lstm_bptt(x, weights, forward):
    T = len(x) - 1
    return {key: np.zeros(T + 1) for key in "hcgofi"} | {"w_ix": 0.0}
