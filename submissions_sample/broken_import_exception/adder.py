import numpy as np

# Loads weights from a file that exists only on the student's laptop.
weights = np.load("/home/student/hw/weights.npz")
U, W, V, b_h, b_y = weights["U"], weights["W"], weights["V"], weights["b_h"], weights["b_y"]
