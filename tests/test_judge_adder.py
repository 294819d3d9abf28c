"""Tests of the question-1 judge: reading the weights, the exhaustive check, the proof and their feedback."""

import itertools
import json
import runpy
import tracemalloc
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml
from peak import BUDGET_MB, grading_peak_mb
from worker_reply import crossed

from autograder.collect import ADDER_READ
from autograder.datafile import read_data_file
from autograder.judge import adder_machine
from autograder.judge.adder import (
    AdderWeights,
    ExhaustiveParams,
    ProofParams,
    check_exhaustive,
    check_proof,
    read_adder_weights,
)
from autograder.judge.adder_machine import (
    CONVENTIONS,
    LONGEST_SHORTEST_FAILURE,
    FailingPair,
    build_machine,
    compute_signs,
    prove,
    search_exhaustive,
    trace,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted(p for p in (ROOT / "submissions_sample").glob("adder_*") if p.is_dir())
NAMES = ("U", "W", "V", "b_h", "b_y")
REFERENCE = {
    name: value for name, value in runpy.run_path(str(ROOT / "reference" / "adder.py")).items() if name in NAMES
}
# The default configuration's question-1 tests: (check, params, points).
DEFAULT_TESTS = (
    (check_exhaustive, ExhaustiveParams(max_bits=1), 1),
    (check_exhaustive, ExhaustiveParams(max_bits=10), 2),
    (check_proof, ProofParams(), 2),
)


def sample_raw(folder: Path) -> dict | str:
    """The plain data of a sample's adder file, as the worker (adder.py, via JSON) or the data file reader gives it."""
    (path,) = [p for p in folder.iterdir() if p.name in ("adder.py", "adder.yaml", "adder.json")]
    if path.suffix != ".py":
        return read_data_file(path.name, path.read_bytes(), ADDER_READ)
    data = runpy.run_path(str(path))  # our own trusted samples, so runpy is fine here
    return {name: crossed(value) for name, value in data.items() if name in ADDER_READ}


def weights(**changes) -> AdderWeights:
    """The reference weights with some of them replaced."""
    result = read_adder_weights({**REFERENCE, **changes})
    assert isinstance(result, AdderWeights), result
    return result


def machine_of(w: AdderWeights, convention: str):
    return build_machine(compute_signs(w.U, w.W, w.V, w.b_h, w.b_y), convention)


def random_networks(count: int, seed: int) -> list[AdderWeights]:
    """Networks near correct ones: 1 to 3 weights of a correct network changed to small values (ties are common)."""
    rng = np.random.default_rng(seed)
    bases = [
        weights(),
        weights(b_h=[-1, -2, -3], b_y=-1),
        weights(b_h=[0, -1, -2], b_y=0),
        read_adder_weights(sample_raw(ROOT / "submissions_sample" / "adder_permuted")),
    ]
    values = [-3, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3]
    networks = []
    for _ in range(count):
        base = bases[rng.integers(len(bases))]
        arrays = {
            "U": base.U.copy(),
            "W": base.W.copy(),
            "V": base.V.copy(),
            "b_h": base.b_h.copy(),
            "b_y": np.array(base.b_y),
        }
        for _ in range(rng.integers(1, 4)):
            array = arrays[NAMES[rng.integers(5)]]
            array[tuple(rng.integers(n) for n in array.shape)] = rng.choice(values)
        networks.append(AdderWeights(**arrays))
    return networks


# ---- reading the weights ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"V": [1, -1, 1]},
        {"b_h": [[-0.5], [-1.5], [-2.5]]},
        {"b_h": [[-0.5, -1.5, -2.5]]},
        {"b_y": [-0.5]},
        {"b_y": [[-0.5]]},
        {"U": [[1, 1], [1, 1], [1, 1]], "W": [[0, 1, 0]] * 3},
    ],
    ids=["V (3,)", "b_h (3, 1)", "b_h (1, 3)", "b_y (1,)", "b_y (1, 1)", "ints"],
)
def test_accepted_shapes_become_canonical(changes):
    """Every shape docs/spec.md accepts is read into the canonical float64 shapes."""
    w = read_adder_weights({**REFERENCE, **changes})
    assert isinstance(w, AdderWeights)
    assert (w.U.shape, w.W.shape, w.V.shape, w.b_h.shape) == ((3, 2), (3, 3), (1, 3), (3,))
    assert all(isinstance(v, Fraction) for v in w.U.ravel()) and isinstance(w.b_y, Fraction)
    assert w.V.tolist() == [[1.0, -1.0, 1.0]] and w.b_h.tolist() == [-0.5, -1.5, -2.5]


