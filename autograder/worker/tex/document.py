"""The document: where the equations of an answers.tex stand, as spans of one cleaned copy of the text.

Reading is linear and hand-written (regular expressions, no recursion): comments and what LaTeX
ignores are blanked with spaces of the same length, so an offset in the cleaned text is the
offset in the student's file and every message can name its line and column. Math is found in
`$…$`, `$$…$$`, `\\[…\\]`, `\\(…\\)` and the display environments; its rows are split at `\\\\`
(never inside a matrix or another environment), a row that starts with `=` or an operator
continues the previous one, and assignments sharing a row are split at a top-level `,`, `;`,
`\\quad` or `\\qquad`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_BYTES = 1_000_000
MAX_STATEMENTS = 2_000  # equations (with an `=`) read from one file
MAX_DEPTH = 40  # nesting of { ( [ in one equation
MAX_LENGTH = 4_000  # characters of one equation
Blanks = list[tuple[int, int, str]]  # (start, end, replacement of the same length): text the grammar need not see

DISPLAY = {
    "align",
    "align*",
    "aligned",
    "alignat",
    "alignat*",
    "alignedat",
    "equation",
    "equation*",
    "gather",
    "gather*",
    "gathered",
    "multline",
    "multline*",
    "split",
    "eqnarray",
    "eqnarray*",
    "flalign",
    "flalign*",
    "displaymath",
    "math",
    "dmath",
    "dmath*",
}
ALIGNMENT = {"aligned", "alignedat", "gathered", "split"}  # inside math: rows of the enclosing equation
ONE_EQUATION = {"multline", "multline*"}  # every row continues the equation above unless it has its own `=`
# Arguments after \begin{…} that are layout, not math: alignat's column count, array's column spec,
# aligned's [t], mathtools' bmatrix*[r]. They are blanked so that the math starts after them.
ARGUMENTS = {"alignat": 1, "alignat*": 1, "alignedat": 1, "xalignat": 1, "xalignat*": 1, "xxalignat": 1}
ARGUMENTS |= {"array": 1, "subarray": 1, "darray": 1}
OPTIONS = {"aligned", "alignedat", "gathered", "array", "darray", "multlined", "dmath", "dmath*"}
OPTIONS |= {name + "*" for name in ("matrix", "bmatrix", "pmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix")}
# Text that LaTeX prints as it is: never math, whatever `$` it holds.
VERBATIM = {"verbatim", "verbatim*", "Verbatim", "BVerbatim", "lstlisting", "minted", "comment", "alltt"}
VERBATIM |= {"filecontents", "filecontents*", "spverbatim", "pyverbatim", "pycode", "sageblock", "code"}
MACROS = re.compile(
    r"\\(?:newcommand|renewcommand|providecommand|DeclareMathOperator|def|let|newenvironment)"
    r"\*?\s*\{?\s*(\\[a-zA-Z]+)"
)
TEXT_WORDS = {
    "tanh": r"\tanh",
    "sigma": r"\sigma",
    "sech": r"\sech",
    "exp": r"\exp",
    "cosh": r"\cosh",
    "sinh": r"\sinh",
    "d": "d",
    "L": "L",
}
_TOKEN = re.compile(r"\\(?:[a-zA-Z]+|.)|%|\$\$?|[{}\n]", re.S)
_SPLIT = re.compile(r"\\(?:[a-zA-Z]+|.)|[{}()\[\],;=&]", re.S)
_SPACING = r"(?:\s|&|\{\}|\\(?:quad|qquad|[,;:! ])(?![a-zA-Z]))*"
_SPACES = re.compile(_SPACING)
_LEADING_AMPERSAND = re.compile(r"\s*&")
_ENVIRONMENT = re.compile(r"\s*\{\s*([a-zA-Z]+\*?)\s*\}")
_BRACE = re.compile(r"\s*\{")
_MATH_TOKEN = re.compile(r"\\(?:[a-zA-Z]+\*?|.)", re.S)
_ROW_TOKEN = re.compile(r"\\\\(?:\s*\[[^\]\n]{0,20}\])?|\\begin(?![a-zA-Z])|\\end(?![a-zA-Z])|\\cr(?![a-zA-Z])")
_OPERATOR = r"(?:\+|-|\*|\\(?:cdot|times|odot|ast|circ)(?![a-zA-Z]))"
_CONTINUES = re.compile(_SPACING + r"(?:=|" + _OPERATOR + ")")
# `… + \\`: an operator ends a row only when the equation goes on (an empty `h &= \\` is the kit's blank)
_ENDS_OPEN = re.compile("(" + _OPERATOR + ")" + _SPACING + r"\Z")
_BRACED_PRIMES = re.compile(r"\^\s*\{\s*('{1,3})\s*\}")
_OPTION = re.compile(r"\s*\[[^\[\]{}\n]{0,20}\]")
_INLINE_VERBATIM = re.compile(  # bounded: an unclosed \\verb| must not make each later one scan the whole line
    r"\\(?:verb\*?|lstinline|mintinline\s*\{[a-zA-Z]*\})(?![a-zA-Z])\s*(?:\{[^}\n]{0,300}\}|([^\sa-zA-Z{]).{0,300}?\1)"
)


class DocumentError(Exception):
    """The whole file cannot be read (too large, not text)."""


@dataclass(frozen=True)
class Statement:
    """One equation (or expression) in math: text[start:end] of the cleaned text."""

    start: int
    end: int


@dataclass
class Document:
    """The cleaned text (same length as the file), its equations, and the macros it defines.

    Places are counted in the file as written (`source`): cleaning may blank a line break (a row joined
    to the next), never move an offset."""

    text: str
    statements: list[Statement]
    macros: dict[str, int]  # name -> offset of its definition
    source: str = ""

    def where(self, offset: int) -> str:
        """'line N, column M' (both 1-based) of an offset in the file (counted when a message needs it)."""
        return f"line {self.line(offset)}, column {offset - self.source.rfind(chr(10), 0, offset)}"

    def line(self, offset: int) -> int:
        return self.source.count("\n", 0, offset) + 1


def decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise DocumentError(f"it is {len(data):,} bytes; answers.tex is read up to {MAX_BYTES:,} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_document(text: str) -> Document:
    """Find the equations of a LaTeX text."""
    blanks: Blanks = []
    regions = [region for region in _math_regions(text, blanks) if text.find("=", region[0], region[1]) >= 0]
    macros = {match.group(1): match.start() for match in MACROS.finditer(_apply(text, blanks))}
    for start, end, _ in regions:
        _clean_math(text, start, end, blanks)
    cleaned = _apply(text, blanks)
    joins: Blanks = []
    rows = [row for start, end, name in regions for row in _rows(cleaned, start, end, joins, name in ONE_EQUATION)]
    cleaned = _apply(cleaned, joins)
    statements: list[Statement] = []
    alignment: Blanks = []
    for row_start, row_end in rows:
        statements.extend(_split_row(cleaned, row_start, row_end, alignment))
        if len(statements) > MAX_STATEMENTS:
            raise DocumentError(f"it holds more than {MAX_STATEMENTS:,} equations")
    cleaned = _apply(cleaned, alignment)
    return Document(cleaned, statements, macros, text)


def _apply(text: str, blanks: Blanks) -> str:
    pieces, last = [], 0
    for start, end, replacement in sorted(blanks):
        if start < last:
            continue
        pieces += [text[last:start], replacement]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _blank(blanks: Blanks, start: int, end: int, keep: str = "") -> None:
    blanks.append((start, end, keep + " " * (end - start - len(keep))))


def _math_regions(text: str, blanks: Blanks) -> list[tuple[int, int, str]]:
    """Spans of math content (start, end, the environment or delimiter that opened it), outside-in: nested
    math inside a display stays part of it. Comments and verbatim text (`lstlisting`, `\\verb|…|`) blanked."""
    regions: list[tuple[int, int, str]] = []
    closer: str | None = None  # what ends the current math region
    depth = 0  # of the same display environment, nested
    opened = 0
    for match in _TOKEN.finditer(text):
        token, at = match.group(), match.start()
        if _in_blank(blanks, at):
            continue  # inside a comment
        if token == "%":
            end = text.find("\n", at)
            end = len(text) if end < 0 else end
            _blank(blanks, at, end)
            continue
        if closer is None:
            environment = _environment(text, match) if token == r"\begin" else None
            if token in ("$", "$$"):
                closer, opened = token, match.end()
            elif token in (r"\[", r"\("):
                closer, opened = {"\\[": "\\]", "\\(": "\\)"}[token], match.end()
            elif environment in DISPLAY:
                closer, depth = environment, 1
                opened = _arguments_end(text, _after_brace(text, match.end()), environment, len(text))
            elif environment in VERBATIM:
                close = text.find(f"\\end{{{environment}}}", match.end())
                _blank(blanks, at, len(text) if close < 0 else close + len(environment) + 6)
            elif token.startswith((r"\verb", r"\lstinline", r"\mintinline")):
                inline = _INLINE_VERBATIM.match(text, at)
                if inline:
                    _blank(blanks, at, inline.end())
            continue
        if closer in ("$", "$$", "\\]", "\\)") and token == closer:
            regions.append((opened, at, closer))
            closer = None
        elif token in (r"\begin", r"\end") and _environment(text, match) == closer:
            depth += 1 if token == r"\begin" else -1
            if depth == 0:
                regions.append((opened, at, closer))
                closer = None
        elif token == r"\end" and depth == 1 and _environment(text, match) in DISPLAY - ALIGNMENT - {closer}:
            # \begin{align} … \end{equation}: LaTeX stops there. The region ends after that \end, which stays
            # in the equation, so the reader says so at its line instead of reading on into the next math.
            regions.append((opened, _ENVIRONMENT.match(text, match.end()).end(), closer))  # type: ignore[union-attr]
            closer = None
    if closer is not None:
        regions.append((opened, len(text), closer))  # an unclosed math region: read what is there
    return regions


def _arguments_end(text: str, at: int, name: str, end: int) -> int:
    """The offset after an environment's layout arguments that start at `at` (`{2}`, `{cc}`, `[t]`)."""
    option = _OPTION.match(text, at, end) if name in OPTIONS else None
    at = option.end() if option else at
    for _ in range(ARGUMENTS.get(name, 0)):
        brace = _BRACE.match(text, at, end)
        if brace is None:
            break
        at = _group_end(text, brace.end() - 1, end)
    option = _OPTION.match(text, at, end) if name in OPTIONS else None
    return option.end() if option else at


