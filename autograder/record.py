"""Records: the classes of the grader's values (a test's parameters, a verdict, a task's result), with named and
typed fields, compared by value, immutable unless said otherwise. What the standard library's `dataclasses` gives,
without its cost at every start: a dataclass's methods are written out and compiled when its class is made (six
compilations for a frozen one), and the 32 classes a grading loads cost 25-36 ms that way, a tenth of one grading's
CPU (benchmarks/README.md). A record's methods are shared by every record class; what is made per class is its
list of fields, read once from its annotations. (The worker's LaTeX reader, which runs from its own copy without
this package, and the vendored lark keep dataclasses.)

    class Verdict(Record):
        score: float
        output: str = ""
        data: Mapping[str, Any] = field(default_factory=dict)

Class options, as keywords beside the base: `frozen` (default True), `eq` (default True: compared by value, and
hashable when frozen; False: by identity) and `kw_only` (default False), as dataclasses' have them. `field()` takes
`default`, `default_factory`, `init`, `repr`, `compare`, `kw_only` and `metadata`, as theirs does. Fields come in the
order of the annotations, a base's first; a `__post_init__` runs once they are set (a frozen record sets a field
there with `object.__setattr__`). `fields`, `replace` and `asdict` work as dataclasses' do (asdict copies records,
lists, tuples and dicts; other values are shared, not deep-copied).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

T = TypeVar("T")
R = TypeVar("R", bound="Record")

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:  # typing has it from Python 3.11 on; at run time it only marks the class for type checkers

    def dataclass_transform(**_: Any) -> Callable[[T], T]:
        return lambda cls: cls


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # a field without a default


class FrozenInstanceError(AttributeError):
    """Raised on assigning to, or deleting, a field of a frozen record."""


class Field:
    """One field of a record class: its name and type (the annotation, as written), its default, and what it takes
    part in. Made by `field()`, or by the class for a field with a plain default."""

    __slots__ = ("name", "type", "default", "default_factory", "init", "repr", "compare", "kw_only", "metadata")
    name: str
    type: Any
    default: Any
    default_factory: Any
    init: bool
    repr: bool
    compare: bool
    kw_only: bool
    metadata: Mapping[str, Any]

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, metadata={dict(self.metadata)!r})"


def field(
    *,
    default: Any = MISSING,
    default_factory: Any = MISSING,
    init: bool = True,
    repr: bool = True,
    compare: bool = True,
    kw_only: bool = False,
    metadata: Any = None,
) -> Any:
    """A field with more than a default, as `dataclasses.field`."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    made = Field()
    made.name, made.type = "", None
    made.default, made.default_factory = default, default_factory
    made.init, made.repr, made.compare, made.kw_only = init, repr, compare, kw_only
    made.metadata = MappingProxyType(dict(metadata or {}))
    return made