def test_numpy_arrays_are_read():
    """Arrays (as a trusted caller may pass them) are read like lists."""
    w = read_adder_weights({name: np.array(value) for name, value in REFERENCE.items()})
    assert isinstance(w, AdderWeights) and w.W.tolist() == REFERENCE["W"]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"U": [[1, 1, 1], [1, 1, 1]]}, "- `U` has shape (2, 3), expected (3, 2): did you transpose it?"),
        ({"V": [[1, -1], [1, 1]]}, "- `V` has shape (2, 2), expected (1, 3), (3,) or (3, 1)"),
        ({"v": [[1, -1], [1, 1]]}, "- `v` has shape (2, 2), expected (1, 3), (3,) or (3, 1)"),
        ({"W": [[0, 1], [0, 1], [0, 1]]}, "- `W` has shape (3, 2), expected (3, 3)"),
        ({"b_h": [-0.5, -1.5]}, "- `b_h` has shape (2,), expected (3,), (3, 1) or (1, 3)"),
        ({"b_y": [-0.5, 0.5, 1]}, "- `b_y` has shape (3,), expected a single number"),
        ({"U": 1}, "- `U` is a single number, expected (3, 2)"),
        (
            {"U": [[1, 1], [1], [1, 1]]},
            "- `U` is a ragged list (its rows have different lengths), expected shape (3, 2)",
        ),
        ({"U": [[1, 1], 1, [1, 1]]}, "- `U` is a ragged list (its rows have different lengths), expected shape (3, 2)"),
    ],
    ids=["U transposed", "V square", "v square", "W wrong", "b_h short", "b_y vector", "U scalar", "ragged", "mixed"],
)
def test_wrong_shapes_are_named(changes, message):
    """A wrong shape names the variable, the shape found and expected, and suggests transposing only when that fits."""
    raw = {**REFERENCE, **changes}
    if "v" in changes:
        del raw["V"]
    assert read_adder_weights(raw) == message


@pytest.mark.parametrize(
    "changes, message",
    [
        (
            {"W": [[0, 1, 0], [0, 1, 0], [0, float("nan"), 0]]},
            "- `W` contains NaN at [2, 1]: every weight must be a finite number",
        ),
        (
            {"W": [[float("nan"), 1, 0], [0, 1, 0], [0, float("nan"), float("-inf")]]},
            "- `W` contains NaN at [0, 0] and 1 more place: every weight must be a finite number\n"
            "- `W` contains minus infinity at [2, 2]: every weight must be a finite number",
        ),
        ({"b_y": float("inf")}, "- `b_y` is infinity: every weight must be a finite number"),
        (
            {"b_h": [float("nan")] * 3},
            "- `b_h` contains NaN at [0] and 2 more places: every weight must be a finite number",
        ),
    ],
    ids=["nan", "nan and inf", "inf scalar", "nan vector"],
)
def test_non_finite_values_are_named(changes, message):
    """NaN and infinity are reported with the variable and the first place they occur."""
    assert read_adder_weights({**REFERENCE, **changes}) == message


@pytest.mark.parametrize(
    "value, message",
    [
        (
            "<not a number: type 'function'>",
            "- `V` is not a number or a list of numbers: it is a value of type `function`",
        ),
        (
            "<not a number: type 'str'>",
            "- `V` is not a number or a list of numbers: it is text (a `str`); write the numbers without quotes",
        ),
        ("<not a number: too large>", "- `V` cannot be used: too large"),  # not "not a number: it is not usable"
        (
            "1, -1, 1",
            "- `V` is not a number or a list of numbers: it is the text `1, -1, 1`; write the numbers without quotes",
        ),
        (None, "- `V` is not a number or a list of numbers: it is None"),
        ([[1, True, 1]], "- `V` has a non-number at [0, 1]: it is True (a `bool`); write 1 or 0"),
        (
            [[1, "<not a number: type 'bool'>", 1]],
            "- `V` has a non-number at [0, 1]: it is True or False (a `bool`); write 1 or 0",
        ),
        ([1, {"a": 1}, 1], "- `V` has a non-number at [1]: it is a value of type `dict`"),
    ],
    ids=["function", "worker str", "too large", "raw text", "None", "bool", "worker bool", "dict"],
)
def test_non_numbers_are_named(value, message):
    """Anything but numbers (booleans included) is reported with what it is and where."""
    assert read_adder_weights({**REFERENCE, "V": value}) == message


