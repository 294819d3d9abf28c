"""The adder's data file (adder.yaml / adder.json), read in the trusted process under explicit bounds.

It is data, never code, so it is read here rather than in the worker, but every byte is the
student's: the size, the nesting depth and the number of entries are bounded before or while they
are parsed (never by a recursion limit), YAML anchors, aliases and merge keys are refused (a few
hundred bytes of them expand to millions of entries), and numbers are read exactly as written
(`0.1` is one tenth, `1e-3` one thousandth), as docs/spec.md 5.1 asks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

from autograder.judge.numbers import not_a_number
from autograder.text import literal

MAX_BYTES = 256 * 1024  # a 3-unit adder needs a few hundred bytes; 22 numbers of 4,000 digits still fit
MAX_DEPTH = 16  # the file's mapping, then at most two list levels, is all a weight needs
MAX_ENTRIES = 10_000  # values, lists and keys together
MAX_DIGITS = 4000  # per number, exponent included: a longer number is not a weight anyone meant

_FRACTION = re.compile(r"(?P<num>[-+]?\d{1,100}) ?/ ?(?P<den>\d{1,100})")  # in YAML: -1/2, 3 / 4
_DECIMAL = re.compile(r"(?P<sign>[-+]?)(?P<int>\d[\d_]*)?(?:\.(?P<frac>[\d_]*))?(?:[eE](?P<exp>[-+]?\d+))?\Z")
_BASED = re.compile(r"[-+]?0(?:x[0-9a-fA-F_]+|o[0-7_]+|b[01_]+)\Z")
_YAML = "tag:yaml.org,2002:"


class _Refused(Exception):
    """The file goes past a bound or uses a refused feature: the message says which, in the student's terms."""


def read_data_file(name: str, content: bytes, names: Sequence[str]) -> Mapping[str, Any] | str:
    """The values of `names` in the file (nested lists of exact numbers and not-a-number markers), or what is wrong.

    Numbers come back as int or Fraction (NaN and infinity as floats); anything else as the marker
    text the worker uses, so the adder's reader names it the same way.
    """
    shown = literal(name)
    if len(content) > MAX_BYTES:
        return f"{shown} is {len(content):,} bytes; an adder file needs far less (limit {MAX_BYTES:,} bytes)."
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return f"{shown} is not UTF-8 text; save it as UTF-8."
    try:
        data = _read_json(text) if name.lower().endswith(".json") else _read_yaml(text)
    except _Refused as refused:
        return f"{shown} could not be read: {refused}"
    if data is _NO_YAML:
        return (
            f"This check cannot read {shown}: that needs PyYAML, which this Python does not have (Gradescope "
            "has it). To check here, write the same names in `adder.json` or `adder.py`."
        )
    if not isinstance(data, dict):
        return f"{shown} must map each name (such as `U` or `b_y`) to its value, one per line: `U: [[1, 1], ...]`."
    return {key: value for key, value in data.items() if key in names}


def _number(text: str) -> Any:
    """A number written as text, exactly; None if the text is not a number; a marker if it is too long."""
    based = _BASED.match(text)
    decimal = None if based else _DECIMAL.match(text)
    if not based and (decimal is None or not (decimal["int"] or decimal["frac"]) or not any(map(str.isdigit, text))):
        return None
    cleaned = text.replace("_", "")
    if len(cleaned) > MAX_DIGITS:
        return not_a_number(reason=f"a number of more than {MAX_DIGITS:,} characters")
    if decimal is None:
        try:
            return int(cleaned, 0)
        except ValueError:  # only underscores after the prefix: "0x_"
            return None
    exponent = int(decimal["exp"] or 0)
    if abs(exponent) > MAX_DIGITS:
        return not_a_number(reason=f"a number with an exponent beyond {MAX_DIGITS:,}")
    digits = ((decimal["int"] or "") + (decimal["frac"] or "")).replace("_", "") or "0"
    value = Fraction(int(digits)) * Fraction(10) ** (exponent - len((decimal["frac"] or "").replace("_", "")))
    return _exact(-value if decimal["sign"] == "-" else value)


def _exact(value: Fraction) -> int | Fraction:
    return value.numerator if value.denominator == 1 else value


# ---- JSON ------------------------------------------------------------------------------------------

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{},]')


def _read_json(text: str) -> Any:
    depth = entries = 0
    for token in _JSON_TOKENS.finditer(text):  # depth and entries are bounded before the (recursive) parser runs
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(f"it is nested more than {MAX_DEPTH} levels deep (line {_line(text, token.start())})")
        elif mark in "]}":
            depth -= 1
        entries += 1
        if entries > MAX_ENTRIES:
            raise _Refused(f"it holds more than {MAX_ENTRIES:,} entries")

    def number(text: str) -> Any:
        value = _number(text)
        return value if value is not None else not_a_number(reason="not a number")

    try:
        return json.loads(text, parse_float=number, parse_int=number, parse_constant=float)
    except (ValueError, RecursionError) as error:
        where = f" (line {error.lineno}, column {error.colno})" if isinstance(error, json.JSONDecodeError) else ""
        problem = error.msg if isinstance(error, json.JSONDecodeError) else "it is not valid JSON"
        raise _Refused(f"{problem}{where}") from None


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


# ---- YAML ------------------------------------------------------------------------------------------


