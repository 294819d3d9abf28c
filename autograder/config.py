"""The test configuration: YAML (or the kit's JSON) in, frozen records out; errors name the file, line and key."""

from __future__ import annotations

import functools
import hashlib
import json
import types
import typing
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from autograder.record import MISSING, Record, field, fields, replace
from autograder.worker.limits import Limits

# The course's YAML; in the student kit, the JSON that `build kit` writes from it (read without PyYAML).
DEFAULT_CONFIG = next(
    (path for path in (Path(__file__).with_name(name) for name in ("default.yaml", "default.json")) if path.is_file()),
    Path(__file__).with_name("default.yaml"),
)
# Beside a YAML configuration, `build gradescope` writes what it parses to, keyed by its bytes' SHA-256: a
# grading then reads the JSON and never imports PyYAML (about 20 ms of every grading). An edited YAML no
# longer matches its twin, and is parsed.
PARSED_SUFFIX = ".parsed.json"
QUESTIONS = ("1", "2a", "2b", "2c")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class ConfigError(Exception):
    """The configuration file is wrong; the message names the file, the line and the key."""


def doc(text: str, default: Any = MISSING, **kwargs: Any) -> Any:
    """A record field with its one-line documentation (the configuration reference is made from these)."""
    return field(default=default, metadata={"doc": text}, **kwargs)


class TestSpec(Record):
    """One graded test, as results.json will show it."""

    __test__ = False  # not a pytest test class

    name: str = doc("The test's title, shown to students.")
    number: str = doc('Its number on Gradescope, e.g. "1.2"; tests are sorted by it.')
    question: str = doc("The question it belongs to: one of " + ", ".join(QUESTIONS) + " (its only tag).")
    max_score: float = doc("Its points (zero or more).")
    check: str = doc("What it checks: the name of a check kind (see the check kinds below).")
    visibility: str = doc("When students see it: " + ", ".join(VISIBILITIES) + ".", "visible")
    params: Any = doc("The check kind's parameters (listed under it below).", None)


class Config(Record):
    """A loaded configuration: the tests in order, the worker's limits, and the file's identity."""

    tests: tuple[TestSpec, ...]
    limits: Limits
    path: Path
    sha256: str

    def visible_only(self) -> Config:
        """The same configuration without the tests a student may not see before the deadline."""
        return replace(self, tests=tuple(t for t in self.tests if t.visibility == "visible"))


def read_config(path: Path | str | None, *, kinds: Mapping[str, type]) -> Config:
    """Load and validate a configuration file (the default one when `path` is None).

    A `.json` file is read without PyYAML (the student kit's configuration, written by `build kit`);
    any other file is YAML. Both are checked by the same rules. `kinds` maps each check kind's name to the
    record class of its parameters: the caller passes it (`autograder.kinds.load_config` passes the registry),
    so the configuration sits below the judges and knows none of them.
    """
    path = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration ({error.strerror})") from None
    sha256 = hashlib.sha256(data).hexdigest()
    root, lines = _read_json(path, data) if path.suffix == ".json" else _read_yaml(path, data, sha256)
    tests = _Where(path, lines).tests(root, kinds)
    limits = _Where(path, lines).record(Limits, root.get("limits"), "limits")
    return Config(tests=tests, limits=limits, path=path, sha256=sha256)


def _read_json(path: Path, data: bytes) -> tuple[Any, dict[str, int]]:
    try:
        return json.loads(data.decode("utf-8")), {}
    except (UnicodeDecodeError, ValueError) as error:
        raise ConfigError(f"{path}: not valid JSON: {error}") from None


def safe_yaml_loader() -> Any:
    """PyYAML's safe loader: libyaml's (several times faster) where PyYAML was built with it. Imported here, not
    above: the student kit reads its JSON configuration without PyYAML."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path, data: bytes, sha256: str) -> tuple[Any, Mapping[str, int]]:
    """The file's data, and the line of each key (`tests[1].params.seeds` -> 9) for error messages: parsed once
    (by libyaml when PyYAML has it) or read from its twin (PARSED_SUFFIX), the lines found only if a message
    needs one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not valid YAML: not UTF-8 text (byte {error.start})") from None
    if (parsed := _parsed_twin(path, sha256)) is not None:
        return parsed, _YamlLines(text)
    import yaml  # here, not above: the student kit reads its JSON configuration without PyYAML

    try:
        return yaml.load(text, Loader=safe_yaml_loader()), _YamlLines(text)
    except yaml.MarkedYAMLError as error:
        raise ConfigError(_yaml_error(path, error, text)) from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {' '.join(str(error).split())}") from None


