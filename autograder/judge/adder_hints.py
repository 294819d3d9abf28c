"""Question 1's hints: why a network fails, in what the student's own numbers show, and the cause's name.

Each hint states only what was verified on the network's tables: a hidden unit is blamed when changing
that unit's decision for one column sum (x1 + x2 + the carry) makes the network right, and its bias or
its incoming weights are named by whether a different bias alone would do. An exact tie (pre-activation
0) and a float whose rounding flips a decision are said as such. The names are titled in causes.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from autograder.judge.adder_machine import (
    CONVENTIONS,
    INPUTS,
    Machine,
    Step,
    build_machine,
    compute_signs,
    correct_from,
    input_bits,
    needed_bits,
    prove,
    reachable_nodes,
    readout_exists,
    separable,
    state_bits,
)
from autograder.judge.adder_weights import AdderWeights
from autograder.judge.causes import CAUSES
from autograder.record import Record

Cell = tuple[int, int]  # (h^(t-1) as a state number, x^(t) as an input number)
UNITS = ("h1", "h2", "h3")


def hint(weights: AdderWeights, machine: Machine, steps: Sequence[Step]) -> tuple[str | None, str | None]:
    """A likely cause of the failure at the last of `steps`, when one is cheap to recognise: (its name for
    the TA report, the hint), or (None, None)."""
    mistake, text = _hint(weights, machine, steps)
    assert mistake is None or mistake in CAUSES, mistake
    return mistake, text


def _hint(weights: AdderWeights, machine: Machine, steps: Sequence[Step]) -> tuple[str | None, str | None]:
    wrong = steps[-1]
    t = wrong.t
    if not np.array_equal(weights.W, weights.W.T):
        flipped = compute_signs(weights.U, weights.W.T, weights.V, weights.b_h, weights.b_y)
        if any(prove(build_machine(flipped, c)).failing is None for c in CONVENTIONS):
            return "w_transposed", (
                "Hint: your network would be correct with `W` transposed: `W[i, j]` is the "
                "weight from h_j^(t-1) to h_i^(t)."
            )
    if readout_exists(machine):
        return "output_weights", (
            "Hint: every hidden state your network reaches always calls for the same sum bit, and some output "
            "weights tell those states apart, so your hidden units are fine and the output unit reads them "
            "wrongly: check `V` and `b_y` (y^(t) reads h^(t) of the same step)."
        )
    started = [state for state in range(1, 8) if correct_from(machine, state)]
    if started:
        return "initial_state", (
            f"Hint: your network would add correctly if it started from h^(0) = {state_bits(started[0])}, but "
            'h^(0) = (0, 0, 0): at step 1 your hidden units must already mean "nothing carries in". Check '
            "`b_h` and `W`."
        )
    unit = _unit_hint(weights, machine, steps)
    if unit is not None:
        return unit
    if t == 1:
        first: dict[int, list[int]] = {}
        for x in range(4):
            first.setdefault(int(machine.next_state[0, x]), []).append(x)
        for state, xs in first.items():
            mixed = [x for x in xs if sum(input_bits(x)) % 2 != sum(input_bits(xs[0])) % 2]
            if mixed:
                return "step1_hidden", (
                    f"Hint: at step 1 your hidden units give the same h^(1) = {state_bits(state)} "
                    f"for x = {input_bits(xs[0])} and x = {input_bits(mixed[0])}, whose sum bits differ, "
                    "so no output weights can tell them apart: check `U` and `b_h`."
                )
    nodes = reachable_nodes(machine)
    if t > 1 and {2 * wrong.previous, 2 * wrong.previous + 1} <= nodes:
        return "carry_merged", (
            f"Hint: your hidden units reach h^({t - 1}) = {state_bits(wrong.previous)} both after a column that "
            "carries out (sum 2 or 3) and after one that does not (sum 0 or 1), so at the next step nothing can "
            "tell whether something carries in: h^(t) must tell those columns apart. Check `U` and `b_h`."
        )
    fresh = int(machine.next_state[0, wrong.x[0] + 2 * wrong.x[1]])
    if wrong.carry_in and wrong.state == fresh:
        return "carry_lost", (
            f"Hint: the carry from step {t - 1} never reaches step {t}: your hidden units give the same h^({t}) "
            f"as they would with nothing carried in: check `W` (`W[i, j]` is the weight from h_j^(t-1) to h_i^(t))."
        )
    if not wrong.carry_in and wrong.state != fresh:
        return "phantom_carry", (
            f"Hint: nothing carries into step {t}, but your hidden units react to h^({t - 1}) as "
            "if something did: check `W`."
        )
    x = wrong.x[0] + 2 * wrong.x[1]
    if t > 1 and any(node % 2 == wrong.carry_in and not machine.wrong[node, x] for node in nodes):
        return "extra_recurrence", (
            f"Hint: with the input {wrong.x} and a carry of {wrong.carry_in}, your network is "
            f"right after other hidden states but not after h^({t - 1}) = "
            f"{state_bits(wrong.previous)}: h^(t) should depend on h^(t-1) only through the "
            "carry. Check `W`."
        )
    conflict = next(((state, bits) for state, bits in needed_bits(machine).items() if len(bits) == 2), None)
    if conflict is not None:
        state, bits = conflict
        return "hidden_states_merged", (
            f"Hint: your hidden units reach h = {state_bits(state)} both in a column that sums to {bits[0]} "
            f"(sum bit 0) and in one that sums to {bits[1]} (sum bit 1), so no output weights can be right in "
            "both: h^(t) must tell those columns apart. Check `U`, `W` and `b_h`."
        )
    return None, None


# ---- one hidden unit, one column sum ---------------------------------------------------------------


class _Flip(Record):
    """Unit `unit` keeps the value `value` in every cell the network reaches with column sum `column`, and the
    network would be right (with its own output weights when `own`) if it took the other value there."""

    unit: int
    column: int
    carry: int | None  # only the columns with this carry in (None: all of them)
    value: int
    own: bool
    cells: frozenset[Cell]
    wanted: tuple[tuple[Cell, int], ...]  # the unit's value in every cell the changed network reaches


def _fired(machine: Machine) -> np.ndarray:
    """(8, 4, 3): unit i of h^(t) after state s and input x."""
    return np.stack([(machine.next_state >> i) & 1 for i in range(3)], axis=-1).astype(np.uint8)


def _columns(machine: Machine) -> dict[int, set[Cell]]:
    """Column sum (x1 + x2 + carry, 0..3) -> the cells the network reaches with that column sum."""
    cells: dict[int, set[Cell]] = {column: set() for column in range(4)}
    for node in reachable_nodes(machine):
        state, carry = divmod(node, 2)
        for x in range(INPUTS):
            cells[sum(input_bits(x)) + carry].add((state, x))
    return cells


def _right(machine: Machine) -> bool:
    return not machine.wrong[sorted(reachable_nodes(machine))].any()


def _groups(machine: Machine) -> dict[tuple[int, int | None], set[Cell]]:
    """(column sum, carry in or None for both) -> the cells the network reaches with them."""
    groups: dict[tuple[int, int | None], set[Cell]] = {(column, None): set() for column in range(4)}
    for column in (1, 2):
        groups.update({(column, 0): set(), (column, 1): set()})
    for node in reachable_nodes(machine):
        state, carry = divmod(node, 2)
        for x in range(INPUTS):
            column = sum(input_bits(x)) + carry
            for key in ((column, None), (column, carry)):
                if key in groups:
                    groups[key].add((state, x))
    return groups


def _flips(machine: Machine) -> list[_Flip]:
    """Every single change "unit i decides otherwise in every column that sums to s (with or without a carry
    in)" that makes the network right, with the cells where the network reaches those columns."""
    fired = _fired(machine)
    found = []
    for (column, carry), cells in _groups(machine).items():
        for unit in range(3):
            values = {int(fired[s, x, unit]) for s, x in cells}
            if len(values) != 1:
                continue
            value = values.pop()
            own, wanted = _would_be_right(machine, fired, unit, (column, carry), 1 - value)
            if wanted is not None:
                found.append(_Flip(unit, column, carry, value, own, frozenset(cells), tuple(sorted(wanted.items()))))
    return found


