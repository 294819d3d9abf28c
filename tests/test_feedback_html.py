"""Tests of the feedback as the class report shows it: Markdown rendered once per distinct block, as if whole."""

import random

import pytest

from autograder.report import feedback_html
from autograder.report.feedback_html import Pieces, markdown_blocks, render_markdown

HINT = "Hint: with the input (0, 1) and a carry of 1, check `W` (h^(t) depends on h^(t-1) only through the carry)."
TABLE = "```text\n t | x1 x2 | y  expected\n\n 1 |  1  1 | 0  0   <- first wrong bit\n```"

# Blocks that join or part differently depending on what stands around them (CommonMark's container rules).
CASES = {
    "paragraphs": "Adds every pair: fails.\n\nShortest failing pair: 3 + 7 = 10.\n\n" + HINT,
    "fence with blank lines": "Output:\n\n" + TABLE + "\n\nafter the table\n\nand more",
    "longer fence holds a shorter one": "````\n```\n\ninside\n```\n\nstill inside\n````\n\noutside",
    "tilde fence": "~~~\n\n```\n\n~~~\n\nout",
    "unclosed fence": "before\n\n```\ncode\n\nmore code",
    "backtick in info is no fence": "```a`b\n\nparagraph",
    "loose list": "- one\n\n- two\n\nafter",
    "ordered list parts": "1. one\n\n2) two\n\n3. three\n\nend",
    "list item with paragraphs": "- item\n\n  its second paragraph\n\nnext",
    "indented fence in an item": "- item\n\n  ```\n  code\n\nnot code?\n  ```\n\nend",
    "indented code": "text\n\n    code\n\n    more code\n\nafter",
    "reference definition": "see [the hint]\n\n[the hint]: https://example.com\n\nend",
    "reference definition in a quote": "see [the hint]\n\n> [the hint]: https://example.com\n\nend",
    "quote": "> quoted\n\n> another quote\n\nplain",
    "setext and rule": "Title\n=====\n\n---\n\n===\n\ntext",
    "table": "| a | b |\n|---|---|\n| 1 | 2 |\n\nafter",
    "html stays text": "<img src=x onerror=alert(1)>\n\n<script>alert(2)</script>\n\n*emphasis*",
    "hard breaks": "line  \nnext\\\n\nlast  ",
    "carriage returns": "a\r\n\r\nb",
    "leading and trailing blank lines": "\n\n\nfirst\n\n\n\nsecond\n\n\n",
    "tabs": "\tindented by a tab\n\nplain\n\n\t- tab item",
}


@pytest.mark.parametrize("text", CASES.values(), ids=CASES.keys())
def test_the_blocks_render_as_the_whole_text_does(text):
    """Rendered one by one and joined, the blocks give exactly the whole text's HTML."""
    assert "".join(render_markdown(block) for block in markdown_blocks(text)) == render_markdown(text)
    assert "".join(markdown_blocks(text)) == text


def test_feedback_is_cut_where_it_can_be():
    """Paragraphs and a fence apart are separate blocks; a list item after a blank line stays with its list."""
    assert len(markdown_blocks(CASES["paragraphs"])) == 3
    assert len(markdown_blocks(CASES["fence with blank lines"])) == 4
    assert markdown_blocks("- one\n\n- two") == ["- one\n\n- two"]


# Lines that open, continue or close containers, fences and code blocks: random texts made of them.
LINES = [
    "",
    "",
    "",
    "text",
    "Hint: check `W`.",
    "- item",
    "* star item",
    "1. first",
    "2) second",
    "  continued in an item",
    "    indented code",
    "```",
    "```text",
    "````",
    "~~~",
    "  ```",
    "- ```",
    "> ```",
    "   ~~~~ info",
    "> quote",
    "# heading",
    "---",
    "===",
    "| a | b |",
    "|---|---|",
    "[ref]: https://example.com",
    "> [ref]: https://example.com",
    "- [ref]: https://example.com",
    "a [ref] link",
    "<b>html</b>",
    "trailing spaces  ",
    "\ttab",
]


# Without the lines that keep a text whole (a reference definition, a fence indented 1 to 3 spaces).
CUTTABLE = [line for line in LINES if "]:" not in line and not line.startswith(("  ```", "   ~~~~"))]


@pytest.mark.slow
def test_random_markdown_renders_the_same_in_blocks():
    """Four thousand random texts of lines that interact across blank lines render the same cut as whole
    (half of them made of lines that allow cutting: hundreds of those are cut)."""
    generator = random.Random(20261203)
    cut = 0
    for index in range(4000):
        pool = LINES if index % 2 else CUTTABLE
        text = "\n".join(generator.choice(pool) for _ in range(generator.randint(1, 16)))
        blocks = markdown_blocks(text)
        cut += len(blocks) > 1
        assert "".join(render_markdown(block) for block in blocks) == render_markdown(text), text
    assert cut > 500


def test_a_block_shared_by_a_class_is_rendered_once(monkeypatch):
    """Feedback that differs from student to student in one line renders its shared blocks once for the class:
    one Markdown rendering per distinct block, not per student."""
    rendered = []
    monkeypatch.setattr(feedback_html, "render_markdown", lambda text: rendered.append(text) or f"<p>{text}</p>")
    pieces = Pieces()
    test = {"number": "1.1", "name": "Adds", "score": 0, "max_score": 2, "status": "failed", "visibility": "visible"}
    for student in range(100):
        output = f"Adds every pair: fails.\n\nShortest failing pair: {student} + 1.\n\n{TABLE}\n\n{HINT}"
        pieces.feedback({"tests": [{**test, "output": output}]}, problem=None)
    assert len(rendered) == 3 + 100  # the title, the table and the hint once; each student's own pair
    assert sorted(set(rendered)) == sorted(rendered)


def test_a_students_feedback_is_its_pieces_joined():
    """A submission's pieces, joined, are each test opened with its header, its Markdown rendered whole, closed."""
    pieces = Pieces()
    tests = [
        {"number": "1.1", "name": "Adds", "score": 2, "max_score": 2, "status": "passed"},
        {"number": "2.1", "name": "<h_bar>", "score": 0, "max_score": 1, "visibility": "hidden", "output": " "},
    ]
    tests[0]["output"] = CASES["paragraphs"]
    joined = "".join(pieces.html[k] for k in pieces.feedback({"output": "Total: 2", "tests": tests}, problem="x"))
    assert joined == (
        '<p class="bad">Not graded: x</p><div class="md"><p>Total: 2</p>\n</div>'
        '<div class="test passed"><h4><span class="mark">✓</span> 1.1 Adds <span class="pts">(2 / 2)</span> '
        '<span class="vis vis-visible">visible</span></h4><div class="md">'
        + render_markdown(CASES["paragraphs"])
        + "</div></div>"
        '<div class="test failed"><h4><span class="mark">✗</span> 2.1 &lt;h_bar&gt; <span class="pts">(0 / 1)</span> '
        '<span class="vis vis-hidden">hidden: the student never sees it</span></h4></div>'
    )