def _in_blank(blanks: Blanks, at: int) -> bool:
    return bool(blanks) and blanks[-1][0] <= at < blanks[-1][1]


def _environment(text: str, match: re.Match[str]) -> str | None:
    found = _ENVIRONMENT.match(text, match.end())
    return found.group(1) if found else None


def _after_brace(text: str, at: int) -> int:
    return text.index("}", at) + 1


_GROUP = re.compile(r"\{(?:[^{}\\]|\\.|\{(?:[^{}\\]|\\.)*\})*\}", re.S)  # braces nested one level deep
GROUP_LENGTH = 300  # a \label{…} or \text{…} longer than this is not one: only its command is blanked


def _group_end(text: str, at: int, end: int) -> int:
    """The offset after the brace group starting at `at` (or `at + 1` if it does not close soon)."""
    found = _GROUP.match(text, at, min(end, at + GROUP_LENGTH))
    return found.end() if found else at + 1


def _clean_math(text: str, start: int, end: int, blanks: Blanks) -> None:
    """Blank inside math what the grammar need not see: labels, tags, alignment, words in \\text."""
    environments: list[str] = []
    for prime in _BRACED_PRIMES.finditer(text, start, end):  # \sigma^{'}: LaTeX's own spelling of \sigma'
        _blank(blanks, prime.start(), prime.end(), prime.group(1))
    position = start
    while True:
        match = _MATH_TOKEN.search(text, position, end)
        if match is None:
            return
        token, at = match.group(), match.start()
        position = match.end()
        if token in (r"\begin", r"\end"):
            name = _environment(text, match)
            close = _after_brace(text, match.end()) if name else position
            if name is not None and token == r"\begin":
                after = _arguments_end(text, close, name, end)
                if after > close:
                    _blank(blanks, close, after)
                    close = after
            if name in ALIGNMENT:
                _blank(blanks, at, close)
            elif name is not None:
                if token == r"\begin":
                    environments.append(name)
                elif environments and environments[-1] == name:
                    environments.pop()
            position = close
        elif token in (r"\label", r"\tag", r"\tag*", r"\intertext", r"\eqref", r"\ref", r"\phantom", r"\hphantom"):
            brace = _BRACE.match(text, position, end)
            close = _group_end(text, brace.end() - 1, end) if brace else position
            _blank(blanks, at, close, "\\\\" if token == r"\intertext" else "")
            position = close
        elif token in (r"\nonumber", r"\notag", r"\displaystyle", r"\textstyle", r"\hline"):
            _blank(blanks, at, position)
        elif token in (r"\text", r"\textrm", r"\textit", r"\textbf", r"\mbox", r"\textnormal"):
            brace = _BRACE.match(text, position, end)
            if brace:
                close = _group_end(text, brace.end() - 1, end)
                word = text[brace.end() : close - 1].strip()
                _blank(blanks, at, close, TEXT_WORDS.get(word, ""))
                position = close


