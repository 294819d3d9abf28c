"""The answers of an answers.tex: question 1's values and question 2's equations, evaluated like lstm_bptt.

Every equation whose left side is an answer (a bar of h c g o f i, \\overline{w_{ix}}, U V W b_h
b_y) or a helper (a new name with a step) is kept; the last definition of a name at a step counts.
Question 2 is evaluated backwards in time: at each step, every bar and helper in the order their
same-step references require, a fixed-step equation (\\overline{c^{(T)}}) replacing the general one
at its step, every value at step T+1 zero. What cannot be read costs that answer (and what needs
it) only, with a message naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .document import MAX_DEPTH, MAX_LENGTH, Document, Statement
from .grammar import Node, ReadError, parse
from .numbers import EvalError, Unavailable, compile_expression, references, resolve, shift
from .reading import FONTS, Reader, constant, display, environment_message, step_text, unwrap

ANSWER_KEYS = ("h", "c", "g", "o", "f", "i")
ADDER_NAMES = ("U", "V", "W", "b_h", "b_y")
MAX_HELPERS = 200
MAX_PARSED = 400_000  # characters of right sides parsed in one file
INTERNAL = "the grader could not read this equation (its own fault, not yours: please tell the course staff)"
_CASES = re.compile(r"\\begin\s*\{\s*(cases|dcases|rcases)\*?\s*\}")
_GUESS = re.compile(r"\\(?:overline|bar)\s*\{?\s*(?:\\mathbf\s*\{?\s*)?([hcgofi]|w)(?![a-zA-Z])")


@dataclass
class Definition:
    """One equation defining an answer or a helper: its left side's unit and step, and where its right side is."""

    unit: tuple[str, str]  # ("bar", "h"), ("wbar", "ix"), ("helper", "z_i")
    step: tuple[str | None, int] | None  # None for w_ix; ("t", 0) general; ("T", 0), (None, 1) fixed
    start: int
    end: int
    order: int
    expr: tuple | None = None
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
        self.definitions: dict[tuple, Definition] = {}  # (unit, step) -> the last definition
        self._twice: dict[tuple[str, str], list[int]] = {}  # answer -> offsets of its left sides, when several
        self._targets: dict[str, tuple | None] = {}  # left side's text -> what it defines
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
            return
        unit, step = target[1], target[2]
        if unit[0] == "helper" and unit not in self._helpers:
            if len(self._helpers) >= MAX_HELPERS:
                return
            self._helpers.add(unit)
        key = (unit, step if step is None or step[0] != "t" else ("t", 0))
        if key in self.definitions and unit[0] != "helper":
            self._twice.setdefault(unit, [self.definitions[key].start]).append(left_start)
        self.failed.pop(unit, None)
        self.definitions[key] = Definition(unit, step, right_start, right_end, order)

    def _target(self, node: Node) -> tuple | None:
        """What a left side defines: ("adder", name, transposed), ("answer", unit, step), or None."""
        adder = _adder_name(node)
        if adder is not None:
            return ("adder", *adder)
        target = Reader(macros=self.macros).expression(node)
        if target[0] == "bar":
            unit, step = ("bar", target[1]), target[2]
        elif target[0] == "wbar" and target[1] == "ix":
            unit, step = ("wbar", "ix"), None
        elif target[0] == "helper":
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
            value = constant(Reader().expression(node))
            if value is None:
                raise ReadError(node.at, "expected a number or a matrix (\\begin{bmatrix} … \\end{bmatrix})")
            return _exact(value)
        except ReadError as error:
            return f"<not a number: {self.where(error.at)}: {error.message}>"
        except Exception:  # noqa: BLE001 - a bug of ours costs this value only, and says so
            return f"<not a number: {self.where(start)}: {INTERNAL}>"

    def _matrix(self, node: Node, transposed: bool) -> list:
        if node.value not in ("bmatrix", "pmatrix", "matrix", "array", "Bmatrix", "vmatrix", "smallmatrix"):
            raise ReadError(node.at, environment_message(node.value))
        for kind, argument in node.scripts:
            if kind == "^" and _is_transpose(argument):
                transposed = not transposed
            else:
                raise ReadError(node.at, "after a matrix only a transpose (^T or ^\\top) is read")
        rows = []
        for row in node.items:
            entries = []
            for entry in row:
                if entry is None:
                    raise ReadError(node.at, "a matrix entry is empty")
                try:
                    value = constant(Reader().expression(entry))
                except ReadError:
                    value = None
                if value is None:
                    raise ReadError(entry.at, "a matrix entry must be a number, such as 1, -0.5 or \\frac{1}{2}")
                entries.append(_exact(value))
            rows.append(entries)
        while rows and not rows[-1]:
            rows.pop()
        if transposed:
            if len({len(row) for row in rows}) > 1:
                raise ReadError(node.at, "the rows of this matrix have different lengths")
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
        return bool(self.definitions) or bool(self.failed)

    def static_failures(self) -> tuple[dict, dict]:
        """Answers that cannot be read whatever the problem ({unit: why}), and answers with no equation."""
        unreadable, absent = {}, {}
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
    if node.value in "UVWv" and not subs:
        if transposed and node.value not in "Vv":
            return None
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