def _would_be_right(
    machine: Machine, fired: np.ndarray, unit: int, group: tuple[int, int | None], value: int
) -> tuple[bool, dict[Cell, int] | None]:
    """If the unit took `value` in every column of `group` (and decided as now elsewhere), would the
    network be right with its own output weights, and would it be right with some output weights (then: the
    unit's value in each cell it reaches; None when not, or when one cell would need both values)."""
    seen, frontier = {0}, [0]
    needed: dict[int, set[int]] = {}  # the sum bits each hidden state reached is needed for
    wanted: dict[Cell, set[int]] = {}
    while frontier:
        state, carry = divmod(frontier.pop(), 2)
        for x in range(INPUTS):
            total = sum(input_bits(x)) + carry
            new = int(machine.next_state[state, x])
            if total == group[0] and group[1] in (None, carry):
                new = (new & ~(1 << unit)) | (value << unit)
            wanted.setdefault((state, x), set()).add((new >> unit) & 1)
            needed.setdefault(new, set()).add(total % 2)
            node = 2 * new + (total >= 2)
            if node not in seen:
                seen.add(node)
                frontier.append(node)
    if any(len(values) != 1 for values in wanted.values()) or any(len(bits) != 1 for bits in needed.values()):
        return False, None
    own = all(bits == {int(machine.output[state])} for state, bits in needed.items())
    if not own and not separable({state: next(iter(bits)) for state, bits in needed.items()}):
        return False, None
    return own, {cell: next(iter(values)) for cell, values in wanted.items()}


