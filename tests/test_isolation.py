"""The isolation layers: the student's system-call filter, finding what the machine allows, saying it, and
refusing to grade below the floor an instructor sets (docs/spec.md 6.1)."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from autograder.config import ConfigError
from autograder.kinds import load_config
from autograder.worker.isolation import LAYERS, Isolation
from conftest import ROOT

WORKER = ROOT / "autograder" / "worker"
CONTAINER = ROOT / "tests" / "container.py"
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="the container-like mode takes root's capabilities away")
NAMESPACES = ("mount_namespace", "ipc_namespace", "network_namespace")
SPACES = ("mount_namespace", "ipc_namespace", "network_namespace", "user_namespace")
ALLOWED = {"root": True, "cap_sys_admin": True, **dict.fromkeys(SPACES, True), "seccomp": None}
DOCKER = {"root": True, "cap_sys_admin": False, **dict.fromkeys(SPACES, False), "seccomp": None}


def run_python(code: str, *, container: bool = False) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python that imports the worker's package by its own name (as the worker does),
    as root without CAP_SYS_ADMIN if `container`."""
    prefix = [sys.executable, str(CONTAINER)] if container else []
    return subprocess.run(
        [*prefix, sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(WORKER)!r})\n" + code],
        capture_output=True,
        text=True,
        timeout=60,
    )


FILTERED = textwrap.dedent(
    """
    import ctypes, json, os, socket, subprocess, threading
    from inside import seccomp
    seccomp.Filter.build().load()
    libc = ctypes.CDLL(None, use_errno=True)
    seen = {}
    for family in ("AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"):
        try:
            socket.socket(getattr(socket, family), socket.SOCK_DGRAM)
            seen[family] = "allowed"
        except OSError as error:
            seen[family] = type(error).__name__
    a, b = socket.socketpair()
    a.send(b"x")
    seen["socketpair"] = b.recv(1).decode()
    try:
        b.bind(b"\\0rnn-test")
    except OSError as error:
        seen["bind"] = type(error).__name__
    for name, result in (("shmget", libc.shmget(0, 4096, 0o600)), ("msgget", libc.msgget(0, 0o600)),
                         ("semget", libc.semget(0, 1, 0o600)), ("unshare", libc.unshare(0x20000))):
        seen[name] = (result, ctypes.get_errno())
    pid = os.fork()
    if pid == 0:
        os._exit(7)
    seen["fork"] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    thread = threading.Thread(target=lambda: seen.setdefault("thread", "ran"))
    thread.start()
    thread.join()
    seen["subprocess"] = subprocess.run(["echo", "ran"], capture_output=True, text=True).stdout.strip()
    print(json.dumps(seen))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux's")
@pytest.mark.parametrize("container", [False, pytest.param(True, marks=root_only)], ids=["machine", "container"])
def test_the_filter_refuses_channels_and_keeps_what_python_needs(container):
    """Under the student's filter, socket() of every family, bind, SysV IPC and unshare fail with EPERM (a plain
    PermissionError), while socketpair, fork, threads and subprocesses work: also inside a container's filter."""
    done = run_python(FILTERED, container=container)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert {family: seen[family] for family in ("AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK")} == dict.fromkeys(
        ("AF_UNIX", "AF_INET", "AF_INET6", "AF_NETLINK"), "PermissionError"
    )
    assert seen["bind"] == "PermissionError"
    assert all(seen[name] == [-1, 1] for name in ("shmget", "msgget", "semget", "unshare"))
    assert (seen["socketpair"], seen["fork"], seen["thread"], seen["subprocess"]) == ("x", 7, "ran", "ran")


