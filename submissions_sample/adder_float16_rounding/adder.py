# The handout's design in tenths, stored as float16 to save memory.
import numpy as np

U = np.full((3, 2), 0.1, dtype=np.float16)
W = np.array([[0, 0.1, 0], [0, 0.1, 0], [0, 0.1, 0]], dtype=np.float16)
V = np.array([[1, -1, 1]], dtype=np.float16)
b_h = np.array([-0.05, -0.15, -0.3], dtype=np.float16)  # h3: 0.1 + 0.1 + 0.1 - 0.3 "= 0", then fires?
b_y = np.float16(-0.5)
