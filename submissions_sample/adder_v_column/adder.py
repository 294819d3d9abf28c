# The reference adder with the output weights written as the column vector v of y = phi(v^T h + b_y).
import numpy as np

U = np.ones((3, 2))
W = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
V = np.array([[1.0], [-1.0], [1.0]])  # shape (3, 1)
b_h = np.array([-0.5, -1.5, -2.5])
b_y = -0.5
