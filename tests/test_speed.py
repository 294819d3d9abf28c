"""What keeps one grading near two Python starts: one BLAS thread in the grader, bytecode compiled at setup, the
configuration parsed once, the calls prepared while the worker starts, no probe task before the first real one
(its checks in every task instead), the clean-up after the last task off the caller's path."""

import io
import json
import os
import shutil
import subprocess
import sys
import threading

import pytest

from autograder.worker import Sandbox
from autograder.worker.host import resolve_python
from conftest import ROOT

THREADS = "print(open('/proc/self/status').read().split('Threads:')[1].split()[0])"


@pytest.mark.skipif((os.cpu_count() or 1) < 2 or not os.path.exists("/proc/self/status"), reason="needs 2 CPUs, Linux")
def test_the_grader_loads_numpy_with_one_blas_thread():
    """Importing the grader before numpy sets one BLAS thread: numpy's import starts no thread (it starts one per
    extra core without it), unless the caller chose a number."""
    clean = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}

    def threads(code, env):
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return int(done.stdout)

    assert threads(f"import numpy; {THREADS}", clean) > 1  # what the grader would get without it
    assert threads(f"import autograder.engine; {THREADS}", clean) == 1
    assert threads(f"import autograder.engine; {THREADS}", {**clean, "OPENBLAS_NUM_THREADS": "2"}) == 2


COLLECTOR = """
import gc, sys
from autograder import cli, grading, check
def seen(**ignored):
    return 10 * gc.isenabled() + (gc.get_freeze_count() > 0)
grading.main = check.main = seen
print(cli.main(sys.argv[2:], whole_process=sys.argv[1] == "whole"), gc.isenabled(), gc.get_freeze_count() > 0)
"""


@pytest.mark.parametrize(
    "argv, whole, said",
    [
        (["grade", ".", "--results", "-"], "whole", "0 False True"),  # no collector, then all frozen for the exit
        (["check", "."], "whole", "0 False True"),
        (["grade", ".", "--results", "-"], "called", "10 True False"),  # in a process that lives on: untouched
    ],
)
def test_one_submissions_process_runs_without_the_garbage_collector(argv, whole, said):
    """`python -m autograder grade` and `check` (and the kit's check.py) are a process's whole life: no cyclic
    collector (its passes over every module's objects cost tens of ms), and what is left is frozen at the end, so
    the interpreter's exit passes it by; a caller that lives on (the batch's pool, the tests) keeps its own."""
    done = subprocess.run([sys.executable, "-c", COLLECTOR, whole, *argv], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == said.split()
    assert "short_lived(" in (ROOT / "kit" / "check.py").read_text()
    assert "whole_process=True" in (ROOT / "autograder" / "__main__.py").read_text()


def test_setup_compiles_the_graders_bytecode_before_closing_its_folder():
    """setup.sh compiles the package (Gradescope's first grading would else compile it), before `chmod go-rwx`."""
    setup = (ROOT / "setup.sh").read_text()
    compiled = setup.index('-m compileall -q "$here/autograder"')
    assert compiled < setup.index('chmod -R go-rwx "$here"')
    done = subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "autograder")], capture_output=True)
    assert done.returncode == 0, done.stdout  # every file of the package compiles (the vendored ones too)


def test_a_configuration_that_loads_is_parsed_once(monkeypatch, tmp_path):
    """The YAML is parsed once; the line map for error messages is composed only when a message needs it."""
    import yaml

    from autograder.config import ConfigError
    from autograder.kinds import load_config

    def composed(*args, **kwargs):
        raise AssertionError("composed again")

    with monkeypatch.context() as patch:
        patch.setattr(yaml, "compose", composed)
        assert load_config().tests
    broken = tmp_path / "broken.yaml"
    broken.write_text((ROOT / "autograder" / "default.yaml").read_text().replace("max_bits: 10", "max_bits: ten"))
    with pytest.raises(ConfigError, match=r"broken.yaml:\d+: `tests\[\d\]\.params\.max_bits`"):
        load_config(broken)


def test_the_grader_prepares_its_calls_before_it_waits_for_the_worker(monkeypatch):
    """grade computes each test's calls (question 2's problems) and imports the report while the worker starts."""
    from autograder import engine, grading
    from autograder.worker.sandbox import SandboxError

    order = []
    monkeypatch.setattr(engine, "prepare", lambda config: order.append("prepare"))

    def started():
        order.append("waited for the worker")
        raise SandboxError("no worker in this test")

    code, results = grading._grade_with(
        started, ROOT / "reference", None, student_output=None, stderr=open(os.devnull, "w")
    )
    assert order == ["prepare", "waited for the worker"]
    assert code == 1 and results["output"].startswith("The autograder itself failed")