def _terms(unit: int, cell: Cell) -> list[tuple[str, int, str]]:
    """The weights a cell adds to the unit's pre-activation: (array name, flat index, label), bias last."""
    state, x = cell
    terms = [("U", 2 * unit + k, f"U[{unit}, {k}]") for k, bit in enumerate(input_bits(x)) if bit]
    terms += [("W", 3 * unit + j, f"W[{unit}, {j}]") for j, bit in enumerate(state_bits(state)) if bit]
    return terms + [("b_h", unit, f"b_h[{unit}]")]


def _value(weights: AdderWeights, name: str, index: int) -> Fraction:
    return Fraction(np.asarray(getattr(weights, name), dtype=object).ravel()[index])


def _printed(weights: AdderWeights, name: str, index: int) -> Fraction:
    shown = weights.printed.get((name, index))
    return shown[1] if shown else _value(weights, name, index)


def _number(value: Fraction) -> str:
    """A number as a student reads it: whole, a short exact decimal, or 6 significant digits."""
    if value.denominator == 1:
        return str(value.numerator)
    rest = value.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest == 1:
        digits = f"{float(value):.12g}"
        if Fraction(digits) == value:
            return digits
    return f"{float(value):.6g}"


def _stored(value: Fraction) -> str:
    """A float's exact value as a decimal (a float's is finite), or its first 17 digits when longer."""
    exact = _number(value)
    return exact if Fraction(exact) == value else f"{float(value):.17g}"


def _sum_text(numbers: Sequence[str]) -> str:
    text = numbers[0]
    for number in numbers[1:]:
        text += f" - {number[1:]}" if number.startswith("-") else f" + {number}"
    return text


def _cell_text(cell: Cell) -> str:
    state, x = cell
    return f"x = {input_bits(x)} after h^(t-1) = {state_bits(state)}"


def _weights_only(weights: AdderWeights, unit: int, cell: Cell) -> Fraction:
    return sum((_value(weights, n, i) for n, i, _ in _terms(unit, cell)[:-1]), Fraction(0))


