"""Question 1: the weights of a recurrent network with hard-threshold units that adds two binary numbers.

The network, for t = 1, 2, ..., T, with h^(0) = 0 (three hidden units, one output unit):

    h^(t) = phi(U x^(t) + W h^(t-1) + b_h)
    y^(t) = phi(V h^(t) + b_y)

x^(t) = [a_t, b_t] holds bit t of each number, least significant bit first, and y^(t) must be bit t
of the sum (the inputs end with at least one 0, so the last carry reaches the output). phi is the
hard threshold: phi(z) = 1 for z > 0 and 0 for z < 0. Keep every unit's input away from exactly 0
if you can: the grader tells you when your network is only right for one choice of phi(0).

Fill in the numbers below (plain numbers, nested lists or numpy arrays). The zeros are placeholders
with the right shapes.
"""

# U: input -> hidden, shape (3, 2). U[i][k] is the weight from input k (0: first number, 1: second) to hidden unit i.
U = [[0, 0], [0, 0], [0, 0]]

# W: hidden(t-1) -> hidden(t), shape (3, 3). W[i][j] is the weight from h_j^(t-1) to h_i^(t).
W = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]

# V: hidden -> output, shape (1, 3) (a flat list of 3 numbers is accepted too).
V = [[0, 0, 0]]

# b_h: hidden bias, shape (3,).
b_h = [0, 0, 0]

# b_y: output bias, a number.
b_y = 0
