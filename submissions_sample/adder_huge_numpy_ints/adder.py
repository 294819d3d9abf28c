# The reference adder scaled by 2**60 as numpy int64 arrays, biases 1 away from the thresholds
# (exact as integers; as float64 they would round onto the thresholds).
import numpy as np

BIG = np.int64(2 ** 60)

U = np.full((3, 2), BIG, dtype=np.int64)
W = np.array([[0, BIG, 0], [0, BIG, 0], [0, BIG, 0]], dtype=np.int64)
V = np.array([[BIG, -BIG, BIG]], dtype=np.int64)
b_h = np.array([-BIG + 1, -BIG - 1, -2 * BIG - 1], dtype=np.int64)
b_y = np.int64(-BIG + 1)
