"""Records (autograder/record.py): dataclasses' frozen classes, as the grader uses them, without their cost at start."""

import json
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest

from autograder.record import MISSING, FrozenInstanceError, Record, asdict, field, fields, is_record, replace
from conftest import ROOT


class Point(Record):
    """A frozen record with a default, a factory and a documented field."""

    x: float
    y: float = 0.0
    tags: tuple[str, ...] = field(default_factory=tuple, metadata={"doc": "labels"})


class Labelled(Point, kw_only=True):
    label: str
    x: float = 1.0  # redefined: keeps its place


class Counted(Record, frozen=False):
    total: int = 0
    seen: list[str] = field(default_factory=list, compare=False, repr=False)


class Node(Record, eq=False):
    name: str


class Checked(Record):
    value: float
    doubled: float = field(init=False)

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")
        object.__setattr__(self, "doubled", 2 * self.value)


def test_fields_come_in_order_with_defaults_factories_and_metadata():
    assert [f.name for f in fields(Point)] == ["x", "y", "tags"]
    assert fields(Point(1.0)) == fields(Point)
    x, y, tags = fields(Point)
    assert x.default is MISSING and x.default_factory is MISSING
    assert y.default == 0.0 and Point.y == 0.0  # the class attribute is the default, as with dataclasses
    assert tags.metadata == {"doc": "labels"} and not hasattr(Point, "tags")
    assert Point(1.0).tags == () and Point(1.0, 2.0, ("a",)) == Point(x=1.0, y=2.0, tags=("a",))
    assert [f.name for f in fields(Labelled)] == ["x", "y", "tags", "label"]  # a base's first, a redefined one in place
    assert [f.kw_only for f in fields(Labelled)] == [True, False, False, True]  # kw_only: the class's own fields
    assert Labelled(2.0, label="a") == Labelled(x=1.0, y=2.0, label="a")


def test_arguments_are_checked_as_a_signature_would():
    for call, said in [
        (lambda: Point(), "missing required argument: 'x'"),
        (lambda: Point(1.0, 2.0, (), 4), "takes 3 positional arguments but 4 were given"),
        (lambda: Point(1.0, x=2.0), "multiple values for argument 'x'"),
        (lambda: Point(1.0, z=2.0), "unexpected keyword argument 'z'"),
        (lambda: Labelled(1.0, 2.0, (), "a"), "takes 2 positional arguments but 4 were given"),
        (lambda: Checked(1.0, 2.0), "takes 1 positional arguments but 2 were given"),
    ]:
        with pytest.raises(TypeError, match=said):
            call()


def test_a_class_that_could_not_be_called_is_refused_when_made():
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        class Bad(Record):
            a: int = 1
            b: int

    with pytest.raises(ValueError, match="mutable default"):

        class Shared(Record):
            items: list[int] = []  # the mistake this refuses


def test_frozen_records_are_compared_and_hashed_by_value_and_cannot_change():
    point = Point(1.0, 2.0)
    assert point == Point(1.0, 2.0) and point != Point(1.0, 3.0) and hash(point) == hash(Point(1.0, 2.0))
    assert point != (1.0, 2.0, ()) and Point(1.0) != Labelled(1.0, label="")  # another class is never equal
    assert len({point, Point(1.0, 2.0)}) == 1
    with pytest.raises(FrozenInstanceError):
        point.x = 3.0  # type: ignore[misc]
    with pytest.raises(AttributeError):  # FrozenInstanceError is one, as dataclasses' is
        del point.y  # type: ignore[misc]
    assert repr(point) == "Point(x=1.0, y=2.0, tags=())"


def test_options_mutable_identity_post_init():
    counted = Counted()
    counted.total += 1
    counted.seen.append("a")
    assert counted == Counted(1) and repr(counted) == "Counted(total=1)"  # `seen`: not compared, not shown
    with pytest.raises(TypeError):
        hash(counted)  # mutable and compared by value: unhashable, as with dataclasses
    assert Counted().seen is not Counted().seen  # a fresh list each
    assert Node("a") != Node("a") and len({Node("a"), Node("a")}) == 2
    assert Checked(2.0).doubled == 4.0
    with pytest.raises(ValueError, match="negative"):
        Checked(-1.0)


def test_replace_and_asdict_work_as_dataclasses_do():
    point = Point(1.0, 2.0, ("a",))
    assert replace(point, y=5.0) == Point(1.0, 5.0, ("a",)) and point.y == 2.0
    assert replace(Checked(1.0), value=3.0).doubled == 6.0  # __post_init__ runs again
    with pytest.raises(ValueError, match="init=False"):
        replace(Checked(1.0), doubled=1.0)
    with pytest.raises(ValueError, match="negative"):
        replace(Checked(1.0), value=-1.0)

    class Outer(Record):
        inner: Point
        many: tuple[Point, ...]
        named: Mapping[str, Any]

    outer = Outer(point, (Point(3.0),), {"p": Point(4.0)})
    assert asdict(outer) == {
        "inner": {"x": 1.0, "y": 2.0, "tags": ("a",)},
        "many": ({"x": 3.0, "y": 0.0, "tags": ()},),
        "named": {"p": {"x": 4.0, "y": 0.0, "tags": ()}},
    }
    assert is_record(point) and is_record(Point) and not is_record(Record) and not is_record({"x": 1.0})
    for call in (lambda: fields({"x": 1.0}), lambda: asdict(Point)):
        with pytest.raises(TypeError):
            call()


LOADED = """
import json, sys
from dataclasses import is_dataclass
from autograder.cli import main
main(["grade", sys.argv[1], "--results", sys.argv[2], "--quiet"], whole_process=True)
ours = [vars(module) for name, module in list(sys.modules.items()) if name.split(".")[0] == "autograder"]
classes = [value for names in ours for value in names.values() if isinstance(value, type)]
made = [cls.__qualname__ for cls in classes if is_dataclass(cls)]
pool = [name for name in ("concurrent.futures", "logging") if name in sys.modules]
print(json.dumps({"dataclasses": made, "pool": pool}))
"""


def test_a_grading_makes_no_dataclass_and_loads_no_thread_pool(tmp_path):
    """What a grading loads is paid at every grading: no class of the grader's is a dataclass (each one's methods are
    compiled one by one when it is made) and concurrent.futures is not loaded (logging with it)."""
    done = subprocess.run(
        [sys.executable, "-c", LOADED, str(ROOT / "reference"), str(tmp_path / "results.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"dataclasses": [], "pool": []}
    assert json.loads((tmp_path / "results.json").read_text())["score"] == 10
