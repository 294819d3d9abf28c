# h3 should fire when the column sums to 3, but its bias is too low: it never fires
U = [[1, 1], [1, 1], [1, 1]]
W = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]
V = [[1, -1, 1]]
b_h = [-0.5, -1.5, -3.5]
b_y = -0.5
