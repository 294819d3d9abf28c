def lstm_bptt(x, weights, forward, dL_dh):
    t = 0
    while True:  # forgot to decrement
        t += 1
