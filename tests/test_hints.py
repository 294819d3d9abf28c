"""A review of question 1's hints: each one on a network for which it is true, and absent where it is not."""

import runpy
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from autograder.judge.adder import AdderWeights, ProofParams, check_proof, read_adder_weights
from autograder.judge.causes import CAUSES

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = {
    name: value
    for name, value in runpy.run_path(str(ROOT / "reference" / "adder.py")).items()
    if name in ("U", "W", "V", "b_h", "b_y")
}
THRESHOLD_ONE_HALF = {"U": [[1, 1]] * 3, "W": [[0, 1, 0]] * 3}


def network(**changes) -> AdderWeights:
    result = read_adder_weights({**REFERENCE, **changes})
    assert isinstance(result, AdderWeights), result
    return result


def hint_of(weights: AdderWeights, convention: str = "either") -> tuple[str | None, str]:
    """The cause named for the TA and the hint paragraph(s) the student reads."""
    verdict = check_proof(weights, ProofParams(convention=convention))
    assert not verdict.passed
    after_table = verdict.output.split("```")[-1]
    return verdict.data["mistake"], after_table.split("\n\nNote:")[0].strip()


FLOAT16 = {  # the handout's thermometer code in tenths, stored as float16: h3 at a column sum of 3 is
    # 0.1 + 0.1 + 0.1 - 0.3 = 0 as printed, and 3 x 0.0999755859375 - 0.300048828125 < 0 as stored
    "U": np.full((3, 2), 0.1, dtype=np.float16),
    "W": np.array([[0, 0.1, 0]] * 3, dtype=np.float16),
    "b_h": np.array([-0.05, -0.15, -0.3], dtype=np.float16),
}

