# h1: the column sums to 3; h2: it sums to at least 1; h3: at least 2 (the carry, fed back by W).
U = [[1, 1], [1, 1], [1, 1]]
W = [[0, 0, 1],
     [0, 0, 1],
     [0, 0, 1]]
V = [[1, 1, -1]]
b_h = [-2.5, -0.5, -1.5]
b_y = -0.5
