"""The worker: a pre-started zygote that forks one supervised, limited, unprivileged child per task.

The sandbox copies this package whole, with tex/ and vendor/ beside it, into a private folder and runs
it as `python -I PATH/inside zygote FD` with a clean environment (__main__.py). It uses only the standard
library, numpy and what is copied beside it; it never imports the grader (tests/test_worker_package.py).
Its modules, by trust:

  trusted, the grader's user
    zygote.py      imports numpy and every module below once, then forks a supervisor per job that
                   arrives on the control socket (with its file descriptors).
    supervisor.py  a child subreaper: forks the child, waits for it within the task's wall clock and
                   memory, kills every process left below it, and reports the outcome.
    cleanup.py     for a dedicated worker user, when none of the grader's tasks runs: removes
                   everything of that user (processes, files in shared writable places, IPC, keys).
    namespaces.py  the task's private namespaces and size-bounded places, where the machine allows
                   (not root, through an unprivileged user namespace).
    layers.py      which protection layers the machine allows, found as the zygote starts.
    bounds.py      the supervisor's bound on the shared places where a task has no private ones.
    seccomp.py     the system-call filter the child installs last (libseccomp through ctypes).
    confine.py     the child limits itself and drops privileges; its last line runs the task.
    kernel.py      the Linux calls made through ctypes (prctl).
  untrusted, the worker user, once the student's code may run
    child.py       runs the task: loads the student's file, calls their function, sends replies.
    notebook.py    runs a notebook's code cells.
    values.py      turns the student's values into plain JSON data, and the task's arguments into values.
    guard.py       the alarm that bounds each call; what the student is shown of an exception.
  both sides
    wire.py        the format on the control socket and the pipes (standard library only): the
                   grader's sandbox.py and collector.py import it too.

This __init__ imports nothing: the grader imports wire.py (and cleanup.remove_tree) without numpy.
"""
