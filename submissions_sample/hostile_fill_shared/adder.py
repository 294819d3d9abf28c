"""Fills the shared writable places, /dev/shm (memory) and /tmp, with files of 8 MB (one file is bounded
by RLIMIT_FSIZE; their number is not) up to 160 MB. With namespaces each place is the task's own small
tmpfs and the writes fail (No space left on device); without them the supervisor watches the worker
user's files there and stops the task past the bound. Either way question 1 scores 0; 160 MB written would
leave the right weights below in place (5 points). What was written is removed before the import ends, so
that a run as an ordinary user (who gets no bound) leaves nothing on the machine."""

import os

CHUNK, GOAL = 8 << 20, 160 << 20
written, files = 0, []
try:
    while written < GOAL:
        for place in ("/dev/shm", "/tmp"):
            path = os.path.join(place, f"rnn-fill-{os.getpid()}-{len(files)}")
            files.append(path)
            with open(path, "wb") as out:
                out.write(bytes(CHUNK))
            written += CHUNK
finally:
    for path in files:
        try:
            os.unlink(path)
        except OSError:
            pass

U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