def parsed_twin(data: bytes) -> bytes | None:
    """The twin of a YAML file (PARSED_SUFFIX) for `build`: None when JSON cannot hold exactly what it parses to
    (a date, a key that is not text), or when it does not parse (the grading says why)."""
    import yaml

    try:
        parsed = yaml.load(data.decode("utf-8"), Loader=safe_yaml_loader())
        text = json.dumps({"sha256": hashlib.sha256(data).hexdigest(), "data": parsed}, allow_nan=False)
    except (UnicodeDecodeError, yaml.YAMLError, TypeError, ValueError):
        return None
    return (text + "\n").encode() if json.loads(text)["data"] == parsed else None


def _parsed_twin(path: Path, sha256: str) -> Any:
    """What the YAML file `path` parses to, from its twin, if the twin is of its very bytes (their `sha256`)."""
    try:
        twin = json.loads(path.with_name(path.name + PARSED_SUFFIX).read_bytes())
    except (OSError, ValueError):
        return None
    if isinstance(twin, dict) and twin.get("sha256") == sha256:
        return twin.get("data")
    return None


def _yaml_error(path: Path, error: Any, text: str) -> str:
    """PyYAML's several-line report as one line: the file, line and column, and what is wrong in plain words
    (from where it stopped, since libyaml and pure-Python PyYAML word the same mistake differently)."""
    mark = error.problem_mark or error.context_mark
    where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
    problem = error.problem or error.context or "unreadable"
    lines = text.splitlines()
    line = lines[mark.line] if mark and mark.line < len(lines) else ""
    start = error.context_mark
    if "\t" in line[: mark.column + 1] if mark else False:
        said = "a tab character: indent with spaces only"
    elif mark and (mark.line >= len(lines) or "end of stream" in problem or "quoted scalar" in (error.context or "")):
        opened = f" (opened on line {start.line + 1})" if start and start.line != mark.line else ""
        said = f"the file ends inside an unclosed bracket or quote{opened}"
    elif any(word in problem for word in ("<block end>", "expected key", "'-' indicator")):
        said = (
            "this line's indentation does not match the lines above it "
            "(a test's keys line up under its first key, after `- `)"
        )
    else:
        said = problem
    return f"{path}{where}: not valid YAML: {said}"


class _YamlLines(Mapping[str, int]):
    """The line of each key of a YAML text, composed only when first asked (an error message): a configuration
    that loads is parsed once."""

    def __init__(self, text: str):
        self.text = text
        self.found: dict[str, int] | None = None

    def _found(self) -> dict[str, int]:
        if self.found is None:
            import yaml

            self.found = _lines(yaml.compose(self.text, Loader=yaml.SafeLoader), "")
        return self.found

    def __getitem__(self, key: str) -> int:
        return self._found()[key]

    def __iter__(self) -> typing.Iterator[str]:
        return iter(self._found())

    def __len__(self) -> int:
        return len(self._found())


def _lines(node: Any, key: str) -> dict[str, int]:
    """The 1-based line where each key's entry starts, by its dotted key, from a composed YAML node."""
    import yaml

    lines = {key: node.start_mark.line + 1} if node is not None else {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            inner = f"{key}.{key_node.value}" if key else str(key_node.value)
            lines.update(_lines(value_node, inner))
            lines[inner] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_lines(item, f"{key}[{index + 1}]"))  # counted from 1, as people count tests
    return lines


