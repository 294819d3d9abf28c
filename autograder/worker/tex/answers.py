"""The answers an answers.tex gives: question 1's values, and question 2's equations read into expressions.

Every equation whose left side is an answer (a bar of h c g o f i, \\overline{w_{ix}}, U V W b_h
b_y) or a helper (a new name with a step) is kept; the last definition of a name at a step counts.
What cannot be read costs that answer only, with a message naming the line; equations.py evaluates
the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .document import MAX_DEPTH, MAX_LENGTH, Document, Statement
from .grammar import Node, ReadError, parse
from .numbers import Expr, Step, references, shift
from .reading import FONTS, Reader, constant, display, environment_message, step_text, unwrap

ANSWER_KEYS = ("h", "c", "g", "o", "f", "i")
ADDER_NAMES = ("U", "V", "W", "b_h", "b_y")
MAX_HELPERS = 200
MAX_PARSED = 400_000  # characters of right sides parsed in one file


class Unreadable(str):
    """The worker's marker text for a matrix or number that cannot be read, "<not a number: line N, column M:
    why>": the worker sends it as it is (any other text is "not a number: type 'str'")."""


INTERNAL = "the grader could not read this equation (its own fault, not yours: please tell the course staff)"
_CASES = re.compile(r"\\begin\s*\{\s*(cases|dcases|rcases)\*?\s*\}")
_GUESS = re.compile(r"\\(?:overline|bar)\s*\{?\s*(?:\\mathbf\s*\{?\s*)?([hcgofi]|w)(?![a-zA-Z])")


@dataclass
class Definition:
    """One equation defining an answer or a helper: its left side's unit and step, and where its right side is."""

    unit: tuple[str, str]  # ("bar", "h"), ("wbar", "ix"), ("helper", "z_i")
    step: Step | None  # None for w_ix; ("t", 0) general; ("T", 0), (None, 1) fixed
    start: int
    end: int
    order: int
    expr: Expr | None = None
    error: str | None = None
    refs: list[Any] = field(default_factory=list)
    run: Any = None

    @property
    def general(self) -> bool:
        return self.step is None or self.step[0] == "t"


def unit_text(unit: tuple[str, str]) -> str:
    kind, key = unit
    if kind == "bar":
        return display("bar", key)
    if kind == "wbar":
        return display("wbar", key)
    return f"{key}^{{(t)}}"


