"""Student-controlled text shown as literal text: it can never become Markdown or HTML.

Everything a student controls (a name, a type name, a file name, exception text) passes through
one of these before it joins feedback. Gradescope renders feedback as Markdown with raw HTML
allowed, so backticks alone are not enough: a code span's fence must be longer than any run of
backticks inside it, and control characters (terminal escapes included) are made visible, as are
bytes of a file name that is not UTF-8 (Python keeps them as lone surrogates, which no file can hold).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_TICKS = re.compile(r"`+")


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with control characters (escape sequences, bidi overrides) shown as \\xNN escapes, and the
    bytes of a name that is not UTF-8 (surrogate escapes, as os.listdir gives them) as \\xNN too."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's escape of one undecodable byte
            code -= 0xDC00
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    text = _CONTROL.sub(escape, text)
    return text if keep_newlines else text.replace("\n", "\\n").replace("\r", "\\r")


def _fence(text: str, least: int) -> str:
    longest = max((len(run) for run in _TICKS.findall(text)), default=0)
    return "`" * max(least, longest + 1)


def literal(text: object, *, limit: int = 200) -> str:
    """An inline code span holding `text` exactly (cut to `limit` characters): safe in Markdown."""
    text = printable(str(text))
    if len(text) > limit:
        text = text[:limit] + "…"
    fence = _fence(text, 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def literal_block(text: object, *, info: str = "text") -> str:
    """A fenced code block holding `text` exactly (newlines kept): safe in Markdown."""
    text = printable(str(text), keep_newlines=True).replace("\r\n", "\n").rstrip("\n")
    fence = _fence(text, 3)
    return f"{fence}{info}\n{text}\n{fence}"