# (id, the network, the cause, a sentence the hint must hold, the network of the contrast, what it must not say)
CASES = [
    (
        "bias of h3",
        {"b_h": [-0.5, -1.5, -3.5]},
        "hidden_bias",
        "Hint: h3 never turns on in a column that sums to 3 (x1 + x2 + the carry, as at step 2 above), and your "
        "network would be right if it did.\nThere, with x = (1, 1) after h^(t-1) = (1, 1, 0), its pre-activation is "
        "U[2, 0] + U[2, 1] + W[2, 0] + W[2, 1] + b_h[2] = 1 + 1 + 0 + 1 - 3.5 = -0.5.\nIts incoming weights already "
        "set that column apart from every column where it is off, so its bias decides: `b_h[2]` = -3.5 keeps it off "
        "there.",
        {"W": [[0, 1, 0], [0, 1, 0], [0, 0, 0]]},
        "its bias decides",
    ),
    (
        "weight into h3",
        {"W": [[0, 1, 0], [0, 1, 0], [0, 0, 0]]},
        "hidden_weights",
        "Its incoming weights cannot set that column apart: its pre-activation with x = (1, 1) after h^(t-1) = "
        "(1, 1, 0) (a column that sums to 3) minus the one with x = (1, 1) after h^(t-1) = (1, 0, 0) (a column that "
        "sums to 2, where it is off) is W[2, 1] = 0, not above 0. So whatever its bias, h3 cannot be on in the first "
        "and off in the second: check `W[2, 1]` (from h2^(t-1) to h3^(t)).",
        {"b_h": [-0.5, -1.5, -3.5]},
        "check `W",
    ),
    (
        "carry into h1 only",
        {"W": [[0, 0, 0], [0, 1, 0], [0, 1, 0]]},
        "hidden_weights",
        "Hint: h1 never turns on in a column that sums to 1 with a carry in (x1 + x2 + the carry, as at step 2 above)",
        {"W": [[0, 0, 0]] * 3},
        "never turns",
    ),
    (
        "h1 always on",
        {"b_h": [0.5, -1.5, -2.5]},
        "hidden_bias",
        "Hint: h1 never turns off in a column that sums to 0 (x1 + x2 + the carry, as at step 1 above), and your "
        "network would be right if it did.\nThere, with x = (0, 0) after h^(t-1) = (0, 0, 0), its pre-activation is "
        "b_h[0] = 0.5.",
        {"W": [[0, 1, 0], [0, 1, 0], [0, 0, 0]]},
        "never turns off",
    ),
    (
        "step-1 merge",
        {"U": [[1, 0], [1, 1], [1, 1]]},
        "step1_hidden",
        "Hint: at step 1 your hidden units give the same h^(1) = (0, 0, 0) for x = (0, 0) and x = (0, 1), whose sum "
        "bits differ, so no output weights can tell them apart: check `U` and `b_h`.",
        {"b_h": [-0.5, -0.5, -2.5]},  # h2 fires from a sum of 1: its bias alone, said as such
        "at step 1 your hidden units give the same",
    ),
    (
        "carry lost",
        {"W": [[0, 0, 0]] * 3},
        "carry_lost",
        "Hint: the carry from step 1 never reaches step 2: your hidden units give the same h^(2) as they would with "
        "nothing carried in: check `W` (`W[i, j]` is the weight from h_j^(t-1) to h_i^(t)).",
        {"b_h": [-0.5, -1.5, -3.5]},  # the case: W is right, the hint must not send the student to it
        "never reaches",
    ),
    (
        "carry merged",
        {"b_h": [-0.5, -0.5, -0.5]},
        "carry_merged",
        "Hint: your hidden units reach h^(1) = (1, 1, 1) both after a column that carries out (sum 2 or 3) and after "
        "one that does not (sum 0 or 1), so at the next step nothing can tell whether something carries in: h^(t) "
        "must tell those columns apart. Check `U` and `b_h`.",
        {"W": [[0, 0, 0]] * 3},
        "carries out",
    ),
    (
        "phantom carry",
        {"W": [[1, 1, 0], [1, 1, 0], [1, 1, 0]]},
        "phantom_carry",
        "Hint: nothing carries into step 2, but your hidden units react to h^(1) as if something did: check `W`.",
        {"b_h": [-0.5, -0.5, -0.5]},  # h^(1) itself looks like a carry: W reads it rightly
        "as if something did",
    ),
    (
        "extra recurrence",
        {"W": [[0, 1, 0], [0, 1, 0], [0, 1, 1]]},
        "extra_recurrence",
        "Hint: with the input (0, 1) and a carry of 1, your network is right after other hidden states but not after "
        "h^(2) = (1, 1, 1): h^(t) should depend on h^(t-1) only through the carry. Check `W`.",
        {"b_h": [-0.5, -0.5, -1.5]},  # fails at step 1, where W reads only h^(0) = 0
        "only through the carry",
    ),
    (
        "states merged",
        {"W": [[0, 1, 0], [0, 1, 0], [2, 1, 0]]},
        "hidden_states_merged",
        "Hint: your hidden units reach h = (1, 1, 1) both in a column that sums to 2 (sum bit 0) and in one that "
        "sums to 3 (sum bit 1), so no output weights can be right in both: h^(t) must tell those columns apart. "
        "Check `U`, `W` and `b_h`.",
        {"b_h": [-0.5, -1.5, -1.75]},  # one bias decides: said as such
        "no output weights can be right in both",
    ),
    (
        "output weights",
        {"V": [[0, 1, 0]]},
        "output_weights",
        "so your hidden units are fine and the output unit reads them wrongly: check `V` and `b_y`",
        {"b_h": [-0.5, -1.5, -3.5]},
        "check `V` and `b_y`",
    ),
    (
        "initial state",
        {"U": [[-1, -1]] * 3, "b_h": [-0.5, 0.5, 1.5], "V": [[-1, 1, -1]], "b_y": 0.5},  # built for h^(0) = (1, 1, 1)
        "initial_state",
        "Hint: your network would add correctly if it started from h^(0) = (0, 1, 0), but h^(0) = (0, 0, 0)",
        {"b_h": [-0.5, -1.5, -3.5]},
        "if it started from",
    ),
    (
        "W transposed",
        {"W": [[0, 0, 0], [1, 1, 1], [0, 0, 0]]},
        "w_transposed",
        "Hint: your network would be correct with `W` transposed",
        {"W": [[0, 1, 0], [0, 1, 0], [0, 0, 0]]},
        "transposed",
    ),
    (
        "float16 rounding",
        FLOAT16,
        "float_rounding",
        "its pre-activation is U[2, 0] + U[2, 1] + W[2, 0] + W[2, 1] + b_h[2] = 0.1 + 0.1 + 0 + 0.1 - 0.3 = 0.\nBut "
        "these weights are float16 numbers, which round: U[2, 0] = 0.1 is stored as 0.0999755859375, U[2, 1] = 0.1 "
        "is stored as 0.0999755859375, W[2, 1] = 0.1 is stored as 0.0999755859375, b_h[2] = -0.3 is stored as "
        "-0.300048828125. With the numbers stored the sum is -0.0001220703125, not 0: the rounding decides whether "
        "h3 fires.",
        {"b_h": [-0.5, -1.5, -3.5]},
        "which round",
    ),
]