def _exact(value: Fraction) -> int | Fraction:
    return int(value) if value.denominator == 1 else value


def _brace_hint(text: str) -> str:
    found = re.search(r"\\(overline|bar)\s*\{\s*([a-zA-Z])\s*\^\s*\{\s*\(([^(){}]*)\)\s*\}(?!\s*\})", text)
    if found:
        return f": did you mean `\\{found.group(1)}{{{found.group(2)}^{{({found.group(3)})}}}}`?"
    return ""


def _raise_if(error: str | None) -> None:
    if error is not None:
        raise EvalError(error)


STAND_IN = 1.0  # the value of an answer that cannot be read or computed, at every step (see Equations)


class Evaluated(dict):
    """lstm_bptt's answer from equations: the dict a function returns, `notes` (key -> why that key
    cannot be graded; the key may still hold a stand-in) and `remarks` (other things worth saying)."""

    notes: dict[str, str]
    remarks: list[str]


class Equations:
    """The callable lstm_bptt(x, weights, forward, dL_dh) of an answers.tex's question-2 equations.

    An answer whose own equation cannot be read or computed (a reading error, a circular definition,
    an unreadable helper, a step with no equation) costs that answer only: it stands in as 1 at every
    step, so the answers built on it are still computed and can earn carried-forward credit, as they
    would beside a wrong value; its note says why it cannot be graded. An answer with no equation at
    all is missing, and so is whatever needs it (as a missing key in a function's dict would be).
    """

    def __init__(self, answers: Answers):
        self.answers = answers
        self.definitions = list(answers.definitions.values())
        for definition in self.definitions:
            if definition.expr is not None:
                try:
                    definition.run = compile_expression(definition.expr, self._read)
                except (ValueError, KeyError):  # a bug of ours: this equation only
                    definition.error = f"{self._where(definition)}: {INTERNAL}"
        self._state: dict[str, Any] = {}
        self.__name__ = "lstm_bptt"

    def __call__(self, x, weights, forward, dL_dh):
        x = np.asarray(x, dtype=float)
        length = len(x) - 1
        values = {key: [float(v) for v in np.asarray(forward[key], dtype=float)] for key in "ifogch"}
        values["x"] = [float(v) for v in x]
        losses = [float(v) for v in np.asarray(dL_dh, dtype=float)]
        env = {"T": length, "weights": {name: float(weights[name]) for name in weights}}
        unreadable, absent = self.answers.static_failures()
        stand_ins = dict(unreadable)  # unit -> why it stands in
        while True:  # a failure found on the way makes that answer a stand-in from the start: run again
            state = self._state = {
                "T": length,
                "values": values,
                "dL_dh": losses,
                "computed": {},
                "failed": dict(absent),
                "stand_ins": stand_ins,
                "new": {},
            }
            units = self._units([("bar", key) for key in ANSWER_KEYS] + [("wbar", "ix")])
            for t in range(length, 0, -1):
                env["t"] = t
                self._step(units, t, env)
            if not state["new"]:
                break
            stand_ins = {**stand_ins, **state["new"]}
        result = Evaluated()
        result.notes, result.remarks = {}, self.answers.remarks
        for key in ANSWER_KEYS:
            unit = ("bar", key)
            if unit in stand_ins:
                result[key] = np.array([0.0] + [STAND_IN] * length)
                result.notes[key] = stand_ins[unit]
            elif unit in state["failed"]:
                result.notes[key] = state["failed"][unit]
            else:
                result[key] = np.array([0.0] + [state["computed"][unit][t] for t in range(1, length + 1)])
        self._weight(env, result, unreadable, absent)
        return result

    def _units(self, wanted: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The bars and helpers to compute at each step: the answers and what they use."""
        units, todo = [], list(wanted)
        while todo:
            unit = todo.pop()
            if unit in units:
                continue
            units.append(unit)
            for definition in self.definitions:
                if definition.unit == unit:
                    todo.extend((kind, key) for kind, key, _, _ in definition.refs if kind in ("bar", "helper"))
        return [unit for unit in units if unit[0] != "wbar"]

    def _choose(self, unit: tuple[str, str], t: int, length: int) -> Definition | None:
        """The equation of a unit at step t: a fixed-step one for t (the last in the file), else the general one."""
        env = {"T": length, "t": t}
        fixed = [
            d
            for d in self.definitions
            if d.unit == unit and d.step is not None and not d.general and resolve(d.step, env) == t
        ]
        if fixed:
            return max(fixed, key=lambda d: d.order)
        general = [d for d in self.definitions if d.unit == unit and d.general]
        return general[0] if general else None

    def _step(self, units: list[tuple[str, str]], t: int, env: dict) -> None:
        state = self._state
        chosen = {unit: self._choose(unit, t, env["T"]) for unit in units if unit not in state["stand_ins"]}
        needs = {}
        for unit, definition in chosen.items():
            refs = definition.refs if definition is not None else ()
            needs[unit] = {
                (kind, key) for kind, key, step, _ in refs if (kind, key) in chosen and resolve(step, env) == t
            }
        cycles: dict[tuple[str, str], str] = {}
        for unit in _order(needs, cycles, lambda u: self._where(chosen[u])):
            if unit in state["failed"]:
                continue
            definition = chosen[unit]
            try:
                if unit in cycles:
                    raise EvalError(cycles[unit])
                if definition is None:
                    fixed = [self._where(d) for d in self.definitions if d.unit == unit]
                    raise EvalError(
                        f"{unit_text(unit)} has no equation for step t = {t} (T = {env['T']}): it is "
                        f"defined at fixed steps only ({', '.join(fixed)}); add the general equation"
                    )
                _raise_if(definition.error)
                value = definition.run(env)
            except Unavailable as missing:
                if missing.unit[0] == "helper":  # a helper is part of this equation: its own failure
                    self._fail(unit, self._needs(missing.unit))
                else:
                    state["failed"][unit] = self._needs(missing.unit)
                continue
            except EvalError as error:
                self._fail(unit, str(error))
                continue
            except (ArithmeticError, TypeError, ValueError):  # a bug of ours: this equation only
                self._fail(unit, f"{self._where(definition)}: {INTERNAL}")
                continue
            state["computed"].setdefault(unit, {})[t] = value

    def _where(self, definition: Definition | None) -> str:
        return f"line {self.answers.document.line(definition.start)}" if definition is not None else "no equation"

    def _fail(self, unit: tuple[str, str], why: str) -> None:
        """This unit's own equation failed: an answer becomes a stand-in (next run), a helper fails its users."""
        self._state["failed"][unit] = why
        if unit[0] == "bar":
            self._state["new"].setdefault(unit, why)

    def _weight(self, env: dict, result: Evaluated, unreadable: dict, absent: dict) -> None:
        unit = ("wbar", "ix")
        env = {key: value for key, value in env.items() if key != "t"}
        if unit in unreadable or unit in absent:
            if unit in unreadable:
                result["w_ix"] = STAND_IN
            result.notes["w_ix"] = {**unreadable, **absent}[unit]
            return
        definition = [d for d in self.definitions if d.unit == unit][-1]
        try:
            _raise_if(definition.error)
            result["w_ix"] = definition.run(env)
        except Unavailable as missing:
            result.notes["w_ix"] = self._needs(missing.unit)
            if missing.unit[0] == "helper":
                result["w_ix"] = STAND_IN
        except EvalError as error:
            result.notes["w_ix"], result["w_ix"] = str(error), STAND_IN

    def _needs(self, unit: tuple[str, str]) -> str:
        """Why a unit that needs `unit` cannot be computed: the first cause, never a nested chain."""
        reason = self._state["failed"].get(unit, "")
        if reason.startswith("it needs "):
            return reason
        return f"it needs {unit_text(unit)}, which could not be computed: {reason}"

    def _read(self, kind: str, key: str, step: int, env: dict) -> float:
        state = self._state
        length = state["T"]
        if step > length:
            return 0.0
        if step < 0:
            raise EvalError(f"step {step} does not exist")
        if kind == "fwd":
            return state["values"][key][step]
        if kind == "dldh":
            return state["dL_dh"][step]
        unit = (kind, key)
        if unit in state["stand_ins"]:
            return STAND_IN
        if unit in state["failed"]:
            raise Unavailable(unit)
        known = state["computed"].get(unit, {})
        if step not in known:
            if step == 0:
                raise EvalError(f"{unit_text(unit)} at step 0 is not computed (the steps are 1 to T)")
            raise EvalError(
                f"{unit_text(unit)} at step {step} is needed before it is computed (the equations run from T down to 1)"
            )
        return known[step]


def _order(needs: dict[tuple, set], cycles: dict, where: Any) -> list[tuple]:
    """Units in an order that computes same-step references first; a cycle's units get a "circular" message
    naming each unit and where (`where(unit)`: "line N") it is defined."""
    order, state = [], {}
    for root in needs:
        if root in state:
            continue
        stack = [(root, iter(sorted(needs[root])))]
        state[root] = "open"
        while stack:
            unit, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[unit] = "done"
                order.append(unit)
            elif state.get(child) == "open":
                cycle = [u for u, _ in stack][[u for u, _ in stack].index(child) :]
                names = " -> ".join(f"{unit_text(u)} ({where(u)})" for u in cycle) + f" -> {unit_text(child)}"
                for member in cycle:
                    cycles.setdefault(member, f"circular definition: {names}")
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(sorted(needs.get(child, ())))))
    return order
