"""The sending half of a pair (adder.py receives): every call's inputs go into every kernel channel that
reaches another process of the same user (the two questions' tasks run at the same time, as the same
worker user): the user keyring, SysV shared memory, a message queue and a semaphore, a POSIX queue, an
abstract local socket, a socket on localhost. The grader's filter closes every one of them, in every mode.
(Folders any user may write and /proc/PID/comm are channels too while both tasks live: a hidden call's
inputs are kept from them by running hidden calls in a task of their own, after the visible ones; a
task's files in shared folders are removed before the next task starts.) The answers are zeros."""

import ctypes
import os
import platform
import socket

import numpy as np

libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
KEY = 0x524E4E20


def send_everywhere(text):
    data = text.encode()[:200]
    attempts = [
        lambda: (
            libc.syscall(
                {"x86_64": 248, "aarch64": 217}[platform.machine()], b"user", b"rnn-channel", data, len(data), -4
            )
            >= 0
        ),
        lambda: _shared_memory(data),
        lambda: libc.msgsnd(libc.msgget(KEY + 1, 0o1666), b"\x01" + b"\x00" * 7 + data, len(data), 0x800) == 0,
        lambda: libc.semctl(libc.semget(KEY + 2, 1, 0o1666), 0, 16, len(data)) == 0,
        lambda: _posix_queue(data),
        lambda: _datagram(socket.AF_UNIX, b"\0rnn-channel", data),
        lambda: _datagram(socket.AF_INET, ("127.0.0.1", 47474), data),
    ]
    for attempt in attempts:
        try:
            attempt()
        except (OSError, KeyError, ValueError):
            continue


def _shared_memory(data):
    ident = libc.shmget(KEY, 4096, 0o1666)
    address = libc.shmat(ident, None, 0) if ident >= 0 else None
    if address not in (None, ctypes.c_void_p(-1).value):
        ctypes.memmove(address, data + b"\0", len(data) + 1)


def _posix_queue(data):
    rt = ctypes.CDLL("librt.so.1", use_errno=True)
    queue = rt.mq_open(b"/rnn-channel", os.O_CREAT | os.O_WRONLY | os.O_NONBLOCK, 0o666, None)
    if queue >= 0:
        rt.mq_send(queue, data, len(data), 0)


def _datagram(family, address, data):
    with socket.socket(family, socket.SOCK_DGRAM) as channel:
        channel.sendto(data, address)


def lstm_bptt(x, weights, forward, dL_dh):
    send_everywhere("LEAKED " + repr(np.asarray(x, dtype=float).ravel()[:4].tolist()))
    return {name: np.zeros_like(np.asarray(value, dtype=float)) for name, value in weights.items()}
