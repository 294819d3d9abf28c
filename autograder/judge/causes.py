"""The causes of a failure that the judges name outside the catalogue of mistakes, with their titles for the TA.

A test's `extra_data` names the cause it recognised (`mistake`); the class report shows each under its
title. Question 1's come from adder_hints.py, question 2's judge-named ones from lstm.py; the catalogued
mistakes of question 2 (mistakes.yaml) are titled from their own hints.
"""

from __future__ import annotations

CAUSES = {
    "w_transposed": "correct with W transposed (W[i, j] is the weight from h_j^(t-1) to h_i^(t))",
    "step1_hidden": "step 1's hidden units give one h^(1) for inputs whose sum bits differ (U, b_h)",
    "output_weights": "hidden units fine, the output unit reads them wrongly (V, b_y)",
    "hidden_bias": "a hidden unit's bias keeps it on (or off) for one column sum; its weights are fine (b_h)",
    "hidden_weights": "a hidden unit's incoming weights cannot tell one column sum from another (U, W)",
    "threshold_tie": "a hidden unit sits exactly on its threshold (pre-activation 0) where it must decide",
    "float_rounding": "float rounding decides a hidden unit (float16/float32/float64 values, not the decimals)",
    "carry_merged": "one hidden state after columns that carry out and after columns that do not (U, b_h)",
    "carry_lost": "the carry never reaches the next step (W)",
    "phantom_carry": "hidden units react to a carry that is not there (W)",
    "extra_recurrence": "h^(t) depends on h^(t-1) beyond the carry (W)",
    "initial_state": "correct from another h^(0): step 1's hidden units assume a carry in (b_h, W)",
    "hidden_states_merged": "one hidden state for columns whose sum bits differ (U, W, b_h)",
    "one_index_early": "the true values stored one index early (index t holds step t+1)",
    "state_between_calls": "right on the first problem only: later calls depend on earlier ones (global state)",
}
