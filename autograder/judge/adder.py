"""The question-1 judge: the student's adder weights in, verdicts on exhaustive checks and the proof out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.judge.adder_machine import (
    CONVENTIONS,
    FailingPair,
    Machine,
    Signs,
    Step,
    build_machine,
    compute_signs,
    correct_from,
    input_bits,
    needed_bits,
    prove,
    reachable_nodes,
    readout_exists,
    search_exhaustive,
    state_bits,
    trace,
)
from autograder.judge.adder_weights import AdderWeights, read_adder_weights
from autograder.judge.verdict import Verdict

__all__ = ["AdderWeights", "ExhaustiveParams", "ProofParams", "check_exhaustive", "check_proof", "read_adder_weights"]

MAX_BITS_LIMIT = 13  # the prefix tree is walked in chunks, so memory stays flat; time grows 4x per bit


def _convention_field(default: str = "either") -> Any:
    return field(
        default=default,
        metadata={
            "doc": (
                "How the hard threshold reads a pre-activation of exactly 0: `fires` (phi(0) = 1), `silent` "
                "(phi(0) = 0) or `either` (correct under one of the two, applied to every unit; the feedback "
                "then says which one the network needs)."
            )
        },
    )


def _check_convention(convention: str) -> None:
    if convention not in CONVENTIONS + ("either",):
        raise ValueError(f"convention must be fires, silent or either, got {convention!r}")


@dataclass(frozen=True)
class ExhaustiveParams:
    """Parameters of `check: adder_exhaustive`."""

    max_bits: int = field(
        default=10,
        metadata={
            "doc": (f"Every pair of n-bit numbers is added, for every n from 1 to max_bits (1 to {MAX_BITS_LIMIT}).")
        },
    )
    convention: str = _convention_field()

    def __post_init__(self) -> None:
        whole = isinstance(self.max_bits, int) and not isinstance(self.max_bits, bool)
        if not whole or not 1 <= self.max_bits <= MAX_BITS_LIMIT:
            raise ValueError(f"max_bits must be a whole number from 1 to {MAX_BITS_LIMIT}, got {self.max_bits!r}")
        _check_convention(self.convention)


@dataclass(frozen=True)
class ProofParams:
    """Parameters of `check: adder_proof`."""

    convention: str = _convention_field()

    def __post_init__(self) -> None:
        _check_convention(self.convention)


@dataclass(frozen=True)
class _Outcome:
    """The machine a verdict is about, its shortest failing pair, and what to say about phi(0)."""

    machine: Machine
    failing: FailingPair | None
    convention: str  # "fires", "silent", or "either" when the answer does not depend on phi(0)
    note: str | None


def check_exhaustive(weights: AdderWeights, params: ExhaustiveParams) -> Verdict:
    """Add every pair of n-bit numbers for every n <= max_bits, checking every output bit."""
    bits = params.max_bits
    headline = "Adds every pair of 1-bit numbers" if bits == 1 else f"Adds every pair of numbers up to {bits} bits"
    outcome = _decide(weights, params.convention, lambda machine: search_exhaustive(machine, bits))
    data: dict[str, Any] = {"max_bits": bits, "convention": outcome.convention}
    if outcome.failing is None:
        pairs = sum(4**n for n in range(1, bits + 1))
        data["pairs_checked"] = pairs
        return Verdict(1.0, _join(f"{headline}: passes ({pairs:,} pairs checked).", outcome.note), data)
    return _failed(headline, weights, outcome, data)


def check_proof(weights: AdderWeights, params: ProofParams) -> Verdict:
    """Prove the network right for numbers of every length, or give its shortest failing pair."""
    headline = "Adds numbers of every length"
    outcome = _decide(weights, params.convention, lambda machine: prove(machine).failing)
    proof = prove(outcome.machine)
    data: dict[str, Any] = {
        "convention": outcome.convention,
        "reachable_states": proof.reachable_states,
        "reachable_nodes": proof.reachable_nodes,
    }
    if outcome.failing is None:
        text = (
            f"{headline}: passes.\n\n"
            f"Proof: your network's hidden state takes {proof.reachable_states} different values (h^(0) = 0 "
            f"included). Paired with the carry of grade-school addition, they make {proof.reachable_nodes} "
            "reachable (hidden state, carry) combinations, and from each of them all 4 inputs (x1, x2) give "
            "the right sum bit and lead to another such combination. So every output bit is right, for "
            "numbers of any length."
        )
        return Verdict(1.0, _join(text, outcome.note), data)
    return _failed(headline, weights, outcome, data)


def _signs(weights: AdderWeights) -> Signs:
    return compute_signs(weights.U, weights.W, weights.V, weights.b_h, weights.b_y)


def _decide(weights: AdderWeights, convention: str, search: Callable[[Machine], FailingPair | None]) -> _Outcome:
    """Run `search` under the configured reading of phi(0); with `either`, under both when it matters."""
    signs = _signs(weights)
    if convention != "either":
        machine = build_machine(signs, convention)
        failing = search(machine)
        note = None
        if failing is not None and signs.has_ties and search(build_machine(signs, _other(convention))) is None:
            note = (
                f"Note: some of your units sit exactly on their threshold (pre-activation exactly 0). Your "
                f"network would pass if {_reading(_other(convention))}, but this test uses phi(0) = "
                f"{_value(convention)}. {_ADVICE}"
            )
        return _Outcome(machine, failing, convention, note)
    if not signs.has_ties:
        machine = build_machine(signs, "fires")
        return _Outcome(machine, search(machine), "either", None)
    machines = {c: build_machine(signs, c) for c in CONVENTIONS}
    results = {c: search(machines[c]) for c in CONVENTIONS}
    passing = [c for c in CONVENTIONS if results[c] is None]
    if len(passing) == 2:
        return _Outcome(machines["fires"], None, "either", None)
    if len(passing) == 1:
        needed = passing[0]
        other = _other(needed)
        failing = results[other]
        assert failing is not None  # it is the convention that fails
        return _Outcome(machines[needed], None, needed, _needs_note(needed, machines[other], failing))
    failures = {c: pair for c, pair in results.items() if pair is not None}  # both conventions fail here
    shown = max(CONVENTIONS, key=lambda c: failures[c].bits)  # the later failure; "fires" on a tie
    note = None
    runs = {c: [(s.h, s.y) for s in trace(machines[c], failures[c])] for c in CONVENTIONS}
    if results["fires"] != results["silent"] or runs["fires"] != runs["silent"]:
        note = (
            f"Note: some of your units sit exactly on their threshold (pre-activation exactly 0), and your "
            f"network fails whichever way phi(0) is read; shown with phi(0) = {_value(shown)}. {_ADVICE}"
        )
    return _Outcome(machines[shown], results[shown], shown, note)


_ADVICE = "To be safe, keep every pre-activation away from 0 (for example with biases like -0.5)."


def _other(convention: str) -> str:
    return "silent" if convention == "fires" else "fires"


def _value(convention: str) -> int:
    return 1 if convention == "fires" else 0


def _reading(convention: str) -> str:
    if convention == "fires":
        return "the threshold fires at exactly 0 (phi(0) = 1)"
    return "the threshold stays silent at exactly 0 (phi(0) = 0)"


def _needs_note(needed: str, other: Machine, failing: FailingPair) -> str:
    """Say which reading of phi(0) the network needs, and where a unit sits exactly on its threshold."""
    tie = next(step for step in trace(other, failing) if step.ties)  # the runs differ only after a tie
    names = [("the output unit y" if name == "y" else name) for name in tie.ties]
    units = ("unit " + names[0]) if len(names) == 1 else "units " + ", ".join(names[:-1]) + " and " + names[-1]
    sits = "sits exactly on its threshold" if len(names) == 1 else "sit exactly on their thresholds"
    return (
        f"Note: your network is correct only if {_reading(needed)}: on {failing.a} + {failing.b}, {units} "
        f"{sits} at step {tie.t}, and with phi(0) = {_value(_other(needed))} the sum comes out wrong. {_ADVICE}"
    )


def _failed(headline: str, weights: AdderWeights, outcome: _Outcome, data: dict[str, Any]) -> Verdict:
    """The failure feedback: the shortest failing pair, its step table and a hint."""
    pair = outcome.failing
    assert pair is not None
    steps = trace(outcome.machine, pair)
    wrong = steps[-1]
    total = pair.a + pair.b
    lines = [
        f"{headline}: fails.",
        "",
        f"Shortest failing pair: {pair.a} + {pair.b} = {total}. In bits, least significant bit first (step t "
        f"adds bit t): {_bits(pair.a, pair.bits)} + {_bits(pair.b, pair.bits)} = {_bits(total, pair.bits + 1)}.",
        "",
        "```text",
        " t | x1 x2 | h1 h2 h3 | y  expected",
    ]
    for step in steps:
        mark = "   <- first wrong bit" if step is wrong else ""
        lines.append(
            f"{step.t:>2} | {step.x[0]:>2} {step.x[1]:>2} | {step.h[0]:>2} {step.h[1]:>2} {step.h[2]:>2} "
            f"| {step.y}  {step.expected}{mark}"
        )
    lines.append("```")
    mistake, hint = _hint(weights, outcome.machine, wrong)
    if hint:
        lines += ["", hint]
    data.update({"failing_pair": [pair.a, pair.b], "bits": pair.bits, "first_wrong_step": wrong.t, "mistake": mistake})
    return Verdict(0.0, _join("\n".join(lines), outcome.note), data)


def _hint(weights: AdderWeights, machine: Machine, wrong: Step) -> tuple[str | None, str | None]:
    """A likely cause, when one is cheap to recognise: (its name for the TA report, the hint)."""
    t = wrong.t
    if not np.array_equal(weights.W, weights.W.T):
        flipped = compute_signs(weights.U, weights.W.T, weights.V, weights.b_h, weights.b_y)
        if any(prove(build_machine(flipped, c)).failing is None for c in CONVENTIONS):
            return "w_transposed", (
                "Hint: your network would be correct with `W` transposed: `W[i, j]` is the "
                "weight from h_j^(t-1) to h_i^(t)."
            )
    readout = "the output unit reads them wrongly: check `V` and `b_y` (y^(t) reads h^(t) of the same step)."
    if t == 1:
        first: dict[int, list[int]] = {}
        for x in range(4):
            first.setdefault(int(machine.next_state[0, x]), []).append(x)
        for state, xs in first.items():
            mixed = [x for x in xs if sum(input_bits(x)) % 2 != sum(input_bits(xs[0])) % 2]
            if mixed:
                return "step1_hidden", (
                    f"Hint: at step 1 your hidden units give the same h^(1) = {state_bits(state)} "
                    f"for x = "
                    f"{input_bits(xs[0])} and x = {input_bits(mixed[0])}, whose sum bits differ, "
                    "so no output weights can tell them apart: check `U` and `b_h`."
                )
    if readout_exists(machine):
        return "output_weights", (
            "Hint: every hidden state your network reaches always calls for the same sum bit, and some output "
            f"weights tell those states apart, so your hidden units are fine and {readout}"
        )
    started = [state for state in range(1, 8) if correct_from(machine, state)]
    if started:
        return "initial_state", (
            f"Hint: your network would add correctly if it started from h^(0) = {state_bits(started[0])}, but "
            'h^(0) = (0, 0, 0): at step 1 your hidden units must already mean "nothing carries in". Check '
            "`b_h` and `W`."
        )
    fresh = int(machine.next_state[0, wrong.x[0] + 2 * wrong.x[1]])
    if wrong.carry_in and wrong.state == fresh:
        return "carry_lost", (
            f"Hint: the carry from step {t - 1} never reaches step {t}: check `W` (`W[i, j]` is "
            "the weight from h_j^(t-1) to h_i^(t))."
        )
    if not wrong.carry_in and wrong.state != fresh:
        return "phantom_carry", (
            f"Hint: nothing carries into step {t}, but your hidden units react to h^({t - 1}) as "
            "if something did: check `W`."
        )
    x = wrong.x[0] + 2 * wrong.x[1]
    if any(node % 2 == wrong.carry_in and not machine.wrong[node, x] for node in reachable_nodes(machine)):
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


def _bits(number: int, count: int) -> str:
    return "".join(str((number >> t) & 1) for t in range(count))


def _join(text: str, note: str | None) -> str:
    return text if note is None else f"{text}\n\n{note}"