@pytest.mark.parametrize("changes, mistake, text, contrast, absent", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_hint_is_said_where_true_and_only_there(changes, mistake, text, contrast, absent):
    """The hint names what the network's own numbers show; on a network where it is not true it is not said."""
    named, said = hint_of(network(**changes))
    assert named == mistake and mistake in CAUSES
    assert text in said
    other, other_said = hint_of(network(**contrast))
    assert other != mistake and absent not in other_said


def test_a_bias_and_a_weight_that_silence_the_same_unit_get_different_hints():
    """The issue's pair: b_h[2] = -3.5 with W right, and W[2, 1] = 0, both keep h3 off in a column of 3; each hint
    names what decides it, and neither is the other's word for word."""
    bias = hint_of(network(b_h=[-0.5, -1.5, -3.5]))[1]
    weight = hint_of(network(W=[[0, 1, 0], [0, 1, 0], [0, 0, 0]]))[1]
    assert bias != weight
    assert "`b_h[2]` = -3.5" in bias and "W[2, 1]`" not in bias
    assert "check `W[2, 1]`" in weight and "bias decides" not in weight


def test_an_exact_tie_is_said_as_such():
    """A unit exactly on its threshold where it must decide says so, with the reading of phi(0) the test used."""
    named, said = hint_of(network(b_h=[-0.5, -1.5, -3]), convention="silent")
    assert named == "threshold_tie"
    assert "= 1 + 1 + 0 + 1 - 3 = 0.\nThat is exactly 0: h3 sits on its threshold there, and this test reads " in said
    assert "phi(0) as 0." in said
    assert "exactly 0" not in hint_of(network(b_h=[-0.5, -1.5, -3.5]))[1]


def test_the_same_decimals_written_exactly_are_a_tie_not_a_rounding():
    """The float16 network's decimals, read exactly (as adder.yaml gives them), sit on the threshold: the hint says
    tie, and says nothing of float16."""
    tenth = Fraction(1, 10)
    exact = {"U": [[tenth, tenth]] * 3, "W": [[0, tenth, 0]] * 3, "b_h": [-tenth / 2, -3 * tenth / 2, -3 * tenth]}
    named, said = hint_of(network(**exact), convention="silent")
    assert named == "threshold_tie" and "float16" not in said and "round" not in said


def test_float64_rounding_is_named_too():
    """float64 0.3 + 0.3 + 0.3 - 0.9 is below 0 where the decimals make a tie that phi(0) = 1 would fire on: the hint
    names float64 rounding."""
    w = network(U=[[1, 1], [1, 1], [0.3, 0.3]], W=[[0, 1, 0], [0, 1, 0], [0, 0.3, 0]], b_h=[-0.5, -1.5, -0.9])
    named, said = hint_of(w, convention="fires")
    assert named == "float_rounding"
    assert "U[2, 0] = 0.3 is stored as 0.29999999999999999, " in said and "sum is -5.55112e-17, not 0" in said
    assert "= 0.3 + 0.3 + 0 + 0.3 - 0.9 = 0.\nBut these weights are float64 numbers, which round:" in said


def test_every_cause_has_a_title():
    """Every name the hints can give is titled for the class report (hint() refuses an untitled one)."""
    assert all(CAUSES[case[2]] for case in CASES)
