"""Fingerprints of a student's text, MOSS-style: normalised tokens, hashed k-grams, winnowed, each with its line.

Python files and a notebook's code cells are read by Pygments' Python lexer (names become `N`, strings `S`,
comments and spacing vanish, so renaming a variable changes nothing); `answers.tex` by a linear tokeniser of
its own (commands, words, digits, symbols; comments and spacing commands vanish). Every byte comes from a
student and is read in the trusted process: under bounds of size, tokens and time (docs/spec.md 5.4).
Pygments is one of the TA's tools (requirements-ta.txt): without it, code has no fingerprints and says so.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Iterable, Sequence

from autograder.record import Record

CODE, LATEX = "code", "latex"  # the channels: a notebook copied from a classmate's .py still matches it
MAX_BYTES = 256 * 1024  # of one file's text (a notebook's code cells together); past it, the rest is not read
MAX_NOTEBOOK_BYTES = 8 * 1024 * 1024  # parsed here (its outputs too): within the grading's memory budget
MAX_TOKENS = 20_000  # of one file (about 2,000 lines of code)
MAX_SECONDS = 2.0  # of tokenising one file
KGRAM = {CODE: 12, LATEX: 10}  # tokens per k-gram: shorter matches are noise (MOSS uses about this)
WINDOW = 6  # winnowing window: every match of KGRAM + WINDOW - 1 tokens or more is found
LATEX_SPACING = frozenset(
    {r"\,", r"\;", r"\:", r"\!", r"\ ", r"\quad", r"\qquad", r"\left", r"\right", r"\displaystyle", r"\\", "&"}
)
_LATEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]+|[0-9]+(?:\.[0-9]+)?|\S")
_LATEX_COMMENT = re.compile(r"(?<!\\)%[^\n]*")


ADDER_FILES = ("adder.",)


class Unavailable(Exception):
    """The TA's tools for code (Pygments) are not installed."""


class Fingerprinted(Record):
    """One file's fingerprints: (hash, first line, last line) of each kept k-gram; its channel; its text (kept
    for the report); and why it was cut short (a bound), if it was."""

    name: str
    channel: str
    prints: tuple[tuple[int, int, int], ...]
    text: str
    cut: str | None = None


class _Token(Record):
    text: str
    line: int


def fingerprint_files(files: dict[str, bytes]) -> tuple[list[Fingerprinted], list[str]]:
    """The fingerprints of a submission's Python files (adder.py aside: only weights, which question 1's design
    compares), notebooks and answers.tex; and notes (a bound reached, the TA's tools missing)."""
    result: list[Fingerprinted] = []
    notes: list[str] = []
    for name in sorted(files):
        if name.startswith(ADDER_FILES):
            continue  # only weights: question 1's design compares them, every scaling and order folded
        channel = LATEX if name.endswith(".tex") else CODE if name.endswith((".py", ".ipynb")) else None
        if channel is None:
            continue
        if name.endswith(".ipynb") and len(files[name]) > MAX_NOTEBOOK_BYTES:
            notes.append(f"{name}: a notebook past {MAX_NOTEBOOK_BYTES // 2**20} MB is not compared")
            continue
        text = _notebook_code(files[name]) if name.endswith(".ipynb") else _decoded(files[name])
        try:
            printed = fingerprint_text(name, text, channel)
        except Unavailable as missing:
            notes.append(str(missing))
            continue
        result.append(printed)
        if printed.cut:
            notes.append(f"{name}: {printed.cut}")
    return result, notes


def fingerprint_text(name: str, text: str, channel: str) -> Fingerprinted:
    """Tokenise, normalise, hash every k-gram and keep the winnowed ones (with the line each starts on)."""
    cut = None
    if len(text) > MAX_BYTES:
        text, cut = text[:MAX_BYTES], f"only the first {MAX_BYTES // 1024} KB were compared"
    tokens, stopped = (_latex_tokens if channel == LATEX else _python_tokens)(text)
    cut = stopped or cut
    return Fingerprinted(name, channel, winnow(tokens, KGRAM[channel], WINDOW), text, cut)


