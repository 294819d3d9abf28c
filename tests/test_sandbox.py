"""Tests of the sandbox: student code runs in a limited worker and only plain data comes back."""

import importlib.util
import math
import os
import pwd
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from autograder.worker import Limits, Sandbox, SandboxError
from autograder.worker.host import LEASES, check_closed, dedicated_users, resolve_python, worker_users
from autograder.worker.inside.wire import (
    MAX_REPLY_CONTAINERS,
    MAX_REPLY_VALUES,
    Room,
    count_values,
    nesting,
    parse_reply,
)
from autograder.worker.sandbox import compile_once, scratch_folder
from conftest import task_processes

ROOT = os.geteuid() == 0
REPO = Path(__file__).resolve().parents[1]
root_only = pytest.mark.skipif(not ROOT, reason="the worker drops privileges only when the grader runs as root")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as box:
        yield box


def outside_tmp():
    """Where a test puts what the worker should see: each task has its own empty /tmp (as root; not root, where
    the system allows user namespaces), so not there."""
    if not ROOT:
        os.makedirs(REPO / ".rnn-tests", exist_ok=True)  # a copy of the repository of one's own
        return str(REPO / ".rnn-tests")
    os.makedirs("/run/rnn-autograder-tests", mode=0o755, exist_ok=True)
    return "/run/rnn-autograder-tests"


def source(text):
    return textwrap.dedent(text).encode()


DEFAULT_LIMITS = Limits()


def call(sandbox, text, calls=({},), limits=DEFAULT_LIMITS, function="f"):
    """Run `function` of a student file holding `text` once per argument dict in `calls`."""
    task = {"task": "call", "module": "student.py", "function": function, "calls": list(calls)}
    return sandbox.run(task, {"student.py": source(text)}, limits)


def names(sandbox, text, wanted=("U", "V", "W", "b_h", "b_y")):
    task = {"task": "names", "module": "adder.py", "names": list(wanted)}
    return sandbox.run(task, {"adder.py": source(text)}, Limits())


@pytest.fixture
def shared_folder():
    """A folder the worker may write to, for the notes left by a task's processes. As root, not in /tmp:
    each task has its own empty /tmp there."""
    folder = tempfile.mkdtemp(dir=outside_tmp())
    os.chmod(folder, 0o1777)
    yield Path(folder)
    shutil.rmtree(folder)


def alive(pids):
    """Those of `pids` that still exist (reaped processes leave /proc)."""
    return [pid for pid in pids if os.path.exists(f"/proc/{pid}")]


# -- the two tasks -----------------------------------------------------------------------------


def test_names_task_returns_module_level_values_as_plain_floats(sandbox):
    """A names task imports the file and sends back the asked names as floats, absent ones left out."""
    result = names(
        sandbox,
        """
        import numpy as np
        U = np.array([[1, 0], [0, 1], [1, 1]])
        V = [1, -1, 0.5]
        b_y = -1
        W = "three by three"
        print("imported")
    """,
    )
    assert result.failure is None
    assert result.output == "imported\n"
    assert result.replies == [
        {
            "names": {
                "U": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
                "V": [1.0, -1.0, 0.5],
                "W": "<not a number: type 'str'>",
                "b_y": -1.0,
            }
        }
    ]


def test_import_error_shows_only_the_students_frames(sandbox):
    """An exception at import is one error reply with a traceback trimmed to the student's file."""
    result = names(
        sandbox,
        """
        U = 1
        x = 1 / 0
    """,
    )
    assert result.failure is None
    (reply,) = result.replies
    assert reply["error"].startswith(
        "Importing adder.py failed:\nTraceback (most recent call last):\n"
        '  File "adder.py", line 3, in <module>\n    x = 1 / 0\n'
    )
    assert reply["error"].endswith("\nZeroDivisionError: division by zero")
    assert "importlib" not in reply["error"]


def test_syntax_error_names_the_file_without_its_folder(sandbox):
    """A syntax error is reported with the bare file name, never the worker's folder."""
    result = names(sandbox, "U = [1, 2\n")
    (reply,) = result.replies
    assert reply["error"].startswith('Importing adder.py failed:\n  File "adder.py", line 1')
    assert "SyntaxError" in reply["error"]
    assert "/" not in reply["error"]


def test_call_task_answers_every_call_in_order(sandbox):
    """A call task sends one value per call, in order, from fresh arguments."""
    result = call(
        sandbox,
        """
        def f(x, weights, n):
            return {"sum": x.sum() * weights["w_ix"], "n": n, "shape": x.shape}
    """,
        calls=[{"x": {"__array__": [1, 2]}, "weights": {"w_ix": 2.0}, "n": k} for k in range(3)],
    )
    assert result.failure is None
    assert result.replies == [{"value": {"sum": 6.0, "n": float(k), "shape": [2.0]}} for k in range(3)]


def test_arrays_round_trip_as_float64_including_non_finite_values(sandbox):
    """Arrays arrive as float64 numpy arrays and come back as nested floats, NaN and infinity kept."""
    result = call(
        sandbox,
        """
        import numpy as np
        def f(a):
            return {"a": a, "dtype": a.dtype.name, "special": np.array([np.nan, np.inf, -np.inf])}
    """,
        calls=[{"a": {"__array__": [[1, 2.5], [3, 4]]}}],
    )
    (reply,) = result.replies
    assert reply["value"]["a"] == [[1.0, 2.5], [3.0, 4.0]]
    assert reply["value"]["dtype"] == "<not a number: type 'str'>"
    nan, inf, minus_inf = reply["value"]["special"]
    assert math.isnan(nan) and inf == math.inf and minus_inf == -math.inf