def _rows(text: str, start: int, end: int, joins: Blanks, one_equation: bool) -> list[tuple[int, int]]:
    """Split math at `\\\\` outside environments. A row joins the one above it (its `\\\\` and leading spacing are
    added to `joins`, to be blanked) when it starts with `=` or an operator, when the row above ends with
    an operator (`… + \\\\`), or, in multline (`one_equation`), when it has no `=` of its own."""
    rows = []
    environments = 0
    row_start = checked = start
    filled = False  # whether the row so far holds anything (each piece of it checked once: rows may join thousands)
    for match in _ROW_TOKEN.finditer(text, start, end):
        token = match.group()
        if token == r"\begin":
            environments += 1
        elif token == r"\end":
            environments = max(environments - 1, 0)
        elif environments == 0:
            ending = _ENDS_OPEN.search(text, max(row_start, match.start() - 200), match.start())
            filled, checked = filled or bool(text[checked : match.start()].strip()), match.end()
            if ending or (filled and _continues(text, match.end(), end, one_equation)):
                spacing = _SPACES.match(text, match.end(), end)  # and the spacing around `\\\\` (`+ \\quad \\\\ &`)
                _blank(joins, ending.end(1) if ending else match.start(), spacing.end() if spacing else match.end())
                continue
            rows.append((row_start, match.start()))
            row_start, filled = match.end(), False
    rows.append((row_start, end))
    return rows


