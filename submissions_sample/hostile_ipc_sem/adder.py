"""A SysV semaphore set whose value carries a number to another process of the worker user. The filter
refuses semget: a plain PermissionError, so question 1 scores 0; a set made would leave the right weights
below in place (5 points)."""

import ctypes
import os

libc = ctypes.CDLL(None, use_errno=True)
semaphores = libc.semget(0x524E4E12, 1, 0o1666)  # IPC_CREAT | rw for everyone
if semaphores < 0:
    raise OSError(ctypes.get_errno(), f"semget: {os.strerror(ctypes.get_errno())}")
libc.semctl(semaphores, 0, 16, 42)  # SETVAL: the number passed on

U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