def test_mutating_arguments_changes_nothing_for_the_next_call(sandbox):
    """A function that changes its arguments in place gets fresh, unchanged ones on the next call."""
    result = call(
        sandbox,
        """
        seen = []
        def f(x, forward):
            for old in seen:
                old[:] = -100.0
            seen.append(x)
            total = float(x.sum() + forward["h"].sum())
            x *= 10
            forward["h"][:] = 7.0
            forward.clear()
            return total
    """,
        calls=[{"x": {"__array__": [1.0, 2.0]}, "forward": {"h": {"__array__": [0.5, 0.5]}}}] * 3,
    )
    assert result.replies == [{"value": 4.0}] * 3


def test_an_exception_in_a_call_is_an_error_reply_and_later_calls_still_run(sandbox):
    """A call that raises gives an error with the student's frames; the next call is answered."""
    result = call(
        sandbox,
        """
        def helper(k):
            return 1 / k
        def f(k):
            return helper(k)
    """,
        calls=[{"k": 0}, {"k": 4}],
    )
    assert result.failure is None
    assert result.replies[1] == {"value": 0.25}
    error = result.replies[0]["error"]
    assert error.startswith('Traceback (most recent call last):\n  File "student.py", line 5, in f\n')
    assert '  File "student.py", line 3, in helper\n' in error
    assert error.endswith("ZeroDivisionError: division by zero")


def test_a_missing_function_is_an_error_for_every_call(sandbox):
    """A file without the asked function answers every call with the same clear error."""
    result = call(sandbox, "def g(): pass\n", calls=[{}, {}])
    assert result.replies == [{"error": "student.py defines no function named 'f'."}] * 2


