"""The receiving half of a pair (lstm_bptt.py sends question 2's inputs): for 3 seconds, while question 2's
task runs beside this one, it listens on every kernel channel the other half sends on and raises whatever
arrives into question 1's feedback. The filter closes them all: question 1 scores 5 (its weights are right)
and no feedback shows LEAKED; one channel open would make question 1 fail with the inputs in its message."""

import ctypes
import os
import platform
import socket
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
KEY = 0x524E4E20
KEYCTL_SEARCH, KEYCTL_READ = 10, 11


def listeners():
    found = []
    for family, address in ((socket.AF_UNIX, b"\0rnn-channel"), (socket.AF_INET, ("127.0.0.1", 47474))):
        try:
            listener = socket.socket(family, socket.SOCK_DGRAM)
            listener.bind(address)
            listener.setblocking(False)
            found.append(listener)
        except OSError:
            continue
    return found


def received(sockets):
    heard = []
    for listener in sockets:
        try:
            heard.append(listener.recv(256))
        except OSError:
            pass
    keyctl = {"x86_64": 250, "aarch64": 219}.get(platform.machine())
    key = libc.syscall(keyctl, KEYCTL_SEARCH, -4, b"user", b"rnn-channel", 0) if keyctl else -1
    if key >= 0:
        buffer = ctypes.create_string_buffer(256)
        libc.syscall(keyctl, KEYCTL_READ, key, buffer, 256)
        heard.append(buffer.value)
    ident = libc.shmget(KEY, 4096, 0)
    address = libc.shmat(ident, None, 0o10000) if ident >= 0 else None  # SHM_RDONLY
    if address not in (None, ctypes.c_void_p(-1).value):
        heard.append(ctypes.string_at(address))
    buffer = ctypes.create_string_buffer(256)
    queue = libc.msgget(KEY + 1, 0)
    if queue >= 0 and libc.msgrcv(queue, buffer, 248, 0, 0o4000) > 0:  # IPC_NOWAIT
        heard.append(buffer.raw[8:])
    if libc.semget(KEY + 2, 1, 0) >= 0:
        heard.append(b"a semaphore")
    if os.path.exists("/dev/mqueue/rnn-channel"):
        heard.append(b"a POSIX queue")
    return [item for item in heard if item]


sockets = listeners()
give_up = time.monotonic() + 3.0
heard = []
while not heard and time.monotonic() < give_up:
    heard = received(sockets)
    time.sleep(0.05)
if heard:
    raise RuntimeError(f"LEAKED from question 2: {heard!r}")

U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
