def lstm_bptt(x, weights, forward, dL_dh):
    raise KeyboardInterrupt
