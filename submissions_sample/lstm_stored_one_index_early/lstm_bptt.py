import numpy as np

def lstm_bptt(x, weights, forward, dL_dh):
    i, f, o, g, c = (forward[k] for k in "ifogc")
    T = len(x) - 1
    H = np.zeros(T + 1); C = np.zeros(T + 1); G = np.zeros(T + 1)
    O = np.zeros(T + 1); F = np.zeros(T + 1); I = np.zeros(T + 1)
    # H[k] holds h_bar at time k+1
    for t in range(T, 0, -1):
        k = t - 1
        hb = dL_dh[t]
        if t < T:
            hb += (I[k+1]*i[t+1]*(1-i[t+1])*weights["w_ih"] + F[k+1]*f[t+1]*(1-f[t+1])*weights["w_fh"]
                   + O[k+1]*o[t+1]*(1-o[t+1])*weights["w_oh"] + G[k+1]*(1-g[t+1]**2)*weights["w_gh"])
        H[k] = hb
        C[k] = hb*o[t]*(1-np.tanh(c[t])**2) + (C[k+1]*f[t+1] if t < T else 0.0)
        G[k] = C[k]*i[t]; O[k] = hb*np.tanh(c[t]); F[k] = C[k]*c[t-1]; I[k] = C[k]*g[t]
    w_ix = sum(I[t-1]*i[t]*(1-i[t])*x[t] for t in range(1, T+1))
    return {"h": H, "c": C, "g": G, "o": O, "f": F, "i": I, "w_ix": w_ix}
