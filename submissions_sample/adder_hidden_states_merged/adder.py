# h3 should fire only when the column sums to 3, but its bias is too weak (fires from 2 on)
U = [[1, 1], [1, 1], [1, 1]]
W = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]
V = [[1, -1, 1]]
b_h = [-0.5, -1.5, -1.75]
b_y = -0.5