def test_every_problem_is_reported_one_line_each():
    """Several problems give one line each, in the specification's order of the names."""
    raw = {"U": [[1, 1, 1], [1, 1, 1]], "W": REFERENCE["W"], "b_y": float("nan")}
    assert read_adder_weights(raw) == (
        "- `U` has shape (2, 3), expected (3, 2): did you transpose it?\n"
        "- `V` is missing: define it in adder.py\n"
        "- `b_h` is missing: define it in adder.py\n"
        "- `b_y` is NaN: every weight must be a finite number\n"
        "- names are read from the top level of the file once it has run: a name set inside a function, or under "
        '`if __name__ == "__main__":`, is not seen'
    )


def test_missing_names_can_name_another_file():
    """The file to define a missing name in can be named by the caller."""
    assert read_adder_weights({}, file_name="adder.yaml").splitlines()[0] == "- `U` is missing: define it in adder.yaml"
    assert "__main__" not in read_adder_weights({}, file_name="adder.yaml")  # a data file runs nothing


@pytest.mark.parametrize(
    "make",
    [
        lambda: ExhaustiveParams(max_bits=0),
        lambda: ExhaustiveParams(max_bits=14),
        lambda: ExhaustiveParams(max_bits=True),
        lambda: ProofParams(convention="maybe"),
    ],
    ids=["0 bits", "14 bits", "bool", "convention"],
)
def test_bad_parameters_are_refused(make):
    """Parameters outside their range are a configuration error."""
    with pytest.raises(ValueError):
        make()


# ---- the machine: exact signs, and the table against the equations -----------------------------


def test_signs_are_exact_where_floats_round():
    """A pre-activation's sign is exact even where float sums round to 0 or overflow."""
    U = np.array([[1e16, 1.0], [1e308, 1e308], [0.1, 0.2]])
    b_h = np.array([-1e16, -1e308, -0.30000000000000004])
    signs = compute_signs(U, np.zeros((3, 3)), np.zeros((1, 3)), b_h, 0.0)
    x = 3  # both inputs 1
    assert float(U[0].sum() + b_h[0]) == 0.0 and signs.hidden[0, x, 0] == 1  # exactly 1
    assert signs.hidden[0, x, 1] == 1  # exactly 1e308, not inf - 1e308
    assert float(U[2].sum() + b_h[2]) == 0.0 and signs.hidden[0, x, 2] == -1  # exactly about -2.8e-17
    assert signs.output[0] == 0 and signs.has_ties


def simulate(w: AdderWeights, a: np.ndarray, b: np.ndarray, steps: int, convention: str) -> np.ndarray:
    """The network's equations run literally, vectorised over pairs: y^(t) for t = 1..steps, shape (pairs, steps)."""

    def phi(z):
        return ((z > 0) | ((z == 0) & (convention == "fires"))).astype(np.float64)

    # float64 is exact for these tests' networks (small dyadic values) or far from every tie (gaussian ones)
    U, W, V, b_h, b_y = (np.asarray(v, dtype=np.float64) for v in (w.U, w.W, w.V, w.b_h, w.b_y))
    h = np.zeros((len(a), 3))
    ys = []
    for t in range(steps):
        x = np.stack([(a >> t) & 1, (b >> t) & 1], axis=1).astype(np.float64)
        h = phi(x @ U.T + h @ W.T + b_h)
        ys.append(phi(h @ V.T + b_y)[:, 0])
    return np.stack(ys, axis=1).astype(int)


def simulate_shortest_failure(w: AdderWeights, max_bits: int, convention: str) -> FailingPair | None:
    """The smallest failing pair by running every pair of n-bit numbers through the equations, n = 1, 2, ..."""
    for bits in range(1, max_bits + 1):
        a, b = (g.ravel() for g in np.meshgrid(np.arange(2**bits), np.arange(2**bits), indexing="ij"))
        expected = ((a + b)[:, None] >> np.arange(bits + 1)) & 1
        failed = np.flatnonzero((simulate(w, a, b, bits + 1, convention) != expected).any(axis=1))
        if failed.size:  # pairs are in (a, b) order
            return FailingPair(bits, int(a[failed[0]]), int(b[failed[0]]))
    return None


