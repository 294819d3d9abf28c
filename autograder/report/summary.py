"""A readable plain-text summary of a results.json, per question and per test, for terminals.

Feedback quotes what students wrote (names, exception text); it reaches the terminal through
`printable`, so no escape sequence a student planted can move the cursor, retitle or clear it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

from autograder.config import QUESTIONS
from autograder.points import format_points
from autograder.text import printable


def question_scores(results: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Score and maximum per question tag, in the specification's order, from a results dict."""
    scores: dict[str, tuple[float, float]] = {}
    for question in QUESTIONS:
        tests = [t for t in results.get("tests", []) if question in t.get("tags", [])]
        if tests:
            scores[question] = (round(sum(t["score"] for t in tests), 6), round(sum(t["max_score"] for t in tests), 6))
    return scores


def summarize(
    results: Mapping[str, Any], *, title: str, details: bool = True, unseen: Mapping[str, float] | None = None
) -> str:
    """The summary: the total, each question's score, each test with a mark, and the feedback of failures,
    of informational (0-point) tests and of passes that say more than that they pass. `unseen`: per question,
    the points of tests that the results leave out (the kit's check: those it does not run), said beside it."""
    unseen = {question: points for question, points in (unseen or {}).items() if points}
    tests = results.get("tests", [])
    total = sum(t.get("max_score", 0) for t in tests)
    lines = [f"{title}: {format_points(results.get('score', 0))} / {format_points(total)} points"]
    if results.get("output"):
        lines += ["", textwrap.indent(results["output"].strip(), "  ")]
    scores = question_scores(results)
    for question, (score, maximum) in scores.items():
        more = f" (+ {_points(unseen[question])} in tests this check does not run)" if question in unseen else ""
        lines += ["", f"Question {question}: {format_points(score)} / {format_points(maximum)}{more}"]
        for test in tests:
            if question not in test.get("tags", []):
                continue
            informational = test["max_score"] == 0  # e.g. part (c)'s demonstration: worth reading, worth no points
            mark = "info" if informational else "ok  " if test["status"] == "passed" else "FAIL"
            lines.append(
                f"  {mark} {test.get('number', '')} {test['name']}  "
                f"({format_points(test['score'])} / {format_points(test['max_score'])})"
            )
            output = test.get("output") or ""
            # A pass says more than "passes" (a note on phi(0), error carried forward, the proof) in paragraphs
            # after its first: shown, as Gradescope shows them (the one-line passes would only be noise).
            said_more = "\n\n" in output.strip()
            if details and (test["status"] != "passed" or informational or said_more) and output:
                lines.append(textwrap.indent(test["output"].rstrip(), "        "))
    for question, points in unseen.items():
        if question not in scores:
            lines += ["", f"Question {question}: not checked here ({_points(points)} in tests this check does not run)"]
    return printable("\n".join(lines), keep_newlines=True) + "\n"


def _points(points: float) -> str:
    return f"{format_points(points)} point{'' if points == 1 else 's'}"
