"""The whole task tree's CPU and memory are measured: by its supervisor, and by whoever waits for the grader."""

import json
import subprocess
import sys
import textwrap

import pytest

from autograder.record import replace
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


@pytest.mark.slow
def test_the_task_result_counts_an_orphans_cpu_and_memory():
    """TaskResult.usage includes a grandchild that outlived its parent: its CPU time and its 80 MB."""
    report = run_driver()
    assert report["failure"] is None and report["replies"] == [{"names": {"R": 1.0}}]
    assert report["usage"]["cpu_seconds"] >= 0.4
    assert report["usage"]["max_rss"] >= 80_000_000


@pytest.mark.slow
def test_waiting_for_the_grader_sees_the_task_tree():
    """The grader's children's usage (what `time` and wait4 report) includes the task's processes."""
    report = run_driver()
    assert report["waited_cpu"] >= 0.4
    assert report["waited_max_rss"] >= 80_000_000


def test_a_task_is_starved_when_it_waited_for_the_cpu_more_than_half_its_wall_time():
    """The run delay (runnable, not running) against the wall time: a sleeper waits for nothing, a spinner that had
    the CPU neither; one that waited more than half its time was starved. No record of either: not starved."""
    from autograder.worker.sandbox import TaskUsage

    def usage(delay, wall, cpu=0.0):
        return TaskUsage.read({"cpu_seconds": cpu, "max_rss": 1, "run_delay_seconds": delay, "wall_seconds": wall})

    assert not usage(0.01, 5.0).starved  # slept
    assert not usage(0.2, 5.0, cpu=4.8).starved  # spun, with the CPU
    assert not usage(2.5, 5.0, cpu=2.5).starved  # half: not more
    assert usage(4.0, 5.0, cpu=1.0).starved
    assert not TaskUsage.read({"cpu_seconds": 1.0, "max_rss": 1}).starved  # a supervisor that does not measure it


def test_only_a_timeout_of_a_starved_task_counts_as_starved():
    """A starved task that timed out (the task, a call, a notebook cell) is a starved timeout; one that finished
    is not."""
    from autograder.worker.sandbox import TaskResult, TaskUsage

    starved = TaskUsage(1.0, 1, run_delay_seconds=4.0, wall_seconds=5.0)
    fed = TaskUsage(4.9, 1, run_delay_seconds=0.1, wall_seconds=5.0)
    timeouts = [
        TaskResult([], "", "timed out after 5 s"),
        TaskResult([{"names": {}}, {"error": "timed out after 1 s"}], "", None),
        TaskResult([], "", None, notes=[{"cell": 2, "kind": "timed_out", "detail": "timed out after 1 s"}]),
    ]
    for result in timeouts:
        assert result.timed_out
        assert replace(result, usage=starved).starved_timeout
        assert not replace(result, usage=fed).starved_timeout
        assert not result.starved_timeout  # no usage record
    finished = TaskResult([{"value": 1.0}], "", None, usage=starved)
    assert not finished.timed_out and not finished.starved_timeout


@pytest.mark.slow
def test_the_sandbox_counts_its_starved_timeouts(monkeypatch):
    """Sandbox.starved_timeouts counts the tasks that timed out starved (here simulated by the usage record); a task
    that slept to its timeout and one that finished, with their real usage records, are not counted."""
    from autograder.worker import Limits, Sandbox
    from autograder.worker import sandbox as sandbox_module

    limits = Limits(call_seconds=1, wall_seconds=2)
    sleeper = {"task": "names", "module": "sleeper.py", "names": ["R"]}
    with Sandbox() as box:
        slept = box.run(sleeper, {"sleeper.py": b"import time\ntime.sleep(30)\n"}, limits)
        finished = box.run(TASK, {"orphan.py": b"R = 1.0\n"}, limits)
        assert slept.timed_out and not finished.timed_out
        assert box.starved_timeouts == 0
        real = sandbox_module.TaskUsage.read
        monkeypatch.setattr(
            sandbox_module.TaskUsage,
            "read",
            lambda record: replace(real(record), run_delay_seconds=2.0, wall_seconds=2.0),
        )
        box.run(sleeper, {"sleeper.py": b"import time\ntime.sleep(30)\n"}, limits)
        box.run(TASK, {"orphan.py": b"R = 1.0\n"}, limits)
        assert box.starved_timeouts == 1


@pytest.mark.slow
def test_a_sleeping_task_reports_its_wall_time_and_no_starvation():
    """The supervisor measures the task's wall time and its processes' run delay (schedstat): a task that sleeps
    waits for nothing, so it is never starved, on any load."""
    from autograder.worker import Limits, Sandbox

    with Sandbox() as box:
        result = box.run(TASK, {"orphan.py": b"import time\ntime.sleep(1)\nR = 1.0\n"}, Limits())
    assert result.replies == [{"names": {"R": 1.0}}]
    assert result.usage is not None and result.usage.wall_seconds >= 1.0
    assert 0 <= result.usage.run_delay_seconds < result.usage.wall_seconds / 2 and not result.usage.starved