def gaussian_networks(count: int, seed: int) -> list[AdderWeights]:
    rng = np.random.default_rng(seed)
    return [
        AdderWeights(
            U=rng.normal(1, 0.3, (3, 2)),
            W=rng.normal(0, 0.5, (3, 3)),
            V=rng.normal(0, 1, (1, 3)),
            b_h=rng.normal(-1, 1, 3),
            b_y=rng.normal(),
        )
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    "networks",
    [lambda: random_networks(60, seed=5), lambda: gaussian_networks(60, seed=6)],
    ids=["small values with ties", "gaussian"],
)
@pytest.mark.slow
def test_table_agrees_with_the_equations(networks):
    """The transition table (exact ties) and a literal run of the equations give the same outputs on every pair."""
    a, b = (g.ravel() for g in np.meshgrid(np.arange(16), np.arange(16), indexing="ij"))
    for w in networks():
        for convention in CONVENTIONS:
            machine = machine_of(w, convention)
            direct = simulate(w, a, b, 5, convention)
            table = [
                [s.y for s in trace(machine, FailingPair(4, int(i), int(j)), stop_at_wrong=False)]
                for i, j in zip(a, b, strict=True)
            ]
            assert direct.tolist() == table
            assert search_exhaustive(machine, 5) == simulate_shortest_failure(w, 5, convention)


def test_proof_and_exhaustive_agree_on_random_networks():
    """The proof fails exactly when some pair of at most 8 bits fails, with the same shortest pair, at any max_bits."""
    bits_seen = set()
    for w in random_networks(400, seed=7):
        for convention in CONVENTIONS:
            machine = machine_of(w, convention)
            failing = prove(machine).failing
            bits_seen.add(failing.bits if failing else 0)
            assert search_exhaustive(machine, LONGEST_SHORTEST_FAILURE) == failing
            for max_bits in range(1, 5):
                expected = failing if failing and failing.bits <= max_bits else None
                assert search_exhaustive(machine, max_bits) == expected
    assert {0, 1, 2, 3} <= bits_seen  # correct networks, and failures that need longer numbers, were both met


@pytest.mark.parametrize("chunk_levels", [1, 2, 3])
@pytest.mark.slow
def test_the_prefix_tree_in_chunks_finds_the_same_smallest_pair(chunk_levels, monkeypatch):
    """Split into subtrees at any level, the exhaustive check still finds the smallest failing pair of the equations."""
    monkeypatch.setattr(adder_machine, "CHUNK_LEVELS", chunk_levels)
    for w in random_networks(40, seed=11) + gaussian_networks(20, seed=12):
        for convention in CONVENTIONS:
            machine = machine_of(w, convention)
            assert search_exhaustive(machine, 5) == simulate_shortest_failure(w, 5, convention)
            failing = prove(machine).failing
            assert search_exhaustive(machine, 9) == failing  # every wrong network fails within 8 bits


def test_exhaustive_checks_the_padding_step_of_the_longest_numbers():
    """A network that fails only at the padding step of 3-bit pairs passes up to 2 bits and fails at 3."""
    w = weights(W=[[0, 1, 0], [0, 1, 0], [0, 1, 1]])
    assert search_exhaustive(machine_of(w, "fires"), 2) is None
    assert search_exhaustive(machine_of(w, "fires"), 3) == FailingPair(3, 3, 7)
    padding = weights(W=[[0, 0, 0], [0, 1, 0], [0, 1, 0]])  # the carry never reaches h1: 1 + 1 fails at step 2
    assert search_exhaustive(machine_of(padding, "fires"), 1) == FailingPair(1, 1, 1)
    assert search_exhaustive(machine_of(padding, "fires"), 2) == FailingPair(1, 1, 1)  # still a 1-bit pair
    assert trace(machine_of(padding, "fires"), FailingPair(1, 1, 1))[-1].t == 2


# ---- verdicts and feedback ------------------------------------------------------------------------


def test_reference_passes_every_check():
    """The reference passes each check with a one-line (or proof) message and no note."""
    w = weights()
    one_bit = check_exhaustive(w, ExhaustiveParams(max_bits=1)).output
    assert one_bit == "Adds every pair of 1-bit numbers: passes (4 pairs checked)."
    verdict = check_exhaustive(w, ExhaustiveParams(max_bits=10))
    assert verdict.output == "Adds every pair of numbers up to 10 bits: passes (1,398,100 pairs checked)."
    assert verdict.data == {"max_bits": 10, "convention": "either", "pairs_checked": 1398100}
    proof = check_proof(w, ProofParams())
    assert proof.passed and proof.output == (
        "Adds numbers of every length: passes.\n\n"
        "Proof: your network's hidden state takes 4 different values (h^(0) = 0 included). Paired with the carry of "
        "grade-school addition, they make 4 reachable (hidden state, carry) combinations, and from each of them all "
        "4 inputs (x1, x2) give the right sum bit and lead to another such combination. So every output bit is right, "
        "for numbers of any length."
    )