class _Where:
    """Turns plain data (from YAML or JSON) into checked values, raising errors that name the key and its line."""

    def __init__(self, path: Path, lines: Mapping[str, int]):
        self.path, self.lines = path, lines

    def error(self, key: str, message: str) -> ConfigError:
        line = self.lines.get(key)
        return ConfigError(f"{self.path}{f':{line}' if line else ''}: `{key}` {message}")

    def tests(self, root: Any, kinds: Mapping[str, type]) -> tuple[TestSpec, ...]:
        top = self.mapping(root, "the file", {"limits", "tests"}) if root is not None else {}
        if "tests" not in top:
            raise ConfigError(f"{self.path}: no `tests` list")
        if not isinstance(top["tests"], list) or not top["tests"]:
            raise self.error("tests", "must be a non-empty list of tests")
        tests = []
        for index, entry in enumerate(top["tests"]):
            key = f"tests[{index + 1}]"  # the first test is tests[1], as people count
            spec = self.record(TestSpec, entry, key, skip={"params"})
            items = self.mapping(entry, key, set(f.name for f in fields(TestSpec)))
            if spec.question not in QUESTIONS:
                raise self.error(f"{key}.question", f"must be one of {', '.join(QUESTIONS)}, not {spec.question!r}")
            if spec.visibility not in VISIBILITIES:
                raise self.error(f"{key}.visibility", f"must be one of {', '.join(VISIBILITIES)}")
            if spec.max_score < 0:
                raise self.error(f"{key}.max_score", f"must not be negative, got {spec.max_score}")
            if spec.check not in kinds:
                raise self.error(
                    f"{key}.check", f"unknown check kind {spec.check!r}; known: {', '.join(sorted(kinds))}"
                )
            params = self.record(kinds[spec.check], items.get("params"), f"{key}.params")
            tests.append(replace(spec, params=params))
        numbers = [t.number for t in tests]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            at = [f"tests[{i + 1}]" for i, number in enumerate(numbers) if number == duplicates[0]]
            lines = [self.lines.get(f"{key}.number") for key in at]
            users = " and ".join(
                f"`{key}`" + (f" (line {line})" if line else "") for key, line in zip(at, lines, strict=True)
            )
            where, times = f":{lines[-1]}" if lines[-1] else "", "twice" if len(at) == 2 else f"{len(at)} times"
            raise ConfigError(f"{self.path}{where}: test number {duplicates[0]} is used {times}: by {users}")
        return tuple(tests)

    def mapping(self, value: Any, key: str, allowed: set[str]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.error(key, "must be a mapping of keys to values")
        for name in value:
            if name not in allowed:
                inner = f"{key}.{name}" if key != "the file" else str(name)
                raise self.error(inner, f"is not a known key here; known keys: {', '.join(sorted(allowed))}")
        return value

    def record(self, cls: type, value: Any, key: str, skip: AbstractSet[str] = frozenset()) -> Any:
        """Build `cls` from a mapping, checking every key and the type of every value."""
        known = {f.name: f for f in fields(cls) if f.name not in skip}
        hints = _type_hints(cls)
        items = self.mapping(value, key, set(known) | set(skip))
        values = {}
        for name, f in known.items():
            if name not in items:
                if f.default is MISSING and f.default_factory is MISSING:
                    raise self.error(key, f"needs the key `{name}`")
                continue
            values[name] = self.convert(items[name], hints[name], f"{key}.{name}")
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:
            raise self.error(key, f"is not valid: {error}") from None

    def convert(self, value: Any, hint: Any, key: str) -> Any:
        """Check `value` against the type `hint`, allowing an int where a float is wanted and a list for a tuple."""
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            for option in typing.get_args(hint):
                try:
                    return self.convert(value, option, key)
                except ConfigError:
                    pass
            raise self.error(key, f"has the wrong type: got {value!r}, expected {_name(hint)}")
        if origin is tuple:
            if not isinstance(value, list):
                raise self.error(key, f"must be a list, got {value!r}")
            item_hint = typing.get_args(hint)[0]
            return tuple(self.convert(v, item_hint, key) for v in value)
        if hint is Any:
            return value
        if hint is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if hint is str and isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # `question: 1` unquoted
        if hint is type(None) and value is None:
            return None
        if isinstance(hint, type) and isinstance(value, hint) and not (isinstance(value, bool) and hint is not bool):
            return value
        raise self.error(key, f"has the wrong type: got {value!r}, expected {_name(hint)}")


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    """The field types of a check's parameters, evaluated once per class (each test of a kind asks again)."""
    return typing.get_type_hints(cls)
