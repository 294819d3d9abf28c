"""Tests of saying each thing once: repeated feedback blocks become references, within one visibility only."""

from autograder.config import TestSpec
from autograder.judge.verdict import Verdict
from autograder.report.feedback import PRINTED, say_once
from autograder.report.results import build_results
from autograder.report.summary import summarize
from autograder.report.view import student_view

PAIR = "Shortest failing pair: 1 + 1 = 2. In bits, least significant bit first (step t adds bit t): 1 + 1 = 01."
TABLE = "```text\n t | x1 x2 | h1 h2 h3 | y  expected\n 1 |  1  1 |  1  1  0 | 0  0   <- first wrong bit\n```"
HINT = "Hint: your network would be correct with `W` transposed: `W[i, j]` is the weight from h_j^(t-1) to h_i^(t)."
TRACEBACK = (
    "Your `lstm_bptt.py` could not be loaded:\n\n```\nTraceback (most recent call last):\n"
    '  File "lstm_bptt.py", '
    "line 1, in <module>\n\nNameError: name 'np' is not defined\n```"
)


def spec(number: str, visibility: str = "visible", question: str = "1") -> TestSpec:
    return TestSpec(
        name=f"Test {number}", number=number, question=question, max_score=1, check="toy", visibility=visibility
    )


def outputs(*tests: tuple[TestSpec, str]) -> list[str]:
    said, _ = say_once([(s, Verdict(0.0, text)) for s, text in tests], "")
    return [verdict.output for _, verdict in said]


def test_question_1s_pair_table_and_hint_are_shown_once():
    """The later tests keep their own headline and point to the first test for the pair, the table and the hint."""
    first, second, third = outputs(
        (spec("1.1"), f"Adds every pair of 1-bit numbers: fails.\n\n{PAIR}\n\n{TABLE}\n\n{HINT}"),
        (spec("1.2"), f"Adds every pair of numbers up to 10 bits: fails.\n\n{PAIR}\n\n{TABLE}\n\n{HINT}"),
        (spec("1.3"), f"Adds numbers of every length: fails.\n\n{PAIR}\n\n{TABLE}\n\n{HINT}"),
    )
    assert first == f"Adds every pair of 1-bit numbers: fails.\n\n{PAIR}\n\n{TABLE}\n\n{HINT}"
    reference = "(The shortest failing pair, the table and the hint are the same as in test 1.1 above.)"
    assert second == f"Adds every pair of numbers up to 10 bits: fails.\n\n{reference}"
    assert third == f"Adds numbers of every length: fails.\n\n{reference}"


def test_a_visible_test_never_refers_to_a_hidden_one():
    """Repetition is removed only among tests of the same visibility, in both directions."""
    hidden, visible, hidden_again, visible_again = outputs(
        (spec("1.1", "hidden"), f"A: fails.\n\n{HINT}"),
        (spec("1.2"), f"B: fails.\n\n{HINT}"),
        (spec("1.3", "hidden"), f"C: fails.\n\n{HINT}"),
        (spec("1.4"), f"D: fails.\n\n{HINT}"),
    )
    assert hidden == f"A: fails.\n\n{HINT}" and visible == f"B: fails.\n\n{HINT}"
    assert hidden_again == "C: fails.\n\n(The hint is the same as in test 1.1 above.)"
    assert visible_again == "D: fails.\n\n(The hint is the same as in test 1.2 above.)"


def test_a_whole_repeated_message_becomes_one_short_line():
    """An import failure that fails eight tests is shown in the first and pointed to by the seven others."""
    said = outputs(*[(spec(f"2.{k}", question="2a"), TRACEBACK) for k in range(1, 9)])
    assert said[0] == TRACEBACK
    assert said[1:] == ["(Same as in test 2.1 above.)"] * 7  # its first paragraph names nothing: no gist
    failed = (
        "h_bar: your function failed on problem 1:\n\n```text\nTraceback (most recent call last):\nIndexError: 2\n```"
    )
    later = failed.replace("h_bar", "c_bar")
    assert outputs((spec("2.1"), failed), (spec("2.2"), later))[1] == (
        "c_bar: your function failed on problem 1:\n\n(The traceback is the same as in test 2.1 above.)"
    )


def test_short_repeats_stay_where_a_reference_would_be_longer():
    """A line shorter than a reference to it is simply repeated."""
    assert outputs((spec("2.1"), "No `x.py`."), (spec("2.2"), "No `x.py`.")) == ["No `x.py`.", "No `x.py`."]


def test_a_fenced_block_with_blank_lines_is_one_block():
    """Blank lines inside a fence do not split it: the whole block is kept or referred to."""
    block = "```text\nline one of a long block of text\n\nline three of a long block of text\n```"
    first, second = outputs((spec("1.1"), f"A.\n\n{block}"), (spec("1.2"), f"B.\n\n{block}\n\nHint: new."))
    assert first == f"A.\n\n{block}"
    assert second == "B.\n\n(Same as in test 1.1 above.)\n\nHint: new."