def test_failure_shows_the_shortest_pair_and_the_step_table():
    """A failure shows the shortest pair as numbers and bits, the step table up to the first wrong bit, and a hint."""
    verdict = check_exhaustive(weights(W=[[0, 1, 0], [0, 0, 0], [0, 0, 0]]), ExhaustiveParams(max_bits=10))
    assert verdict.fraction == 0.0
    assert verdict.output == (
        "Adds every pair of numbers up to 10 bits: fails.\n\n"
        "Shortest failing pair: 1 + 3 = 4. In bits, least significant bit first (step t adds bit t): 10 + 11 = 001.\n\n"
        "```text\n"
        " t | x1 x2 | h1 h2 h3 | y  expected\n"
        " 1 |  1  1 |  1  1  0 | 0  0\n"
        " 2 |  0  1 |  1  0  0 | 1  0   <- first wrong bit\n"
        "```\n\n"
        "Hint: the carry from step 1 never reaches step 2: your hidden units give the same h^(2) as they would "
        "with nothing carried in: check `W` (`W[i, j]` is the weight from h_j^(t-1) to h_i^(t))."
    )
    assert verdict.data == {
        "max_bits": 10,
        "convention": "either",
        "failing_pair": [1, 3],
        "bits": 2,
        "first_wrong_step": 2,
        "mistake": "carry_lost",
    }
    json.dumps(verdict.data)


def test_proof_failure_shows_the_same_pair():
    """The proof's failure names the same shortest pair and table as the exhaustive check."""
    w = weights(W=[[0, 1, 0], [0, 1, 0], [0, 1, 1]])
    proof, exhaustive = check_proof(w, ProofParams()), check_exhaustive(w, ExhaustiveParams(max_bits=10))
    assert proof.output.startswith("Adds numbers of every length: fails.\n\nShortest failing pair: 3 + 7 ")
    assert proof.output.split("\n", 1)[1] == exhaustive.output.split("\n", 1)[1]
    assert proof.data["failing_pair"] == [3, 7] and proof.data["mistake"] == "extra_recurrence"


OUTPUT_HINT = (
    "Hint: every hidden state your network reaches always calls for the same sum bit, and some output weights tell "
    "those states apart, so your hidden units are fine and the output unit reads them wrongly: check `V` and `b_y` "
    "(y^(t) reads h^(t) of the same step)."
)


def test_small_integer_weights_reach_every_threshold_function_of_three_bits():
    """readout_exists tries output weights in -2..2 with integer thresholds: that reaches all 104 threshold
    functions of 3 bits (the known count), so "some output weights" is decided, never guessed."""
    cube = list(itertools.product((0, 1), repeat=3))
    reached = {
        tuple(sum(w * h for w, h in zip(weights, bits, strict=True)) >= threshold for bits in cube)
        for weights in itertools.product(range(-2, 3), repeat=3)
        for threshold in range(-6, 8)
    }
    assert len(reached) == 104 and len(adder_machine.threshold_tables()) == 104  # the tables separable() tries


@pytest.mark.parametrize(
    "changes, mistake, hint",
    [
        (
            {"W": [[0, 0, 0], [1, 1, 1], [0, 0, 0]]},
            "w_transposed",
            "Hint: your network would be correct with `W` transposed: `W[i, j]` is the weight from h_j^(t-1) to "
            "h_i^(t).",
        ),
        (
            {"V": [[0, 1, 0]]},
            "output_weights",
            OUTPUT_HINT,
        ),
        (
            {"V": [[1, -1, -1]]},
            "output_weights",
            OUTPUT_HINT,
        ),
        (
            {"U": [[1, 0], [1, 1], [1, 1]]},  # h1 ignores x2, and no single weight or bias of one unit mends it
            "step1_hidden",
            "Hint: at step 1 your hidden units give the same h^(1) = (0, 0, 0) for x = (0, 0) and x = (0, 1), whose "
            "sum bits differ, so no output weights can tell them apart: check `U` and `b_h`.",
        ),
        (
            {"W": [[0, 0, 0]] * 3},
            "carry_lost",
            "Hint: the carry from step 1 never reaches step 2: your hidden units give the same h^(2) as they would "
            "with nothing carried in: check `W` (`W[i, j]` is the weight from h_j^(t-1) to h_i^(t)).",
        ),
        (
            {"W": [[1, 1, 0], [1, 1, 0], [1, 1, 0]]},
            "phantom_carry",
            "Hint: nothing carries into step 2, but your hidden units react to h^(1) as if something did: check `W`.",
        ),
        (
            {"W": [[0, 1, 0], [0, 1, 0], [0, 1, 1]]},
            "extra_recurrence",
            "Hint: with the input (0, 1) and a carry of 1, your network is right after other hidden states but not "
            "after "
            "h^(2) = (1, 1, 1): h^(t) should depend on h^(t-1) only through the carry. Check `W`.",
        ),
        (  # the complement code, built for h^(0) = (1, 1, 1): it works from any start where h2 means "no carry"
            {"U": [[-1, -1]] * 3, "b_h": [-0.5, 0.5, 1.5], "V": [[-1, 1, -1]], "b_y": 0.5},
            "initial_state",
            "Hint: your network would add correctly if it started from h^(0) = (0, 1, 0), but h^(0) = (0, 0, 0): "
            'at step 1 your hidden units must already mean "nothing carries in". Check `b_h` and `W`.',
        ),
        (  # h3 also fires after h1 alone: the states of the sums 2 and 3 merge, whatever V and b_y are
            {"W": [[0, 1, 0], [0, 1, 0], [2, 1, 0]]},
            "hidden_states_merged",
            "Hint: your hidden units reach h = (1, 1, 1) both in a column that sums to 2 (sum bit 0) and in one that "
            "sums to 3 (sum bit 1), so no output weights can be right in both: h^(t) must tell those columns apart. "
            "Check `U`, `W` and `b_h`.",
        ),
    ],
    ids=[
        "W transposed",
        "output at step 1",
        "output later",
        "step-1 hidden",
        "carry lost",
        "phantom carry",
        "extra recurrence",
        "initial state",
        "states merged",
    ],
)
def test_hints_name_recognisable_causes(changes, mistake, hint):
    """A recognisable cause gets its hint, and its name goes to the TA data."""
    verdict = check_proof(weights(**changes), ProofParams())
    assert verdict.data["mistake"] == mistake
    assert verdict.output.split("\n\n")[3] == hint


