"""Right weights, and everything a student could leave behind for the next one graded on the same machine:
files in every shared writable place, a full /dev/shm, SysV shared memory, queues and semaphores, a
POSIX queue, and a process that sleeps. The next student must start clean (tests/test_hostile.py)."""
import ctypes
import os
import time

KEY = 0x524E4E00  # SysV keys; the next student checks they are free
LIMIT = 64 << 20  # fill /dev/shm up to here (a machine without private namespaces has a real one)


def leave_everything():
    """Only as an unprivileged user: as root it can only be the student kit's own check (it runs the code as
    the current user, by design), and the test suite's run of the kit must not litter the developer's machine."""
    for place in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        try:
            with open(os.path.join(place, "rnn-leftover"), "w") as out:
                out.write("a message for the next student")
            os.makedirs(os.path.join(place, "rnn-leftover-dir", "inner"), exist_ok=True)
        except OSError:
            pass
    written = 0
    try:
        while written < LIMIT:
            with open(f"/dev/shm/rnn-leftover-fill-{written}", "wb") as out:
                out.write(bytes(4 << 20))
            written += 4 << 20
    except OSError:
        pass  # the task's own /dev/shm is full
    libc.shmget(KEY, 1 << 20, 0o1666)
    libc.msgget(KEY + 1, 0o1666)
    libc.semget(KEY + 2, 1, 0o1666)
    try:
        ctypes.CDLL("librt.so.1").mq_open(b"/rnn-leftover", os.O_CREAT | os.O_RDWR, 0o666, None)
    except OSError:
        pass
    if os.fork() == 0:
        os.setsid()
        time.sleep(600)
        os._exit(0)


libc = ctypes.CDLL(None, use_errno=True)
if os.getuid() != 0:
    leave_everything()

U = [[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]]
W = [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]
V = [[1.0, -1.0, 1.0]]
b_h = [-0.5, -1.5, -2.5]
b_y = -0.5
