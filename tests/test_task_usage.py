"""The whole task tree's CPU and memory are measured: by its supervisor, and by whoever waits for the grader."""

import json
import subprocess
import sys
import textwrap

from conftest import ROOT

# A student file whose work happens in an orphan: the importing process forks a child that forks
# the orphan and exits at once; the orphan touches 80 MB and spins 0.4 s of CPU, and the importing
# process waits only for the orphan's end of a pipe (the kernel reparents it to the supervisor).
ORPHAN_WORK = textwrap.dedent("""
    import os, time
    read_end, write_end = os.pipe()
    if os.fork() == 0:
        if os.fork() == 0:
            memory = bytearray(80_000_000)
            for index in range(0, len(memory), 4096):
                memory[index] = 1
            started = time.process_time()
            while time.process_time() - started < 0.4:
                pass
        os._exit(0)
    os.close(write_end)
    os.read(read_end, 1)
    R = 1.0
""").encode()

TASK = {"task": "names", "module": "orphan.py", "names": ["R"]}

# Run in a fresh interpreter: the grader's own usage of its children is then this task's and no other test's.
DRIVER = textwrap.dedent("""
    import json, resource, sys
    from autograder.worker import Limits, Sandbox
    with Sandbox() as box:
        result = box.run(json.loads(sys.argv[1]), {"orphan.py": sys.stdin.buffer.read()}, Limits())
    waited = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"replies": result.replies, "failure": result.failure,
                      "usage": result.usage and result.usage.__dict__,
                      "waited_cpu": waited.ru_utime + waited.ru_stime, "waited_max_rss": waited.ru_maxrss * 1024}))
""")


def run_driver():
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, json.dumps(TASK)], input=ORPHAN_WORK, cwd=ROOT, capture_output=True, timeout=120
    )
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)


def test_the_task_result_counts_an_orphans_cpu_and_memory():
    """TaskResult.usage includes a grandchild that outlived its parent: its CPU time and its 80 MB."""
    report = run_driver()
    assert report["failure"] is None and report["replies"] == [{"names": {"R": 1.0}}]
    assert report["usage"]["cpu_seconds"] >= 0.4
    assert report["usage"]["max_rss"] >= 80_000_000


def test_waiting_for_the_grader_sees_the_task_tree():
    """The grader's children's usage (what `time` and wait4 report) includes the task's processes."""
    report = run_driver()
    assert report["waited_cpu"] >= 0.4
    assert report["waited_max_rss"] >= 80_000_000