@pytest.mark.parametrize(
    "statement, shown",
    [
        ("raise SystemExit(3)", "SystemExit: 3"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("import sys; sys.exit('bye')", "SystemExit: bye"),
    ],
    ids=["SystemExit", "KeyboardInterrupt", "sys.exit"],
)
def test_system_exit_and_keyboard_interrupt_in_a_call_are_errors(sandbox, statement, shown):
    """SystemExit and KeyboardInterrupt raised by the function are errors of that call, not of the task."""
    result = call(
        sandbox,
        f"""
        def f(k):
            if k == 0:
                {statement}
            return k
    """,
        calls=[{"k": 0}, {"k": 1}],
    )
    assert result.failure is None
    assert result.replies[0]["error"].endswith(shown)
    assert result.replies[1] == {"value": 1.0}


def test_sys_exit_at_import_is_an_error_reply(sandbox):
    """sys.exit() while the file is imported is caught like any exception."""
    result = names(sandbox, "import sys\nU = 1\nsys.exit(3)\n")
    assert result.failure is None
    assert result.replies[0]["error"].endswith("SystemExit: 3")


def test_os_exit_in_the_function_ends_the_task_with_the_calls_so_far(sandbox):
    """os._exit in the function ends the task early; the calls answered before it are kept."""
    result = call(
        sandbox,
        """
        import os
        def f(k):
            if k == 2:
                os._exit(3)
            return k
    """,
        calls=[{"k": 1}, {"k": 2}, {"k": 3}],
    )
    assert result.replies == [{"value": 1.0}]
    assert result.failure == "exited early with status 3 (sys.exit?)"


def test_a_process_killed_by_a_signal_says_which(sandbox):
    """A worker killed by a signal fails the task with the signal's number."""
    result = call(sandbox, "import os, signal\ndef f():\n    os.kill(os.getpid(), signal.SIGKILL)\n")
    assert result.failure == "was killed by signal 9"


# -- plain data only ---------------------------------------------------------------------------


def test_objects_that_lie_become_markers_or_their_true_values(sandbox):
    """Conversion uses the base types' own methods: lying __float__, __iter__, __array__, __class__ change nothing."""
    result = call(
        sandbox,
        """
        import numpy as np

        class LyingFloat(float):
            def __float__(self):
                return "nonsense"

        class Raises:
            def __float__(self):
                raise RuntimeError("no")
            def __array__(self, *args, **kwargs):
                raise RuntimeError("no")
            def __eq__(self, other):
                raise RuntimeError("no")

        class LyingList(list):
            def __iter__(self):
                raise RuntimeError("no")

        class Pretender:
            @property
            def __class__(self):
                return np.ndarray

        def f():
            deep = []
            for _ in range(1000):
                deep = [deep]
            return {
                "lying_float": LyingFloat(2.5),
                "raises": Raises(),
                "lying_list": LyingList([1, 2]),
                "pretender": Pretender(),
                "deep": deep,
                "objects": np.array([1, "a"], dtype=object),
                "flag": True,
                "nothing": None,
                "numpy_scalars": (np.int64(3), np.float32(0.5)),
                "complex": 1j,
                7: "a key that is not a string is dropped",
            }
    """,
    )
    value = result.replies[0]["value"]
    depth = 0
    while isinstance(value["deep"], list):
        value["deep"], depth = value["deep"][0], depth + 1
    assert depth > 10 and value.pop("deep") == "<not a number: type 'list'>"
    assert value == {
        "lying_float": 2.5,
        "raises": "<not a number: type 'Raises'>",
        "lying_list": [1.0, 2.0],
        "pretender": "<not a number: type 'Pretender'>",
        "objects": [1, "<not a number: type 'str'>"],  # an object array crosses element by element
        "flag": "<not a number: type 'bool'>",
        "nothing": "<not a number: type 'NoneType'>",
        "numpy_scalars": [3.0, 0.5],
        "complex": "<not a number: type 'complex'>",
    }


def test_garbage_on_the_reply_pipe_fails_the_task(sandbox):
    """Bytes on the reply pipe that are not JSON data fail the task."""
    result = call(sandbox, "import os\ndef f():\n    os.write(3, b'surprise\\n')\n    return 1\n")
    assert result.failure == "sent something that is not data"


@pytest.mark.parametrize("depth", [150, 100_000])
def test_a_reply_nested_too_deep_is_not_data_and_never_recursed_on(sandbox, depth):
    """A reply written straight to the pipe, nested past any real answer (or past Python's recursion
    limit), fails the task as "not data"; the grader measures its depth on the bytes, without parsing."""
    result = call(
        sandbox,
        f"""
        import os
        def f():
            os.write(3, b'{{"value": ' + b'[' * {depth} + b']' * {depth} + b'}}\\n{{"done": true}}\\n')
            os._exit(0)
    """,
    )
    assert result.failure == "sent something that is not data"
    assert result.replies == []


def test_depth_is_counted_outside_strings_only():
    """Brackets inside strings (escaped quotes included) do not count as nesting."""
    assert nesting(b'{"value": [[1, 2], "[[[\\"[[", {"k": "]]"}]}') == 3
    assert parse_reply(b'{"value": ' + b"[" * 99 + b"]" * 99 + b"}") is not None
    assert parse_reply(b'{"value": ' + b"9" * 5000 + b"}") is None  # longer than any number anyone meant


def test_values_are_counted_outside_strings_before_a_line_is_parsed():
    """count_values: every value (keys, lists and dicts included), never what is inside a string; an empty list
    or dict counts one more. parse_reply refuses a line that holds more than a task may, and a Room counts the
    lines of one task together."""
    assert count_values(b'{"a":1,"b":[2,3]}') == (7, 2)  # the dict, "a", 1, "b", the list, 2, 3
    assert count_values(b'{"value":"[{,:}]"}') == (3, 1)
    assert count_values(b"[{},{}]") == (5, 3)
    many = b'{"value":[' + b"{}," * MAX_REPLY_CONTAINERS + b"0]}"
    assert parse_reply(many) is None
    assert parse_reply(many.replace(b"{},", b"0,")) is not None  # as many numbers fit
    room, half = Room(), b'{"value":[' + b"0," * (MAX_REPLY_VALUES // 2) + b"0]}"
    assert parse_reply(half, room) is not None and not room.full
    assert parse_reply(half, room) is None and room.full


def test_replies_of_too_many_values_fail_the_task(sandbox):
    """Values written on the reply pipe past what a task may send are refused before they are read."""
    result = call(sandbox, "import os\ndef f():\n    os.write(3, b'{\"value\":[' + b'[],' * 30000 + b'0]}\\n')\n")
    assert result.failure.startswith("sent more values back than the grader reads (200,000 numbers")
    assert result.replies == []


def test_a_single_value_of_too_many_values_is_an_error_of_that_call(sandbox):
    """A return value holding more values than a task may send becomes an error reply; the task goes on."""
    result = call(sandbox, "def f(n):\n    return [[0]] * n\n", calls=[{"n": 30_000}, {"n": 2}])
    assert result.replies == [
        {
            "error": "returned a value too large to send back (60001 values, 30001 of them lists and dicts; limits "
            "200000 and 20000 for all the calls together)"
        },
        {"value": [[0], [0]]},
    ]
    assert result.failure is None


def test_forged_extra_replies_fail_the_task(sandbox):
    """More replies than requests (forged on the reply pipe) fail the task."""
    result = call(sandbox, "import os\ndef f():\n    os.write(3, b'{\"value\": 5}\\n')\n    return 1\n")
    assert result.replies == [{"value": 5}]
    assert result.failure == "sent something that is not data"


def test_too_much_reply_data_fails_the_task(sandbox):
    """Replies larger than reply_bytes in all fail the task."""
    result = call(
        sandbox, "import os\ndef f():\n    os.write(3, b' ' * 5000)\n    return 1\n", limits=Limits(reply_bytes=1000)
    )
    assert result.failure == "sent more than 0.001 MB back"


def test_a_single_value_too_large_is_an_error_of_that_call(sandbox):
    """A return value larger than reply_bytes becomes an error reply; the task goes on."""
    result = call(
        sandbox, "def f(n):\n    return [0.5] * n\n", calls=[{"n": 10_000}, {"n": 2}], limits=Limits(reply_bytes=20_000)
    )
    assert result.replies == [
        {"error": "returned a value too large to send back (40011 bytes, limit 20000)"},
        {"value": [0.5, 0.5]},
    ]
    assert result.failure is None


# -- limits ------------------------------------------------------------------------------------


def test_an_endless_call_times_out_and_the_later_calls_are_not_made(sandbox):
    """A call that never returns is stopped after call_seconds; later calls are skipped, bounding the task."""
    result = call(
        sandbox,
        """
        def f(k):
            while k == 0:
                pass
            return k
    """,
        calls=[{"k": 1}, {"k": 0}, {"k": 2}],
        limits=Limits(call_seconds=0.5),
    )
    assert result.replies == [
        {"value": 1.0},
        {"error": "timed out after 0.5 s"},
        {"error": "not called: an earlier call timed out after 0.5 s"},
    ]
    assert result.failure is None


def test_code_that_swallows_the_alarm_is_killed_at_the_wall_clock(sandbox):
    """A loop that catches every timeout still ends: the whole task is killed after wall_seconds."""
    result = call(
        sandbox,
        """
        def f():
            while True:
                try:
                    while True:
                        pass
                except BaseException:
                    pass
    """,
        limits=Limits(call_seconds=0.2, wall_seconds=2),
    )
    assert result.replies == []
    assert result.failure == "timed out after 2 s"


def test_cpu_time_is_limited(sandbox):
    """A process that burns CPU past cpu_seconds is stopped with a clear reason."""
    result = call(
        sandbox,
        "def f():\n    while True:\n        pass\n",
        limits=Limits(call_seconds=30, cpu_seconds=1, wall_seconds=20),
    )
    assert result.failure == "used more than 1 s of CPU time"


@pytest.mark.parametrize("allocation", ["bytearray(2 * 1024 ** 3)", "np.ones(1 << 31)", "[0] * (1 << 31)"])
def test_a_memory_bomb_is_an_out_of_memory_error(sandbox, allocation):
    """Allocating more than memory_mb fails that call with 'ran out of memory' and the limit."""
    result = call(sandbox, f"import numpy as np\ndef f():\n    return {allocation}\n")
    assert result.failure is None
    assert result.replies[0]["error"].startswith("ran out of memory (limit 512 MB)\nTraceback")
    assert "MemoryError" in result.replies[0]["error"]


def test_a_growing_memory_bomb_is_stopped_too(sandbox):
    """Memory eaten bit by bit stops at the limit with the same error, and the task survives."""
    result = call(
        sandbox,
        """
        def f():
            blocks = []
            while True:
                blocks.append(bytearray(1 << 20))
    """,
        limits=Limits(memory_mb=300),
    )
    assert result.failure is None
    assert result.replies[0]["error"].startswith("ran out of memory (limit 300 MB)")


def test_a_fork_bomb_is_bounded_and_leaves_nothing(sandbox, shared_folder):
    """Forking without end stops at the process limit, and no process of it survives the task."""
    pids = shared_folder / "pids"
    result = call(
        sandbox,
        f"""
        import os
        def f():
            while True:
                if os.fork() == 0:
                    with open({str(pids)!r}, "a") as out:
                        out.write(f"{{os.getpid()}}\\n")
    """,
        limits=Limits(processes=16, wall_seconds=10),
    )
    assert result.failure is None
    assert "BlockingIOError" in result.replies[0]["error"]
    forked = [int(line) for line in pids.read_text().split()]
    assert forked and alive(forked) == []


def test_huge_output_is_cut_with_a_note(sandbox):
    """Printed output beyond output_bytes is dropped with a note, and the task still finishes."""
    result = call(
        sandbox,
        """
        def f():
            for i in range(100_000):
                print("spam " * 20)
            return 1
    """,
        limits=Limits(output_bytes=1000),
    )
    assert result.replies == [{"value": 1.0}]
    assert (
        result.output
        == ("spam " * 20 + "\n") * 9
        + ("spam " * 20)[: 1000 - 9 * 101]
        + f"\n[... {100_000 * 101 - 1000} more bytes of output cut]"
    )


def test_a_file_larger_than_the_limit_cannot_be_written(sandbox):
    """Writing past file_size_mb fails with 'File too large'."""
    result = call(sandbox, "def f():\n    open('big', 'wb').write(bytes(2 << 20))\n", limits=Limits(file_size_mb=1))
    assert "File too large" in result.replies[0]["error"]


def test_a_daemon_is_dead_when_run_returns(shared_folder):
    """A double-forked daemon that would write a file later is killed before run() returns."""
    marker, pidfile = str(shared_folder / "marker"), str(shared_folder / "pid")
    with Sandbox() as box:
        result = call(
            box,
            f"""
            import os, time
            def f():
                if os.fork() == 0:
                    os.setsid()
                    if os.fork() == 0:
                        with open({pidfile!r}, "w") as out:
                            out.write(str(os.getpid()))
                        time.sleep(0.5)
                        open({marker!r}, "w").write("still alive")
                    os._exit(0)
                while not os.path.exists({pidfile!r}):
                    time.sleep(0.01)
                return 1
        """,
        )
        assert result.replies == [{"value": 1.0}]
        time.sleep(1)  # twice the daemon's delay
        pid = int(Path(pidfile).read_text())
    assert not os.path.exists(marker)
    assert alive([pid]) == []


# -- isolation ---------------------------------------------------------------------------------


def test_only_the_given_files_are_importable(sandbox):
    """Neither the grader's package nor other files are on the worker's import path."""
    result = call(sandbox, "def f():\n    import autograder\n")
    assert result.replies[0]["error"].endswith("ModuleNotFoundError: No module named 'autograder'")


def test_the_worker_environment_is_clean(monkeypatch):
    """The grader's environment variables do not reach the worker."""
    monkeypatch.setenv("AUTOGRADER_TEST_SECRET", "hunter2")
    with Sandbox() as box:
        result = call(box, "import os\ndef f():\n    return [float('SECRET' in k) for k in os.environ]\n")
    assert result.replies[0]["value"] and not any(result.replies[0]["value"])


def test_two_threads_can_run_tasks_at_once(sandbox, shared_folder):
    """run() may be called from two threads at the same time: the two tasks run at once (each one's first call
    waits for a file that only the other's creates, which a sandbox running tasks one after the other never
    satisfies), and each gets its own answers."""
    student = f"""
import os, time
def f(me, partner):
    open(os.path.join({str(shared_folder)!r}, str(me)), "w").close()
    deadline = time.monotonic() + 4  # under the call's 5 s: a task left waiting answers 0, not a timeout
    while not os.path.exists(os.path.join({str(shared_folder)!r}, str(partner))):
        if time.monotonic() > deadline:
            return [me, 0]
        time.sleep(0.01)
    return [me, 1]
"""
    results = {}

    def work(me, partner):
        results[me] = call(sandbox, student, calls=[{"me": me, "partner": partner}, {"me": me + 1, "partner": me}])

    threads = [threading.Thread(target=work, args=pair) for pair in ((10, 20), (20, 10))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results[10].replies == [{"value": [10.0, 1.0]}, {"value": [11.0, 1.0]}]
    assert results[20].replies == [{"value": [20.0, 1.0]}, {"value": [21.0, 1.0]}]


def test_a_dead_zygote_is_restarted_on_the_next_run():
    """If the pre-started worker dies between tasks, the next task starts a new one."""
    with Sandbox() as box:
        box._zygote.kill()
        box._zygote.wait()
        result = call(box, "def f():\n    return 2\n")
    assert result.replies == [{"value": 2.0}]


def fake_python(folder: Path, script: str) -> str:
    """An interpreter for the worker that runs `script` (sh) first; "$PYTHON" there is the real one."""
    path = folder / "python"
    path.write_text(f"#!/bin/sh\nPYTHON={shlex.quote(resolve_python(None))}\n{script}\n")
    path.chmod(0o755)
    return str(path)


def test_a_worker_that_dies_while_starting_is_started_once_more(tmp_path):
    """The first zygote is killed before it says it is ready (the machine's OOM killer, say): the
    sandbox starts a second one instead of failing the grading."""
    marker = tmp_path / "started"
    python = fake_python(tmp_path, f'[ -e {marker} ] || {{ : > {marker}; kill -9 $$; }}\nexec "$PYTHON" "$@"')
    with Sandbox(mode="self", python=python) as box:
        result = call(box, "def f():\n    return 2\n")
    assert marker.exists() and result.replies == [{"value": 2.0}]


@pytest.mark.parametrize(
    ("script", "says"),
    [
        ("kill -9 $$", "it was killed by signal 9 (Killed); it said: no message"),
        ("echo 'no numpy here' >&2; exit 3", "it exited with status 3; it said: no numpy here"),
        ("exec sleep 30", "it did not say it was ready within 0.5 s"),
    ],
    ids=["killed", "exits", "silent"],
)
def test_a_worker_that_cannot_start_says_how_it_ended(tmp_path, monkeypatch, script, says):
    """Every attempt fails: the grader's error says how (killed, exit status and message, no hello in time)."""
    monkeypatch.setattr("autograder.worker.sandbox.START_SECONDS", 0.5)
    with pytest.raises(SandboxError, match="the worker could not start") as raised:
        Sandbox(mode="self", python=fake_python(tmp_path, script))
    assert says in str(raised.value)


@pytest.mark.slow
def test_a_tree_of_any_depth_is_removed_without_following_links(tmp_path):
    """remove_tree takes a 3000-deep chain (shutil.rmtree's recursion overflows on it, and its paths pass
    PATH_MAX), a wide folder and a closed one, and removes a link, never what it points to."""
    from autograder.worker.inside.cleanup import remove_tree

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    tree = tmp_path / "tree"
    tree.mkdir()
    fd = os.open(tree, os.O_DIRECTORY)
    for _ in range(3000):  # relative steps: the whole path is far past PATH_MAX
        os.mkdir("d", dir_fd=fd)
        deeper = os.open("d", os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = deeper
    os.close(fd)
    for k in range(2000):
        (tree / f"f{k}").write_bytes(b"x")
    (tree / "link").symlink_to(outside, target_is_directory=True)
    closed = tree / "closed"
    (closed / "inner").mkdir(parents=True)
    closed.chmod(0)
    assert remove_tree(str(tree)) is True
    assert not tree.exists() and (outside / "keep.txt").read_text() == "keep"
    assert remove_tree(str(tree)) is True  # already gone: nothing to do


@root_only
def test_hidden_folders_and_the_network_are_out_of_a_tasks_reach():
    """A batch's export and results, readable by anyone, are covered in each task's namespaces (`hide`),
    and the task has no network: a student can neither read a classmate's upload nor send anything out."""
    os.makedirs("/srv", exist_ok=True)  # not one of the shared places every task gets covered anyway
    classmate = Path(tempfile.mkdtemp(prefix="rnn-export-", dir="/srv"))
    try:
        classmate.chmod(0o755)
        (classmate / "answers.txt").write_text("a classmate's work")
        (classmate / "answers.txt").chmod(0o644)
        spy = (
            "import os, socket\n"
            "def f(folder):\n"
            "    try:\n"
            "        seen = os.listdir(folder)\n"
            "    except OSError as error:\n"
            "        seen = [type(error).__name__]\n"
            "    try:\n"  # the filter refuses socket() itself; the network namespace, a connection
            "        s = socket.socket()\n"
            "        s.settimeout(2)\n"
            "        s.connect(('1.1.1.1', 53))\n"
            "        net = 1.0\n"
            "    except OSError:\n"
            "        net = 0.0\n"
            "    return [float(len(seen) == 1 and seen[0] == 'answers.txt'), net]\n"
        )
        with Sandbox() as box:
            seen = call(box, spy, calls=({"folder": str(classmate)},))
        with Sandbox(hide=(str(classmate),)) as box:
            hidden = call(box, spy, calls=({"folder": str(classmate)},))
        assert seen.replies == [{"value": [1.0, 0.0]}], seen  # readable by anyone: only `hide` covers it
        assert hidden.replies == [{"value": [0.0, 0.0]}], hidden
    finally:
        shutil.rmtree(classmate)


@root_only
@pytest.mark.skipif(os.uname().machine not in ("x86_64", "aarch64"), reason="keyctl's number is known for these")
def test_a_key_left_in_the_kernel_keyring_is_gone_for_the_next_task():
    """A task cannot add a key to its user's keyring (which outlives processes): the filter refuses it, and
    the next task, as the same user, finds nothing. (The clean-up empties the keyring anyway: test_isolation.py.)"""
    add_key, keyctl = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]
    code = (
        "import ctypes\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "def leave():\n"
        f"    return float(libc.syscall({add_key}, b'user', b'rnn-note', b'U=1', 3, -4) > 0)\n"
        "def find():\n"
        f"    return float(libc.syscall({keyctl}, 10, -4, b'user', b'rnn-note', 0) > 0)\n"
    )
    with Sandbox(user="rnn-worker") as box:
        left = call(box, code, function="leave")
        found = call(box, code, function="find")
    assert left.replies == [{"value": 0.0}] and found.replies == [{"value": 0.0}]


def test_folders_of_dead_graders_are_removed_at_start():
    """A new sandbox removes the folders that a killed grader left behind, and keeps live ones."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    scratch = scratch_folder() or tempfile.gettempdir()
    stale = tempfile.mkdtemp(prefix=f"rnn-sandbox-{dead.pid}-", dir=scratch)
    live = tempfile.mkdtemp(prefix=f"rnn-sandbox-{os.getpid()}-", dir=scratch)
    try:
        with Sandbox():
            assert not os.path.exists(stale)
            assert os.path.exists(live)
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        shutil.rmtree(live)


def test_a_live_graders_folder_is_kept_even_when_its_pid_looks_dead():
    """A grader in another PID namespace (a container sharing /dev/shm) names its folder after a pid that means
    nothing here: its locked ALIVE file keeps the folder; once the lock is gone (the grader died), it is removed."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    scratch = scratch_folder() or tempfile.gettempdir()
    # Locked under another name first, then named after the dead pid: a sandbox made meanwhile by another test
    # process would rightly remove an unlocked folder of a dead pid.
    locking = tempfile.mkdtemp(prefix="rnn-test-locking-", dir=scratch)
    other = os.path.join(scratch, f"rnn-sandbox-{dead.pid}-{os.path.basename(locking)}")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys, time; from autograder.worker.sandbox import hold_alive;"
            " h = hold_alive(sys.argv[1]); os.rename(sys.argv[1], sys.argv[2]); print('held', flush=True);"
            " time.sleep(60)",
            locking,
            other,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        with Sandbox():
            assert os.path.exists(other)  # its grader lives
        holder.kill()
        holder.wait()
        with Sandbox():
            assert not os.path.exists(other)  # its grader died: the lock went with it
    finally:
        holder.kill()
        holder.wait()
        shutil.rmtree(other, ignore_errors=True)
        shutil.rmtree(locking, ignore_errors=True)


def test_bad_file_names_are_refused(sandbox):
    """Only plain file names can be handed to the worker."""
    with pytest.raises(ValueError, match="not a plain file name"):
        sandbox.run({"task": "names", "module": "../adder.py", "names": []}, {"../adder.py": b""}, Limits())


@root_only
def test_the_worker_runs_as_the_worker_user(sandbox):
    """As root, student code runs as the leased worker user, with no supplementary groups."""
    result = call(
        sandbox, "import os\ndef f():\n    return [os.getuid(), os.geteuid(), os.getgid(), len(os.getgroups())]\n"
    )
    entry = pwd.getpwnam(sandbox.user)
    assert sandbox.user in worker_users()
    assert result.replies == [{"value": [float(entry.pw_uid), float(entry.pw_uid), float(entry.pw_gid), 0.0]}]


@root_only
def test_the_worker_cannot_read_a_root_only_file(sandbox):
    """As root, a file readable only by root cannot be read by the worker."""
    with tempfile.NamedTemporaryFile("w", dir=outside_tmp()) as secret:
        secret.write("the answer")
        secret.flush()
        os.chmod(secret.name, 0o600)
        result = call(sandbox, f"def f():\n    return open({secret.name!r}).read()\n")
    assert "PermissionError" in result.replies[0]["error"]


@root_only
def test_the_worker_cannot_read_the_reference_solutions(sandbox):
    """As root, the repository's reference/ folder is closed to the worker (setup.sh closes the repo)."""
    if os.stat(REPO).st_mode & 0o007:
        pytest.skip("setup.sh has not closed this checkout to other users")
    result = call(sandbox, f"import os\ndef f():\n    return os.listdir({str(REPO / 'reference')!r})\n")
    # PermissionError; or, for a checkout under /tmp, FileNotFoundError: the task's /tmp is its own tmpfs
    assert re.search(r"\n(PermissionError|FileNotFoundError): ", result.replies[0]["error"])


@root_only
def test_the_worker_cannot_write_a_root_owned_folder(sandbox):
    """As root, the worker cannot create files in a folder owned by root."""
    with tempfile.TemporaryDirectory(dir=outside_tmp()) as folder:
        os.chmod(folder, 0o755)
        result = call(sandbox, f"def f():\n    open({folder + '/results.json'!r}, 'w').write('{{}}')\n")
        assert "PermissionError" in result.replies[0]["error"]
        assert os.listdir(folder) == []


@root_only
def test_without_the_worker_user_root_refuses_to_run_student_code(monkeypatch):
    """As root, a missing worker user is a setup error, never a reason to run student code as root."""
    monkeypatch.setenv("AUTOGRADER_WORKER_USER", "no-such-user-here")
    with pytest.raises(
        SandboxError, match=r"the worker user 'no-such-user-here' does not exist; run ./setup.sh as root"
    ):
        Sandbox(mode="dedicated")
    with pytest.raises(SandboxError, match="refusing to run student code as root"):
        dedicated_users("root")


@pytest.mark.skipif(ROOT, reason="checks the behaviour for a grader that is not root")
def test_without_root_the_worker_runs_as_the_grader_user(sandbox):
    """Not root, the worker runs as the grader's own user, and a dedicated worker user is refused."""
    result = call(sandbox, "import os\ndef f():\n    return os.getuid()\n")
    assert sandbox.mode == "self"
    assert result.replies == [{"value": float(os.getuid())}]
    with pytest.raises(SandboxError, match="only root can run student code as a dedicated worker user"):
        Sandbox(mode="dedicated")


# -- leftovers: after a task, nothing of the worker user remains -------------------------------

LEFTOVERS = """
import ctypes, os, time
def f(token, key):
    for place in ("/tmp", "/var/tmp", "/dev/shm", "/run/lock"):
        open(os.path.join(place, token), "w").write("left")
        os.makedirs(os.path.join(place, token + "-dir", "inner"))
        open(os.path.join(place, token + "-dir", "inner", "file"), "w").close()
    libc = ctypes.CDLL(None, use_errno=True)
    made = [libc.shmget(key, 1 << 20, 0o1600), libc.msgget(key + 1, 0o1600), libc.semget(key + 2, 1, 0o1600)]
    queue = ctypes.CDLL("librt.so.1").mq_open(("/" + token).encode(), os.O_CREAT | os.O_RDWR, 0o600, None)
    if os.fork() == 0:
        os.setsid()
        time.sleep(60)
    return made + [queue]
"""
PLACES = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


def sysv_keys():
    """The keys of every SysV IPC object in this IPC namespace."""
    keys = set()
    for kind in ("shm", "msg", "sem"):
        with open(f"/proc/sysvipc/{kind}") as table:
            keys |= {int(line.split()[0]) for line in list(table)[1:]}
    return keys


@root_only
@pytest.mark.parametrize("private", [True, False], ids=["private-namespaces", "clean-up-by-owner"])
def test_a_task_leaves_nothing_of_the_worker_user(private):
    """Files in every shared writable place and a daemon: none of it survives the task, with private namespaces
    and with the clean-up by owner alone. SysV shared memory, queues and semaphores cannot even be made (the
    filter refuses them; the clean-up removes them anyway: test_isolation.py), nor a POSIX message queue."""
    token, key = f"rnn-test-{secrets.token_hex(8)}", secrets.randbelow(1 << 29) + (1 << 29)
    with Sandbox(private=private) as box:
        result = call(box, LEFTOVERS, calls=[{"token": token, "key": key}])
        made = result.replies[0]["value"]
        assert made == [-1, -1, -1, -1], result
        assert task_processes(pwd.getpwnam(box.user).pw_uid) == []  # we still hold the user: these are ours
    assert [place for place in PLACES if any(name.startswith(token) for name in os.listdir(place))] == []
    assert sysv_keys() & {key, key + 1, key + 2} == set()


def test_in_self_mode_a_task_removes_only_what_it_created(shared_folder):
    """Running as the current user, a task kills its own processes and removes its folder, and leaves the
    user's other files and processes alone."""
    mine = shared_folder / "mine"
    mine.write_text("the user's own file")
    bystander = subprocess.Popen(["sleep", "30"])
    try:
        with Sandbox(mode="self") as box:
            result = call(box, "import os\ndef f():\n    return float(os.path.exists(" + repr(str(mine)) + "))\n")
            assert result.replies == [{"value": 1.0}]
        assert mine.read_text() == "the user's own file"
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_in_self_mode_what_a_task_leaves_in_tmp_stays_and_the_ta_guide_says_so():
    """As the current user, a task's files cannot be told from the user's own (removing them by owner would
    remove the user's too): without a private /tmp (no namespaces), a file a task leaves in /tmp stays; with one,
    it is gone with the task. docs/ta.md says both where it says who runs the student's code."""
    left = Path("/tmp") / f"rnn-test-{secrets.token_hex(8)}"
    try:
        with Sandbox(mode="self") as box:
            result = call(box, f"def f():\n    open({str(left)!r}, 'w').write('x')\n    return 1.0\n")
            assert result.replies == [{"value": 1.0}], result
            private = "mount_namespace" in box.isolation.in_force
        assert left.exists() is not private
    finally:
        left.unlink(missing_ok=True)
    guide = " ".join((REPO / "docs" / "ta.md").read_text(encoding="utf-8").split())
    assert "each task gets its own `/tmp` and `/dev/shm`, gone with the task" in guide
    assert "what it leaves in the shared places (`/tmp`, `/dev/shm`) then stays there" in guide


MEMORY_HOG = """
import os, time
def f():
    for _ in range(4):
        if os.fork() == 0:
            hog = bytes(range(256)) * (120 << 12)  # 120 MB, every page touched
            time.sleep(30)
            os._exit(0)
    time.sleep(30)
"""


def test_the_memory_of_all_the_tasks_processes_together_is_bounded(sandbox):
    """Each process stays under the address-space limit, but together they pass it: the task is stopped."""
    result = call(sandbox, MEMORY_HOG, limits=Limits(memory_mb=300, wall_seconds=20))
    assert result.failure == "used more than 300 MB of memory (all its processes together)"


# -- root without protection: the grader's own files must be closed to the worker ---------------


@root_only
def test_a_grader_file_the_worker_could_read_is_refused():
    """A readable file in a passable folder is refused with the fix; a closed folder or file protects it."""
    worker = pwd.getpwnam(worker_users()[0])
    with tempfile.TemporaryDirectory(dir=outside_tmp()) as folder:
        secret = Path(folder) / "default.yaml"
        secret.write_text("hidden: tests")
        os.chmod(folder, 0o755)
        os.chmod(secret, 0o644)
        with pytest.raises(
            SandboxError, match=f"the worker user {worker.pw_name} can read {secret} .*run ./setup.sh as root"
        ):
            check_closed(worker.pw_name, worker.pw_uid, worker.pw_gid, [str(secret)])
        with pytest.raises(SandboxError, match="run ./setup.sh as root"):
            Sandbox(protect=(folder,))
        os.chmod(secret, 0o600)
        check_closed(worker.pw_name, worker.pw_uid, worker.pw_gid, [str(secret)])
        os.chmod(secret, 0o644)
        os.chmod(folder, 0o750)  # readable, but not passable by others: closed
        check_closed(worker.pw_name, worker.pw_uid, worker.pw_gid, [str(secret)])


@root_only
def test_this_checkout_is_closed_to_the_worker():
    """The developers' checkouts pass: a folder closed higher up (mode 700) closes everything below it."""
    with Sandbox() as box:
        assert box.mode == "dedicated"


# -- leases: one worker user, one grader, machine-wide -------------------------------------------


@root_only
def test_two_sandboxes_never_share_a_worker_user():
    """Two graders at once (two batches, two test runs) hold different worker users."""
    with Sandbox() as first, Sandbox() as second:
        assert first.user != second.user
        assert {first.user, second.user} <= set(worker_users())


# Holds the lease of the first free user named on its command line, and says which.
HOLD = """import fcntl, os, sys, time
for name in sys.argv[2:]:
    lock = open(os.path.join(sys.argv[1], name + ".lock"), "ab")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        continue
    print(name, flush=True)
    time.sleep(60)
"""


@root_only
def test_a_worker_user_held_by_another_process_is_not_taken():
    """A user whose lease another process holds is waited for, then refused with a clear message."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD, LEASES, *worker_users()], stdout=subprocess.PIPE, text=True)
    try:
        user = holder.stdout.readline().strip()
        assert user, "every worker user is in use"
        with pytest.raises(SandboxError, match=f"every worker user \\({user}\\) is in use by other gradings"):
            Sandbox(user=user, lease_seconds=0.3)
    finally:
        holder.kill()
        holder.wait()
    with Sandbox(user=user, lease_seconds=10) as box:
        assert box.user == user


@root_only
def test_the_lease_folder_is_root_only():
    """The lock files live in a folder that only root can write: no worker can hold or fake a lease."""
    with Sandbox():
        info = os.stat(LEASES)
    assert info.st_uid == 0 and info.st_mode & 0o077 == 0


def test_self_mode_runs_as_the_current_user():
    """The student's check runs the code as whoever runs it, by design, and names that user."""
    with Sandbox(mode="self") as box:
        result = call(box, "import os\ndef f():\n    return os.getuid()\n")
        assert box.user == pwd.getpwuid(os.geteuid()).pw_name
    assert result.replies == [{"value": float(os.geteuid())}]


def test_a_stale_folder_removed_by_another_grader_meanwhile_is_no_error(tmp_path, monkeypatch):
    """Two graders starting at once both sweep stale folders: one that vanishes between listing and checking is
    skipped."""
    from autograder.worker import sandbox as module

    monkeypatch.setattr(module.os, "listdir", lambda folder: [f"{module.BASE_PREFIX}999999-gone"])
    module.remove_stale_folders(str(tmp_path))


# -- the zygote's start --------------------------------------------------------------------------


def test_the_reader_of_answers_tex_is_imported_for_the_first_tex_task_only():
    """A fresh zygote has not imported tex/ (a grading without a .tex never pays for it); the first .tex task
    makes it import the reader before it forks, and later tasks' processes have it from the zygote."""
    loaded = {"task": "names", "module": "adder.py", "names": ["R"]}
    files = {"adder.py": b"import sys\nR = float('tex' in sys.modules)\n"}
    with Sandbox(mode="self") as fresh:
        assert fresh.run(loaded, files, Limits()).replies == [{"names": {"R": 0.0}}]
        read = fresh.run(
            {"task": "names", "module": "answers.tex", "names": ["U"]},
            {"answers.tex": b"$U = \\begin{bmatrix} 1 & 2 \\end{bmatrix}$"},
            Limits(),
        )
        assert read.replies == [{"names": {"U": [[1, 2]]}}], read
        assert fresh.run(loaded, files, Limits()).replies == [{"names": {"R": 1.0}}]


def test_bytecode_is_written_once_beside_the_worker_modules(tmp_path, monkeypatch):
    """compile_once writes what is missing or older than its source, and nothing when Python is told not to."""
    module = tmp_path / "package" / "module.py"
    module.parent.mkdir()
    module.write_text("X = 1\n")
    cache = Path(importlib.util.cache_from_source(str(module)))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    compile_once(str(module.parent))
    assert not cache.exists()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    compile_once(str(module.parent))
    written = cache.stat().st_mtime_ns
    compile_once(str(module.parent))
    assert cache.stat().st_mtime_ns == written
    os.utime(module, ns=(written + 10**9, written + 10**9))  # the source changed since
    compile_once(str(module.parent))
    assert cache.stat().st_mtime_ns > written


def test_the_worker_copy_carries_the_bytecode(tmp_path, monkeypatch):
    """The private copy the zygote imports from holds the bytecode of inside/, and from the first task with an
    answers.tex on, of tex/ and the vendored lark."""
    package = Path(__file__).resolve().parents[1] / "autograder"
    for folder in ("inside", "tex"):
        shutil.copytree(package / "worker" / folder, tmp_path / folder)
    shutil.copytree(package / "vendor", tmp_path / "vendor")
    folders = {name: str(tmp_path / name) for name in ("inside", "tex", "vendor")}
    monkeypatch.setattr("autograder.worker.sandbox.ZYGOTE_FOLDERS", folders)
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    with Sandbox(mode="self") as fresh:
        copy = Path(fresh._base) / "zygote"
        assert sorted(path.name for path in copy.iterdir()) == ["inside"]  # the readers wait for a first .tex
        fresh._copy_readers()  # what the first task with a .tex does (every tex_ sample is graded through it)
        for module in ("inside/zygote.py", "tex/answers.py", "vendor/lark/lark.py"):
            assert Path(importlib.util.cache_from_source(str(copy / module))).exists(), module
