# The reference adder scaled by 2**60, with biases 1 away from the thresholds: every pre-activation is
# +1 or at most -1, never 0. As floats, 2**60 + 1 and 2**60 - 1 both round to 2**60.
BIG = 2 ** 60

U = [[BIG, BIG],
     [BIG, BIG],
     [BIG, BIG]]
W = [[0, BIG, 0],
     [0, BIG, 0],
     [0, BIG, 0]]
V = [[BIG, -BIG, BIG]]
b_h = [-BIG + 1,      # h1 fires for s >= 1 (z = +1 at s = 1)
       -BIG - 1,      # h2 fires for s >= 2 (z = -1 at s = 1)
       -2 * BIG - 1]  # h3 fires for s = 3  (z = -1 at s = 2)
b_y = -BIG + 1        # y fires for h1 - h2 + h3 = 1 (z = +1)
