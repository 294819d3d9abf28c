import numpy as np
def phi(z): return (z > 0).astype(int)
if __name__ == "__main__":
    U = np.ones((3, 2))
    W = np.array([[0, 1, 0], [0, 1, 0], [0, 1, 0]])
    V = np.array([[1, -1, 1]])
    b_h = np.array([-0.5, -1.5, -2.5])
    b_y = -0.5
    print(phi(U @ np.array([1, 1]) + b_h))
