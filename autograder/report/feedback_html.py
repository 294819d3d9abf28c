"""One submission's feedback as HTML, as Gradescope shows it to an instructor: every test, labelled by visibility.

Gradescope renders `output_format: md` as Markdown. We render it with markdown-it-py (CommonMark and
tables) with raw HTML off, links limited to safe schemes and images off (the report loads nothing),
so feedback can never become markup, whatever a student put in it. Identical pieces (a test's header
and output) are rendered once and shared: a class of 10,000 repeats most of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from markdown_it import MarkdownIt

from autograder.report.summary import format_points

VISIBILITY = {
    "visible": "visible",
    "hidden": "hidden: the student never sees it",
    "after_due_date": "hidden until the due date",
    "after_published": "hidden until grades are published",
}
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")


def render_markdown(text: str) -> str:
    """Markdown as Gradescope would show it, with raw HTML shown as text."""
    return _MARKDOWN.render(text)


class Pieces:
    """Feedback HTML cut in shared pieces: each distinct piece is rendered and stored once."""

    def __init__(self) -> None:
        self.html: list[str] = []
        self._index: dict[tuple, int] = {}

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
        output = str(results.get("output") or "")
        if output.strip():
            pieces.append(self.add(("output", output), lambda: f'<div class="md">{render_markdown(output)}</div>'))
        for test in results.get("tests", []):
            if isinstance(test, Mapping):
                key = (
                    "test",
                    *(
                        str(test.get(k, ""))
                        for k in ("number", "name", "score", "max_score", "status", "visibility", "output")
                    ),
                )
                pieces.append(self.add(key, lambda test=test: _test_html(test)))
        return pieces


def _test_html(test: Mapping[str, Any]) -> str:
    passed = test.get("status") == "passed" if "status" in test else test.get("score") == test.get("max_score")
    visibility = str(test.get("visibility", "visible"))
    label = VISIBILITY.get(visibility, visibility)
    score = f"{format_points(test.get('score', 0))} / {format_points(test.get('max_score', 0))}"
    header = (
        f'<h4><span class="mark">{"✓" if passed else "✗"}</span> {escape(str(test.get("number", "")))} '
        f'{escape(str(test.get("name", "")))} <span class="pts">({score})</span> '
        f'<span class="vis vis-{escape(visibility)}">{escape(label)}</span></h4>'
    )
    output = str(test.get("output") or "")
    body = f'<div class="md">{render_markdown(output)}</div>' if output.strip() else ""
    return f'<div class="test {"passed" if passed else "failed"}">{header}{body}</div>'