def test_replies_of_plain_floats_are_read_as_the_careful_reading_reads_them():
    """The quick reading of an all-float reply gives the array the item-by-item reading gives; a reply with a NaN
    or infinity still gets the careful reading's message."""
    from autograder.judge import lstm_answer

    value = [None, 0.5, -1.25, 3e-300, 2.0]
    assert lstm_answer._read_array(value, 4, "p").tolist() == [0.0, 0.5, -1.25, 3e-300, 2.0]
    assert lstm_answer._read_array([*value[:-1], [2.0]], 4, "p").tolist() == [0.0, 0.5, -1.25, 3e-300, 2.0]
    assert lstm_answer._read_array([*value[:-1], float("nan")], 4, "p") == "not finite at t = 4 on p: got NaN."
    assert lstm_answer._read_array([0.0, float("-inf"), 1.0], 2, "p") == "not finite at t = 1 on p: got minus infinity."


@pytest.mark.skipif(os.geteuid() != 0, reason="drops privileges: needs root")
def test_a_task_checks_that_the_workers_user_can_read_numpy_and_run_python(tmp_path):
    """The readiness probe's checks run in every task's child, as the worker's user, before the student's file is
    opened: numpy that user cannot read, or a Python it cannot run, is a setup error (the grader's)."""
    closed = tmp_path / "closed.py"
    closed.write_text("")
    closed.chmod(0o600)
    code = (
        "import os, sys, numpy\n"
        "from autograder.worker.inside.confine import check_runnable\n"
        "check_runnable()\n"
        "os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)\n"
        "check_runnable()\n"
        "numpy.__file__ = sys.argv[1]\n"
        "try:\n    check_runnable()\nexcept PermissionError as error:\n    print(error)\n"
    )
    python = resolve_python(None)  # the worker's, which every user may run
    done = subprocess.run([python, "-c", code, str(closed)], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"the worker's user cannot read numpy ({closed})\n"


def test_a_sandbox_starts_without_running_a_task(monkeypatch):
    """No probe task before the first real one: the checks it made are made by every task (above)."""
    from autograder.worker import Sandbox

    ran = []
    monkeypatch.setattr(Sandbox, "_run_in", lambda self, *args: ran.append(args))
    with Sandbox():
        pass
    assert ran == []


class UnsetSandbox(Sandbox):
    """A worker whose tasks cannot be set up: each task's folder is gone before its child enters it."""

    def _make_folder(self, files):
        folder = super()._make_folder(files)
        shutil.rmtree(folder)
        return folder


def test_a_broken_worker_setup_is_the_autograders_failure_in_results_json(monkeypatch, tmp_path):
    """A task that fails before the student's file is opened fails the grading as the autograder's failure, said
    as such in results.json: never a 0 that looks like the student's fault."""
    from autograder import grading, startup

    monkeypatch.setattr(startup, "Sandbox", UnsetSandbox)
    results = tmp_path / "results.json"
    code = grading.main(submission=ROOT / "reference", results=results, stdout=io.StringIO(), stderr=io.StringIO())
    written = json.loads(results.read_text())
    assert code == 1 and written["score"] == 0 and written["tests"] == []
    assert written["output"].startswith("The autograder itself failed while grading your submission")
    assert "the worker could not be set up" in written["output"]


def test_the_clean_up_after_the_last_task_is_off_the_callers_path():
    """In dedicated mode the worker user is cleaned up after the last task while the caller goes on (to judge the
    replies): the next task and close() wait for it, and a clean-up that failed fails both."""
    from autograder.worker import Limits, Sandbox, SandboxError

    task, files = {"task": "names", "module": "a.py", "names": ["R"]}, {"a.py": b"R = 1.0\n"}
    box = Sandbox()
    if box._uid is None:
        box.close()
        pytest.skip("a worker user is cleaned up only in dedicated mode (root)")
    real, release, cleaned = box._clean, threading.Event(), []

    def slow():
        release.wait(60)
        real()
        cleaned.append(True)

    def failing():
        raise SandboxError("the worker user rnn-worker could not be cleaned up (processes that survive SIGKILL?)")

    box._clean = slow
    assert box.run(task, files, Limits()).replies == [{"names": {"R": 1.0}}]  # before its clean-up ends
    assert cleaned == []
    release.set()
    box.run(task, files, Limits())  # once that clean-up is done
    assert cleaned
    box._clean = failing
    box.run(task, files, Limits())  # its clean-up fails after it returned
    with pytest.raises(SandboxError, match="could not be cleaned up"):
        box.run(task, files, Limits())
    with pytest.raises(SandboxError, match="could not be cleaned up"):
        box.close()


def test_the_worker_is_launched_before_the_judges_are_imported_and_waited_for_at_the_first_task():
    """early_sandbox launches the zygote from the calling thread and returns at once (no thread that would start
    it behind the judges' imports); the function it yields waits for the hello, and the first task works."""
    from autograder.startup import early_sandbox
    from autograder.worker import Limits

    with early_sandbox() as started:
        box = started.__self__
        assert box._zygote.poll() is None and not box._ready  # launched, its hello not yet read
        task, files = {"task": "names", "module": "a.py", "names": ["R"]}, {"a.py": b"R = 1.0\n"}
        assert started().run(task, files, Limits()).replies == [{"names": {"R": 1.0}}]
        assert box._ready
    assert box._zygote is None


def test_a_worker_that_cannot_be_made_is_said_where_the_grading_asks_for_it(monkeypatch):
    """A Sandbox() that raises (a worker user missing, the grader's files open) raises where the grading asks for
    the worker, inside its own error handling, not while early_sandbox launches it."""
    from autograder import startup
    from autograder.worker import SandboxError

    def refuse(**options):
        raise SandboxError("the worker user 'rnn-worker' does not exist")

    monkeypatch.setattr(startup, "Sandbox", refuse)
    with startup.early_sandbox() as started:
        with pytest.raises(SandboxError, match="does not exist"):
            started()


def test_a_worker_launched_but_never_used_is_stopped_at_once():
    """close() of a sandbox whose zygote was launched and never waited for (a broken configuration, say) kills
    it rather than waiting for it to finish starting."""
    from autograder.worker import Sandbox

    box = Sandbox(wait=False)
    zygote = box._zygote
    box.close()
    assert zygote.returncode is not None


def test_a_worker_user_no_grader_held_since_its_lock_file_was_made_is_not_cleaned_first(tmp_path, monkeypatch):
    """A lease that makes the worker user's lock file (the lease folder is a tmpfs: made at boot, and on Gradescope
    with the container, so: every Gradescope grading) knows no grader held that user, so none can have left anything
    of it: the clean-up before the first task is not asked (a process and about 20 ms of CPU). The next lease of the
    user finds the file, and cleans first."""
    from autograder.worker import Sandbox
    from autograder.worker.host import Lease, dedicated_users

    if os.geteuid() != 0:
        pytest.skip("a worker user exists only as root (dedicated mode)")
    held = Lease(dedicated_users(None), 60)  # in the real folder: no other test uses the user meanwhile
    try:
        folder = tmp_path / "leases"
        folder.mkdir(mode=0o700)
        monkeypatch.setattr("autograder.worker.host.LEASES", str(folder))
        for fresh in (True, False):
            box = Sandbox(user=held.name, wait=False)
            try:
                assert box._lease.fresh is fresh
                assert (box._first_clean is None) is fresh
                box.ready()
            finally:
                box.close()
    finally:
        held.release()


def test_a_dead_graders_leftovers_are_cleaned_while_the_worker_starts():
    """In dedicated mode the clean-up of what a grader that died holding the worker user left is asked for at
    launch (the zygote runs it before any task) and waited for by ready(): its processes are gone before the
    first task runs."""
    import pwd

    from autograder.worker import Sandbox
    from autograder.worker.host import Lease, dedicated_users

    if os.geteuid() != 0:
        pytest.skip("a worker user exists only as root (dedicated mode)")
    lease = Lease(dedicated_users(None), 60)
    name, uid, gid = lease.name, lease.uid, lease.gid
    left = subprocess.Popen(  # a daemon that a dead grader's student left behind
        ["sleep", "120"], user=uid, group=gid, extra_groups=[], start_new_session=True, cwd="/"
    )
    lease.release()
    try:
        box = Sandbox(user=name, wait=False)
        try:
            assert box._first_clean is not None  # asked before the hello was read
            box.ready()
            assert box._first_clean is None
            left.wait(timeout=10)  # killed by the clean-up, before any task
            assert pwd.getpwuid(box._uid).pw_name == name
        finally:
            box.close()
    finally:
        if left.poll() is None:
            left.kill()
            left.wait()
