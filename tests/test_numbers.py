"""Tests of the shared reader of nested numbers, and of the worker's side of the number protocol it reads."""

import ast
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from worker_reply import crossed

from autograder.judge import numbers
from conftest import ROOT


@pytest.mark.parametrize(
    "value, exact",
    [
        (2**60 + 1, Fraction(2**60 + 1)),
        (-(10**400), Fraction(-(10**400))),
        (np.int64(-(2**62) - 1), Fraction(-(2**62) - 1)),
        (np.uint64(2**64 - 1), Fraction(2**64 - 1)),
        (0.1, Fraction(*(0.1).as_integer_ratio())),
        (np.float32(0.1), Fraction(*float(np.float32(0.1)).as_integer_ratio())),
        (np.float16(-1 / 3), Fraction(*float(np.float16(-1 / 3)).as_integer_ratio())),
        (5e-324, Fraction(1, 2**1074)),
    ],
    ids=["int 2**60+1", "int 10**400", "int64", "uint64", "float 0.1", "float32", "float16", "subnormal"],
)
def test_numbers_cross_the_worker_exactly(value, exact):
    """Integers of any size and floats of any width reach the grader as their exact values (docs/spec.md 5.1)."""
    assert numbers.exact(crossed(value)) == exact
    if np.array([value]).dtype != object:  # (an int beyond 64 bits makes an array of objects: not numbers)
        assert numbers.exact(crossed(np.array([value]))[0]) == exact


def test_arrays_of_integers_stay_integers():
    """A numpy int64 array near 2**60 is not rounded to float64 on the way (1 apart stays 1 apart)."""
    big = 2**60
    got = crossed(np.array([[big + 1, big - 1]], dtype=np.int64))
    assert got == [[big + 1, big - 1]] and all(type(v) is int for v in got[0])


def test_long_doubles_cross_as_rationals():
    """A long double keeps every bit: it crosses as {"rational": [p, q]}, read exactly on the grader's side."""
    third = np.longdouble(1) / np.longdouble(3)
    got = crossed(np.array([third, np.longdouble("nan")]))
    assert numbers.exact(got[0]) == Fraction(*third.as_integer_ratio()) and np.isnan(got[1])


def test_numpy_floats_of_every_width_are_exact_on_the_grader_side():
    """A long double given to the reader directly keeps its extra bits (no float64 step)."""
    third = np.longdouble(1) / np.longdouble(3)
    assert numbers.exact(third) == Fraction(*third.as_integer_ratio())


@pytest.mark.parametrize(
    "value, expected",
    [
        (Decimal("0.1"), Fraction(1, 10)),
        (Decimal("-2.50"), Fraction(-5, 2)),
        (Decimal("1e-30"), Fraction(1, 10**30)),
        (Decimal("NaN"), "nan"),
        (Decimal("sNaN"), "nan"),
        (Decimal("-Infinity"), "-inf"),
        (Decimal("1e999999999"), "not usable (a decimal of more than 4000 digits)"),
        (Decimal("1." + "1" * 5000), "not usable (a decimal of more than 4000 digits)"),
    ],
    ids=["tenth", "minus 2.50", "tiny", "nan", "signalling nan", "minus infinity", "huge exponent", "many digits"],
)
def test_decimals_cross_exactly_and_bounded(value, expected):
    """A decimal.Decimal is its exact value, like a Fraction; one too large to be a weight is a named marker,
    never expanded (1e999999999 would be a billion-digit integer)."""
    got = crossed(value)
    if isinstance(expected, Fraction):
        assert numbers.exact(got) == expected
    elif expected in ("nan", "-inf"):
        assert str(got) == expected
    else:
        assert numbers.describe(got) == (expected, "")


def test_an_absurdly_long_integer_is_a_named_non_number():
    """An integer of over 4,000 digits becomes a marker the reader describes, not a worker failure."""
    got = crossed(10**5000)
    assert not numbers.is_number(got)
    assert numbers.describe(got) == ("not usable (a whole number of more than 4000 digits)", "")


@pytest.mark.parametrize(
    "value, described",
    [
        ("x", ("text (a `str`)", "; write the numbers without quotes")),
        (True, ("True or False (a `bool`)", "; write 1 or 0")),
        (None, ("None", "")),
        (print, ("a value of type `builtin_function_or_method`", "")),
        (np.array(["a"]), ("an array of type `ndarray` holding `<U1`", "; use numbers")),
    ],
    ids=["str", "bool", "None", "function", "text array"],
)
def test_the_workers_markers_are_read_by_the_one_reader(value, described):
    """Every marker the worker writes is described by numbers.describe (one definition on each side)."""
    assert numbers.describe(crossed(value)) == described


def test_a_hostile_type_name_stays_literal():
    """A class name made of markup is shown as a code span, never as HTML."""
    what, _ = numbers.describe("<not a number: type '<img src=x onerror=alert(1)>'>")
    assert what == "a value of type `<img src=x onerror=alert(1)>`"
    what, _ = numbers.describe("<not a number: **bold** <b>x</b>>")
    assert what == "not usable (`**bold** <b>x</b>`)"


