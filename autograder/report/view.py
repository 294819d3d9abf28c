"""What the student sees of each test, as results.json holds it, made without gradescope-utils.

Gradescope's results.json is written by `results.py` through gradescope-utils' JSONTestRunner. The
student kit has only numpy, so its check builds the same entries here; a test holds the two equal,
test by test and sample by sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autograder.config import TestSpec
from autograder.judge.verdict import Verdict
from autograder.report.feedback import say_once, split_blocks
from autograder.text import literal_block

MAX_OUTPUT_CHARS = 20_000  # Gradescope cuts a field near 100,000 characters; we cut first, readably.
NOT_YOUR_FAULT = (
    "The autograder itself failed while grading your submission. This is not your fault: please tell the course staff. "
)


def cut(text: str) -> str:
    """Feedback at most about MAX_OUTPUT_CHARS long, saying how much was cut. It is cut between Markdown
    blocks, never inside one: a cut inside a code span would turn the student's text after it into live
    Markdown. A first block longer than the limit is shown, cut, as literal text."""
    if len(text) <= MAX_OUTPUT_CHARS:
        return text
    kept, shown = [], 0  # shown: the characters of `text` that the kept blocks hold
    for block in split_blocks(text):
        if shown + len(block) > MAX_OUTPUT_CHARS:
            break
        kept.append(block)
        shown += len(block) + 2 * (len(kept) > 1)
    if not kept:
        kept, shown = [literal_block(text[: MAX_OUTPUT_CHARS // 2])], MAX_OUTPUT_CHARS // 2
    return "\n\n".join(kept) + f"\n\n… (cut here: {len(text) - shown:,} more characters)"


def test_entry(spec: TestSpec, verdict: Verdict) -> dict[str, Any]:
    """One test as JSONTestRunner writes it: the feedback printed (passed) or raised (failed) ends with a newline."""
    score = verdict.fraction * spec.max_score
    entry: dict[str, Any] = {
        "name": spec.name.strip().split("\n")[0].strip(),
        "score": round(float(score), 6),
        "max_score": spec.max_score,
        "status": "passed" if verdict.passed and score >= spec.max_score else "failed",
        "tags": [spec.question],
        "output": cut(verdict.output) + "\n",
    }
    if spec.visibility:
        entry["visibility"] = spec.visibility
    if spec.number:
        entry["number"] = spec.number
    if verdict.data:
        entry["extra_data"] = dict(verdict.data)
    entry["output_format"] = "md"
    return entry


def student_view(
    outcomes: Sequence[tuple[TestSpec, Verdict]],
    *,
    output: str = "",
    extra_data: Mapping[str, Any] | None = None,
    printed: bool = False,
) -> dict[str, Any]:
    """The results.json that Gradescope's writer makes from the same verdicts (the kit's check prints it)."""
    outcomes, output = say_once(outcomes, output, printed=printed)
    tests = [test_entry(spec, verdict) for spec, verdict in outcomes]
    return {
        "score": round(sum(test["score"] for test in tests), 6),
        "execution_time": 0.0,
        "output": cut(output),
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": tests,
        "extra_data": dict(extra_data or {}),
    }
