"""Writes, on the worker's reply pipe itself, one line just under the 4 MB a task may send: `{},{},...`, each
3 bytes becoming a Python dict of 64 bytes in a grader that parsed it. The grader counts what a line holds
before it reads it: the task is refused, and the grading stays inside its memory budget."""
import os

os.write(3, b'{"value":[' + b"{}," * 1_300_000 + b"{}]}\n")


def lstm_bptt(x, weights, forward, dL_dh):
    return {}