class Answers:
    """All that an answers.tex says: `adder` (question 1's names) and `lstm_bptt` (None without equations)."""

    def __init__(self, document: Document):
        self.document = document
        self.macros = {name: f"line {document.line(at)}" for name, at in document.macros.items()}
        self.adder: dict[str, Any] = {}
        self.unfilled: set[str] = set()  # question 1's names whose right side is the template's `?` alone
        self.definitions: dict[tuple[tuple[str, str], Step | None], Definition] = {}  # (unit, step) -> the last one
        self._twice: dict[tuple[str, str], list[int]] = {}  # answer -> offsets of its left sides, when several
        self._targets: dict[str, tuple[Any, ...] | None] = {}  # left side's text -> what it defines
        self._helpers: set[tuple[str, str]] = set()
        self.failed: dict[tuple[str, str], str] = {}  # unit -> why it cannot be read
        self.parsed = 0
        for order, statement in enumerate(document.statements):
            self._read_statement(statement, order)
        self._read_right_sides()

    # -- reading ---------------------------------------------------------------------------------

    def where(self, at: int) -> str:
        return self.document.where(at)

    def _members(self, statement: Statement) -> list[tuple[int, int]]:
        """The parts of `a = b = c` at top level (braces, brackets, environments)."""
        text, depth, environments, parts, start = self.document.text, 0, 0, [], statement.start
        for match in re.finditer(r"\\(?:[a-zA-Z]+|.)|[{}()\[\]=]", text[statement.start : statement.end], re.S):
            token, at = match.group(), statement.start + match.start()
            if token in ("{", "(", "["):
                depth += 1
            elif token in ("}", ")", "]"):
                depth -= 1
            elif token == "\\begin":
                environments += 1
            elif token == "\\end":
                environments -= 1
            elif token == "=" and depth <= 0 and environments <= 0:
                parts.append((start, at))
                start = at + 1
        parts.append((start, statement.end))
        return parts

    def _check_size(self, start: int, end: int) -> None:
        """Bound an equation before the grammar sees it: its length, nesting and closed braces."""
        text = self.document.text
        if end - start > MAX_LENGTH:
            raise ReadError(start, f"this equation is longer than {MAX_LENGTH:,} characters")
        opened: list[tuple[str, int]] = []
        for match in re.finditer(r"\\.|[{}()\[\]]", text[start:end], re.S):
            token = match.group()
            if token in ("{", "(", "["):
                opened.append((token, start + match.start()))
                if len(opened) > MAX_DEPTH:
                    raise ReadError(start + match.start(), f"brackets nested more than {MAX_DEPTH} deep")
            elif token in ("}", ")", "]"):
                if token == "}":
                    while opened and opened[-1][0] != "{":
                        opened.pop()  # an unclosed ( or [ inside braces: the grammar will say so
                    if not opened:
                        raise ReadError(start + match.start(), "this `}` closes no `{`")
                    opened.pop()
                elif opened and opened[-1][0] == {")": "(", "]": "["}[token]:
                    opened.pop()
        braces = [at for token, at in opened if token == "{"]
        if braces:
            raise ReadError(braces[-1], f"this `{{` is never closed{_brace_hint(text[start:end])}")

    def _parse(self, start: int, end: int) -> Node:
        self._check_size(start, end)
        cases = _CASES.search(self.document.text, start, end)
        if cases:  # its conditions (t < T, \text{otherwise}) are prose: say what to write instead
            raise ReadError(cases.start(), environment_message(cases.group(1)))
        return parse(self.document.text[start:end], start)

    def _read_statement(self, statement: Statement, order: int) -> None:
        if statement.end - statement.start > MAX_LENGTH:
            error = ReadError(statement.start, f"this equation is longer than {MAX_LENGTH:,} characters")
            self._guess_failure(statement.start, statement.start + 200, error)
            return
        members = self._members(statement)
        if len(members) < 2:
            if statement.end - statement.start < 200 and _GUESS.search(
                self.document.text, statement.start, statement.end
            ):
                self._guess_failure(statement.start, statement.end, self._brace_problem(statement))
            return
        left_start, left_end = members[0]
        right_start, right_end = members[-1]
        left = self.document.text[left_start:left_end].strip()
        if left not in self._targets:  # the same left side again (a hostile file's thousands) is read once
            try:
                self._targets[left] = self._target(self._parse(left_start, left_end))
            except ReadError as error:
                self._guess_failure(left_start, left_end, error)
                return
            except Exception:  # noqa: BLE001 - a bug of ours costs this equation only, and says so
                self._guess_failure(left_start, left_end, ReadError(left_start, INTERNAL))
                return
        target = self._targets[left]
        if target is None:
            return  # the forward pass, an example, question 1's y: not an answer
        if target[0] == "adder":
            self.adder[target[1]] = self._adder_value(right_start, right_end, target[2])
            if _unfilled(self.document.text[right_start:right_end]):
                self.unfilled.add(target[1])
            else:
                self.unfilled.discard(target[1])
            return
        unit, step = target[1], target[2]
        if unit[0] == "helper" and unit not in self._helpers:
            if len(self._helpers) >= MAX_HELPERS:
                return
            self._helpers.add(unit)
        key = (unit, step if step is None or step[0] != "t" else ("t", 0))
        if key in self.definitions:
            self._twice.setdefault(unit, [self.definitions[key].start]).append(left_start)
        self.failed.pop(unit, None)
        self.definitions[key] = Definition(unit, step, right_start, right_end, order)

    def _target(self, node: Node) -> tuple[Any, ...] | None:
        """What a left side defines: ("adder", name, transposed), ("answer", unit, step), or None."""
        adder = _adder_name(node)
        if adder is not None:
            return ("adder", *adder)
        target = Reader(macros=self.macros).expression(node)
        if target[0] == "bar":
            unit, step = ("bar", target[1]), target[2]
        elif target[0] == "wbar" and target[1] == "ix":
            unit, step = ("wbar", "ix"), None
        elif target[0] == "helper" and target[1] not in ("y", "\\overline{y}"):  # question 1's output: not a helper
            unit, step = ("helper", target[1]), target[2]
        else:
            return None
        if step is not None and step[0] not in ("t", "T", None):
            return None
        return ("answer", unit, step)

    @property
    def remarks(self) -> list[str]:
        """One remark per answer defined more than once (lines counted only here: a hostile file has many)."""
        remarks = []
        for unit, offsets in self._twice.items():
            first, last = (f"line {self.document.line(at)}" for at in (offsets[0], offsets[-1]))
            where = f"{first} and {last}" if len(offsets) == 2 else f"{len(offsets)} times, {first} to {last}"
            remarks.append(f"{unit_text(unit)} is defined more than once ({where}): the last definition counts")
        return remarks

    def _brace_problem(self, statement: Statement) -> ReadError:
        try:
            self._check_size(statement.start, statement.end)
        except ReadError as error:
            return error
        return ReadError(statement.start, "this equation has no `=` outside braces")

    def _guess_failure(self, start: int, end: int, error: ReadError) -> None:
        """A left side that cannot be read: if it looks like an answer, that answer carries the message."""
        found = _GUESS.search(self.document.text, start, end)
        if found is None:
            return
        unit = ("wbar", "ix") if found.group(1) == "w" else ("bar", found.group(1))
        message = f"{self.where(error.at)}: {error.message}"
        if not any(u == unit for u, _ in self.definitions):
            self.failed[unit] = message

    def _adder_value(self, start: int, end: int, transposed: bool) -> Any:
        try:
            node = self._parse(start, end)
            if node.kind == "chain":
                node = node.items[0]
            node = unwrap(node)
            while node.kind == "paren" and isinstance(node.items[0], Node) and node.items[0].kind == "matrix":
                node = node.items[0]  # \left[ \begin{matrix} … \end{matrix} \right]
            if node.kind == "matrix":
                return self._matrix(node, transposed)
            matrices = [item for item in node.items if isinstance(item, Node) and item.kind == "matrix"]
            if node.kind in ("term", "sum") and matrices:  # not question 2's "a bmatrix is not read" message
                raise ReadError(
                    matrices[0].at,
                    "only a matrix is read here, alone (a transpose ^T may follow it): write "
                    "`U = \\begin{bmatrix} … \\end{bmatrix}` and put anything else after `,` or `\\quad`",
                )
            value = constant(Reader().expression(node))
            if value is None:
                raise ReadError(node.at, "expected a number or a matrix (\\begin{bmatrix} … \\end{bmatrix})")
            return _exact(value)
        except ReadError as error:
            return Unreadable(f"<not a number: {self.where(error.at)}: {error.message}>")
        except Exception:  # noqa: BLE001 - a bug of ours costs this value only, and says so
            return Unreadable(f"<not a number: {self.where(start)}: {INTERNAL}>")

    def _matrix(self, node: Node, transposed: bool) -> list[list[int | Fraction]]:
        if node.value.rstrip("*") not in ("bmatrix", "pmatrix", "matrix", "array", "Bmatrix", "vmatrix", "smallmatrix"):
            raise ReadError(node.at, environment_message(node.value))
        for kind, argument in node.scripts:
            if kind == "^" and _is_transpose(argument):
                transposed = not transposed
            else:
                raise ReadError(node.at, "after a matrix only a transpose (^T or ^\\top) is read")
        rows = []
        for number, row in enumerate(node.items, start=1):
            entries = []
            for entry in row:
                if entry.kind == "empty":
                    raise ReadError(
                        entry.at, "a row of this matrix is empty" if len(row) == 1 else "a matrix entry is empty"
                    )
                try:
                    value = constant(Reader().expression(entry))
                except ReadError:
                    value = None
                if value is None:
                    raise ReadError(entry.at, "a matrix entry must be a number, such as 1, -0.5 or \\frac{1}{2}")
                entries.append(_exact(value))
            if len(row) != len(node.items[0]):  # LaTeX would print it; it is no matrix: say which row
                raise ReadError(
                    row[0].at,
                    f"row {number} of this matrix has {_entries(len(row))} and row 1 has "
                    f"{_entries(len(node.items[0]))}: "
                    "every row needs the same number (entries are separated by `&`, rows by `\\\\`)",
                )
            rows.append(entries)
        if transposed:
            rows = [list(column) for column in zip(*rows, strict=True)]
        return rows

    def _read_right_sides(self) -> None:
        """Parse the right sides that count: every answer's, and the helpers they use (transitively)."""
        todo = [d for d in self.definitions.values() if d.unit[0] != "helper"]
        seen: set[tuple[str, str]] = set()
        while todo:
            definition = todo.pop()
            self._read_right_side(definition)
            for kind, key, _, _ in definition.refs:
                if kind == "helper" and ("helper", key) not in seen:
                    seen.add(("helper", key))
                    todo.extend(d for d in self.definitions.values() if d.unit == ("helper", key))

    def _read_right_side(self, definition: Definition) -> None:
        try:
            if not self.document.text[definition.start : definition.end].strip():
                raise ReadError(definition.start, "nothing after `=`: write this equation's right side")
            self._check_size(definition.start, definition.end)
            self.parsed += definition.end - definition.start
            if self.parsed > MAX_PARSED:
                raise ReadError(
                    definition.start,
                    f"the answers of this file hold more than {MAX_PARSED:,} "
                    "characters of math: only that much is read",
                )
            node = self._parse(definition.start, definition.end)
            reader = Reader(macros=self.macros, sums=definition.unit[0] == "wbar")
            expr = reader.expression(node)
            if definition.step is not None and definition.step[0] == "t" and definition.step[1] != 0:
                expr = shift(expr, -definition.step[1])
            definition.refs = references(expr)
            self._check_steps(definition)
            self._check_helpers(definition)
            definition.expr = expr
        except ReadError as error:
            definition.error = f"{self.where(error.at)}: {error.message}"
            definition.refs = []
        except Exception:  # noqa: BLE001 - a bug of ours costs this equation only, and says so
            definition.error = f"{self.where(definition.start)}: {INTERNAL}"
            definition.refs = []

    def _check_helpers(self, definition: Definition) -> None:
        """A name with a step that no equation defines is an unknown symbol (not a helper)."""
        defined = {unit for unit, _ in self.definitions}
        for kind, key, step, _ in definition.refs:
            if kind == "helper" and ("helper", key) not in defined:
                raise ReadError(
                    definition.start,
                    f"unknown symbol `{key}^{{({step_text(step)})}}`: no equation "
                    f"defines it (a helper needs its own, such as {key}^{{(t)}} = …)",
                )

    def _check_steps(self, definition: Definition) -> None:
        """Static checks: bars and helpers are known at t and later only; w_ix has no free t."""
        for kind, key, step, bound in definition.refs:
            variable, offset = step
            if kind == "wbar":
                raise ReadError(definition.start, "\\overline{w_{ix}} is an answer: no equation can use it")
            if definition.unit[0] == "wbar" and variable == "t" and "t" not in bound:
                raise ReadError(
                    definition.start,
                    "`t` is left free in \\overline{w_{ix}}: sum over the steps "
                    "with \\sum_{t=1}^{T}, or name a fixed step",
                )
            if kind in ("bar", "helper") and variable is not None and variable != "T" and offset < 0:
                name = display(kind, key, step) if kind == "bar" else f"{key}^{{({step_text(step)})}}"
                raise ReadError(
                    definition.start,
                    f"{name} is not known yet: the equations run backwards in time, "
                    f"from T down to 1, so a step before t cannot be used here",
                )
            if kind == "fwd" and variable not in (None, "T") and offset < -1:
                raise ReadError(definition.start, f"{key}^{{({step_text(step)})}}: only steps t-1, t and t+1 are read")

    # -- question 2 --------------------------------------------------------------------------------

    @property
    def has_equations(self) -> bool:
        """Question 2 is answered: some equation has a right side (or looks like an answer and cannot be
        read). The template's empty `\\overline{h^{(t)}} &=` lines alone answer nothing."""
        text = self.document.text
        return bool(self.failed) or any(text[d.start : d.end].strip() for d in self.definitions.values())

    @property
    def adder_filled(self) -> bool:
        """Question 1 is answered: some weight is written (a `?` left elsewhere is then an error of its own)."""
        return any(name not in self.unfilled for name in self.adder)

    def static_failures(self) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
        """Answers that cannot be read whatever the problem ({unit: why}), and answers with no equation."""
        unreadable: dict[tuple[str, str], str] = {}
        absent: dict[tuple[str, str], str] = {}
        for unit in [("bar", key) for key in ANSWER_KEYS] + [("wbar", "ix")]:
            if unit in self.failed:
                unreadable[unit] = self.failed[unit]
            elif not any(d.unit == unit for d in self.definitions.values()):
                absent[unit] = f"no equation for {unit_text(unit)} was found"
                if self.macros:  # perhaps written with one: then it is an equation that cannot be read
                    names = ", ".join(f"`{name}` ({line})" for name, line in list(self.macros.items())[:3])
                    unreadable[unit] = (
                        f"{absent.pop(unit)}; this file defines macros ({names}), which are not "
                        f"read: if you wrote {unit_text(unit)} with one, write it out"
                    )
        return unreadable, absent


