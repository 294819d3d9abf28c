"""One submission's feedback as HTML, as Gradescope shows it to an instructor: every test, labelled by visibility.

Gradescope renders `output_format: md` as Markdown. We render it with markdown-it-py (CommonMark and
tables) with raw HTML off, links limited to safe schemes and images off (the report loads nothing),
so feedback can never become markup, whatever a student put in it. Identical pieces (a test's header,
each top-level block of Markdown) are rendered once and shared: a class of 10,000 repeats most of them,
even where each student's feedback differs in a line or two (their own numbers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial
from html import escape
from typing import Any

from markdown_it import MarkdownIt

from autograder.points import format_points

VISIBILITY = {
    "visible": "visible",
    "hidden": "hidden: the student never sees it",
    "after_due_date": "hidden until the due date",
    "after_published": "hidden until grades are published",
}
OPEN_MD = '<div class="md">'
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


# Where a top-level block may start after a blank line and yet not belong to the block before: a line at column 0
# that is neither blank nor a list item (which would join the list above it, making it loose).
_LIST_ITEM = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_FENCE = re.compile(r"( {0,3})(`{3,}|~{3,})(.*)")
# A link reference definition applies to the whole text; it may stand in a quote or a list item ("> [a]: url").
_REFERENCE = re.compile(r"^[ \t>*+\-\d.)]*\[", re.M)


def render_markdown(text: str) -> str:
    """Markdown as Gradescope would show it, with raw HTML shown as text."""
    return _MARKDOWN.render(text)


def markdown_blocks(text: str) -> list[str]:
    """`text` cut before top-level blocks that render the same alone as in the whole: joined, their renderings
    are the whole's rendering. Cut only after a blank line outside a fenced code block, before a line at column 0
    that starts no list item; a text where that is not sure (a reference definition, a fence indented 1 to 3
    spaces, which may belong to a list item, a carriage return) stays whole."""
    if "\r" in text or _REFERENCE.search(text):
        return [text]
    lines = text.split("\n")
    blocks, start, fence, blank = [], 0, "", False
    for number, line in enumerate(lines):
        opening = _FENCE.fullmatch(line)
        if opening and opening.group(1):
            return [text]
        if fence:  # inside a fenced code block: only its closing fence ends it
            if opening and opening.group(2)[0] == fence[0] and len(opening.group(2)) >= len(fence):
                fence = "" if not opening.group(3).strip(" \t") else fence
            continue
        if blank and line[:1] not in ("", " ", "\t") and not _LIST_ITEM.match(line):
            blocks.append("\n".join(lines[start:number]) + "\n")
            start = number
        if opening and not (opening.group(2)[0] == "`" and "`" in opening.group(3)):
            fence = opening.group(2)
        blank = not line.strip(" \t")
    blocks.append("\n".join(lines[start:]))
    return blocks


class Pieces:
    """Feedback HTML cut in shared pieces: each distinct piece is rendered and stored once. A submission's
    feedback is its pieces in order (report.js joins them): each test's header (opening its elements), the
    blocks of its Markdown, and the closing tags."""

    def __init__(self) -> None:
        self.html: list[str] = []
        self._index: dict[tuple, int] = {}
        self._texts: dict[str, list[int]] = {}  # a whole Markdown text seen before: its blocks' pieces

    def add(self, key: tuple, render: Any) -> int:
        if key not in self._index:
            self._index[key] = len(self.html)
            self.html.append(render())
        return self._index[key]

    def feedback(self, results: Mapping[str, Any], *, problem: str | None) -> list[int]:
        """The pieces of one submission's feedback: the grader's own trouble, the overall output, each test."""
        pieces = []
        if problem:
            pieces.append(self.add(("problem", problem), lambda: f'<p class="bad">Not graded: {escape(problem)}</p>'))
        output = self._blocks(str(results.get("output") or ""))
        if output:
            pieces += [
                self.add(("tag", OPEN_MD), lambda: OPEN_MD),
                *output,
                self.add(("tag", "</div>"), lambda: "</div>"),
            ]
        for test in results.get("tests", []):
            if isinstance(test, Mapping):
                body = self._blocks(str(test.get("output") or ""))
                shown = (str(test.get(k, "")) for k in ("number", "name", "score", "max_score", "status"))
                key = ("test", *shown, str(test.get("visibility", "visible")), bool(body))
                opening = self.add(key, lambda test=test, body=body: _test_header(test) + (OPEN_MD if body else ""))
                closing = "</div></div>" if body else "</div>"
                pieces += [opening, *body, self.add(("tag", closing), lambda closing=closing: closing)]
        return pieces

    def _blocks(self, text: str) -> list[int]:
        """The pieces of a Markdown text, one per block (none for blank text)."""
        if text not in self._texts:
            blocks = markdown_blocks(text) if text.strip() else []
            self._texts[text] = [self.add(("md", block), partial(render_markdown, block)) for block in blocks]
        return self._texts[text]


def _test_header(test: Mapping[str, Any]) -> str:
    """A test's element opened, with its heading: its number, name, points and who sees it (its Markdown follows)."""
    passed = test.get("status") == "passed" if "status" in test else test.get("score") == test.get("max_score")
    visibility = str(test.get("visibility", "visible"))
    label = VISIBILITY.get(visibility, visibility)
    score = f"{format_points(test.get('score', 0))} / {format_points(test.get('max_score', 0))}"
    return (
        f'<div class="test {"passed" if passed else "failed"}"><h4><span class="mark">{"✓" if passed else "✗"}</span> '
        f'{escape(str(test.get("number", "")))} {escape(str(test.get("name", "")))} <span class="pts">({score})</span> '
        f'<span class="vis vis-{escape(visibility)}">{escape(label)}</span></h4>'
    )
