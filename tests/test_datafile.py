"""Tests of the adder's data file reader: exact numbers, and every bound a hostile adder.yaml / adder.json meets."""

import time
from fractions import Fraction

import pytest
from peak import BUDGET_MB, grading_peak_mb

from autograder.collect import ADDER_READ
from autograder.datafile import MAX_BYTES, MAX_DEPTH, MAX_ENTRIES, read_data_file
from autograder.judge.adder import read_adder_weights
from conftest import ROOT


def read(text: str, name: str = "adder.yaml"):
    return read_data_file(name, text.encode(), ADDER_READ)


@pytest.mark.parametrize(
    "name, text",
    [
        ("adder.yaml", "b_y: 0.1\nU: [0.1, 0.2, -0.3, 1e-3, 1.5E+2, .5, -7, 1_000, 0x10, 010]"),
        ("adder.json", '{"b_y": 0.1, "U": [0.1, 0.2, -0.3, 1e-3, 1.5E+2, 0.5, -7, 1000, 16, 10]}'),
    ],
    ids=["yaml", "json"],
)
def test_numbers_are_the_decimals_written(name, text):
    """0.1 is one tenth, 1e-3 one thousandth; integers stay integers (YAML 1.2 reading: 010 is ten)."""
    data = read(text, name)
    assert data["b_y"] == Fraction(1, 10)
    assert data["U"] == [
        Fraction(1, 10),
        Fraction(1, 5),
        Fraction(-3, 10),
        Fraction(1, 1000),
        150,
        Fraction(1, 2),
        -7,
        1000,
        16,
        10,
    ]
    assert sum(data["U"][:3]) == 0  # 0.1 + 0.2 - 0.3 is exactly 0 as written (not 5.55e-17 as floats)


def test_integers_of_any_size_are_exact():
    """A 300-digit integer is read exactly, in YAML and in JSON."""
    big = 10**300 + 1
    assert read(f"b_y: {big}")["b_y"] == big
    assert read(f'{{"b_y": {big}}}', "adder.json")["b_y"] == big


@pytest.mark.parametrize(
    "text, described",
    [
        (
            "b_y: '0.5'",
            "- `b_y` is not a number or a list of numbers: it is the text `0.5`; write the numbers without quotes",
        ),
        ("b_y: true", "- `b_y` is not a number or a list of numbers: it is True or False (a `bool`); write 1 or 0"),
        ("b_y: null", "- `b_y` is not a number or a list of numbers: it is None"),
        ("b_y: {a: 1}", "- `b_y` is not a number or a list of numbers: it is a value of type `dict`"),
        ("b_y: .nan", "- `b_y` is NaN: every weight must be a finite number"),
        ("b_y: -.inf", "- `b_y` is minus infinity: every weight must be a finite number"),
    ],
    ids=["quoted", "bool", "null", "mapping", "nan", "inf"],
)
def test_non_numbers_reach_the_weights_reader_named(text, described):
    """What is not a finite number is named by the adder's reader, as for adder.py."""
    raw = read(
        "U: [[1, 1], [1, 1], [1, 1]]\nW: [[0, 1, 0], [0, 1, 0], [0, 1, 0]]\nV: [1, -1, 1]\nb_h: [-1, -2, -3]\n" + text
    )
    assert read_adder_weights(raw, file_name="adder.yaml") == described


def alias_bomb(levels: int) -> str:
    """Ten aliases of the level below on each level: 10**levels zeros once expanded."""
    lines = ["l0: &l0 [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"]
    lines += [f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 10) + "]" for k in range(1, levels)]
    return "\n".join(lines) + "\nU: [" + ", ".join([f"*l{levels - 1}"] * 10) + "]\n"


def merge_bomb(levels: int) -> str:
    lines = ["m0: &m0 {a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, g: 0, h: 0, i: 0, j: 0}"]
    lines += [f"m{k}: &m{k} {{<<: [" + ", ".join([f"*m{k - 1}"] * 10) + "]}" for k in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("adder.yaml", "U: " + "[" * 50_000 + "]" * 50_000, "it is nested more than 16 levels deep (line 1)"),
        (
            "adder.yaml",
            "U:\n" + "".join("  " * k + "-\n" for k in range(1, 40)),
            "it is nested more than 16 levels deep",
        ),
        (
            "adder.json",
            '{"U": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "it is nested more than 16 levels deep (line 1)",
        ),
        ("adder.yaml", alias_bomb(9), "it uses a YAML anchor (`&l0`) at line 1; write every value out in full"),
        ("adder.yaml", merge_bomb(8), "it uses a YAML anchor (`&m0`) at line 1"),
        ("adder.yaml", "U: *a\n", "it uses a YAML alias (`*a`) at line 1"),
        ("adder.yaml", "U:\n  <<: {a: 1}\n", "it uses a YAML merge key (<<) at line 2; write every value out in full"),
        ("adder.yaml", "U: [" + "0, " * (MAX_ENTRIES + 5) + "0]", f"it holds more than {MAX_ENTRIES:,} entries"),
        ("adder.json", '{"U": [' + "0," * (MAX_ENTRIES + 5) + "0]}", f"it holds more than {MAX_ENTRIES:,} entries"),
        (
            "adder.yaml",
            "U: !!python/name:os.system\n",
            "it uses the YAML tag `tag:yaml.org,2002:python/name:os.system`",
        ),
        ("adder.yaml", "U: 1\n---\nV: 2\n", "it holds more than one YAML document (line 2); keep only one"),
        ("adder.yaml", "U: [1, 2\n", "could not be read: `expected ',' or ']', but got '<stream end>'` (line 2)"),
        ("adder.json", '{"U": [1, 2', "could not be read: Expecting ',' delimiter (line 1, column 12)"),
    ],
    ids=[
        "yaml flow depth",
        "yaml block depth",
        "json depth",
        "billion laughs",
        "merge bomb",
        "alias",
        "merge key",
        "yaml entries",
        "json entries",
        "python tag",
        "two documents",
        "yaml syntax",
        "json syntax",
    ],
)
def test_each_bomb_is_refused_quickly_with_a_clear_message(name, text, message):
    """Depth, entries, anchors, aliases, merge keys and unknown tags are refused before they cost anything."""
    started = time.monotonic()
    result = read(text, name)
    assert isinstance(result, str) and message in result, result
    assert result.startswith(f"`{name}` could not be read: ")
    assert time.monotonic() - started < 5  # generous: a failure here means unbounded work, not a slow machine