def _adder_name(node: Node) -> tuple[str, bool] | None:
    """U, W, V, v (with a transpose), b_h, b_y, in any font: (name, transposed), else None."""
    if node.kind == "chain" and len(node.items) == 1:
        node = node.items[0]
    if node.kind == "term":
        items = [
            item for item in node.items if not (isinstance(item, Node) and item.kind == "cmd" and item.value in FONTS)
        ]
        if len(items) != 1 or not isinstance(items[0], Node):
            return None
        node = items[0]
    node = unwrap(node)
    if node.kind != "letter":
        return None
    subs = [argument for kind, argument in node.scripts if kind == "_"]
    sups = [argument for kind, argument in node.scripts if kind == "^"]
    if len(subs) + len(sups) != len(node.scripts):
        return None
    transposed = bool(sups) and all(_is_transpose(s) for s in sups)
    if sups and not transposed:
        return None
    if node.value in "UVWv" and not subs:  # W^T = M is W = M^T, as a reader takes it
        return ("V" if node.value == "v" else node.value), transposed
    if node.value == "b" and len(subs) == 1 and not sups:
        label = _letters(subs[0])
        if label in ("h", "y"):
            return f"b_{label}", False
    return None


def _letters(node: Node) -> str | None:
    node = unwrap(node)
    if node.kind == "group" and len(node.items) == 1 and node.items[0].kind == "term":
        items = [i for i in node.items[0].items if not (isinstance(i, Node) and i.kind == "cmd" and i.value in FONTS)]
        node = unwrap(items[0]) if len(items) == 1 and isinstance(items[0], Node) else node
    return node.value if node.kind == "letter" and not node.scripts else None


def _is_transpose(node: Node) -> bool:
    node = unwrap(node)
    if node.kind == "letter":
        return node.value == "T" and not node.scripts
    return node.kind == "cmd" and node.value in ("top", "intercal", "mathsf") and not node.scripts


def _entries(count: int) -> str:
    return "1 entry" if count == 1 else f"{count} entries"


def _unfilled(text: str) -> bool:
    """A right side that holds nothing but the template's placeholders (`?`, in a matrix or alone)."""
    return not _PLACEHOLDER.sub("", text)


_PLACEHOLDER = re.compile(r"\\(?:begin|end)\s*\{[^{}]*\}|\\\\|\\[,;:!]|\\q?quad|[?&\s,.;]")


def _exact(value: Fraction) -> int | Fraction:
    return int(value) if value.denominator == 1 else value


def _brace_hint(text: str) -> str:
    found = re.search(r"\\(overline|bar)\s*\{\s*([a-zA-Z])\s*\^\s*\{\s*\(([^(){}]*)\)\s*\}(?!\s*\})", text)
    if found:
        return f": did you mean `\\{found.group(1)}{{{found.group(2)}^{{({found.group(3)})}}}}`?"
    return ""