@pytest.mark.parametrize(
    "value, exact",
    [
        ({"rational": [1, 10]}, Fraction(1, 10)),
        ({"rational": [-7, 3]}, Fraction(-7, 3)),
        (Fraction(2, 3), Fraction(2, 3)),
    ],
    ids=["tenth", "negative", "Fraction"],
)
def test_rationals_are_numbers_wherever_a_number_stands(value, exact):
    """{"rational": [p, q]} (from text read in the worker) and Fraction are exact numbers."""
    assert numbers.is_number(value) and numbers.exact(value) == exact and numbers.to_float(value) == float(exact)


@pytest.mark.parametrize(
    "value",
    [
        {"rational": [1, 0]},
        {"rational": [1, -2]},
        {"rational": [1.0, 2]},
        {"rational": [True, 2]},
        {"rational": [1]},
        {"rational": [1, 2], "x": 1},
    ],
)
def test_malformed_rationals_are_not_numbers(value):
    """Only integers p, q with q > 0, and nothing else in the object, make a rational."""
    assert not numbers.is_number(value)


def test_shape_flatten_and_first_non_number_need_no_recursion():
    """Nesting far past the recursion limit is measured, flattened and searched without a RecursionError."""
    deep = 1
    for _ in range(100_000):
        deep = [deep]
    assert numbers.shape(deep) == (1,) * 100_000
    assert numbers.flatten(deep) == [1]
    assert numbers.first_non_number(deep) is None


@pytest.mark.parametrize(
    "value, shape",
    [
        (1, ()),
        ([1, 2], (2,)),
        ([[1], [2]], (2, 1)),
        ([], (0,)),
        ([[], []], (2, 0)),
        ([[1, 2], [3]], None),
        ([[1], 2], None),
        ([1, [2]], None),
        ([[], [1]], None),
    ],
    ids=[
        "scalar",
        "vector",
        "column",
        "empty",
        "empty rows",
        "ragged",
        "list then number",
        "number then list",
        "empty then full",
    ],
)
def test_shapes_of_nested_lists(value, shape):
    """The shape of nested lists, None when ragged."""
    assert numbers.shape(value) == shape


def test_first_non_number_is_the_first_in_row_major_order():
    """The first bad leaf is reported with its index."""
    assert numbers.first_non_number([[1, 2], [3, "a"], [None, 5]]) == ((1, 1), "a")
    assert numbers.first_non_number([[1, True]]) == ((0, 1), True)


def test_huge_numbers_become_infinite_floats_only_when_asked():
    """Exactly kept, but as a float a number beyond float64 is an infinity of its sign."""
    assert numbers.exact(-(10**400)) == -(10**400)
    assert numbers.to_float(-(10**400)) == float("-inf")
    assert numbers.to_float({"rational": [10**400, 3]}) == float("inf")


def test_object_arrays_cross_element_by_element():
    """An object array (Fractions, None at the unused index 0, a long double) crosses as a list of its elements,
    each converted as itself; only the elements that are not numbers become markers."""
    third = np.longdouble(1) / np.longdouble(3)
    got = crossed(np.array([None, Fraction(1, 3), 2, 0.5, third], dtype=object))
    assert got[0] == "<not a number: type 'NoneType'>" and got[1:4] == [{"rational": [1, 3]}, 2, 0.5]
    assert numbers.exact(got[4]) == Fraction(*third.as_integer_ratio())
    assert crossed(np.array([[1, "a"]], dtype=object)) == [[1, "<not a number: type 'str'>"]]


def test_an_object_array_holding_itself_ends_in_a_marker():
    """An object array that contains itself is cut at the worker's depth limit, not a recursion error."""
    loop = np.empty(1, dtype=object)
    loop[0] = loop
    value, depth = crossed(loop), 0
    while isinstance(value, list):
        value, depth = value[0], depth + 1
    assert depth > 10 and value in ("<not a number: type 'list'>", "<not a number: type 'ndarray'>")
    point = np.empty((), dtype=object)  # a 0-d array is its one element: this one is itself
    point[()] = point
    assert crossed(point) in ("<not a number: type 'list'>", "<not a number: type 'ndarray'>")


def marker_texts(tree: ast.AST) -> int:
    """How many string literals (docstrings aside) in this tree spell the worker's marker."""
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and "<not a number" in node.value
        and id(node) not in docstrings
    )


def test_the_marker_is_written_once_on_each_side():
    """The worker writes "<not a number: ...>" in one function, and on the grader's side only numbers.py spells it
    (the answers.tex reader in the worker writes its reasons itself): every judge describes through numbers.py."""
    package = ROOT / "autograder"
    trees = {
        str(path.relative_to(package)): ast.parse(path.read_text(encoding="utf-8"))
        for path in package.rglob("*.py")
        if "vendor" not in path.parts
    }
    spelling = sorted(name for name, tree in trees.items() if marker_texts(tree))
    assert spelling == ["judge/numbers.py", "worker/inside/values.py", "worker/tex/answers.py"]
    (writer,) = [
        node
        for node in ast.walk(trees["worker/inside/values.py"])
        if isinstance(node, ast.FunctionDef) and node.name == "not_a_number"
    ]
    assert marker_texts(writer) == marker_texts(trees["worker/inside/values.py"]) == 1