def test_needed_convention_passes_with_a_note():
    """Under `either`, a network right only with phi(0) = 1 passes, and the note names the convention and the tie."""
    w = weights(b_h=[-1, -2, -3], b_y=-1)
    note = (
        "your network is right only if the threshold fires at exactly 0 (phi(0) = 1): on 0 + 1, unit h1 "
        "sits exactly on its threshold at step 1, and with phi(0) = 0 the sum comes out wrong. To be safe, keep "
        "every pre-activation away from 0 (for example with biases like -0.5)."
    )
    for verdict, scope in (
        (check_exhaustive(w, ExhaustiveParams(max_bits=1)), "every pair of 1-bit numbers"),
        (check_proof(w, ProofParams()), "numbers of every length"),
    ):
        assert verdict.passed and verdict.data["convention"] == "fires"
        assert verdict.output.endswith(f"\n\nNote: on {scope} (what this test checks), {note}")
    silent = check_proof(weights(b_h=[0, -1, -2], b_y=0), ProofParams())
    assert silent.passed and "right only if the threshold stays silent at exactly 0 (phi(0) = 0)" in silent.output
    assert "on 0 + 0, unit h1 sits exactly on its threshold at step 1, and with phi(0) = 1" in silent.output


def test_fixed_convention_is_applied():
    """With a fixed convention the network is judged under it alone, with a note when the other one would pass."""
    w = weights(b_h=[-1, -2, -3], b_y=-1)
    assert check_proof(w, ProofParams(convention="fires")).output.endswith("numbers of any length.")
    verdict = check_proof(w, ProofParams(convention="silent"))
    assert not verdict.passed and verdict.data["failing_pair"] == [0, 1] and verdict.data["convention"] == "silent"
    assert verdict.output.endswith(
        "Note: some of your units sit exactly on their threshold (pre-activation exactly 0). Your network would pass "
        "this test if the threshold fires at exactly 0 (phi(0) = 1), but it uses phi(0) = 0. To be safe, keep every "
        "pre-activation away from 0 (for example with biases like -0.5)."
    )


def test_failing_under_both_conventions_says_which_is_shown():
    """When both readings of phi(0) fail differently, the later failure is shown and the note says which reading."""
    verdict = check_proof(weights(b_h=[0, -1, -2], b_y=0, W=[[0, 1, 0], [0, 1, 0], [0, 1, 1]]), ProofParams())
    assert verdict.data["convention"] == "silent" and verdict.data["failing_pair"] == [3, 7]
    assert "fails this test whichever way phi(0) is read; shown with phi(0) = 0." in verdict.output


