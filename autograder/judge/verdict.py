"""The outcome of one configured test, as every judge returns it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from autograder.record import Record, field


class Verdict(Record):
    """What a judge decided for one test.

    `fraction` is the share of the test's points earned (0 to 1); the test passes only at 1.
    `output` is the feedback shown to the student (markdown). `data` holds machine-readable
    facts for the TA's class report (for example the names of matched mistakes); it must be
    JSON-serialisable and is stored in the test's `extra_data`.
    """

    fraction: float
    output: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0.0 <= self.fraction <= 1.0:
            raise ValueError(f"a verdict's fraction must lie in [0, 1], got {self.fraction!r}")

    @property
    def passed(self) -> bool:
        return self.fraction == 1.0
