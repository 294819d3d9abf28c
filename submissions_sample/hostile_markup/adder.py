"""A type name that is HTML: it must reach the feedback as literal text, never as markup."""
Evil = type("<img src=x onerror=alert(1)>", (), {})
U = Evil()
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