def test_a_note_speaks_of_what_its_test_checked():
    """A network wrong under both readings of phi(0), but right on the 1-bit pairs under one of them: test 1.1's
    note says which reading those pairs need, scoped to them, never that the network is correct; the proof says
    it fails whichever way phi(0) is read."""
    w = weights(b_h=[0, -1, -2], b_y=0, W=[[0, 1, 0], [0, 1, 0], [0, 1, 1]])
    one_bit = check_exhaustive(w, ExhaustiveParams(max_bits=1))
    proof = check_proof(w, ProofParams())
    assert one_bit.passed and not proof.passed
    assert "Note: on every pair of 1-bit numbers (what this test checks), your network is right only if the " in (
        one_bit.output
    )
    assert "your network is correct" not in one_bit.output
    assert "fails this test whichever way phi(0) is read" in proof.output


def test_ties_that_do_not_matter_are_not_mentioned():
    """A tie that both readings of phi(0) handle correctly leaves no note."""
    w = weights(V=[[1, -1, 1.5]])  # V h + b_y is 0 only for h = (0, 1, 1), which the network never reaches
    assert compute_signs(w.U, w.W, w.V, w.b_h, w.b_y).has_ties
    verdict = check_proof(w, ProofParams())
    assert verdict.passed and "Note" not in verdict.output and verdict.data["convention"] == "either"


# ---- the samples ----------------------------------------------------------------------------------


@pytest.mark.parametrize("folder", SAMPLES, ids=[p.name for p in SAMPLES])
def test_samples_score_as_expected(folder):
    """Each adder sample gets its expected question-1 score under the default tests, with the expected phrases."""
    expected = yaml.safe_load((folder / "expected.yaml").read_text())
    (file_name,) = [p.name for p in folder.iterdir() if p.name in ("adder.py", "adder.yaml", "adder.json")]
    raw = sample_raw(folder)
    w = raw if isinstance(raw, str) else read_adder_weights(raw, file_name=file_name)
    if isinstance(w, str):
        score, output = 0, w
    else:
        verdicts = [(check(w, params), points) for check, params, points in DEFAULT_TESTS]
        score = sum(verdict.fraction * points for verdict, points in verdicts)
        output = "\n".join(verdict.output for verdict, _ in verdicts)
        assert verdicts[1][0].passed == verdicts[2][0].passed  # 10 bits >= 8: the exhaustive check and proof agree
    assert score == expected["scores"]["1"]
    for phrase in expected.get("output_contains", []):
        assert phrase in output


# ---- exact reading (docs/spec.md 5.1) ---------------------------------------------------------------


def big_adder(big: int) -> dict:
    """The reference scaled by `big`, every bias 1 away from its threshold (signs +1 or -1, never 0)."""
    return {
        "U": [[big, big]] * 3,
        "W": [[0, big, 0]] * 3,
        "V": [[big, -big, big]],
        "b_h": [-big + 1, -big - 1, -2 * big - 1],
        "b_y": -big + 1,
    }


@pytest.mark.parametrize("big", [2**60, 2**200, 10**300], ids=["2**60", "2**200", "10**300"])
def test_huge_integer_weights_are_judged_exactly(big):
    """Integers 1 apart at 2**60 and beyond stay 1 apart: a correct adder scores 5/5 and no unit sits on 0."""
    w = read_adder_weights(big_adder(big))
    assert not compute_signs(w.U, w.W, w.V, w.b_h, w.b_y).has_ties
    for check, params, _ in DEFAULT_TESTS:
        verdict = check(w, params)
        assert verdict.passed and "threshold" not in verdict.output, verdict.output


def test_the_threshold_note_appears_only_when_a_unit_is_exactly_on_it():
    """The "sit exactly on their threshold" note needs a pre-activation exactly 0 in exact arithmetic."""
    off_by_one = big_adder(2**60)
    off_by_one["b_h"] = [-(2**60), -(2**60) - 1, -(2**61) - 1]  # h1 now exactly 0 at s = 1: needs phi(0) = 1
    verdict = check_proof(weights(**off_by_one), ProofParams())
    assert verdict.passed and "unit h1 sits exactly on its threshold" in verdict.output


def test_rationals_and_fractions_are_read_exactly():
    """{"rational": [p, q]} (from text read in the worker) is exact wherever a number may stand."""
    tenth, fifth = {"rational": [1, 10]}, {"rational": [1, 5]}
    w = read_adder_weights(
        {
            **REFERENCE,
            "U": [[1, 1], [1, 1], [tenth, fifth]],
            "W": [[0, 1, 0], [0, 1, 0], [0, 0.05, 0]],
            "b_h": [-0.5, -1.5, {"rational": [-30000000000000001, 10**17]}],
        }
    )
    assert w.U[2, 0] == Fraction(1, 10) and w.b_h[2] == Fraction(-30000000000000001, 10**17)
    assert all(check(w, params).passed for check, params, _ in DEFAULT_TESTS)


