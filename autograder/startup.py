"""Starting the worker early: its zygote is launched before the caller imports the judges (numpy and all).

The worker's start (an interpreter that imports numpy) and the grader's own imports are the two largest
costs of one grading. Here, before anything of the grading is loaded, the zygote is forked from this
process once it has imported numpy (worker/forked.py), so that numpy is imported once for both; where
that may not be, a fresh interpreter starts it while this process imports the judges. Either way it is
launched from the calling thread, before those imports: a thread would wait for the import lock and the
GIL behind them, and launch it late.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from autograder.worker.sandbox import Sandbox


@contextmanager
def early_sandbox(sandbox: Sandbox | None = None, **options: Any) -> Iterator[Callable[[], Sandbox]]:
    """Launch the worker (`Sandbox(wait=False, **options)`, `fork` said by the caller: worker/forked.py) and
    yield a function that waits until it is ready and returns it (or raises why it could not start: the
    caller's grading reports it); stop it on exit.

    A `sandbox` given is used as it is and left running.
    """
    if sandbox is not None:
        yield lambda: sandbox
        return
    try:
        started = Sandbox(wait=False, **options)
    except Exception as error:  # noqa: BLE001 - raised where the grading asks for the worker, which reports it
        failed = error

        def fail() -> NoReturn:
            raise failed

        yield fail
        return
    try:
        yield started.ready
    finally:
        started.close()


def short_lived(main: Callable[[], int]) -> int:
    """Run `main`, one submission's grading or check, as the whole life of this process, without the cyclic
    garbage collector: its passes over every imported module's objects, during the imports and again at the
    interpreter's exit, cost tens of milliseconds of one grading (benchmarks/README.md) and free nothing that
    matters to a process that ends. The objects left at the end are frozen, so the exit's collections pass
    them by; the exit itself (atexit, flushed files) is Python's own. Only for a process's entry point: a
    caller that lives on keeps its collector (the batch's, the tests')."""
    gc.disable()
    try:
        return main()
    finally:
        gc.freeze()
