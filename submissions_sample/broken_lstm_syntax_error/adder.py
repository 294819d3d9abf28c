"""Reference weights for question 1: a binary-adder RNN with three hard-threshold hidden units.

Design (the handout's hint). At step t the column sum is s = x1 + x2 + carry, where the carry is
h2^(t-1), the unit that said "the previous column summed to 2 or more". Every hidden unit sees s
with weight 1 (U: both inputs; W: column 2 only, from h2^(t-1)) and a threshold between integers:
    h1 fires if s >= 1    (bias -0.5)
    h2 fires if s >= 2    (bias -1.5)   -> the carry into the next column
    h3 fires if s == 3    (bias -2.5)
The sum bit is s mod 2 = h1 - h2 + h3 (1 for s = 1 or 3, 0 for s = 0 or 2), so the output fires if
h1 - h2 + h3 - 0.5 > 0. No pre-activation is ever exactly 0, so the answer does not depend on phi(0).
"""

U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [
    [0.0, 1.0, 0.0],  # W[i, j]: from h_j^(t-1) to h_i^(t); only h2 (the carry) feeds back
    [0.0, 1.0, 0.0],
    [0.0, 1.0, 0.0],
]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
