"""Right weights, plus a double-forked daemon that waits, then forges the results the grader wrote.

If it is still alive, it also leaves a marker in /tmp named after the results path (so a test can tell
its own daemon from another run's).
"""
import hashlib
import json
import os
import time


def ancestors():
    """The command lines of this process's ancestors: the grader that runs it is one of them."""
    pid, found = os.getpid(), []
    while pid > 1:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                found.append(file.read().decode(errors="replace").split("\0"))
            with open(f"/proc/{pid}/stat", "rb") as file:
                data = file.read()
        except OSError:
            break
        pid = int(data[data.rfind(b")") + 2:].split()[1])
    return found


def results_paths():
    """The --results path of the grader that runs this file."""
    found = ["/autograder/results/results.json"]
    for words in ancestors():
        found += [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--results"]
    return found


PATHS = results_paths()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(1)
        with open(f"/tmp/rnn-autograder-daemon-{hashlib.sha256(PATHS[-1].encode()).hexdigest()[:16]}", "w") as out:
            out.write("alive")
        for path in PATHS:
            try:
                with open(path, "w") as out:
                    json.dump({"score": 100, "output": "FORGED", "tests": []}, out)
            except OSError:
                pass
    os._exit(0)
U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