def test_v_may_name_the_output_weights():
    """`v` stands for `V` (course notes); `V` wins when both are defined."""
    raw = {**{k: v for k, v in REFERENCE.items() if k != "V"}, "v": [[1], [-1], [1]]}
    assert read_adder_weights(raw).V.tolist() == [[1, -1, 1]]
    assert read_adder_weights({**REFERENCE, "v": "not used"}).V.tolist() == REFERENCE["V"]
    assert read_adder_weights({**raw, "v": [1, 2]}) == "- `v` has shape (2,), expected (1, 3), (3,) or (3, 1)"


def test_the_exhaustive_check_memory_does_not_grow_with_max_bits():
    """At max_bits 13 the check holds a few MB at most (4**13 prefixes at once would be 67 MB per level)."""
    machine = machine_of(weights(), "fires")
    tracemalloc.start()
    try:
        assert search_exhaustive(machine, 13) is None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"{peak / 2**20:.1f} MB"


@pytest.mark.slow
def test_a_grading_at_the_largest_max_bits_stays_within_the_memory_budget(tmp_path):
    """With max_bits 13 (4**13 prefixes) the whole grading stays under 250 MB peak: the prefix tree is chunked."""
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "autograder" / "default.yaml").read_text().replace("max_bits: 10,", "max_bits: 13,"))
    assert "max_bits: 13" in config.read_text()
    peak, results = grading_peak_mb(ROOT / "reference", tmp_path / "results.json", config)
    assert results["tests"][1]["output"].startswith("Adds every pair of numbers up to 13 bits: passes")
    assert peak < BUDGET_MB, f"{peak:.0f} MB"


def test_a_reply_nested_past_the_recursion_limit_is_a_shape_message():
    """A worker reply nested 100,000 deep is read without recursion and named briefly."""
    deep: object = [1.0, -1.0, 1.0]
    for _ in range(100_000):
        deep = [deep]
    assert read_adder_weights({**REFERENCE, "V": deep}) == (
        "- `V` is nested 100001 levels deep, expected (1, 3), (3,) or (3, 1)"
    )


def test_signs_match_exact_rational_arithmetic_on_mixed_numbers():
    """Huge integers, floats' exact values and rationals mixed: every sign is that of the exact pre-activation."""
    rng = np.random.default_rng(21)
    pools = [
        lambda: int(rng.integers(-3, 4)) * 2**60 + int(rng.integers(-2, 3)),
        lambda: float(rng.choice([0.1, 0.2, 0.3, -0.1, -0.2, -0.3, 1e-300, 1e300])),
        lambda: {"rational": [int(rng.integers(-30, 31)), int(rng.integers(1, 11))]},
    ]

    def value():
        return pools[int(rng.integers(3))]()

    for _ in range(30):
        raw = {
            "U": [[value(), value()] for _ in range(3)],
            "W": [[value() for _ in range(3)] for _ in range(3)],
            "V": [[value() for _ in range(3)]],
            "b_h": [value() for _ in range(3)],
            "b_y": value(),
        }
        w = read_adder_weights(raw)
        signs = compute_signs(w.U, w.W, w.V, w.b_h, w.b_y)
        for s in range(8):
            h = [(s >> j) & 1 for j in range(3)]
            z = w.b_y + sum(w.V[0, j] * h[j] for j in range(3))
            assert signs.output[s] == (z > 0) - (z < 0)
            for x in range(4):
                xs = (x & 1, x >> 1)
                for i in range(3):
                    z = w.b_h[i] + sum(w.U[i, k] * xs[k] for k in range(2)) + sum(w.W[i, j] * h[j] for j in range(3))
                    assert signs.hidden[s, x, i] == (z > 0) - (z < 0)


def test_an_object_array_of_exact_numbers_is_read_exactly():
    """A numpy object array (Fractions, huge ints) crosses the worker element by element and is judged exactly."""
    v = np.array([Fraction(1, 3), -(2**70), 1], dtype=object)
    w = read_adder_weights({**REFERENCE, "V": crossed(v)})
    assert isinstance(w, AdderWeights) and w.V.tolist() == [[Fraction(1, 3), -(2**70), 1]]


def test_a_weight_too_large_for_a_narrow_float_is_read_without_a_warning():
    """1e300 does not fit a float16 or a float32: a float64 that prints as 1e+300, read quietly (a warning would
    reach the staff's log of every grading with such a weight)."""
    import warnings
    from fractions import Fraction

    from autograder.judge.adder_weights import printed

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert printed(1e300) == ("float64", Fraction(10) ** 300)
        assert printed(np.float16(0.1)) == ("float16", Fraction("0.1"))  # still found where it fits
