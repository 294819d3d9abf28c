"""Shared fixtures: the repository's paths and a validator of Gradescope's results.json format."""

import json
import os
import sys
from pathlib import Path

import jsonschema
import pytest

ROOT = Path(__file__).resolve().parent.parent
# pytest keeps the test modules it rewrites (their asserts) as bytecode, unless Python may write none: where the
# environment sets PYTHONDONTWRITEBYTECODE (as on the project's machines), every run, in every xdist process, rewrote
# all of them again (3 s each). While the tests are collected, bytecode is written, under .pytest_cache/pycache (never
# beside a source: no sample or kit folder gets a __pycache__); then the tests run as the environment says.
_BYTECODE = sys.dont_write_bytecode, sys.pycache_prefix
sys.dont_write_bytecode, sys.pycache_prefix = False, str(ROOT / ".pytest_cache" / "pycache")


def pytest_collection_finish(session):
    sys.dont_write_bytecode, sys.pycache_prefix = _BYTECODE


from autograder.worker.inside.cleanup import CLEANER_NAME as CLEANER  # noqa: E402 - after the bytecode switch

SCHEMA = json.loads((ROOT / "tests" / "gradescope_results.schema.json").read_text())


def assert_valid_results(results: dict) -> None:
    """results.json follows Gradescope's specification, is strict JSON, and tags every test with one question."""
    jsonschema.validate(results, SCHEMA)
    json.dumps(results, allow_nan=False)
    for test in results["tests"]:
        assert len([tag for tag in test["tags"] if tag in ("1", "2a", "2b", "2c")]) == 1, test


def task_processes(uid: int) -> list[int]:
    """The pids of uid's processes (zombies too), but the cleaner's: the clean-up a sandbox starts after its last
    task, off the grader's path, acts as the worker user for a moment, named so (inside/cleanup.py)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid and Path(f"/proc/{pid}/comm").read_bytes().strip() != CLEANER:
                found.append(int(pid))
        except OSError:
            continue  # it ended meanwhile
    return found


@pytest.fixture
def valid_results():
    return assert_valid_results


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`-n auto`, `--dist loadgroup`), the tests of a module that share one of its fixtures
    made once per module or session (a 200-submission batch, the built zips, a sandbox) run in one process, so
    that fixture is made once; every other test goes wherever a process is free. A test may name a group of its
    own (tests/test_samples.py's shards of the golden run)."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None and _uses_a_shared_fixture_of_its_module(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


def _uses_a_shared_fixture_of_its_module(item) -> bool:
    module = item.nodeid.split("::")[0]
    info = getattr(item, "_fixtureinfo", None)
    for definitions in info.name2fixturedefs.values() if info else ():
        for definition in definitions:
            if definition.scope != "function" and definition.baseid == module:
                return True
    return False


def pytest_addoption(parser):
    parser.addoption(
        "--update-goldens",
        action="store_true",
        dest="update_goldens",
        help="rewrite submissions_sample/*/golden.json from this run's grading (tests/test_samples.py), then show "
        "the diff to review",
    )


def pytest_terminal_summary(terminalreporter, config):
    """After --update-goldens: what changed, as git sees it (the files were written by whichever process graded)."""
    if not config.getoption("update_goldens") or hasattr(config, "workerinput"):
        return
    import subprocess

    def git(*arguments: str) -> str:
        done = subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True, timeout=60)
        return done.stdout

    changed = git("diff", "--no-color", "--", "submissions_sample/*/golden.json")
    new = git("ls-files", "--others", "--exclude-standard", "--", "submissions_sample/*/golden.json").split()
    terminalreporter.section("goldens")
    if not changed and not new:
        terminalreporter.write_line("No golden changed.")
        return
    terminalreporter.write_line(changed)
    for path in new:
        terminalreporter.write_line(f"new: {path}")
    terminalreporter.write_line(
        "Review the diff above; commit the goldens with the change that explains them "
        "(git add submissions_sample/*/golden.json)."
    )