def test_blocks_from_different_tests_get_one_reference_each():
    """Each run of repeated blocks points to the test that showed it first."""
    _, _, third = outputs(
        (spec("1.1"), f"A.\n\n{PAIR}"), (spec("1.2"), f"B.\n\n{HINT}"), (spec("1.3"), f"C.\n\n{PAIR}\n\n{HINT}")
    )
    assert third == (
        "C.\n\n(The shortest failing pair is the same as in test 1.1 above.)\n\n"
        "(The hint is the same as in test 1.2 above.)"
    )


def test_outputs_without_repeats_are_untouched():
    """Nothing repeated, nothing changed (the text is kept byte for byte)."""
    text = "A: fails.\n\n\n\nwith odd   spacing\n"
    assert outputs((spec("1.1"), text)) == [text]


def test_the_top_level_output_says_once_that_printing_is_not_shown():
    """Printed output is not shown to students on Gradescope: said once, at the top, after any notes."""
    _, output = say_once([], "", printed=True)
    assert output == PRINTED and "not shown to you on Gradescope" in PRINTED  # the student reads it: "you"
    assert say_once([], "Notes on your upload:\n\n- a note\n", printed=True)[1] == (
        f"Notes on your upload:\n\n- a note\n\n{PRINTED}"
    )
    twice = say_once([], say_once([], "Notes", printed=True)[1], printed=True)[1]
    assert twice == f"Notes\n\n{PRINTED}"  # once, however often it runs


def test_the_printing_note_appears_only_when_something_was_printed():
    """Nothing printed, no note: the top-level text is the notes alone (or empty)."""
    assert say_once([], "")[1] == ""
    assert say_once([], "Notes on your upload:\n\n- a note\n")[1] == "Notes on your upload:\n\n- a note\n"


def test_gradescopes_writer_and_the_kits_view_say_each_thing_once_alike():
    """results.json and the kit's view both carry the references and the printing note, identically."""
    outcomes = [(spec(f"2.{k}", question="2a"), Verdict(0.0, TRACEBACK)) for k in range(1, 9)]
    results, view = build_results(outcomes, printed=True), student_view(outcomes, printed=True)
    assert [t["output"] for t in results["tests"]] == [t["output"] for t in view["tests"]]
    assert results["output"] == view["output"] == PRINTED
    summary = summarize(results, title="Checking hw")
    assert summary.count("NameError") == 1 and summary.count("as in test 2.1 above.") == 7


EARLY = (
    "- These are the true values one index early: index t holds the bar of step t+1. Index t must hold step t "
    "(index 0 is the unused step, not graded; index T is the last step), as in the arrays of `forward` you were given."
)


def bar(name: str, got: str) -> str:
    return (
        f"{name}: wrong at t = 1 of 3 (problem 2, seed 1014).\n\n- got {got}, expected 1\n{EARLY}\n- Wrong at 3 of 3."
    )


def test_a_hint_that_several_quantities_share_is_said_once():
    """A list item repeated word for word in later tests of one visibility (one hint for six bars) is said in the
    first and pointed to by the others; their own numbers and headline stay, even when the headline's words match."""
    h, c, g, hidden = outputs(
        (spec("2.1", question="2a"), bar("h_bar", "0")),
        (spec("2.2", question="2a"), bar("c_bar", "2")),
        (spec("2.3", question="2a"), bar("g_bar", "3")),
        (spec("2.4", "hidden", question="2a"), bar("o_bar", "4")),
    )
    assert h == bar("h_bar", "0") and EARLY in h
    assert c == bar("c_bar", "2").replace(EARLY, "- (Same as in test 2.1 above.)")
    assert g.startswith("g_bar: wrong at t = 1 of 3 (problem 2, seed 1014).") and EARLY not in g
    assert hidden == bar("o_bar", "4")  # another visibility: said again, never pointed across


def test_a_message_that_several_quantities_share_is_said_once():
    """A one-block message that only its quantity's label tells apart is said in the first test; the others keep
    their label and point to it."""
    why = "expected a list or array of T+1 = 2 numbers (index 0 to T = 1) on problem 1 (seed 1007, T = 1), got 1."
    h, c = outputs((spec("2.1", question="2a"), f"h_bar: {why}"), (spec("2.2", question="2a"), f"c_bar: {why}"))
    assert h == f"h_bar: {why}" and c == "c_bar: the same as in test 2.1 above."


def test_a_pass_keeps_its_own_line():
    """Passes that only their label tells apart are each said in full: "c_bar: matches ..." is no repetition."""
    line = "matches the finite-difference truth at every step t = 1..T of 5 problems (seeds 1, 2; T = 1, 3)."
    said, _ = say_once(
        [
            (spec("2.1", question="2a"), Verdict(1.0, f"h_bar: {line}")),
            (spec("2.2", question="2a"), Verdict(1.0, f"c_bar: {line}")),
        ],
        "",
    )
    assert [verdict.output for _, verdict in said] == [f"h_bar: {line}", f"c_bar: {line}"]
