"""Floods its output (about 60 MB on stdout and 10 MB on stderr) before defining right weights."""
import sys

block = "debug: still alive " + "x" * 80 + "\n"
for _ in range(600):
    sys.stdout.write(block * 1000)
sys.stderr.write("E" * 10_000_000)
U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