def _unit_hint(weights: AdderWeights, machine: Machine, steps: Sequence[Step]) -> tuple[str, str] | None:
    fixes = {flip: _fix(weights, machine, flip) for flip in _flips(machine)}
    fixable = [flip for flip, fix in fixes.items() if fix is not None]
    if not fixable:
        return None  # no one parameter of one unit explains it: the general hints below say more
    shown = {(step.previous, step.x[0] + 2 * step.x[1]): step.t for step in steps}
    flip = min(
        fixable,
        key=lambda f: (
            not f.own,
            not (f.cells & shown.keys()),
            fixes[f] != ("b_h", f.unit),
            f.carry is not None,
            f.column,
            f.unit,
        ),
    )
    fix = fixes[flip]
    assert fix is not None
    name, up = UNITS[flip.unit], flip.value == 0
    at = sorted(shown[cell] for cell in flip.cells if cell in shown)
    where = f", as at step {at[0]} above" if at else ""
    readout = "" if flip.own else " (with output weights that read it)"
    lines = [
        f"Hint: {name} never turns {'on' if up else 'off'} in a column that sums to {flip.column}{_carry_text(flip)} "
        f"(x1 + x2 + the carry{where}), and your network would be right{readout} if it did."
    ]
    bias = _value(weights, "b_h", flip.unit)
    exact = {cell: _weights_only(weights, flip.unit, cell) + bias for cell in flip.cells}
    deciding = (max if up else min)(sorted(flip.cells), key=lambda cell: exact[cell])
    terms = _terms(flip.unit, deciding)
    z = exact[deciding]
    labels = " + ".join(label for _, _, label in terms)
    as_printed = sum((_printed(weights, n, i) for n, i, _ in terms), Fraction(0))
    several = len(set(exact.values())) > 1
    arithmetic = (
        f"{labels} = "
        + (f"{_sum_text([_number(_printed(weights, n, i)) for n, i, _ in terms])} = " if len(terms) > 1 else "")
        + _number(as_printed)
    )
    if several:
        lines.append(
            f"In such a column its pre-activation is at {'most' if up else 'least'} {_number(as_printed)}: with "
            f"{_cell_text(deciding)}, it is {arithmetic}."
        )
    else:
        lines.append(f"There, with {_cell_text(deciding)}, its pre-activation is {arithmetic}.")
    rounded = [(n, i, label) for n, i, label in terms if (n, i) in weights.printed]
    if rounded and _sign(z) != _sign(as_printed):
        widths = sorted({weights.printed[(n, i)][0] for n, i, _ in rounded})
        stored = ", ".join(
            f"{label} = {_number(_printed(weights, n, i))} is stored as {_stored(_value(weights, n, i))}"
            for n, i, label in rounded
        )
        lines.append(
            f"But these weights are {' and '.join(widths)} numbers, which round: {stored}. With the numbers stored "
            f"the sum is {_number(z)}, not {_number(as_printed)}: the rounding decides whether {name} fires. Keep "
            "every pre-activation well away from 0 (with integers or halves, say)."
        )
        return "float_rounding", "\n".join(lines)
    if z == 0:
        reading = 1 if machine.convention == "fires" else 0
        lines.append(
            f"That is exactly 0: {name} sits on its threshold there, and this test reads phi(0) as {reading}. Keep "
            "every pre-activation away from 0 (for example with biases like -0.5)."
        )
        return "threshold_tie", "\n".join(lines)
    if fix == ("b_h", flip.unit):
        bias_printed = _printed(weights, "b_h", flip.unit)
        lines.append(
            f"Its incoming weights already set that column apart from every column where it is "
            f"{'off' if up else 'on'}, so its bias decides: `b_h[{flip.unit}]` = {_number(bias_printed)} "
            f"keeps it {'off' if up else 'on'} there."
        )
        return "hidden_bias", "\n".join(lines)
    pair = _conflict(weights, machine, flip, fix)
    if pair is None:
        return None
    first, second = pair
    mine, theirs = _terms(flip.unit, first)[:-1], _terms(flip.unit, second)[:-1]
    only_mine = [term for term in mine if term not in theirs]
    only_theirs = [term for term in theirs if term not in mine]
    parts = [label for _, _, label in only_mine] + [f"-{label}" for _, _, label in only_theirs]
    values = [_number(_printed(weights, n, i)) for n, i, _ in only_mine]
    values += [_number(-_printed(weights, n, i)) for n, i, _ in only_theirs]
    difference = sum((_printed(weights, n, i) for n, i, _ in only_mine), Fraction(0)) - sum(
        (_printed(weights, n, i) for n, i, _ in only_theirs), Fraction(0)
    )
    arithmetic = f"{_sum_text(parts)} = " + (f"{_sum_text(values)} = " if len(values) > 1 else "")
    named = ", ".join(_weight_text(name, index) for name, index, _ in only_mine + only_theirs)
    lines.append(
        f"Its incoming weights cannot set that column apart: its pre-activation with {_cell_text(first)} (a column "
        f"that sums to {flip.column}{_carry_text(flip)}) minus the one with {_cell_text(second)} (a column that "
        f"sums to {_column_text(machine, second)}, where it is {'off' if up else 'on'}) is "
        f"{arithmetic}{_number(difference)}, "
        f"not {'above' if up else 'below'} 0. So whatever its bias, {name} cannot be {'on' if up else 'off'} in the "
        f"first and {'off' if up else 'on'} in the second: check {named}."
    )
    return "hidden_weights", "\n".join(lines)


