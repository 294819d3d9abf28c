"""The test configuration: YAML in, frozen dataclasses out; every error names the file, line and key."""

from __future__ import annotations

import dataclasses
import hashlib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from autograder.worker.sandbox import Limits

DEFAULT_CONFIG = Path(__file__).with_name("default.yaml")
QUESTIONS = ("1", "2a", "2b", "2c")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class ConfigError(Exception):
    """The configuration file is wrong; the message names the file, the line and the key."""


def doc(text: str, default: Any = dataclasses.MISSING, **kwargs: Any) -> Any:
    """A dataclass field with its one-line documentation (the configuration reference is made from these)."""
    return field(default=default, metadata={"doc": text}, **kwargs)


@dataclass(frozen=True)
class TestSpec:
    """One graded test, as results.json will show it."""

    __test__ = False  # not a pytest test class

    name: str = doc("The test's title, shown to students.")
    number: str = doc('Its number on Gradescope, e.g. "1.2"; tests are sorted by it.')
    question: str = doc("The question it belongs to: one of " + ", ".join(QUESTIONS) + " (its only tag).")
    max_score: float = doc("Its points (zero or more).")
    check: str = doc("What it checks: the name of a judge check (see the check reference).")
    visibility: str = doc("When students see it: " + ", ".join(VISIBILITIES) + ".", "visible")
    params: Any = doc("The check's parameters (see the check reference).", None)


@dataclass(frozen=True)
class Config:
    """A loaded configuration: the tests in order, the worker's limits, and the file's identity."""

    tests: tuple[TestSpec, ...]
    limits: Limits
    path: Path
    sha256: str

    def visible_only(self) -> "Config":
        """The same configuration without the tests a student may not see before the deadline."""
        return dataclasses.replace(self, tests=tuple(t for t in self.tests if t.visibility == "visible"))


def load_config(path: Path | str | None = None, *, checks: Mapping[str, type] | None = None) -> Config:
    """Load and validate a configuration file (the default one when `path` is None).

    `checks` maps each check name to the dataclass of its parameters; it defaults to the
    registry in `autograder.checks`.
    """
    if checks is None:
        from autograder.checks import PARAMS as checks
    path = Path(path) if path is not None else DEFAULT_CONFIG
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration ({error.strerror})") from None
    try:
        root = yaml.compose(data.decode("utf-8"), Loader=yaml.SafeLoader)
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    where = _Where(path)
    top = where.mapping(root, "the file", {"limits", "tests"})
    limits = where.dataclass(Limits, top["limits"], "limits") if "limits" in top else Limits()
    if "tests" not in top:
        raise ConfigError(f"{path}: no `tests` list")
    tests_node = top["tests"][1]
    if not isinstance(tests_node, yaml.SequenceNode) or not tests_node.value:
        raise where.error(tests_node, "tests", "must be a non-empty list of tests")
    tests = []
    for index, node in enumerate(tests_node.value):
        key = f"tests[{index}]"
        spec = where.dataclass(TestSpec, (None, node), key, skip={"params"})
        items = where.mapping(node, key, set(f.name for f in dataclasses.fields(TestSpec)))

        def fail(name: str, message: str) -> ConfigError:
            return where.error(items[name][1] if name in items else node, f"{key}.{name}", message)

        if spec.question not in QUESTIONS:
            raise fail("question", f"must be one of {', '.join(QUESTIONS)}, not {spec.question!r}")
        if spec.visibility not in VISIBILITIES:
            raise fail("visibility", f"must be one of {', '.join(VISIBILITIES)}")
        if spec.max_score < 0:
            raise fail("max_score", f"must not be negative, got {spec.max_score}")
        if spec.check not in checks:
            raise fail("check", f"unknown check {spec.check!r}; known: {', '.join(sorted(checks))}")
        params = where.dataclass(checks[spec.check], items.get("params", (None, None)), f"{key}.params")
        tests.append(dataclasses.replace(spec, params=params))
    numbers = [t.number for t in tests]
    duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
    if duplicates:
        raise ConfigError(f"{path}: test number {duplicates[0]} is used twice")
    return Config(tests=tuple(tests), limits=limits, path=path, sha256=hashlib.sha256(data).hexdigest())


class _Where:
    """Turns YAML nodes into checked values, raising errors that point at the node's line."""

    def __init__(self, path: Path):
        self.path = path

    def error(self, node: yaml.Node | None, key: str, message: str) -> ConfigError:
        line = f":{node.start_mark.line + 1}" if node is not None else ""
        return ConfigError(f"{self.path}{line}: `{key}` {message}")

    def mapping(self, node: yaml.Node | None, key: str, allowed: set[str]) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            return {}
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, key, "must be a mapping of keys to values")
        items = {}
        for key_node, value_node in node.value:
            name = key_node.value
            if name not in allowed:
                raise self.error(key_node, f"{key}.{name}" if key != "the file" else name,
                                 f"is not a known key here; known keys: {', '.join(sorted(allowed))}")
            items[name] = (key_node, value_node)
        return items

    def dataclass(self, cls: type, item: tuple[yaml.Node | None, yaml.Node | None], key: str,
                  skip: set[str] = frozenset()) -> Any:
        """Build `cls` from a YAML mapping, checking every key and the type of every value."""
        fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}
        hints = typing.get_type_hints(cls)
        items = self.mapping(item[1], key, set(fields) | set(skip))
        values = {}
        for name, f in fields.items():
            if name not in items:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    raise self.error(item[1] if item[1] is not None else item[0], key, f"needs the key `{name}`")
                continue
            key_node, value_node = items[name]
            value = yaml.safe_load(yaml.serialize(value_node))
            values[name] = self.convert(value, hints[name], value_node, f"{key}.{name}")
        try:
            return cls(**values)
        except (TypeError, ValueError) as error:
            raise self.error(item[1], key, f"is not valid: {error}") from None

    def convert(self, value: Any, hint: Any, node: yaml.Node, key: str) -> Any:
        """Check `value` against the type `hint`, allowing an int where a float is wanted and a list for a tuple."""
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            for option in typing.get_args(hint):
                try:
                    return self.convert(value, option, node, key)
                except ConfigError:
                    pass
            raise self.error(node, key, f"has the wrong type: got {value!r}, expected {_name(hint)}")
        if origin is tuple:
            if not isinstance(value, list):
                raise self.error(node, key, f"must be a list, got {value!r}")
            item_hint = typing.get_args(hint)[0]
            return tuple(self.convert(v, item_hint, node, key) for v in value)
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
        raise self.error(node, key, f"has the wrong type: got {value!r}, expected {_name(hint)}")


def _name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
