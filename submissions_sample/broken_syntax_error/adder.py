import numpy as np

U = np.array([[1, 1], [1, 1], [1, 1]]
W = np.array([[0, 0, 0], [1, 1, 1], [0, 0, 0]])
V = np.array([1, -1, 1])
b_h = np.array([-0.5, -1.5, -2.5])
b_y = -0.5
