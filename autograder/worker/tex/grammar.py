"""The grammar of math in answers.tex (lark, LALR: linear time, no recursion) and its plain syntax tree.

The grammar knows LaTeX's shape only: sums of terms, terms of juxtaposed factors, factors with
scripts (`^`, `_`, `'`), groups, parentheses, matrices. What a command or a letter means (a
function and its argument, a bar, a step) is decided afterwards, in reading.py, where the
message can use the student's words. Sums and products are flat lists, so the tree is only as
deep as the brackets, and brackets are bounded before parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import lark

GRAMMAR = r"""
?start: chain
chain: sum ("=" sum)*
sum: term (ADDOP term)*
term: ADDOP* factor (MULOP? factor)*
factor: atom script*
script: "^" arg   -> sup
      | "_" arg   -> sub
      | PRIME     -> prime
?arg: group
    | LETTER      -> letter
    | NUMBER      -> number
    | CMD         -> cmd
?atom: LETTER     -> letter
     | NUMBER     -> number
     | CMD        -> cmd
     | FRAC_DIGITS -> frac_digits
     | group
     | "(" sum ")"   -> paren
     | "[" sum "]"   -> paren
     | matrix
group: "{" [chain (COMMA chain)*] "}"
matrix: BEGIN mrow (ROWSEP mrow)* END
mrow: [sum] ((ENTRYSEP | COMMA) [sum])*