def _read_yaml(text: str) -> Any:
    """Build the document from the parser's events, refusing anchors, aliases, merge keys and unknown tags."""
    if not _load_yaml():
        return _NO_YAML
    events = _events(text)
    stack: list[list[Any]] = []  # open collections: [container, pending key (mappings), is_mapping]
    root: list[Any] = []
    entries = documents = 0
    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _Refused(f"it holds more than one YAML document (line {_mark(event)}); keep only one")
            continue
        if not isinstance(
            event,
            (
                yaml.ScalarEvent,
                yaml.SequenceStartEvent,
                yaml.MappingStartEvent,
                yaml.SequenceEndEvent,
                yaml.MappingEndEvent,
                yaml.AliasEvent,
            ),
        ):
            continue
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(
                f"it uses a YAML alias ({literal(f'*{event.anchor}', limit=40)}) at line {_mark(event)}; "
                "write every value out in full"
            )
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            done = stack.pop()[0]
            _place(stack, root, done, event)
            continue
        if event.anchor is not None:
            raise _Refused(
                f"it uses a YAML anchor ({literal('&' + event.anchor, limit=40)}) at line {_mark(event)}; "
                "write every value out in full"
            )
        entries += 1
        if entries > MAX_ENTRIES:
            raise _Refused(f"it holds more than {MAX_ENTRIES:,} entries")
        if isinstance(event, yaml.ScalarEvent):
            _place(stack, root, _scalar(event), event)
            continue
        _check_tag(event, "seq" if isinstance(event, yaml.SequenceStartEvent) else "map")
        if len(stack) >= MAX_DEPTH:
            raise _Refused(f"it is nested more than {MAX_DEPTH} levels deep (line {_mark(event)})")
        stack.append([{} if isinstance(event, yaml.MappingStartEvent) else [], _NO_KEY])
    return root[0] if root else None


_NO_KEY = object()


def _events(text: str) -> Iterator[Any]:
    """The parser's events, one at a time (so the bounds stop it early), with its errors as refusals."""
    parsing = yaml.parse(text, Loader=yaml.SafeLoader)
    while True:
        try:
            event = next(parsing)
        except StopIteration:
            return
        except yaml.YAMLError as error:
            problem = getattr(error, "problem", None) or "it is not valid YAML"
            mark = getattr(error, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise _Refused(f"{_words(problem)}{where}") from None
        yield event


def _place(stack: list[list[Any]], root: list[Any], value: Any, event: Any) -> None:
    """Put a finished value into the open collection (as a key or value of a mapping, or an item)."""
    if not stack:
        root.append(value)
        return
    top = stack[-1]
    if isinstance(top[0], list):
        top[0].append(value)
    elif top[1] is _NO_KEY:
        if value == "<<" and isinstance(event, yaml.ScalarEvent) and event.style is None:
            raise _Refused(f"it uses a YAML merge key (<<) at line {_mark(event)}; write every value out in full")
        top[1] = value if isinstance(value, str) else repr(value)
    else:
        top[0][top[1]] = value
        top[1] = _NO_KEY


def _scalar(event: yaml.ScalarEvent) -> Any:
    """A scalar as the YAML reader means it, but numbers exact and everything else a not-a-number marker.

    Keys need their text, so plain text comes back as str; the adder's reader sees any str as a non-number.
    """
    tag = _check_tag(event, "str", "int", "float", "bool", "null")
    if tag is not None:
        return event.value if tag == _YAML + "str" else _typed(event.value, tag)
    if event.style is not None:  # quoted or a block: text, whatever it looks like
        return event.value
    value = _number(event.value)
    if value is not None:
        return value
    fraction = _FRACTION.fullmatch(event.value)
    if fraction and int(fraction["den"]) != 0:  # YAML has no fractions; a plain -1/2 is the fraction written
        return _exact(Fraction(int(fraction["num"]), int(fraction["den"])))
    resolved = _RESOLVER.resolve(yaml.ScalarNode, event.value, (True, False))
    if resolved == _YAML + "float":  # .inf, .nan and the like
        return _RESOLVER.construct_yaml_float(yaml.ScalarNode(resolved, event.value))
    if resolved in (_YAML + "bool", _YAML + "null"):
        return not_a_number(type_name="bool" if resolved.endswith("bool") else "NoneType")
    return event.value


def _typed(text: str, tag: str) -> Any:
    if tag in (_YAML + "int", _YAML + "float"):
        value = _number(text)
        return value if value is not None else not_a_number(reason="not a number")
    return not_a_number(type_name="bool" if tag.endswith("bool") else "NoneType")


_NO_YAML = object()  # what reading YAML gives without PyYAML
_RESOLVER: Any = None  # PyYAML's safe loader: only its resolver and float constructor (.inf, .nan, true, null)


def _load_yaml() -> bool:
    """Import PyYAML for the first adder.yaml read (most gradings read none, and pay nothing for it); False
    without it (the student kit, which has numpy only: adder.json is read, adder.yaml says it cannot be)."""
    global yaml, _RESOLVER
    if _RESOLVER is None:
        try:
            import yaml
        except ImportError:
            return False
        _RESOLVER = yaml.SafeLoader("")
    return True


def _check_tag(event: Any, *allowed: str) -> str | None:
    """The event's explicit standard tag (None if implicit); any other tag is refused."""
    tag = event.tag
    if tag is None or tag == "!":
        return None
    if tag in {_YAML + kind for kind in allowed}:
        return tag
    raise _Refused(
        f"it uses the YAML tag {literal(tag, limit=60)} at line {_mark(event)}; write plain numbers and lists"
    )


def _mark(event: Any) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0


def _words(problem: str) -> str:
    return problem if re.fullmatch(r"[\w ,.;:'()-]{1,200}", problem) else literal(problem)
