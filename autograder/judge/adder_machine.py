"""The adder network as a finite-state machine: exact threshold signs, transition tables, the carry product."""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np

from autograder.judge.numbers import exact
from autograder.record import Record

# A hidden state h = (h1, h2, h3) is the integer h1 + 2 h2 + 4 h3; an input x = (x1, x2) is x1 + 2 x2.
# A node of the product with grade-school addition is 2 * state + carry.
STATES = 8
INPUTS = 4
NODES = 2 * STATES
CONVENTIONS = ("fires", "silent")  # phi(0) = 1, phi(0) = 0

# A wrong network with 3 hidden units always fails on some pair of at most 8 bits, so an exhaustive
# check of every pair up to 8 bits decides correctness for every length, exactly like the proof.
# Why: let the shortest failing input first go wrong at step D >= 3. Every product node (h, carry)
# reachable in at most D - 2 steps has only right transitions. No two of them share h: from (h, 0)
# and (h, 1) the input (0, 0) leads to one state and one output, wrong for one of the two carries,
# which would fail before step D. One step from the start (0, 0) lie (T[0, 3], 1) and both
# (T[0, 0], 0) and (T[0, 1], 0), whose outputs must be 0 and 1 (so one of them is new): at least two
# new nodes. Every further distance up to D - 2 has at least one node. That makes at least
# 1 + 2 + (D - 3) = D nodes with distinct hidden states, and there are only 8: D <= 8, so some
# pair of at most 8 bits fails (the tests also check this on thousands of random networks).
LONGEST_SHORTEST_FAILURE = 8


def state_bits(state: int) -> tuple[int, int, int]:
    """The hidden units (h1, h2, h3) of a state number."""
    return state & 1, (state >> 1) & 1, (state >> 2) & 1


def input_bits(x: int) -> tuple[int, int]:
    """The input bits (x1, x2) of an input number."""
    return x & 1, x >> 1


class Signs(Record, eq=False):
    """The exact sign (-1, 0, +1) of every pre-activation the network can ever compute.

    `hidden[s, x, i]` is the sign of (U x + W h + b_h)_i for h^(t-1) = state s and input x;
    `output[s]` is the sign of V h + b_y for h^(t) = state s. A 0 is a unit exactly on its threshold.
    """

    hidden: np.ndarray  # (8, 4, 3) int8
    output: np.ndarray  # (8,) int8

    @property
    def has_ties(self) -> bool:
        return bool((self.hidden == 0).any() or (self.output == 0).any())