CMD: /\\[a-zA-Z]+/
FRAC_DIGITS.3: /\\[dt]?frac\s*\d\s*\d/
BEGIN.2: /\\begin\s*\{\s*[a-zA-Z]+\*?\s*\}/
END.2: /\\end\s*\{\s*[a-zA-Z]+\*?\s*\}/
ROWSEP: /\\\\(?:\s*\[[^\]]{0,20}\])?/
ENTRYSEP: "&"
COMMA: ","
ADDOP: "+" | "-"
MULOP.2: "*" | "/" | /\\(?:cdot|times|odot|ast|circ)(?![a-zA-Z])/
LETTER: /[a-zA-Z]/
NUMBER: /\d+(?:\.\d+)?|\.\d+/
PRIME: "'"
IGNORED.2: /\\(?:IGNORED_WORDS)(?![a-zA-Z])(?:\s*\.)?/
SPACE: /\\[,;:! >]/
%ignore IGNORED
%ignore SPACE
%ignore /\s+/
"""
# Sizes, spacing and numbering that change nothing (\left( is `(`, \right. is nothing).
IGNORED_WORDS = (
    "left",
    "right",
    "middle",
    "[bB]igg?[lr]?",
    "quad",
    "qquad",
    "nonumber",
    "notag",
    "displaystyle",
    "textstyle",
    "limits",
    "nolimits",
    "enspace",
    "thinspace",
    "medspace",
    "thickspace",
)
GRAMMAR = GRAMMAR.replace("IGNORED_WORDS", "|".join(IGNORED_WORDS))

# Symbols pasted from elsewhere (a PDF, a word processor), and the LaTeX they stand for.
UNICODE = {
    "\u2212": "-",
    "\u2013": "-",
    "\u00b7": "\\cdot",
    "\u22c5": "\\cdot",
    "\u00d7": "\\times",
    "\u2299": "\\odot",
    "\u03c3": "\\sigma",
    "\u2032": "'",
    "\u00b2": "^2",
    "\u2202": "\\partial",
    "\u2211": "\\sum",
    "\u03b4": "\\delta",
}
SHOWN = {
    "ADDOP": "`+` or `-`",
    "MULOP": "an operator",
    "LETTER": "a letter",
    "NUMBER": "a number",
    "CMD": "a command",
    "LBRACE": "`{`",
    "RBRACE": "`}`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "LSQB": "`[`",
    "RSQB": "`]`",
    "EQUAL": "`=`",
    "CIRCUMFLEX": "`^`",
    "UNDERSCORE": "`_`",
    "PRIME": "`'`",
    "BEGIN": "\\begin{…}",
    "END": "\\end{…}",
    "ROWSEP": "`\\\\`",
    "ENTRYSEP": "`&`",
    "COMMA": "`,`",
    "FRAC_DIGITS": "a fraction",
    "$END": "the end",
}


@dataclass(eq=False)
class Node:
    """One piece of math: kind is letter, number, cmd, frac_digits, group, paren, matrix, sum, term or chain.

    `value` is the letter, digits or command name (without the backslash); `items` the parts (a sum's
    alternate terms and operators, a term's factors and operators, a matrix's rows); `scripts` the
    (`^`|`_`|`'`, Node|None) attached to it; `at` its offset in the file.
    """

    kind: str
    at: int
    value: str = ""
    items: list[Any] = field(default_factory=list)
    scripts: list[tuple[str, Any]] = field(default_factory=list)


class ReadError(Exception):
    """Math that cannot be read: `at` is the offset in the file, the message says what was expected."""

    def __init__(self, at: int, message: str):
        super().__init__(message)
        self.at = at
        self.message = message


Children = list[Any]  # what lark hands a builder: tokens, Nodes, scripts, None (an optional part left out)


def _token_node(kind: str) -> Callable[[_Build, Children], Node]:
    def build(self: _Build, children: Children) -> Node:
        token = children[0]
        value = str(token)[1:] if kind == "cmd" else str(token)
        return Node(kind, self.offset + token.start_pos, value)

    return build


class _Build(lark.Transformer):  # type: ignore[misc]  # lark is vendored, untyped
    """lark's tree -> Node, with offsets in the file (the parsed text starts at `offset`)."""

    def __init__(self, offset: int):
        super().__init__()
        self.offset = offset

    letter = _token_node("letter")
    number = _token_node("number")
    cmd = _token_node("cmd")
    frac_digits = _token_node("frac_digits")

    def _at(self, children: Children) -> int:
        for child in children:
            if isinstance(child, Node):
                return child.at
            if isinstance(child, lark.Token):
                start: int = child.start_pos
                return self.offset + start
        return self.offset

    def chain(self, children: Children) -> Any:
        return children[0] if len(children) == 1 else Node("chain", self._at(children), items=list(children))

    def sum(self, children: Children) -> Any:
        items = [str(c) if isinstance(c, lark.Token) else c for c in children]
        return items[0] if len(items) == 1 else Node("sum", self._at(children), items=items)

    def term(self, children: Children) -> Any:
        items = [str(c) if isinstance(c, lark.Token) else c for c in children]
        return items[0] if len(items) == 1 else Node("term", self._at(children), items=items)

    def factor(self, children: Children) -> Node:
        atom: Node = children[0]
        scripts = children[1:]
        if scripts:
            atom.scripts = atom.scripts + list(scripts)
        return atom

    def sup(self, children: Children) -> tuple[str, Any]:
        return ("^", children[0])

    def sub(self, children: Children) -> tuple[str, Any]:
        return ("_", children[0])

    def prime(self, children: Children) -> tuple[str, None]:
        return ("'", None)

    def group(self, children: Children) -> Node:
        parts = [child for child in children if isinstance(child, Node)]  # z_{i,t}: two parts
        return Node("group", self._at(children) - 1, items=parts)

    def paren(self, children: Children) -> Node:
        return Node("paren", self._at(children) - 1, items=[children[0]])

    def matrix(self, children: Children) -> Node:
        """Rows of entries; an entry left empty is an "empty" Node at the separator after it (so a message
        names its own line), and an empty last row (a trailing `\\\\` before \\end, as Overleaf writes it)
        is dropped, as LaTeX prints nothing for it."""
        begin, end = children[0], children[-1]
        name = str(begin).split("{", 1)[1].split("}", 1)[0].strip()
        closed = str(end).split("{", 1)[1].split("}", 1)[0].strip()
        if closed != name:  # LaTeX stops there ("\begin{bmatrix} ended by \end{pmatrix}"): never read past it
            raise ReadError(
                self.offset + end.start_pos,
                f"`\\end{{{closed}}}` closes `\\begin{{{name}}}`: the document does not compile; "
                f"write `\\end{{{name}}}`",
            )
        rows = []
        for index, row in enumerate(children):
            if not isinstance(row, lark.Tree):
                continue
            parts = [*row.children, children[index + 1]]  # the row's separator or \end closes its last entry
            entries = []
            for place, part in enumerate(parts[:-1]):
                if part is None:
                    after = next(p for p in parts[place + 1 :] if isinstance(p, lark.Token))
                    entries.append(Node("empty", self.offset + after.start_pos))
                elif not isinstance(part, lark.Token):
                    entries.append(part)
            rows.append(entries)
        if len(rows) > 1 and all(entry.kind == "empty" for entry in rows[-1]):
            rows.pop()
        return Node("matrix", self.offset + begin.start_pos, name, items=rows)


