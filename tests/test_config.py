"""Tests of the configuration loader: YAML in, checked records out, errors that point at the line."""

import json
from textwrap import dedent

import pytest
import yaml

from autograder.config import DEFAULT_CONFIG, PARSED_SUFFIX, ConfigError, parsed_twin, read_config
from autograder.kinds import PARAMS, load_config
from autograder.record import Record, fields
from autograder.worker import Limits


class ToyParams(Record):
    max_bits: int = 10
    convention: str = "either"
    seeds: tuple[int, ...] = (1, 2)
    rtol: float = 1e-6

    def __post_init__(self):
        if self.convention not in ("fires", "silent", "either"):
            raise ValueError(f"convention must be fires, silent or either, not {self.convention!r}")


KINDS = {"toy": ToyParams}
GOOD = """\
limits:
  call_seconds: 2
tests:
  - name: Toy test
    number: "1.1"
    question: "1"
    max_score: 2
    check: toy
    params: {max_bits: 4, seeds: [7], rtol: 1}
  - {name: Other, number: "2.1", question: 2a, max_score: 0.5, check: toy, visibility: hidden}
"""


def write(tmp_path, text):
    path = tmp_path / "tests.yaml"
    path.write_text(dedent(text))
    return path


def test_a_good_file_loads_with_defaults_filled_in(tmp_path):
    """Every key is read, ints are accepted for floats, lists for tuples, and missing keys take defaults."""
    config = read_config(write(tmp_path, GOOD), kinds=KINDS)
    first, second = config.tests
    assert (first.name, first.number, first.question, first.max_score, first.visibility) == (
        "Toy test",
        "1.1",
        "1",
        2.0,
        "visible",
    )
    assert first.params == ToyParams(max_bits=4, seeds=(7,), rtol=1.0)
    assert second.params == ToyParams() and second.visibility == "hidden"
    assert config.limits.call_seconds == 2
    assert len(config.sha256) == 64


def test_a_yaml_file_is_read_from_its_parsed_twin_while_the_twin_is_of_its_very_bytes(tmp_path):
    """`build gradescope` writes the configuration's twin (parsed, keyed by its SHA-256) so that a grading never
    imports PyYAML; a YAML edited since no longer matches, and is parsed. (A twin that says other than its YAML,
    which no build writes, shows which of the two was read.)"""
    path = write(tmp_path, GOOD)
    twin = json.loads(parsed_twin(path.read_bytes()))
    assert twin["data"] == yaml.safe_load(path.read_text())
    twin["data"]["tests"][0]["name"] = "Read from the twin"
    path.with_name(path.name + PARSED_SUFFIX).write_text(json.dumps(twin))
    assert read_config(path, kinds=KINDS).tests[0].name == "Read from the twin"
    path.write_text(path.read_text() + "\n# edited\n")
    assert read_config(path, kinds=KINDS).tests[0].name == "Toy test"


def test_a_yaml_file_that_json_cannot_hold_exactly_gets_no_twin():
    assert parsed_twin(b"when: 2026-12-07\n") is None  # a date
    assert parsed_twin(b"1: one\n") is None  # a key that is not text
    assert parsed_twin(b"a: [\n") is None  # not YAML: the grading says why


def test_visible_only_drops_the_tests_students_may_not_see(tmp_path):
    """The student's view of a configuration keeps only the visible tests."""
    config = read_config(write(tmp_path, GOOD), kinds=KINDS)
    assert [t.number for t in config.visible_only().tests] == ["1.1"]


