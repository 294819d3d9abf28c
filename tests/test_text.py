"""Student-controlled text stays literal in Markdown."""

from autograder.text import literal, literal_block, printable


def test_a_code_span_outlasts_the_backticks_inside_it():
    assert literal("a`b") == "``a`b``"
    assert literal("`x`") == "`` `x` ``"


def test_html_stays_inside_a_code_span():
    assert literal("<img src=x onerror=alert(1)>") == "`<img src=x onerror=alert(1)>`"


def test_a_block_fence_is_longer_than_any_fence_inside():
    block = literal_block("```\n<script>\n```")
    assert block.startswith("````text\n") and block.endswith("\n````")


def test_terminal_escapes_are_shown_not_sent():
    assert printable("\x1b[2J") == "\\x1b[2J"
    assert "\n" not in literal("a\nb")


def test_long_text_is_cut():
    assert len(literal("x" * 1000, limit=10)) < 20