_PARSER = lark.Lark(GRAMMAR, parser="lalr", lexer="contextual", maybe_placeholders=True)


def parse(text: str, offset: int) -> Node:
    """Parse one piece of math (text starts at `offset` in the file); raises ReadError."""
    try:
        tree = _PARSER.parse(text)
    except lark.exceptions.UnexpectedCharacters as error:
        char = text[error.pos_in_stream]
        instead = UNICODE.get(char)
        hint = f": write `{instead}` instead (LaTeX, not the symbol itself)" if instead else ""
        if char == "?":
            hint = ": it is the template's placeholder, replace it by your number"
        raise ReadError(offset + error.pos_in_stream, f"`{char}` cannot be read here{hint}") from None
    except lark.exceptions.UnexpectedToken as error:
        at = offset + (error.token.start_pos if error.token.start_pos is not None else len(text))
        raise ReadError(at, _unexpected(error) + _hint(text, error.token)) from None
    except lark.exceptions.UnexpectedEOF as error:
        raise ReadError(offset + len(text), _expected(error.expected)) from None
    try:
        node: Node = _Build(offset).transform(tree)
        return node
    except lark.exceptions.VisitError as error:  # lark wraps what a builder raises
        if isinstance(error.orig_exc, ReadError):
            raise error.orig_exc from None
        raise


def _hint(text: str, token: lark.Token) -> str:
    """What was probably meant, for the near misses students make."""
    if token.type == "END":
        return (
            ": it ends an environment that this equation did not begin (`\\begin{…}` and `\\end{…}` must name "
            "the same one, or the document does not compile)"
        )
    before = text[: token.start_pos].rstrip() if token.start_pos is not None else ""
    if before.endswith("^") and token == "'":
        name = re.search(r"\\[a-zA-Z]+\s*\^$", before)
        function = name.group()[:-1].strip() if name else "\\sigma"
        return f": did you mean {function}'(…) or {function}^{{\\prime}}(…)?"
    if before.endswith("^") and token in ("(", "["):
        close = text.find(")" if token == "(" else "]", token.start_pos)
        inside = text[token.start_pos : close + 1] if 0 < close - token.start_pos < 12 else "(t)"
        base = before[:-1].rstrip()[-1:] or "h"
        return f": write {base}^{{{inside}}}: a superscript longer than one character needs braces"
    return ""


def _unexpected(error: lark.exceptions.UnexpectedToken) -> str:
    token = error.token
    found = "the end of the equation" if token.type == "$END" else f"`{token}`"
    return f"found {found}; {_expected(error.expected)}"


def _expected(expected: Iterable[str]) -> str:
    names: list[str] = sorted({SHOWN.get(name, name) for name in expected if name in SHOWN})
    if not names:
        return "the equation is not complete"
    if len(names) > 4:
        return "expected a value, a command or a bracket"
    return "expected " + ", ".join(names[:-1]) + (" or " if len(names) > 1 else "") + names[-1]
