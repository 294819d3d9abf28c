"""SysV shared memory past the memory limit: 20 segments of 32 MB, each attached, filled and detached. A
detached segment is in no process's memory, so neither RLIMIT_AS nor the supervisor's sum would see it.
The grader's system-call filter refuses shmget: the import fails with a plain PermissionError. Had the
memory been taken, the right weights below would be read (5 points): the score says which happened."""

import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
SEGMENT = 32 << 20
for _ in range(20):
    ident = libc.shmget(0, SEGMENT, 0o600)  # IPC_PRIVATE: never removed by anyone but its owner
    if ident < 0:
        raise OSError(ctypes.get_errno(), f"shmget: {os.strerror(ctypes.get_errno())}")
    address = libc.shmat(ident, None, 0)
    ctypes.memset(address, 1, SEGMENT)
    libc.shmdt(ctypes.c_void_p(address))

U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
