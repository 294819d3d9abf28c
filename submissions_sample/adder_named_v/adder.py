# The reference adder with the output weights named v, as in course notes (y = phi(v^T h + b_y)).
U = [[1, 1], [1, 1], [1, 1]]
W = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]
v = [1, -1, 1]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
