"""Expressions to numbers: each expression compiled once into Python closures over floats (IEEE, as numpy)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

INF = math.inf
Expr = tuple[Any, ...]  # an expression as reading.py builds it: ("const", value), ("add", [(sign, Expr), ...]), ...
Env = dict[str, Any]  # one step's values: t, T, the summation variables, and the weights under "weights"
Step = tuple[str | None, int]  # a step as written: (variable or None, offset)


class EvalError(Exception):
    """A value that cannot be had at this step (defined too late, not at all, or before step 0)."""


class Unavailable(Exception):
    """A bar or helper this one needs could not be read or computed: `unit` names it."""

    def __init__(self, unit: tuple[str, str]):
        super().__init__(unit)
        self.unit = unit


def _sigma(z: float) -> float:
    if z != z:
        return z
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _exp(z: float) -> float:
    try:
        return math.exp(z)
    except OverflowError:
        return INF


def _cosh(z: float) -> float:
    try:
        return math.cosh(z)
    except OverflowError:
        return INF


def _sinh(z: float) -> float:
    try:
        return math.sinh(z)
    except OverflowError:
        return math.copysign(INF, z)


def _sech(z: float) -> float:
    return 1.0 / _cosh(z)


# (value, first derivative) of each function, as functions of z
FUNCTIONS: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "sigma": (_sigma, lambda z: _sigma(z) * (1.0 - _sigma(z))),
    "tanh": (math.tanh, lambda z: 1.0 - math.tanh(z) ** 2),
    "exp": (_exp, _exp),
    "sech": (_sech, lambda z: -_sech(z) * math.tanh(z)),
    "cosh": (_cosh, _sinh),
    "sinh": (_sinh, _cosh),
}


def divide(a: float, b: float) -> float:
    if b == 0:
        return math.nan if a == 0 or a != a else math.copysign(INF, a) * math.copysign(1.0, b)
    return a / b


def power(a: float, p: float) -> float:
    if a < 0 and p != int(p):
        return math.nan
    if a == 0 and p < 0:
        return INF
    try:
        result: float = a**p
    except OverflowError:
        return INF
    return result


def resolve(step: Step, env: Env) -> int:
    variable, offset = step
    return offset if variable is None else env[variable] + offset


def compile_expression(expr: Expr, read: Callable[[str, str, int, Env], float]) -> Callable[[Env], float]:
    """A closure env -> float. `read(kind, key, step, env)` gives fwd/bar/helper/dldh values; env holds t, T
    and the weights under "weights"."""
    kind = expr[0]
    if kind == "const":
        value = float(expr[1])
        return lambda env: value
    if kind in ("fwd", "bar", "helper", "dldh"):
        key, step = (expr[1], expr[2]) if kind != "dldh" else ("h", expr[1])
        return lambda env: read(kind, key, resolve(step, env), env)
    if kind == "weight":
        name = "w_" + expr[1]
        return lambda env: env["weights"][name]
    if kind == "add":
        parts = [(sign, compile_expression(part, read)) for sign, part in expr[1]]
        return lambda env: sum(sign * part(env) for sign, part in parts)
    if kind == "mul":
        parts = [(op, compile_expression(part, read)) for op, part in expr[1]]

        def product(env: Env) -> float:
            result = 1.0
            for op, part in parts:
                result = result * part(env) if op == "*" else divide(result, part(env))
            return result

        return product
    if kind == "pow":
        base, exponent = compile_expression(expr[1], read), float(expr[2])
        return lambda env: power(base(env), exponent)
    if kind == "fn":
        function = FUNCTIONS[expr[1]][expr[2]]
        argument = compile_expression(expr[3], read)
        return lambda env: function(argument(env))
    if kind == "sum":
        variable, low, high = expr[1], expr[2], expr[3]
        body = compile_expression(expr[4], read)

        def total(env: Env) -> float:
            values = []
            for step in range(resolve(low, env), resolve(high, env) + 1):
                values.append(body({**env, variable: step}))
            return math.fsum(values)

        return total
    raise ValueError(f"unknown expression {kind}")


def references(expr: Expr, bound: tuple[str, ...] = ()) -> list[tuple[str, str, Step, bool]]:
    """Every (kind, key, step, inside_sum) an expression reads, for ordering and checks (iterative)."""
    found: list[Any] = []
    todo = [(expr, bound)]
    while todo:
        node, names = todo.pop()
        kind = node[0]
        if kind in ("fwd", "bar", "helper"):
            found.append((kind, node[1], node[2], names))
        elif kind == "wbar":
            found.append((kind, node[1], (None, 0), names))
        elif kind == "dldh":
            found.append((kind, "h", node[1], names))
        elif kind in ("add", "mul"):
            todo.extend((part, names) for _, part in node[1])
        elif kind == "pow":
            todo.append((node[1], names))
        elif kind == "fn":
            todo.append((node[3], names))
        elif kind == "sum":
            todo.append((node[4], names + (node[1],)))
    return found


def shift(expr: Expr, by: int) -> Expr:
    """The expression with every step in t moved by `by` (an equation written for step t-1 or t+1)."""
    kind = expr[0]
    if kind in ("fwd", "bar", "helper"):
        variable, offset = expr[2]
        return (kind, expr[1], (variable, offset + by) if variable == "t" else expr[2])
    if kind == "dldh":
        variable, offset = expr[1]
        return (kind, (variable, offset + by) if variable == "t" else expr[1])
    if kind in ("add", "mul"):
        return (kind, [(op, shift(part, by)) for op, part in expr[1]])
    if kind == "pow":
        return (kind, shift(expr[1], by), expr[2])
    if kind == "fn":
        return (kind, expr[1], expr[2], shift(expr[3], by))
    return expr
