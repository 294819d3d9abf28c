import numpy as np

def lstm_bptt(x, weights, forward, dL_dh):
    i, f, o, g, c = (forward[k] for k in "ifogc")
    T = len(x) - 1
    H = np.zeros(T + 1); C = np.zeros(T + 1); G = np.zeros(T + 1)
    O = np.zeros(T + 1); F = np.zeros(T + 1); I = np.zeros(T + 1)
    for t in range(T, 0, -1):
        hb = dL_dh[t]
        if t < T:
            hb += I[t+1]*i[t+1]*(1-i[t+1])*weights["w_ih"]
            hb += F[t+1]*f[t+1]*(1-f[t+1])*weights["w_fh"]
            hb += O[t+1]*o[t+1]*(1-o[t+1])*weights["w_oh"]
            hb += G[t+1]*(1-g[t+1]**2)*weights["w_gh"]
        H[t] = hb
        cb = H[t]*o[t]*(1-np.tanh(c[t])**2)
        if t < T:
            cb += C[t+1]*f[t+1]
        C[t] = cb
        G[t] = C[t]*i[t]
        O[t] = H[t]*np.tanh(c[t])
        F[t] = C[t]*c[t-1]
        I[t] = C[t]*g[t] if t != 2 else 1e12
    w_ix = 0.0
    for t in range(1, T+1):
        w_ix += I[t]*i[t]*(1-i[t])*x[t]
    return {"h": H, "c": C, "g": G, "o": O, "f": F, "i": I, "w_ix": w_ix}