def _continues(text: str, at: int, end: int, one_equation: bool) -> bool:
    """Whether the row starting at `at` continues the equation above: it starts with `=` or an operator
    (after `&` and spacing), or it starts with `&` (or, in multline, anything) and has no `=` of its own
    (`& \\quad w_{oh} …`)."""
    if _CONTINUES.match(text, at, end):
        return True
    lead = _LEADING_AMPERSAND.match(text, at, end)
    if lead is None and not one_equation:
        return False
    begin = lead.end() if lead else at
    row_end = text.find("\\\\", begin, end)
    tokens = _nesting(text, begin, row_end if row_end >= 0 else end)
    return not any(top and match.group() == "=" for match, top in tokens)


def _split_row(text: str, start: int, end: int, alignment: Blanks) -> list[Statement]:
    """Statements of one row: split at top-level `,` `;` `\\quad` `\\qquad`; a trailing `.` dropped.

    A top-level `&` is alignment (added to `alignment`, to be blanked), except where it separates two
    equations on one row (`U &= … & W &= …`): the text before it has an `=`, the rest of the row has
    one too, and what follows it is not the continuation of a chain (`&= …`, `&+ …`, `&=& …`). Only
    a top-level `=` counts: never the `=` of `\\sum_{t=1}`.
    """
    if end - start > 8 * MAX_LENGTH:  # no row of answers is this long: one statement, refused for its length
        whole = _statement(text, start, end)
        return [whole] if whole else []
    statements = []
    piece = start
    tokens = list(_nesting(text, start, end))
    equals = [match.start() for match, top in tokens if top and match.group() == "="]
    equal_since_piece = False
    annotation = None  # where `\\in \\mathbb{R}^{3 \\times 2}` after the right side starts: not part of it
    for match, top in tokens:
        token = match.group()
        if top and token == "=":
            equal_since_piece = True
        elif top and token == r"\in" and equal_since_piece and annotation is None:
            annotation = match.start()
        elif top and token in (",", ";", r"\quad", r"\qquad"):
            statements.append(_statement(text, piece, annotation or match.start()))
            piece, equal_since_piece, annotation = match.end(), False, None
        elif token == "&" and top is not None:
            if top and equal_since_piece and equals[-1] > match.end() and not _CONTINUES.match(text, match.end(), end):
                statements.append(_statement(text, piece, annotation or match.start()))
                piece, equal_since_piece, annotation = match.end(), False, None
            _blank(alignment, match.start(), match.end())
    statements.append(_statement(text, piece, annotation or end))
    return [statement for statement in statements if statement is not None]


def _nesting(text: str, start: int, end: int) -> Iterator[tuple[re.Match[str], bool | None]]:
    """The row's tokens, each with whether it stands at top level: True outside braces, brackets and
    environments, False inside brackets only, None inside an environment (a matrix's `&` is its own)."""
    depth = environments = 0
    for match in _SPLIT.finditer(text, start, end):
        token = match.group()
        if token in ("{", "(", "["):
            depth += 1
        elif token in ("}", ")", "]"):
            depth -= 1
        elif token == r"\begin":
            environments += 1
        elif token == r"\end":
            environments -= 1
        yield match, (depth == 0 if environments == 0 else None)


def _statement(text: str, start: int, end: int) -> Statement | None:
    body = text[start:end]
    stripped = body.rstrip()
    if stripped.endswith("."):  # the end of a sentence (`b_y = 1.` is 1 either way)
        end = start + len(stripped) - 1
    if "=" not in text[start:end]:
        return None  # not an equation: prose in math, a condition such as t < T
    return Statement(start, end)