def test_without_libseccomp_the_layer_is_reported_missing_not_a_crash():
    """A machine where libseccomp cannot load (macOS, a kit machine): building the filter raises Unavailable,
    saying why, which the zygote reports as a missing layer."""
    code = (
        "from inside import seccomp\nseccomp.LIBRARY = 'libseccomp-absent.so.9'\n"
        "try:\n    seccomp.Filter.build()\nexcept seccomp.Unavailable as why:\n    print(why)"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert "libseccomp-absent.so.9 cannot be loaded" in done.stdout or "Linux only" in done.stdout


@root_only
def test_a_container_like_mode_is_found_for_what_it_is():
    """Root without CAP_SYS_ADMIN under Docker's profile: no capability, no namespace, the filter available;
    outside it, this machine (the CI's) allows them all."""
    code = "import json\nfrom inside import layers\nprint(json.dumps(layers.detect()))"
    inside = json.loads(run_python(code, container=True).stdout)
    assert inside == DOCKER
    outside = json.loads(run_python(code).stdout)
    assert outside["cap_sys_admin"] and outside["mount_namespace"] and outside["seccomp"] is None


def test_every_layer_in_force_is_said_in_one_line():
    isolation = Isolation.of(ALLOWED, mode="dedicated", private=True)
    assert isolation.in_force == tuple(LAYERS) and not isolation.missing
    assert isolation.line().startswith("Isolation: every layer in force (a dedicated worker user, ")
    assert "\n" not in isolation.line()


def test_a_container_says_which_layers_are_missing_why_and_what_stands_in():
    isolation = Isolation.of(DOCKER, mode="dedicated", private=True)
    assert isolation.in_force == ("worker_user", "seccomp")
    assert set(isolation.missing) == {"mount_namespace", "ipc_namespace", "network_namespace"}
    line = isolation.line()
    assert "mount_namespace, ipc_namespace, network_namespace (root lacks CAP_SYS_ADMIN" in line
    assert "Standing in: the filter closes IPC and sockets" in line
    assert isolation.record() == {
        "mode": "dedicated",
        "in_force": ["worker_user", "seccomp"],
        "missing": dict(isolation.missing),
        "cap_sys_admin": False,
        "user_namespace": False,
    }
    assert Isolation.from_record(json.loads(json.dumps(isolation.record()))).line() == line


def test_not_root_the_namespaces_come_from_a_user_namespace_where_the_system_allows_one():
    """Not root: no worker user; the namespaces in force only where an unprivileged user namespace makes them."""
    isolation = Isolation.of(ALLOWED, mode="self", private=True)
    assert isolation.in_force == ("seccomp", *NAMESPACES)
    assert isolation.missing == {"worker_user": "not root: the code runs as the current user"}
    refused = Isolation.of({**ALLOWED, "user_namespace": False, "mount_namespace": False}, mode="self", private=True)
    assert refused.in_force == ("seccomp",)
    assert refused.missing["mount_namespace"] == "not root, and this system allows no unprivileged user namespace"


def test_a_worker_that_reports_nothing_has_every_layer_but_its_user_missing():
    isolation = Isolation.of({}, mode="dedicated", private=True)
    assert isolation.in_force == ("worker_user",)


def test_the_floor_refuses_with_the_missing_layers_named():
    isolation = Isolation.of(DOCKER, mode="dedicated", private=True)
    assert isolation.refusal(["seccomp", "worker_user"]) is None
    refused = isolation.refusal(["seccomp", "mount_namespace"])
    assert refused is not None
    assert refused.startswith("The autograder refused to grade: the course requires protection layers")
    assert "mount_namespace (root lacks CAP_SYS_ADMIN" in refused and "`limits.require_layers`" in refused


def test_an_unknown_layer_in_the_configuration_is_a_configuration_error(tmp_path):
    config = tmp_path / "config.yaml"
    text = (ROOT / "autograder" / "default.yaml").read_text()
    config.write_text(text.replace("require_layers: []", "require_layers: [namespaces]", 1))
    with pytest.raises(ConfigError, match="unknown protection layer 'namespaces'; known: worker_user, seccomp"):
        load_config(config)
    config.write_text(text.replace("require_layers: []", "require_layers: [seccomp, worker_user]", 1))
    assert load_config(config).limits.require_layers == ("seccomp", "worker_user")


def floor_config(path, layers):
    text = (ROOT / "autograder" / "default.yaml").read_text()
    path.write_text(text.replace("require_layers: []", f"require_layers: [{', '.join(layers)}]", 1))
    return path


def test_grade_says_the_layers_in_one_line_and_records_them(tmp_path):
    """`grade` (run_autograder's command) prints one line of isolation after the summary, and results.json's
    extra_data says which layers were in force and which missing."""
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "reference", "--results", str(tmp_path / "results.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads((tmp_path / "results.json").read_text())["extra_data"]["isolation"]
    assert [line for line in done.stdout.splitlines() if line.startswith("Isolation: ")] == [
        Isolation.from_record(record).line()
    ]
    assert set(record["in_force"]) | set(record["missing"]) == set(LAYERS)
    assert ("worker_user" in record["in_force"]) == (os.geteuid() == 0)


def test_a_floor_this_machine_does_not_reach_is_refused_as_the_graders_failure(tmp_path):
    """With `require_layers` naming a layer that is missing (as root: the namespaces, in the container-like
    mode; not root: the worker user), no student code runs and results.json says the autograder refused and
    why, as the autograder's failure (not the student's), with exit status 2."""
    container = os.geteuid() == 0
    config = floor_config(tmp_path / "floor.yaml", ["mount_namespace" if container else "worker_user", "seccomp"])
    prefix = [sys.executable, str(CONTAINER)] if container else []
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "autograder", "grade", "reference", "--config", str(config)]
        + ["--results", str(tmp_path / "results.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    results = json.loads((tmp_path / "results.json").read_text())
    assert done.returncode == 2, done.stderr
    assert results["score"] == 0 and results["tests"] == []
    assert results["output"].startswith("The autograder itself failed while grading your submission. This is not")
    assert "The autograder refused to grade: the course requires protection layers" in results["output"]
    assert ("mount_namespace (root lacks CAP_SYS_ADMIN" if container else "worker_user (not root") in results["output"]
    assert results["extra_data"]["refused"] in results["output"]
    assert "grade: The autograder refused to grade" in done.stderr


def test_the_bound_counts_the_users_files_in_each_place_and_everything_in_the_tasks_folder(tmp_path):
    """Without private places the supervisor ends a task past file_size_mb (or 4,096 files) in one shared
    place, counting only the worker user's files there (and in its folders), and everything new in its own folder."""
    from autograder.worker.inside.bounds import OWN_FOLDER, Bound

    place, folder = tmp_path / "tmp", tmp_path / "task"
    place.mkdir()
    folder.mkdir()
    (folder / "adder.py").write_bytes(bytes(3 << 20))  # the student's own file: not held against the task
    bound = Bound(os.getuid(), [str(place)], str(folder), 1)
    assert bound.exceeded() is None
    (place / "deep" / "er").mkdir(parents=True)
    (place / "deep" / "er" / "fill").write_bytes(b"\1" * (2 << 20))
    assert bound.exceeded() == str(place)
    assert Bound(os.getuid() + 1, [str(place)], str(folder), 1).exceeded() is None  # another user's files
    (place / "deep" / "er" / "fill").unlink()
    for number in range(4097):
        (folder / f"{number}").touch()
    assert bound.exceeded() == OWN_FOLDER


@root_only
def test_a_worker_users_ipc_objects_are_removed_without_cap_sys_admin():
    """Root without CAP_SYS_ADMIN may not remove another user's SysV objects; the cleaner removes them as that
    user. (The filter keeps a task from making any: here they are made by hand, as the worker user.)"""
    code = textwrap.dedent(
        """
        import ctypes, os, sys
        from autograder.worker.host import Lease, worker_users
        from autograder.worker.inside.cleanup import remove_ipc
        lease = Lease(worker_users(), 60)
        child = os.fork()
        if child == 0:
            os.setresuid(lease.uid, lease.uid, lease.uid)
            libc = ctypes.CDLL(None, use_errno=True)
            made = [libc.shmget(0, 4096, 0o600), libc.msgget(0, 0o600), libc.semget(0, 1, 0o600)]
            os._exit(0 if min(made) >= 0 else 1)
        assert os.waitpid(child, 0)[1] == 0
        print(remove_ipc(lease.uid), remove_ipc(lease.uid))
        """
    )
    done = subprocess.run(
        [sys.executable, str(CONTAINER), sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "0"]


PROBE = "import os\nU = [[float(len(os.listdir('/tmp')) + len(os.listdir('/var/tmp')))]]\n"


def test_not_root_a_user_namespace_gives_the_task_private_places_where_the_system_allows(tmp_path):
    """Not root (a TA's own account), the task gets the namespaces through an unprivileged user namespace where
    the system allows one (its /tmp and /var/tmp are empty), and the line says so; where it does not, the
    namespaces are said missing. As root the worker user has them anyway. (Runs as nobody in test_hostile.py.)"""
    from autograder.worker import Limits, Sandbox

    with Sandbox(mode="self") as sandbox:
        result = sandbox.run(
            {"task": "names", "module": "adder.py", "names": ["U"]}, {"adder.py": PROBE.encode()}, Limits()
        )
        isolation = sandbox.isolation
    assert "worker_user" in isolation.missing and "seccomp" in isolation.in_force
    if "mount_namespace" in isolation.in_force:
        assert result.replies == [{"names": {"U": [[0.0]]}}]
        assert set(NAMESPACES) <= set(isolation.in_force)
    else:
        assert set(NAMESPACES) <= set(isolation.missing)


@root_only
def test_a_worker_users_keyring_is_emptied_by_the_clean_up():
    """The filter keeps a task from adding keys; a key added by hand, as the worker user, is gone after clear_keys."""
    code = textwrap.dedent(
        """
        import ctypes, os
        from autograder.worker.host import Lease, worker_users
        from autograder.worker.inside.cleanup import as_user, clear_keys
        add_key, keyctl = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]
        libc = ctypes.CDLL(None, use_errno=True)
        lease = Lease(worker_users(), 60)
        find = lambda: int(libc.syscall(keyctl, 10, -4, b"user", b"rnn-note", 0) > 0)
        made = as_user(lease.uid, lambda: int(libc.syscall(add_key, b"user", b"rnn-note", b"U=1", 3, -4) > 0))
        print(made, as_user(lease.uid, find), clear_keys(lease.uid), as_user(lease.uid, find))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "1", "True", "0"]


def test_the_clean_up_never_acts_as_root(tmp_path):
    """kill(-1) as root would reach every process of the machine: the clean-up's helper refuses to act as uid 0
    (or as anyone it could not fully become), and the killing action refuses to run while any of its ids is root.
    The marker proves the action never ran; a process of ours stays alive throughout."""
    code = textwrap.dedent(
        """
        import os, sys, pathlib
        from autograder.worker.inside import cleanup
        marker = pathlib.Path(sys.argv[1])
        print(cleanup.as_user(0, lambda: marker.write_text("ran") and 0), marker.exists())
        try:
            cleanup.kill_all() if 0 in os.getresuid() else print("not root")
        except PermissionError as refused:
            print("refused:", refused)
        """
    )
    marker = tmp_path / "ran"
    done = subprocess.run(
        [sys.executable, "-c", code, str(marker)], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    first, second = done.stdout.splitlines()
    assert first == "None False"
    assert second in ("refused: kill(-1) as root", "not root")


def test_batch_says_the_layers_with_its_summary(tmp_path):
    """`batch` prints the isolation line of its gradings with its summary (and, not root, says at start that
    the code runs as the TA)."""
    import io
    import shutil

    from autograder import batch

    export = tmp_path / "export"
    (export / "a_reference").mkdir(parents=True)
    shutil.copy(ROOT / "reference" / "adder.py", export / "a_reference")
    stdout, stderr = io.StringIO(), io.StringIO()
    assert batch.main(export=export, out=tmp_path / "out", jobs=1, stdout=stdout, stderr=stderr, tty=False) == 0
    record = json.loads((tmp_path / "out" / "submissions" / "a_reference" / "results.json").read_text())
    line = Isolation.from_record(record["extra_data"]["isolation"]).line()
    assert stdout.getvalue().splitlines()[0] == line
    assert ("batch: not root: the students' code runs as you" in stderr.getvalue()) == (os.geteuid() != 0)


def test_the_clean_up_finds_a_users_live_processes_and_not_its_zombies():
    """processes_of reads the state and the ids from /proc/PID/status: a live process of the user (by any of its
    real, effective, saved or filesystem ids) is found, a zombie (dead, its parent reaps it) and another user's
    process are not."""
    from autograder.worker.inside.cleanup import processes_of

    sleeping = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(500):  # until it is a zombie (ended, not yet waited for)
            with open(f"/proc/{dead.pid}/stat", "rb") as stat:
                if stat.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    break
            __import__("time").sleep(0.01)
        mine = processes_of(os.getuid())
        assert sleeping.pid in mine and os.getpid() in mine
        assert dead.pid not in mine
        assert sleeping.pid not in processes_of(os.getuid() + 4242)
    finally:
        sleeping.kill()
        sleeping.wait()
        dead.wait()
