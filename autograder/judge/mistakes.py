"""The catalogue of known question-2 mistakes, loaded from mistakes.yaml: each one edits the forward graph."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from autograder.config import safe_yaml_loader
from autograder.judge.lstm_graph import LINK_KEYS, LinkEdit
from autograder.judge.lstm_problem import GRADED
from autograder.record import Record, field

CATALOGUE = Path(__file__).with_name("mistakes.yaml")
QUANTITIES = GRADED + ("w_ix",)
STEPS = ("all", "first", "last")


def _cubic(z: Any) -> Any:
    """z - z^3/3: its slope is 1 - z^2, the slope of tanh written with z where tanh(z) belongs."""
    return z - z**3 / 3


# Functions a mistake may put in place of an activation while a local derivative is taken.
SUBSTITUTES: Mapping[str, Callable[[Any], Any]] = {"cubic": _cubic, "identity": lambda z: z}


class Mistake(Record):
    """A known wrong equation: the quantity it is in, how it differs from the chain rule, the hint shown."""

    name: str
    quantity: str
    hint: str
    edits: tuple[LinkEdit, ...] = ()
    steps: str = "all"
    times: tuple[str, ...] = ()  # links whose local partial at step t multiplies the whole result
    as_quantity: str | None = None  # the right equation of another quantity, given for this one
    initial: Mapping[str, float] = field(default_factory=dict)  # initial states taken as these values


def load_mistakes(path: Path | str | None = None) -> tuple[Mistake, ...]:
    """The catalogue, in file order; a malformed entry raises ValueError naming it and the key."""
    return _load(str(path or CATALOGUE))


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[Mistake, ...]:
    entries = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=safe_yaml_loader())
    if not isinstance(entries, list):
        raise ValueError(f"{path}: must be a list of mistakes")
    return tuple(_read_mistake(entry, f"{path}: mistake {index + 1}") for index, entry in enumerate(entries))


def _read_mistake(entry: Any, where: str) -> Mistake:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be a mapping")
    _only(entry, {"name", "quantity", "hint", "edits", "steps", "times", "as", "initial"}, where)
    where = f"{where} ({entry.get('name', '?')})"
    for key in ("name", "quantity", "hint"):
        if not isinstance(entry.get(key), str):
            raise ValueError(f"{where}: `{key}` must be a string")
    if entry["quantity"] not in QUANTITIES:
        raise ValueError(f"{where}: `quantity` must be one of {', '.join(QUANTITIES)}")
    steps = entry.get("steps", "all")
    if steps not in STEPS or (steps != "all" and entry["quantity"] != "w_ix"):
        raise ValueError(f"{where}: `steps` must be one of {', '.join(STEPS)}, and only w_ix may use first or last")
    edits = tuple(_read_edit(edit, where) for edit in entry.get("edits") or ())
    times = tuple(str(link).replace(" ", "") for link in entry.get("times") or ())
    unknown = [link for link in times if link not in LINK_KEYS]
    if unknown:
        raise ValueError(f"{where}: unknown link {unknown[0]!r} in `times`; known: {', '.join(sorted(LINK_KEYS))}")
    as_quantity = entry.get("as")
    if as_quantity is not None and (as_quantity not in QUANTITIES or as_quantity == entry["quantity"]):
        raise ValueError(f"{where}: `as` must be another of {', '.join(QUANTITIES)}")
    initial = entry.get("initial") or {}
    if (
        not isinstance(initial, dict)
        or not set(initial) <= {"h", "c"}
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in initial.values())
    ):
        raise ValueError(f"{where}: `initial` must map h and/or c to a number")
    if not (edits or times or as_quantity or initial) and steps == "all":
        raise ValueError(f"{where}: needs `edits`, `steps`, `times`, `as` or `initial`")
    return Mistake(
        name=entry["name"],
        quantity=entry["quantity"],
        hint=entry["hint"],
        edits=edits,
        steps=steps,
        times=times,
        as_quantity=as_quantity,
        initial={key: float(value) for key, value in initial.items()},
    )


def _read_edit(edit: Any, where: str) -> LinkEdit:
    if not isinstance(edit, dict):
        raise ValueError(f"{where}: every edit must be a mapping")
    _only(edit, {"link", "drop", "power", "shift_inputs", "functions"}, where)
    link = str(edit.get("link", "")).replace(" ", "")
    if link not in LINK_KEYS:
        raise ValueError(f"{where}: unknown link {edit.get('link')!r}; known: {', '.join(sorted(LINK_KEYS))}")
    functions = edit.get("functions") or {}
    unknown = [name for name in functions.values() if name not in SUBSTITUTES]
    if unknown:
        raise ValueError(f"{where}: unknown function {unknown[0]!r}; known: {', '.join(SUBSTITUTES)}")
    shifts = edit.get("shift_inputs") or {}
    if not all(isinstance(lag, int) for lag in shifts.values()):
        raise ValueError(f"{where}: `shift_inputs` must map names to whole numbers of steps")
    return LinkEdit(
        link=link,
        drop=bool(edit.get("drop", False)),
        power=float(edit.get("power", 1.0)),
        shift_inputs=dict(shifts),
        functions={name: SUBSTITUTES[f] for name, f in functions.items()},
    )


def _only(mapping: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key `{unknown[0]}`; known keys: {', '.join(sorted(allowed))}")
