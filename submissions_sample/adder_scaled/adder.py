import numpy as np

scale = 3.7
U = scale * np.ones((3, 2))
W = scale * np.array([[0, 1, 0],
                      [0, 1, 0],
                      [0, 1, 0]])
V = scale * np.array([[1, -1, 1]])
b_h = scale * np.array([-0.5, -1.5, -2.5])
b_y = scale * -0.5