@dataclass_transform(field_specifiers=(field,), frozen_default=True)
class Record:
    """The base of record classes (see the module's docstring)."""

    __slots__ = ()
    if TYPE_CHECKING:  # declared for type checkers only: typing.get_type_hints of a record then reads its fields alone
        __record_fields__: ClassVar[tuple[Field, ...]]
        __record_positional__: ClassVar[tuple[str, ...]]
        __record_init__: ClassVar[frozenset[str]]
        __record_frozen__: ClassVar[bool]
    # Set on each subclass by __init_subclass__.
    __record_fields__ = ()
    __record_positional__ = ()
    __record_init__ = frozenset()
    __record_frozen__ = True

    def __init_subclass__(cls, *, frozen: bool = True, eq: bool = True, kw_only: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found = {f.name: f for f in cls.__record_fields__}  # a base's, in its order; one redefined keeps its place
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = cls.__dict__.get(name, MISSING)
            made = value if isinstance(value, Field) else field(default=value)
            made.name, made.type, made.kw_only = name, annotation, made.kw_only or kw_only
            if isinstance(made.default, (list, dict, set)):
                raise ValueError(
                    f"mutable default {type(made.default)} for field {name} is not allowed: use default_factory"
                )
            if isinstance(value, Field):  # the class attribute is the default, as with dataclasses, or nothing
                if made.default is MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, made.default)
            found[name] = made
        fields = tuple(found.values())
        positional = [f for f in fields if f.init and not f.kw_only]
        for before, after in zip(positional, positional[1:], strict=False):
            if _has_default(before) and not _has_default(after):
                raise TypeError(f"non-default argument {after.name!r} follows default argument")
        cls.__record_fields__ = fields
        cls.__record_positional__ = tuple(f.name for f in positional)
        cls.__record_init__ = frozenset(f.name for f in fields if f.init)
        cls.__record_frozen__ = frozen
        if not eq:
            cls.__eq__ = object.__eq__  # type: ignore[method-assign]
            cls.__hash__ = object.__hash__  # type: ignore[method-assign]
        elif not frozen:
            cls.__hash__ = None  # type: ignore[assignment]  # mutable and compared by value: unhashable

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        positional = cls.__record_positional__
        if len(args) > len(positional):
            raise TypeError(
                f"{cls.__qualname__}() takes {len(positional)} positional arguments but {len(args)} were given"
            )
        values = dict(zip(positional, args, strict=False))
        for name, value in kwargs.items():
            if name in values:
                raise TypeError(f"{cls.__qualname__}() got multiple values for argument {name!r}")
            if name not in cls.__record_init__:
                raise TypeError(f"{cls.__qualname__}() got an unexpected keyword argument {name!r}")
            values[name] = value
        for f in cls.__record_fields__:
            if f.init and f.name in values:
                value = values[f.name]
            elif f.default is not MISSING:
                value = f.default
            elif f.default_factory is not MISSING:
                value = f.default_factory()
            elif f.init:
                raise TypeError(f"{cls.__qualname__}() missing required argument: {f.name!r}")
            else:
                continue  # init=False and no default: its __post_init__ sets it
            object.__setattr__(self, f.name, value)
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __setattr__(self, name: str, value: Any) -> None:
        if type(self).__record_frozen__:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        if type(self).__record_frozen__:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in type(self).__record_fields__ if f.repr)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _compared(self) == _compared(other)

    def __hash__(self) -> int:
        return hash(_compared(self))


def _has_default(f: Field) -> bool:
    return f.default is not MISSING or f.default_factory is not MISSING


def _compared(record: Any) -> tuple[Any, ...]:
    return tuple(getattr(record, f.name) for f in type(record).__record_fields__ if f.compare)


def is_record(value: Any) -> bool:
    """Is `value` a record, or a record class?"""
    cls = value if isinstance(value, type) else type(value)
    return issubclass(cls, Record) and cls is not Record


def fields(record: Any) -> tuple[Field, ...]:
    """The fields of a record or record class, in order (as dataclasses.fields)."""
    cls = record if isinstance(record, type) else type(record)
    if not is_record(cls):
        raise TypeError(f"{cls.__qualname__} is not a record")
    return cls.__record_fields__  # type: ignore[attr-defined]


def replace(record: R, /, **changes: Any) -> R:
    """A copy of `record` with `changes` (as dataclasses.replace: its __post_init__ runs again)."""
    for f in fields(record):
        if not f.init and f.name in changes:
            raise ValueError(f"field {f.name} is declared with init=False, it cannot be specified with replace()")
    given = {f.name: getattr(record, f.name) for f in fields(record) if f.init and f.name not in changes}
    return type(record)(**given, **changes)


def asdict(record: Any) -> dict[str, Any]:
    """The fields of `record` as a dict, records, lists, tuples and dicts within it copied the same way."""
    if not is_record(record) or isinstance(record, type):
        raise TypeError("asdict() should be called on record instances")
    plain: dict[str, Any] = _plain(record)
    return plain


def _plain(value: Any) -> Any:
    if is_record(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(item) for item in value)
    if isinstance(value, dict):
        return type(value)((_plain(key), _plain(item)) for key, item in value.items())
    return value
