"""Starting the worker early: it starts in a thread while the caller imports the judges (numpy and all).

The worker's start (a fresh interpreter that imports numpy) and the grader's own imports are the two
largest costs of one grading; overlapping them is what makes `grade` and the student's check fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from autograder.worker.sandbox import Sandbox


@contextmanager
def early_sandbox(sandbox: Sandbox | None = None, **options: Any) -> Iterator[Callable[[], Sandbox]]:
    """Yield a function that waits for the started worker (`Sandbox(**options)`) and returns it; stop it on exit.

    A `sandbox` given is used as it is and left running.
    """
    if sandbox is not None:
        yield lambda: sandbox
        return
    with ThreadPoolExecutor(max_workers=1) as starter:
        starting = starter.submit(Sandbox, **options)
        try:
            yield starting.result
        finally:
            if starting.exception() is None:  # stop the worker, whether or not it was used (or could start)
                starting.result().close()
