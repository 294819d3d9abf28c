"""Question 2's equations evaluated like lstm_bptt: backwards in time, each step in dependency order.

At each step, every bar and helper in the order their same-step references require; a fixed-step
equation (\\overline{c^{(T)}}) replaces the general one at its step; every value at step T+1 is zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .answers import ANSWER_KEYS, INTERNAL, Answers, Definition, unit_text
from .numbers import Env, EvalError, Unavailable, compile_expression, resolve


def _raise_if(error: str | None) -> None:
    if error is not None:
        raise EvalError(error)


Unit = tuple[str, str]  # ("bar", "h"), ("wbar", "ix"), ("helper", "z_i")
STAND_IN = 1.0  # the value of an answer that cannot be read or computed, at every step (see Equations)


class Evaluated(dict[str, Any]):
    """lstm_bptt's answer from equations: the dict a function returns, `notes` (key -> why that key
    cannot be graded; the key may still hold a stand-in) and `remarks` (other things worth saying)."""

    notes: dict[str, str]
    remarks: list[str]


class Equations:
    """The callable lstm_bptt(x, weights, forward, dL_dh) of an answers.tex's question-2 equations.

    An answer whose own equation cannot be read or computed (a reading error, a circular definition,
    an unreadable helper, a step with no equation) costs that answer only: it stands in as 1 at every
    step, so the answers built on it are still computed and can earn carried-forward credit, as they
    would beside a wrong value; its note says why it cannot be graded. An answer with no equation at
    all is missing, and so is whatever needs it (as a missing key in a function's dict would be).
    """

    def __init__(self, answers: Answers):
        self.answers = answers
        self.definitions = list(answers.definitions.values())
        for definition in self.definitions:
            if definition.expr is not None:
                try:
                    definition.run = compile_expression(definition.expr, self._read)
                except (ValueError, KeyError):  # a bug of ours: this equation only
                    definition.error = f"{self._where(definition)}: {INTERNAL}"
        self._state: dict[str, Any] = {}
        self.__name__ = "lstm_bptt"

    def __call__(self, x: Any, weights: Mapping[str, Any], forward: Mapping[str, Any], dL_dh: Any) -> Evaluated:
        x = np.asarray(x, dtype=float)
        length = len(x) - 1
        values = {key: [float(v) for v in np.asarray(forward[key], dtype=float)] for key in "ifogch"}
        values["x"] = [float(v) for v in x]
        losses = [float(v) for v in np.asarray(dL_dh, dtype=float)]
        env = {"T": length, "weights": {name: float(weights[name]) for name in weights}}
        unreadable, absent = self.answers.static_failures()
        stand_ins = dict(unreadable)  # unit -> why it stands in
        while True:  # a failure found on the way makes that answer a stand-in from the start: run again
            state = self._state = {
                "T": length,
                "values": values,
                "dL_dh": losses,
                "computed": {},
                "failed": dict(absent),
                "stand_ins": stand_ins,
                "new": {},
            }
            units = self._units([("bar", key) for key in ANSWER_KEYS] + [("wbar", "ix")])
            for t in range(length, 0, -1):
                env["t"] = t
                self._step(units, t, env)
            if not state["new"]:
                break
            stand_ins = {**stand_ins, **state["new"]}
        result = Evaluated()
        result.notes, result.remarks = {}, self.answers.remarks
        for key in ANSWER_KEYS:
            unit = ("bar", key)
            if unit in stand_ins:
                result[key] = np.array([0.0] + [STAND_IN] * length)
                result.notes[key] = stand_ins[unit]
            elif unit in state["failed"]:
                result.notes[key] = state["failed"][unit]
            else:
                result[key] = np.array([0.0] + [state["computed"][unit][t] for t in range(1, length + 1)])
        self._weight(env, result, unreadable, absent)
        return result

    def _units(self, wanted: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The bars and helpers to compute at each step: the answers and what they use."""
        units, todo = [], list(wanted)
        while todo:
            unit = todo.pop()
            if unit in units:
                continue
            units.append(unit)
            for definition in self.definitions:
                if definition.unit == unit:
                    todo.extend((kind, key) for kind, key, _, _ in definition.refs if kind in ("bar", "helper"))
        return [unit for unit in units if unit[0] != "wbar"]

    def _choose(self, unit: tuple[str, str], t: int, length: int) -> Definition | None:
        """The equation of a unit at step t: a fixed-step one for t (the last in the file), else the general one."""
        env = {"T": length, "t": t}
        fixed = [
            d
            for d in self.definitions
            if d.unit == unit and d.step is not None and not d.general and resolve(d.step, env) == t
        ]
        if fixed:
            return max(fixed, key=lambda d: d.order)
        general = [d for d in self.definitions if d.unit == unit and d.general]
        return general[0] if general else None

    def _step(self, units: list[Unit], t: int, env: Env) -> None:
        state = self._state
        chosen = {unit: self._choose(unit, t, env["T"]) for unit in units if unit not in state["stand_ins"]}
        needs = {}
        for unit, definition in chosen.items():
            refs = definition.refs if definition is not None else ()
            needs[unit] = {
                (kind, key) for kind, key, step, _ in refs if (kind, key) in chosen and resolve(step, env) == t
            }
        cycles: dict[tuple[str, str], str] = {}
        for unit in _order(needs, cycles, lambda u: self._where(chosen[u])):
            if unit in state["failed"]:
                continue
            definition = chosen[unit]
            try:
                if unit in cycles:
                    raise EvalError(cycles[unit])
                if definition is None:
                    fixed = [self._where(d) for d in self.definitions if d.unit == unit]
                    raise EvalError(
                        f"{unit_text(unit)} has no equation for step t = {t} (T = {env['T']}): it is "
                        f"defined at fixed steps only ({', '.join(fixed)}); add the general equation"
                    )
                _raise_if(definition.error)
                value = definition.run(env)
            except Unavailable as missing:
                if missing.unit[0] == "helper":  # a helper is part of this equation: its own failure
                    self._fail(unit, self._needs(missing.unit))
                else:
                    state["failed"][unit] = self._needs(missing.unit)
                continue
            except EvalError as error:
                self._fail(unit, str(error))
                continue
            except (ArithmeticError, TypeError, ValueError):  # a bug of ours: this equation only
                self._fail(unit, f"{self._where(definition)}: {INTERNAL}")
                continue
            state["computed"].setdefault(unit, {})[t] = value

    def _where(self, definition: Definition | None) -> str:
        return f"line {self.answers.document.line(definition.start)}" if definition is not None else "no equation"

    def _fail(self, unit: tuple[str, str], why: str) -> None:
        """This unit's own equation failed: an answer becomes a stand-in (next run), a helper fails its users."""
        self._state["failed"][unit] = why
        if unit[0] == "bar":
            self._state["new"].setdefault(unit, why)

    def _weight(self, env: Env, result: Evaluated, unreadable: dict[Unit, str], absent: dict[Unit, str]) -> None:
        unit = ("wbar", "ix")
        env = {key: value for key, value in env.items() if key != "t"}
        if unit in unreadable or unit in absent:
            if unit in unreadable:
                result["w_ix"] = STAND_IN
            result.notes["w_ix"] = {**unreadable, **absent}[unit]
            return
        definition = [d for d in self.definitions if d.unit == unit][-1]
        try:
            _raise_if(definition.error)
            result["w_ix"] = definition.run(env)
        except Unavailable as missing:
            result.notes["w_ix"] = self._needs(missing.unit)
            if missing.unit[0] == "helper":
                result["w_ix"] = STAND_IN
        except EvalError as error:
            result.notes["w_ix"], result["w_ix"] = str(error), STAND_IN

    def _needs(self, unit: tuple[str, str]) -> str:
        """Why a unit that needs `unit` cannot be computed: the first cause, never a nested chain."""
        reason: str = self._state["failed"].get(unit, "")
        if reason.startswith("it needs "):
            return reason
        return f"it needs {unit_text(unit)}, which could not be computed: {reason}"

    def _read(self, kind: str, key: str, step: int, env: Env) -> float:
        state = self._state
        length = state["T"]
        if step > length:
            return 0.0
        if step < 0:
            raise EvalError(f"step {step} does not exist")
        given: list[float]
        if kind == "fwd":
            given = state["values"][key]
            return given[step]
        if kind == "dldh":
            given = state["dL_dh"]
            return given[step]
        unit = (kind, key)
        if unit in state["stand_ins"]:
            return STAND_IN
        if unit in state["failed"]:
            raise Unavailable(unit)
        known: dict[int, float] = state["computed"].get(unit, {})
        if step not in known:
            if step == 0:
                raise EvalError(f"{unit_text(unit)} at step 0 is not computed (the steps are 1 to T)")
            raise EvalError(
                f"{unit_text(unit)} at step {step} is needed before it is computed (the equations run from T down to 1)"
            )
        return known[step]


def _order(needs: dict[Unit, set[Unit]], cycles: dict[Unit, str], where: Callable[[Unit], str]) -> list[Unit]:
    """Units in an order that computes same-step references first; a cycle's units get a "circular" message
    naming each unit and where (`where(unit)`: "line N") it is defined."""
    order, state = [], {}
    for root in needs:
        if root in state:
            continue
        stack = [(root, iter(sorted(needs[root])))]
        state[root] = "open"
        while stack:
            unit, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                state[unit] = "done"
                order.append(unit)
            elif state.get(child) == "open":
                cycle = [u for u, _ in stack][[u for u, _ in stack].index(child) :]
                names = " -> ".join(f"{unit_text(u)} ({where(u)})" for u in cycle) + f" -> {unit_text(child)}"
                for member in cycle:
                    cycles.setdefault(member, f"circular definition: {names}")
            elif child not in state:
                state[child] = "open"
                stack.append((child, iter(sorted(needs.get(child, ())))))
    return order
