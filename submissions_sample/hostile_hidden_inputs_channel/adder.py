# Hostile: the other question's task. Waits for what lstm_bptt.py left in /tmp or /dev/shm (the
# fingerprints of every call it saw, hidden ones included) and raises it into question 1's feedback.
import os
import time

found = []
deadline = time.monotonic() + 3
while not found and time.monotonic() < deadline:
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
    time.sleep(0.05)
raise ImportError("the other task saw: " + " ".join(found))
