"""Reads another process of the worker user: its own forked child and any other (the other question's task
runs beside this one): process_vm_readv, then ptrace. The filter refuses both: a plain PermissionError, so
question 1 scores 0; memory read would leave the right weights below in place (5 points)."""

import ctypes
import os
import pwd
import signal
import time


class Span(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("length", ctypes.c_size_t)]


libc = ctypes.CDLL(None, use_errno=True)
libc.process_vm_readv.restype = ctypes.c_ssize_t
child = os.fork()
if child == 0:
    time.sleep(30)
    os._exit(0)
targets = [child]
if pwd.getpwuid(os.getuid()).pw_name.startswith("rnn-worker"):  # graded as a worker user: every process of it
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and int(pid) not in (os.getpid(), child) and os.stat(f"/proc/{pid}").st_uid == os.getuid():
                targets.append(int(pid))
        except OSError:
            continue
buffer = ctypes.create_string_buffer(64)
error = 0
try:
    for pid in targets:
        local, remote = Span(ctypes.cast(buffer, ctypes.c_void_p), 64), Span(ctypes.cast(buffer, ctypes.c_void_p), 64)
        if libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) > 0:
            break
        error = ctypes.get_errno()
        if libc.ptrace(16, pid, None, None) == 0:  # PTRACE_ATTACH
            break
        error = ctypes.get_errno()
    else:
        raise OSError(error, f"reading another process: {os.strerror(error)}")
finally:
    os.kill(child, signal.SIGKILL)

U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
