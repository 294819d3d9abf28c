"""Q1 weights."""
# Complement encoding: g_k = 1 when the column sum is BELOW k. g2 = "no carry".
# Carry c = 1 - g2(t-1). Student assumed h^(0) = (1, 1, 1) (nothing summed yet => "below").
# g_k fires if s < k  <=>  -(x1 + x2 + c) + k - 0.5 > 0 ; c = 1 - g2 => -(x1+x2) + g2 + (k - 1.5)
U = [[-1, -1], [-1, -1], [-1, -1]]
W = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]
b_h = [-0.5, 0.5, 1.5]
# sum bit = [s==1] + [s==3] = (1-g1) - (1-g2) + (1-g3) = 1 - g1 + g2 - g3
V = [[-1, 1, -1]]
b_y = 0.5