def test_depth_up_to_the_bound_is_read():
    """Nesting within the bound is ordinary data (the bound is about the file, not the shape check)."""
    assert read("U: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1))["U"] is not None


def test_a_file_over_the_size_bound_is_refused_unread():
    """Past MAX_BYTES the file is not parsed at all."""
    result = read_data_file("adder.yaml", b"#" * (MAX_BYTES + 1), ADDER_READ)
    assert result == (
        f"`adder.yaml` is {MAX_BYTES + 1:,} bytes; an adder file needs far less (limit {MAX_BYTES:,} bytes)."
    )


@pytest.mark.parametrize(
    "text, reason",
    [
        ("b_y: 1e999999999", "a number with an exponent beyond 4,000"),
        ("b_y: " + "9" * 5000, "a number of more than 4,000 characters"),
    ],
    ids=["exponent", "digits"],
)
def test_numbers_too_long_to_compute_are_named_not_computed(text, reason):
    """A number whose exact value would take gigabytes is a not-a-number marker, read in no time."""
    for name, content in (("adder.yaml", text), ("adder.json", '{"b_y": ' + text.split(": ")[1] + "}")):
        assert read(content, name)["b_y"] == f"<not a number: {reason}>"


def test_an_unusable_file_is_named_literally():
    """The file name in a message is a code span (a file name is the student's text)."""
    assert read_data_file("a`b.yaml", b"\xff", ADDER_READ) == "``a`b.yaml`` is not UTF-8 text; save it as UTF-8."


def test_a_file_that_is_not_a_mapping_says_what_it_must_be():
    """A list at the top is not a set of names."""
    assert read("- 1\n- 2\n") == (
        "`adder.yaml` must map each name (such as `U` or `b_y`) to its value, one per line: `U: [[1, 1], ...]`."
    )


BOMBS = [
    "adder_yaml_billion_laughs",
    "adder_yaml_merge_keys",
    "adder_yaml_deep_nesting",
    "adder_json_deep_nesting",
    "adder_yaml_huge_exponent",
    "adder_yaml_python_tag",
]


@pytest.mark.slow
@pytest.mark.parametrize("sample", BOMBS)
def test_a_bomb_costs_its_grading_no_memory_and_question_2_is_still_graded(sample, tmp_path):
    """A hostile adder file is refused within the 250 MB budget of the whole grading, and question 2 keeps its 5."""
    peak, results = grading_peak_mb(ROOT / "submissions_sample" / sample, tmp_path / "results.json")
    scores = {}
    for test in results["tests"]:
        scores[test["tags"][0]] = scores.get(test["tags"][0], 0) + test["score"]
    assert scores["1"] == 0 and scores["2a"] == 4 and scores["2b"] == 1
    assert peak < BUDGET_MB, f"{peak:.0f} MB"


@pytest.mark.parametrize(
    "text, value",
    [
        ("0x_", "0x_"),
        ("0b_1", 1),
        ("0o17", 15),
        ("5.", 5),
        ("+.5e1", 5),
        ("-0", 0),
        ("1e", "1e"),
        (".", "."),
        ("1:30", "1:30"),
        ("2001-12-14", "2001-12-14"),
        ("~", "<not a number: type 'NoneType'>"),
        ("yes", "<not a number: type 'bool'>"),
    ],
    ids=[
        "bare prefix",
        "binary",
        "octal",
        "trailing dot",
        "signed exponent",
        "minus zero",
        "no exponent digits",
        "dot",
        "sexagesimal",
        "date",
        "tilde",
        "yes",
    ],
)
def test_odd_scalars_are_numbers_only_when_they_are_numbers(text, value):
    """Odd plain scalars never crash the reader: a number exactly, or text and markers the weights reader names."""
    assert read(f"U: {text}")["U"] == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("-1/2", Fraction(-1, 2)), ("3 / 4", Fraction(3, 4)), ("6/3", 2), ("1/0", "1/0"), ("'1/2'", "1/2")],
    ids=["minus half", "spaced", "whole", "zero denominator", "quoted"],
)
def test_a_plain_fraction_in_yaml_is_the_fraction_written(text, value):
    """YAML has no fractions: a plain `-1/2` is the exact fraction written (docs/spec.md 5.1); quoted, it is text."""
    got = read(f"U: {text}")["U"]
    assert got == value and type(got) is type(value)


def test_long_text_is_text_and_a_long_number_is_a_long_number():
    """Only what is written as a number can be a number too long to read; long words stay text."""
    assert read("U: " + "a " * 3000)["U"] == " ".join(["a"] * 3000)
    assert read("U: 1e" + "9" * 5000)["U"] == "<not a number: a number of more than 4,000 characters>"
