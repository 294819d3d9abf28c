"""The catalogue of known question-2 mistakes, loaded from mistakes.yaml: each one edits the forward graph."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from autograder.judge.lstm_graph import LINK_KEYS, LinkEdit
from autograder.judge.lstm_problem import GRADED

CATALOGUE = Path(__file__).with_name("mistakes.yaml")
QUANTITIES = GRADED + ("w_ix",)
STEPS = ("all", "first", "last")


def _cubic(z: Any) -> Any:
    """z - z^3/3: its slope is 1 - z^2, the slope of tanh written with z where tanh(z) belongs."""
    return z - z**3 / 3


# Functions a mistake may put in place of an activation while a local derivative is taken.
SUBSTITUTES: Mapping[str, Callable[[Any], Any]] = {"cubic": _cubic, "identity": lambda z: z}


@dataclass(frozen=True)
class Mistake:
    """A known wrong equation: the quantity it is in, how it differs from the chain rule, the hint shown."""

    name: str
    quantity: str
    hint: str
    edits: tuple[LinkEdit, ...] = ()
    steps: str = "all"


def load_mistakes(path: Path | str | None = None) -> tuple[Mistake, ...]:
    """The catalogue, in file order; a malformed entry raises ValueError naming it and the key."""
    return _load(str(path or CATALOGUE))


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[Mistake, ...]:
    entries = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: must be a list of mistakes")
    return tuple(_read_mistake(entry, f"{path}: mistake {index + 1}") for index, entry in enumerate(entries))


def _read_mistake(entry: Any, where: str) -> Mistake:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be a mapping")
    _only(entry, {"name", "quantity", "hint", "edits", "steps"}, where)
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
    if not edits and steps == "all":
        raise ValueError(f"{where}: needs `edits` or `steps`")
    return Mistake(name=entry["name"], quantity=entry["quantity"], hint=entry["hint"], edits=edits, steps=steps)


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