def compute_signs(U: np.ndarray, W: np.ndarray, V: np.ndarray, b_h: np.ndarray, b_y: object) -> Signs:
    """Decide every sign exactly: each pre-activation is a bias plus a subset of the weights.

    The weights are exact (integers, floats as their binary value, Fractions); over their common
    denominator they become Python integers, whose sums are exact (no rounding, no overflow).
    """
    values = [exact(v) for array in (U, W, V, b_h, b_y) for v in np.asarray(array, dtype=object).ravel()]
    scale = math.lcm(*(v.denominator for v in values))
    ints = [v.numerator * (scale // v.denominator) for v in values]
    u = [ints[0:2], ints[2:4], ints[4:6]]
    w = [ints[6:9], ints[9:12], ints[12:15]]
    v = ints[15:18]
    bh = ints[18:21]
    by = ints[21]

    def sign(z: int) -> int:
        return (z > 0) - (z < 0)

    hidden = np.zeros((STATES, INPUTS, 3), dtype=np.int8)
    output = np.zeros(STATES, dtype=np.int8)
    for s in range(STATES):
        h = state_bits(s)
        output[s] = sign(by + sum(v[j] for j in range(3) if h[j]))
        for x in range(INPUTS):
            xb = input_bits(x)
            for i in range(3):
                z = bh[i] + sum(u[i][k] for k in range(2) if xb[k]) + sum(w[i][j] for j in range(3) if h[j])
                hidden[s, x, i] = sign(z)
    return Signs(hidden=hidden, output=output)


class Machine(Record, eq=False):
    """The network's transition table under one reading of phi(0), and its product with the carry."""

    signs: Signs
    convention: str  # "fires" or "silent"
    next_state: np.ndarray  # (8, 4) uint8: h^(t) from h^(t-1) and x^(t)
    output: np.ndarray  # (8,) uint8: y^(t) from h^(t)
    next_node: np.ndarray  # (16, 4) uint8: the product node after input x
    wrong: np.ndarray  # (16, 4) bool: input x at that node gives a wrong sum bit

    def step(self, state: int, x: int) -> tuple[int, int]:
        """One step of the network: (h^(t), y^(t)) from h^(t-1) and x^(t)."""
        new = int(self.next_state[state, x])
        return new, int(self.output[new])


def build_machine(signs: Signs, convention: str) -> Machine:
    """The tables of the network with phi(0) read as `convention` ("fires" or "silent") for every unit."""
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    at_zero = 1 if convention == "fires" else 0
    fired = np.where(signs.hidden == 0, at_zero, signs.hidden > 0).astype(np.uint8)  # (8, 4, 3)
    next_state = (fired[..., 0] + 2 * fired[..., 1] + 4 * fired[..., 2]).astype(np.uint8)
    output = np.where(signs.output == 0, at_zero, signs.output > 0).astype(np.uint8)
    next_node = np.zeros((NODES, INPUTS), dtype=np.uint8)
    wrong = np.zeros((NODES, INPUTS), dtype=bool)
    for node in range(NODES):
        state, carry = divmod(node, 2)
        for x in range(INPUTS):
            column = sum(input_bits(x)) + carry
            new = next_state[state, x]
            next_node[node, x] = 2 * new + (column >= 2)
            wrong[node, x] = output[new] != column % 2
    return Machine(signs, convention, next_state, output, next_node, wrong)


class FailingPair(Record):
    """The shortest failing pair: two `bits`-bit numbers, run for bits + 1 steps (one padding zero)."""

    bits: int
    a: int
    b: int


class Proof(Record):
    """The reachable part of the product machine, and the shortest failing pair if there is one."""

    reachable_nodes: int
    reachable_states: int
    failing: FailingPair | None


def prove(machine: Machine) -> Proof:
    """Decide correctness for every length from the reachable (hidden state, carry) nodes.

    Every input sequence is the start of a valid padded problem, so the network is correct on every
    problem of every length exactly when no reachable node has an input with a wrong sum bit.
    """
    reachable = reachable_nodes(machine)
    states = len({node // 2 for node in reachable})
    failing = None
    if machine.wrong[sorted(reachable)].any():
        failing = smallest_failing_pair(machine)
    return Proof(len(reachable), states, failing)


def reachable_nodes(machine: Machine, start: int = 0) -> set[int]:
    """The product nodes (2 * state + carry) reachable from the start (h^(0) = 0, no carry) or from `start`."""
    next_node = machine.next_node.tolist()
    seen, frontier = {start}, [start]
    while frontier:
        for successor in next_node[frontier.pop()]:
            if successor not in seen:
                seen.add(successor)
                frontier.append(successor)
    return seen


def smallest_failing_pair(machine: Machine) -> FailingPair | None:
    """The failing pair with the fewest bits, then the smallest first number, then the smallest second.

    A wrong network fails within LONGEST_SHORTEST_FAILURE bits (see above); NODES bits bound any machine.
    The bits are fixed one at a time, most significant first, keeping a 0 whenever some completion
    still fails (a reachability question over the 16 product nodes).
    """
    for bits in range(1, NODES + 1):
        free = [(0, 1)] * bits
        if _fails_somewhere(machine, free, free):
            a_bits: list[tuple[int, ...]] = list(free)
            b_bits: list[tuple[int, ...]] = list(free)
            for fixed in (a_bits, b_bits):
                for t in reversed(range(bits)):
                    fixed[t] = (0,)
                    if not _fails_somewhere(machine, a_bits, b_bits):
                        fixed[t] = (1,)
            return FailingPair(bits, _number(a_bits), _number(b_bits))
    return None


def _number(bits: Sequence[tuple[int, ...]]) -> int:
    return sum(choice[0] << t for t, choice in enumerate(bits))


def _fails_somewhere(machine: Machine, a_bits: Sequence[Iterable[int]], b_bits: Sequence[Iterable[int]]) -> bool:
    """Does some pair with these allowed bits (then one padding zero) get a wrong sum bit at some step?"""
    next_node, wrong = machine.next_node.tolist(), machine.wrong.tolist()
    reach = {0}
    allowed_steps = [[x1 + 2 * x2 for x1 in a for x2 in b] for a, b in zip(a_bits, b_bits, strict=True)] + [[0]]
    for allowed in allowed_steps:
        if any(wrong[node][x] for node in reach for x in allowed):
            return True
        reach = {next_node[node][x] for node in reach for x in allowed}
    return False


CHUNK_LEVELS = 8  # a chunk of the prefix tree is at most 4**8 prefixes deep: memory stays flat in max_bits


def search_exhaustive(machine: Machine, max_bits: int) -> FailingPair | None:
    """Run every pair of n-bit numbers for every n <= max_bits; the smallest failing pair, or None.

    A prefix tree: level k holds the product node after each of the 4**k input prefixes of length k
    (index = sum of x_t * 4**(k - t)), so every pair's every step is visited once. The top levels are
    expanded whole; below them, the subtree of each top prefix in turn (so memory does not grow 4x per
    bit). The smallest failing pair over all subtrees is the answer.
    """
    code = (machine.next_node + NODES * machine.wrong).astype(np.uint8)
    code = np.vstack([code, code])  # rows 16..31 (a node reached by a wrong sum bit) repeat rows 0..15
    top = max(0, max_bits - CHUNK_LEVELS)
    failing, nodes = _search_levels(code, np.zeros(1, dtype=np.uint8), 0, 0, top, max_bits)
    if failing is not None:
        return failing
    best: FailingPair | None = None
    for first in range(len(nodes)):
        stop = max_bits if best is None else min(max_bits, best.bits + 1)  # deeper failures are longer pairs
        found, _ = _search_levels(code, nodes[first : first + 1], first, top, stop, max_bits)
        if found is not None and (best is None or (found.bits, found.a, found.b) < (best.bits, best.a, best.b)):
            best = found
    return best


def _search_levels(
    code: np.ndarray, nodes: np.ndarray, first: int, start: int, stop: int, max_bits: int
) -> tuple[FailingPair | None, np.ndarray]:
    """Expand the prefixes first, first + 1, ... of level `start` (their nodes given) down to level `stop`.

    The smallest failing pair below them (None if none), and the nodes of level `stop`. A prefix of
    level k with index i is the global prefix first * 4**(k - start) + i.
    """
    for k in range(start + 1, stop + 1):
        level = code[nodes].reshape(-1)
        if level.max() >= NODES:
            offset = first * 4 ** (k - start)
            failed = np.flatnonzero(level >= NODES) + offset
            padding_failed = failed[(failed & 3) == 0] >> 2
            if k >= 2 and padding_failed.size:  # (k-1)-bit pairs failing at their padding step
                return _smallest(padding_failed, k - 1), level
            after = np.flatnonzero(code[level, 0] >= NODES) + offset  # k-bit pairs failing at their padding step
            return _smallest(np.union1d(failed, after), k), level
        nodes = level
    if stop == max_bits:
        failed = np.flatnonzero(code[nodes, 0] >= NODES) + first * 4 ** (stop - start)
        if failed.size:
            return _smallest(failed, max_bits), nodes
    return None, nodes


def _smallest(prefixes: np.ndarray, bits: int) -> FailingPair:
    """The smallest (a, b) among prefix-tree indices of `bits` steps."""
    prefixes = prefixes.astype(np.int64)
    a = np.zeros_like(prefixes)
    b = np.zeros_like(prefixes)
    for t in range(bits):  # step t + 1 sits at digit bits - 1 - t
        x = (prefixes >> (2 * (bits - 1 - t))) & 3
        a |= (x & 1) << t
        b |= (x >> 1) << t
    best = int(np.argmin((a << bits) | b))
    return FailingPair(bits, int(a[best]), int(b[best]))


class Step(Record):
    """One row of a run: input, hidden state, output, the right bit, and the units exactly at 0."""

    t: int
    x: tuple[int, int]
    h: tuple[int, int, int]
    y: int
    expected: int
    carry_in: int
    previous: int  # h^(t-1) as a state number
    state: int  # h^(t) as a state number
    ties: tuple[str, ...]  # names of the units whose pre-activation is exactly 0 at this step


def trace(machine: Machine, pair: FailingPair, *, stop_at_wrong: bool = True) -> list[Step]:
    """The run of the network on a pair (bits + 1 steps), up to and including the first wrong bit."""
    total = pair.a + pair.b
    steps: list[Step] = []
    state, carry = 0, 0
    for t in range(1, pair.bits + 2):
        x1, x2 = (pair.a >> (t - 1)) & 1, (pair.b >> (t - 1)) & 1
        x = x1 + 2 * x2
        new, y = machine.step(state, x)
        ties = tuple(f"h{i + 1}" for i in range(3) if machine.signs.hidden[state, x, i] == 0)
        if machine.signs.output[new] == 0:
            ties += ("y",)
        expected = (total >> (t - 1)) & 1
        steps.append(Step(t, (x1, x2), state_bits(new), y, expected, carry, state, new, ties))
        state, carry = new, (x1 + x2 + carry) >> 1
        if stop_at_wrong and y != expected:
            break
    return steps


def needed_bits(machine: Machine) -> dict[int, dict[int, int]]:
    """For each hidden state the network reaches, the sum bits it is needed for: {state: {bit: column sum}}
    (one column sum, x1 + x2 + carry, that calls for that bit there)."""
    needed: dict[int, dict[int, int]] = {}
    for node in sorted(reachable_nodes(machine)):
        state, carry = divmod(node, 2)
        for x in range(INPUTS):
            column = sum(input_bits(x)) + carry
            needed.setdefault(int(machine.next_state[state, x]), {}).setdefault(column % 2, column)
    return needed


def readout_exists(machine: Machine) -> bool:
    """Could some output weights make this network right (so only V and b_y are wrong)? Every hidden state
    it reaches must always call for the same sum bit, and a threshold unit must tell the two kinds apart.
    Every threshold function of 3 bits has integer weights of at most 2 in size (all 104 of them), so
    trying those, with integer thresholds (no ties), decides it."""
    needed = needed_bits(machine)
    if any(len(bits) != 1 for bits in needed.values()):
        return False
    return separable({state: next(iter(bits)) for state, bits in needed.items()})


def separable(points: dict[int, int]) -> bool:
    """Can one threshold unit read these hidden states as these bits ({state: bit})?"""
    ones = sum(1 << state for state, bit in points.items() if bit)
    zeros = sum(1 << state for state, bit in points.items() if not bit)
    return any(table & ones == ones and not table & zeros for table in threshold_tables())


def _dot(weights: tuple[int, ...], bits: tuple[int, int, int]) -> int:
    return sum(v * h for v, h in zip(weights, bits, strict=True))


@functools.lru_cache(maxsize=1)
def threshold_tables() -> frozenset[int]:
    """Every threshold function of the 3 hidden units, as the set of states (bit s of an int) it fires on."""
    return frozenset(
        sum(1 << state for state in range(STATES) if _dot(weights, state_bits(state)) >= bound)
        for weights in itertools.product(range(-2, 3), repeat=3)
        for bound in range(-6, 8)
    )


def correct_from(machine: Machine, state: int) -> bool:
    """Would the network add correctly if it started from h^(0) = `state` (with no carry)?"""
    return not machine.wrong[sorted(reachable_nodes(machine, 2 * state))].any()