@pytest.mark.parametrize(
    "old, new, message",
    [
        ("    max_score: 2\n", "    max_score: -1\n", ":7: `tests[1].max_score` must not be negative, got -1.0"),
        (
            "    max_score: 2\n",
            "    max_score: two\n",
            ":7: `tests[1].max_score` has the wrong type: got 'two', expected float",
        ),
        ('    number: "1.1"\n', '    number: "1.1"\n    weight: 3\n', ":6: `tests[1].weight` is not a known key here"),
        ("params: {max_bits: 4,", "params: {max_bit: 4,", ":9: `tests[1].params.max_bit` is not a known key here"),
        (
            "params: {max_bits: 4,",
            "params: {max_bits: 4.5,",
            ":9: `tests[1].params.max_bits` has the wrong type: got 4.5, expected int",
        ),
        ("question: 2a", "question: 3", ":10: `tests[2].question` must be one of 1, 2a, 2b, 2c, not '3'"),
        ("check: toy, vis", "check: nope, vis", ":10: `tests[2].check` unknown check kind 'nope'; known: toy"),
        ("  call_seconds: 2\n", "  call_second: 2\n", ":2: `limits.call_second` is not a known key here"),
        ("visibility: hidden", "visibility: secret", ":10: `tests[2].visibility` must be one of visible, hidden"),
        ("seeds: [7]", "seeds: 7", ":9: `tests[1].params.seeds` must be a list, got 7"),
        (
            "    params: {max_bits: 4, seeds: [7], rtol: 1}\n",
            "    params: {convention: maybe}\n",
            ":9: `tests[1].params` is not valid: convention must be fires, silent or either, not 'maybe'",
        ),
        ('"2.1"', '"1.1"', ":10: test number 1.1 is used twice: by `tests[1]` (line 5) and `tests[2]` (line 10)"),
        ("  - name: Toy test\n    number", "  - number", ":4: `tests[1]` needs the key `name`"),
    ],
)
def test_a_mistake_names_the_file_the_line_and_the_key(tmp_path, old, new, message):
    """An unknown key, a wrong type, a bad value or a negative score is an error naming file:line and key."""
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as error:
        read_config(path, kinds=KINDS)
    assert str(error.value).startswith(f"{path}{message}")


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "tests:\n  - name: a\n   number: 1\n",
            ":3:4: not valid YAML: this line's indentation does not match the lines above it",
        ),
        ("limits:\n  call_seconds: 2\n wall_seconds: 3\n", ":3:2: not valid YAML: this line's indentation"),
        ("tests:\n\t- name: a\n", ":2:1: not valid YAML: a tab character: indent with spaces only"),
        ("tests: [\n", ":2:1: not valid YAML: the file ends inside an unclosed bracket or quote"),
        (
            "tests:\n  - name: 'a\n",
            ":3:1: not valid YAML: the file ends inside an unclosed bracket or quote (opened on line 2)",
        ),
    ],
)
def test_a_yaml_mistake_is_one_line_with_its_line_and_column(tmp_path, text, message):
    """PyYAML's several-line report becomes one line: file:line:column and what is wrong, in plain words."""
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        read_config(path, kinds=KINDS)
    assert str(error.value).startswith(f"{path}{message}") and "\n" not in str(error.value)


def test_a_file_that_is_not_yaml_is_reported(tmp_path):
    """Broken YAML and a missing file are configuration errors, not tracebacks."""
    with pytest.raises(ConfigError, match="not valid YAML"):
        read_config(write(tmp_path, "tests: [\n"), kinds=KINDS)
    with pytest.raises(ConfigError, match="cannot read the configuration"):
        read_config(tmp_path / "missing.yaml", kinds=KINDS)


def test_the_default_configuration_is_valid_and_worth_ten_points():
    """The shipped default loads, tags every test with one question, and gives the default points (docs/spec.md 2)."""
    config = load_config()
    points = {}
    for test in config.tests:
        points[test.question] = points.get(test.question, 0) + test.max_score
    assert points == {"1": 5, "2a": 4, "2b": 1, "2c": 0}


def test_the_default_configuration_writes_out_every_number():
    """default.yaml sets every field of Limits and of each test's check parameters itself: none is left to a
    dataclass default in the code, where an instructor reading the file would not see it."""
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    assert set(raw["limits"]) == {f.name for f in fields(Limits)}
    for test in raw["tests"]:
        wanted = {f.name for f in fields(PARAMS[test["check"]])}
        assert set(test.get("params") or {}) == wanted, (
            f"test {test['number']} leaves out {wanted - set(test['params'])}"
        )
