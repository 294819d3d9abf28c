"""Feedback said once: what a test repeats of an earlier test the student sees with it becomes a short reference.

Tests of one question often share their evidence (question 1's three tests show the same shortest
failing pair, table and hint; a file that cannot be imported fails every test of its question with
the same traceback). Each block of Markdown (a paragraph, a list, a fenced block) is kept in the
first test that shows it; a later test of the same visibility says where to find it instead. Tests
of different visibility never refer to each other: a visible test must not point into a hidden one,
and a hidden test's output is read on its own when it is released. Standard library only: the
student kit's check uses it too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from autograder.config import TestSpec
from autograder.judge.verdict import Verdict
from autograder.record import replace

PRINTED = (
    "What your code prints is not shown to you on Gradescope (only the course staff see it): "
    "everything the grader has to say is in the feedback of each test."
)

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_GIST = re.compile(r"([A-Z][A-Za-z ]{1,38}):")  # "Hint: ...", "Shortest failing pair: ..." name their paragraph


def say_once(
    outcomes: Sequence[tuple[TestSpec, Verdict]], output: str, *, printed: bool = False
) -> tuple[list[tuple[TestSpec, Verdict]], str]:
    """The outcomes with repeated blocks replaced by references, and the top-level output with the note on
    printing when `printed` (the student's code printed something in a task that feeds visible feedback)."""
    first_shown: dict[tuple[str, str], str] = {}  # (visibility, block) -> the label of the test that shows it
    said: list[tuple[TestSpec, Verdict]] = []
    for spec, verdict in outcomes:
        label = f"test {spec.number}" if spec.number else f"the test “{spec.name}”"
        blocks = split_blocks(verdict.output)
        kept: list[str] = []
        pending: list[str] = []  # consecutive repeated blocks, all from the test `source`
        source = ""
        for block in blocks:
            earlier = first_shown.get((spec.visibility, block), "")
            reference_fits = bool(earlier) and len(block) > len(_reference([block], earlier))
            if reference_fits and (not pending or earlier == source):
                pending.append(block)
                source = earlier
                continue
            if pending:
                kept.append(_reference(pending, source))
                pending = []
            if reference_fits:
                pending, source = [block], earlier
                continue
            kept.append(
                _parts_once(block, spec.visibility, label, first_shown, whole=len(blocks) == 1 and not verdict.passed)
            )
            first_shown.setdefault((spec.visibility, block), label)
        if pending:
            kept.append(_reference(pending, source))
        text = "\n\n".join(kept) if kept != blocks else verdict.output
        said.append((spec, replace(verdict, output=text)))
    if not printed or PRINTED in output:  # said once, also if the output is put through here again
        return said, output
    return said, (f"{output.rstrip()}\n\n{PRINTED}" if output.strip() else PRINTED)


_LABELLED = re.compile(r"(?P<label>[a-z][a-z_]{0,11}): (?P<rest>.{40,})\Z", re.S)  # "c_bar: expected a list ..."


def _parts_once(
    block: str, visibility: str, label: str, first_shown: dict[tuple[str, str], str], *, whole: bool
) -> str:
    """A new block with what an earlier test of this visibility already said inside it made a reference: a list's
    items (a hint that several quantities share), or, in a one-block message of a failed test (`whole`), what
    follows a quantity's label ("c_bar: <the message h_bar had>"; a pass says its own one line)."""
    lines = block.split("\n")
    if all(line.startswith("- ") for line in lines):
        items: list[str] = []
        for line in lines:
            earlier = first_shown.get((visibility, line), "")
            reference = f"- (Same as in {earlier} above.)"
            if earlier and len(line) > len(reference):
                if not items or items[-1] != reference:
                    items.append(reference)
                continue
            items.append(line)
            first_shown.setdefault((visibility, line), label)
        return "\n".join(items)
    labelled = _LABELLED.match(block) if whole else None
    if labelled:
        rest = labelled.group("rest")
        earlier = first_shown.get((visibility, rest), "")
        if earlier:
            return f"{labelled.group('label')}: the same as in {earlier} above."
        first_shown.setdefault((visibility, rest), label)
    return block


def split_blocks(text: str) -> list[str]:
    """Markdown blocks: runs of lines between blank lines, a fenced block whole (blank lines inside included)."""
    blocks: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        if fence is None and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
        opened = _FENCE.match(line)
        if fence is None and opened:
            fence = opened.group(1)
        elif fence is not None and line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            fence = None
    if current:
        blocks.append("\n".join(current))
    return blocks


def _reference(blocks: Sequence[str], source: str) -> str:
    """A short pointer to `source` for these blocks, naming them where they name themselves."""
    gists = []
    for block in blocks:
        gist = _GIST.match(block)
        lines = block.split("\n")
        if _FENCE.match(lines[0]) and len(lines) > 1 and lines[1].startswith("Traceback"):
            gists.append("the traceback")
        elif _FENCE.match(lines[0]) and len(lines) > 1 and "|" in lines[1]:
            gists.append("the table")
        elif gist:
            gists.append("the " + gist.group(1)[0].lower() + gist.group(1)[1:])
        else:
            return f"(Same as in {source} above.)"
    named = gists[0] if len(gists) == 1 else ", ".join(gists[:-1]) + " and " + gists[-1]
    verb = "is" if len(gists) == 1 else "are"
    return f"({named[0].upper()}{named[1:]} {verb} the same as in {source} above.)"
