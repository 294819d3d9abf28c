"""The question-1 judge: the student's adder weights in, verdicts on exhaustive checks and the proof out."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from autograder.judge.adder_hints import hint
from autograder.judge.adder_machine import (
    CONVENTIONS,
    FailingPair,
    Machine,
    Signs,
    build_machine,
    compute_signs,
    prove,
    search_exhaustive,
    trace,
)
from autograder.judge.adder_weights import AdderWeights, read_adder_weights
from autograder.judge.verdict import Verdict
from autograder.record import Record, field

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


class ExhaustiveParams(Record):
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


class ProofParams(Record):
    """Parameters of `check: adder_proof`."""

    convention: str = _convention_field()

    def __post_init__(self) -> None:
        _check_convention(self.convention)


class _Outcome(Record):
    """The machine a verdict is about, its shortest failing pair, and what to say about phi(0)."""

    machine: Machine
    failing: FailingPair | None
    convention: str  # "fires", "silent", or "either" when the answer does not depend on phi(0)
    note: str | None


def check_exhaustive(weights: AdderWeights, params: ExhaustiveParams) -> Verdict:
    """Add every pair of n-bit numbers for every n <= max_bits, checking every output bit."""
    bits = params.max_bits
    headline = "Adds every pair of 1-bit numbers" if bits == 1 else f"Adds every pair of numbers up to {bits} bits"
    scope = "every pair of 1-bit numbers" if bits == 1 else f"every pair of numbers up to {bits} bits"
    outcome = _decide(weights, params.convention, lambda machine: search_exhaustive(machine, bits), scope)
    data: dict[str, Any] = {"max_bits": bits, "convention": outcome.convention}
    if outcome.failing is None:
        pairs = sum(4**n for n in range(1, bits + 1))
        data["pairs_checked"] = pairs
        return Verdict(1.0, _join(f"{headline}: passes ({pairs:,} pairs checked).", outcome.note), data)
    return _failed(headline, weights, outcome, data)


def check_proof(weights: AdderWeights, params: ProofParams) -> Verdict:
    """Prove the network right for numbers of every length, or give its shortest failing pair."""
    headline = "Adds numbers of every length"
    outcome = _decide(weights, params.convention, lambda machine: prove(machine).failing, "numbers of every length")
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


@lru_cache(maxsize=4)  # by the weights object (compared by identity): question 1's tests share one (kinds.py)
def _signs(weights: AdderWeights) -> Signs:
    return compute_signs(weights.U, weights.W, weights.V, weights.b_h, weights.b_y)


def _decide(
    weights: AdderWeights, convention: str, search: Callable[[Machine], FailingPair | None], scope: str
) -> _Outcome:
    """Run `search` under the configured reading of phi(0); with `either`, under both when it matters. Each note
    speaks of what this test checked (`scope`: "every pair of 1-bit numbers"), never of the network as a whole."""
    signs = _signs(weights)
    if convention != "either":
        machine = build_machine(signs, convention)
        failing = search(machine)
        note = None
        if failing is not None and signs.has_ties and search(build_machine(signs, _other(convention))) is None:
            note = (
                f"Note: some of your units sit exactly on their threshold (pre-activation exactly 0). Your "
                f"network would pass this test if {_reading(_other(convention))}, but it uses phi(0) = "
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
        return _Outcome(machines[needed], None, needed, _needs_note(needed, machines[other], failing, scope))
    failures = {c: pair for c, pair in results.items() if pair is not None}  # both conventions fail here
    shown = max(CONVENTIONS, key=lambda c: failures[c].bits)  # the later failure; "fires" on a tie
    note = None
    runs = {c: [(s.h, s.y) for s in trace(machines[c], failures[c])] for c in CONVENTIONS}
    if results["fires"] != results["silent"] or runs["fires"] != runs["silent"]:
        note = (
            f"Note: some of your units sit exactly on their threshold (pre-activation exactly 0), and your "
            f"network fails this test whichever way phi(0) is read; shown with phi(0) = {_value(shown)}. {_ADVICE}"
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


def _needs_note(needed: str, other: Machine, failing: FailingPair, scope: str) -> str:
    """Say which reading of phi(0) the network needs, and where a unit sits exactly on its threshold."""
    tie = next(step for step in trace(other, failing) if step.ties)  # the runs differ only after a tie
    names = [("the output unit y" if name == "y" else name) for name in tie.ties]
    units = ("unit " + names[0]) if len(names) == 1 else "units " + ", ".join(names[:-1]) + " and " + names[-1]
    sits = "sits exactly on its threshold" if len(names) == 1 else "sit exactly on their thresholds"
    return (
        f"Note: on {scope} (what this test checks), your network is right only if {_reading(needed)}: on "
        f"{failing.a} + {failing.b}, {units} "
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
    mistake, text = hint(weights, outcome.machine, steps)
    if text:
        lines += ["", text]
    data.update({"failing_pair": [pair.a, pair.b], "bits": pair.bits, "first_wrong_step": wrong.t, "mistake": mistake})
    return Verdict(0.0, _join("\n".join(lines), outcome.note), data)


def _bits(number: int, count: int) -> str:
    return "".join(str((number >> t) & 1) for t in range(count))


def _join(text: str, note: str | None) -> str:
    return text if note is None else f"{text}\n\n{note}"