def _weight_text(name: str, index: int) -> str:
    """A weight named with where it sits: "`W[2, 1]` (from h2^(t-1) to h3^(t))"."""
    row, column = divmod(index, 2 if name == "U" else 3)
    source = f"x{column + 1}^(t)" if name == "U" else f"h{column + 1}^(t-1)"
    return f"`{name}[{row}, {column}]` (from {source} to h{row + 1}^(t))"


def _carry_text(flip: _Flip) -> str:
    return "" if flip.carry is None else " with a carry in" if flip.carry else " with no carry in"


def _sign(value: Fraction) -> int:
    return (value > 0) - (value < 0)


def _column_text(machine: Machine, cell: Cell) -> str:
    found = [str(column) for column, cells in _columns(machine).items() if cell in cells]
    return " or ".join(found)


def _fix(weights: AdderWeights, machine: Machine, flip: _Flip) -> tuple[str, int] | None:
    """The one parameter of the unit (its bias first, then its weights from x and from h^(t-1)) whose change
    alone makes the network right, verified on the network itself; None when no single one does."""
    wanted = dict(flip.wanted)
    params = [("b_h", flip.unit)] + [(name, index) for name, index, _ in _terms(flip.unit, (7, 3))[:-1]]
    for name, index in params:
        value = _try(weights, flip, wanted, name, index)
        if value is None:
            continue
        arrays = {key: np.array(getattr(weights, key), dtype=object) for key in ("U", "W", "b_h")}
        arrays[name].reshape(-1)[index] = value
        signs = compute_signs(arrays["U"], arrays["W"], weights.V, arrays["b_h"], weights.b_y)
        changed = build_machine(signs, machine.convention)
        if _right(changed) if flip.own else readout_exists(changed):
            return name, index
    return None


def _try(weights: AdderWeights, flip: _Flip, wanted: dict[Cell, int], name: str, index: int) -> Fraction | None:
    """A value of this one parameter that gives the unit the wanted value in every cell (no ties), or None."""
    low: Fraction | None = None  # the parameter must be above every `low` bound and below every `high` one
    high: Fraction | None = None
    for cell, value in wanted.items():
        terms = _terms(flip.unit, cell)
        rest = sum((_value(weights, n, i) for n, i, _ in terms if (n, i) != (name, index)), Fraction(0))
        if all((n, i) != (name, index) for n, i, _ in terms):
            if (rest > 0) != bool(value) or rest == 0:
                return None
        elif value:
            low = -rest if low is None else max(low, -rest)
        else:
            high = -rest if high is None else min(high, -rest)
    if low is not None and high is not None:
        return (low + high) / 2 if low < high else None
    if low is not None:
        return low + 1
    return (high - 1) if high is not None else _value(weights, name, index)


def _conflict(weights: AdderWeights, machine: Machine, flip: _Flip, fix: tuple[str, int]) -> tuple[Cell, Cell] | None:
    """A flipped cell and a cell that must keep the other value, whose weights order them the wrong way round
    (so no bias separates them) and which differ in the weight `fix`; of those, the pair that differs least."""
    wanted = dict(flip.wanted)
    up = flip.value == 0
    others = [cell for cell, value in wanted.items() if value == flip.value]
    pairs = []
    for mine in sorted(cell for cell, value in wanted.items() if value != flip.value and cell in flip.cells):
        a = _weights_only(weights, flip.unit, mine)
        for other in others:
            b = _weights_only(weights, flip.unit, other)
            if (a <= b) if up else (a >= b):
                differ = {(n, i) for n, i, _ in set(_terms(flip.unit, mine)) ^ set(_terms(flip.unit, other))}
                if fix in differ:
                    pairs.append((len(differ), mine, other))
    if not pairs:
        return None
    _, mine, other = min(pairs)
    return mine, other