def winnow(tokens: Sequence[_Token], k: int, window: int) -> tuple[tuple[int, int, int], ...]:
    """Schleimer, Wilkerson and Aiken's winnowing: of every `window` consecutive k-gram hashes, the smallest
    (the rightmost on ties), each kept once."""
    hashes = [
        (
            _hash("\x1f".join(token.text for token in tokens[start : start + k])),
            tokens[start].line,
            tokens[start + k - 1].line,
        )
        for start in range(len(tokens) - k + 1)
    ]
    if not hashes:
        return ()
    kept: dict[int, tuple[int, int, int]] = {}
    for start in range(max(1, len(hashes) - window + 1)):
        span = hashes[start : start + window]
        lowest = min(range(len(span)), key=lambda index: (span[index][0], -index))
        kept.setdefault(start + lowest, span[lowest])
    return tuple(kept[index] for index in sorted(kept))


def _hash(text: str) -> int:
    """A hash that is the same in every process (Python's own is salted per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8).digest(), "big")


def _python_tokens(text: str) -> tuple[list[_Token], str | None]:
    try:
        from pygments.lexers.python import PythonLexer  # type: ignore[import-untyped]
        from pygments.token import Comment, Name, String, Text, Whitespace  # type: ignore[import-untyped]
    except ImportError:
        raise Unavailable(
            "code was not compared: the TA's tools are not installed (.venv/bin/python -m pip install -r "
            "requirements-ta.txt)"
        ) from None
    tokens: list[_Token] = []
    line, started = 1, time.monotonic()
    for kind, value in PythonLexer(stripnl=False, ensurenl=False).get_tokens(text):
        if len(tokens) % 256 == 0 and time.monotonic() - started > MAX_SECONDS:
            return tokens, f"tokenising stopped after {MAX_SECONDS:g} s"
        if len(tokens) >= MAX_TOKENS:
            return tokens, f"only the first {MAX_TOKENS} tokens were compared"
        here = line
        line += value.count("\n")
        if kind in Comment or kind in Whitespace or kind in Text or kind in String.Doc or not value.strip():
            continue
        normal = "N" if kind in Name and kind not in Name.Builtin else "S" if kind in String else value
        if kind in String and tokens and tokens[-1].text == "S":
            continue  # a string is one token however the lexer splits it
        tokens.append(_Token(normal, here))
    return tokens, None


def _latex_tokens(text: str) -> tuple[list[_Token], str | None]:
    tokens: list[_Token] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        for match in _LATEX_TOKEN.finditer(_LATEX_COMMENT.sub("", raw)):
            if match.group() not in LATEX_SPACING:
                tokens.append(_Token(match.group(), number))
        if len(tokens) >= MAX_TOKENS:
            return tokens[:MAX_TOKENS], f"only the first {MAX_TOKENS} tokens were compared"
    return tokens, None


def _decoded(data: bytes) -> str:
    return data[: MAX_BYTES * 4].decode("utf-8", "replace").replace("\r\n", "\n")


def _notebook_code(data: bytes) -> str:
    """A notebook's code cells, one after another (the worker runs them; here they are only text)."""
    try:
        cells = json.loads(data.decode("utf-8", "replace")).get("cells", [])
    except (ValueError, RecursionError, AttributeError):
        return ""
    return "\n".join(_cell_source(cell) for cell in cells[:10_000] if isinstance(cell, dict))


def _cell_source(cell: dict) -> str:
    if cell.get("cell_type") != "code":
        return ""
    source = cell.get("source", "")
    return "".join(s for s in source if isinstance(s, str)) if isinstance(source, list) else str(source)


def lines_of(prints: Iterable[Sequence[int]], shared: set[int]) -> set[int]:
    """The lines the shared fingerprints' k-grams cover (for highlighting)."""
    return {line for value, first, last in prints if value in shared for line in range(first, last + 1)}
