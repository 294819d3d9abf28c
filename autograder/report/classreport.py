"""The class report of a batch run: one self-contained HTML page (score histogram, pass rates, mistakes, failures)."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from html import escape
from typing import Any, Mapping, Sequence

from autograder.config import QUESTIONS, TestSpec
from autograder.report.gradebook import GradedSubmission
from autograder.report.summary import format_points

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 2em auto;
       max-width: 1000px; padding: 0 1em; line-height: 1.4; background: #ffffff; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.8em;
  border-bottom: 2px solid #d0d7de; padding-bottom: 0.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0; font-size: 0.95em; }
th, td { border: 1px solid #d0d7de; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.share { white-space: nowrap; }
.meter { background: #eaeef2; height: 0.8em; width: 8em; display: inline-block; vertical-align: middle; }
.meter span { background: #2da44e; height: 100%; display: block; }
.note { color: #57606a; font-size: 0.9em; } .bad { color: #cf222e; }
.cards { display: flex; gap: 1em; flex-wrap: wrap; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: 0.5em 1em; background: #f6f8fa; }
.card b { display: block; font-size: 1.4em; }
svg text { font-family: inherit; font-size: 12px; fill: #1f2328; }
"""


def render_report(submissions: Sequence[GradedSubmission], *, tests: Sequence[TestSpec], title: str,
                  hints: Mapping[str, str] | None = None) -> str:
    """The whole page; `tests` are the configured tests, `hints` name each catalogued mistake in words."""
    graded = [s for s in submissions if s.graded]
    max_total = sum(t.max_score for t in tests)
    sections = [
        _overview(submissions, graded, max_total),
        _section("Total scores", _histogram([s.total for s in graded], max_total)),
        _section("Questions", _questions_table(graded, tests)),
        _section("Tests", _tests_table(graded, tests)),
        _section("Mistakes", _mistakes_table(graded, tests, hints or {})),
        _section("Shortest failing pairs (question 1)", _pairs_table(graded, tests)),
        _section("Submissions that could not be graded", _problems_table(submissions, tests)),
    ]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{escape(title)}</h1>\n" + "\n".join(sections) + "\n</body>\n</html>\n")


def _section(heading: str, body: str) -> str:
    anchor = heading.lower().split(" (")[0].replace(" ", "-")
    return f'<section id="{anchor}">\n<h2>{escape(heading)}</h2>\n{body}\n</section>'


def _overview(submissions: Sequence[GradedSubmission], graded: Sequence[GradedSubmission], max_total: float) -> str:
    totals = [s.total for s in graded]
    cards = [("submissions", str(len(submissions))), ("graded", str(len(graded))),
             ("could not be graded", str(len(submissions) - len(graded)))]
    if totals:
        cards += [("mean total", f"{_mean(totals)} / {format_points(max_total)}"),
                  ("median total", format_points(statistics.median(totals))),
                  ("full marks", str(sum(1 for t in totals if t >= max_total)))]
    body = "".join(f'<div class="card"><b>{escape(value)}</b>{escape(label)}</div>' for label, value in cards)
    return f'<section id="overview">\n<div class="cards">{body}</div>\n</section>'


def histogram_bins(totals: Sequence[float], max_total: float) -> list[tuple[float, int]]:
    """Counts of totals per bin: bins start at multiples of a round width (at most about 25 bins up to the maximum)."""
    width = _bin_width(max_total)
    count = int(math.floor(max(max_total, max(totals, default=0.0)) / width + 1e-9)) + 1
    counts = Counter(min(count - 1, max(0, int(math.floor(total / width + 1e-9)))) for total in totals)
    return [(round(index * width, 6), counts.get(index, 0)) for index in range(count)]


def _bin_width(max_total: float) -> float:
    for width in (0.25, 0.5, 1, 2, 5, 10, 20, 50, 100):
        if max_total / width <= 25:
            return float(width)
    return max_total / 25


def _histogram(totals: Sequence[float], max_total: float) -> str:
    if not totals:
        return '<p class="note">No submission was graded.</p>'
    bins = histogram_bins(totals, max_total)
    width, height, left, bottom, top = 900, 260, 44, 36, 16
    bar = (width - left - 10) / len(bins)
    tallest = max(count for _, count in bins) or 1
    scale = (height - bottom - top) / tallest
    parts = [f'<svg id="histogram" role="img" aria-label="Histogram of total scores" xmlns="http://www.w3.org/2000/svg" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#57606a"/>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#57606a"/>',
             f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{tallest}</text>',
             f'<text x="{left - 6}" y="{height - bottom + 4}" text-anchor="end">0</text>',
             f'<text x="{(left + width) / 2:.0f}" y="{height - 4}" text-anchor="middle">total score</text>']
    label_every = max(1, math.ceil(len(bins) / 12))
    for index, (start, count) in enumerate(bins):
        x = left + index * bar
        bar_height = count * scale
        parts.append(f'<rect class="bar" x="{x + 1:.1f}" y="{height - bottom - bar_height:.1f}" width="{bar - 2:.1f}" '
                     f'height="{bar_height:.1f}" fill="#4c72b0"><title>{count} with {format_points(start)}'
                     f'{"" if index == len(bins) - 1 else f" to under {format_points(bins[index + 1][0])}"}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - bottom - bar_height - 3:.1f}" '
                         f'text-anchor="middle">{count}</text>')
        if index % label_every == 0 or index == len(bins) - 1:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                         f'{format_points(start)}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + '\n<p class="note">Number of graded submissions per total score.</p>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (), table_id: str = "") -> str:
    """An HTML table; cells are already HTML; columns in `numeric` are right-aligned."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join("<tr>" + "".join(f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
                                      for i, cell in enumerate(row)) + "</tr>" for row in rows)
    identifier = f' id="{table_id}"' if table_id else ""
    return f"<table{identifier}>\n<tr>{head}</tr>\n{body}\n</table>"


def _share(count: int, of: int) -> str:
    percent = 100 * count / of if of else 0.0
    return (f'<span class="share">{count} / {of} ({percent:.0f}%)</span> <span class="meter"><span style="width: {percent:.1f}%"></span></span>')


def _tests_of(submission: GradedSubmission) -> dict[str, Mapping[str, Any]]:
    return {test.get("number", test.get("name", "")): test for test in submission.results.get("tests", [])}


def _questions_table(graded: Sequence[GradedSubmission], tests: Sequence[TestSpec]) -> str:
    rows = []
    for question in QUESTIONS:
        maximum = sum(t.max_score for t in tests if t.question == question)
        scores = [s.question_score(question) for s in graded]
        if not any(t.question == question for t in tests):
            continue
        full = sum(1 for score in scores if score >= maximum)
        rows.append([escape(question), format_points(maximum), _mean(scores),
                     _share(full, len(scores)) if maximum > 0 else "–"])
    return _table(["question", "points", "mean score", "full marks"], rows, numeric=(1, 2), table_id="questions")


def _tests_table(graded: Sequence[GradedSubmission], tests: Sequence[TestSpec]) -> str:
    rows = []
    for spec in tests:
        found = [t for t in (_tests_of(s).get(spec.number) for s in graded) if t is not None]
        passed = sum(1 for t in found if t.get("status") == "passed")
        carried = sum(1 for t in found if (t.get("extra_data") or {}).get("status") == "carried_forward")
        rows.append([escape(spec.number), escape(spec.name), escape(spec.question), format_points(spec.max_score),
                     _mean([float(t.get("score", 0)) for t in found]), _share(passed, len(found)), str(carried)])
    return _table(["number", "test", "question", "points", "mean score", "passed", "error carried forward"], rows,
                  numeric=(3, 4, 6), table_id="tests")


def _mean(values: Sequence[float]) -> str:
    return f"{statistics.fmean(values):.2f}" if values else "–"


def mistake_counts(graded: Sequence[GradedSubmission]) -> Counter:
    """How many submissions made each catalogued mistake, per test: (test number, mistake name) -> count."""
    counts: Counter = Counter()
    for submission in graded:
        for number, test in _tests_of(submission).items():
            for name in matched_mistakes(test):
                counts[(number, name)] += 1
    return counts


def matched_mistakes(test: Mapping[str, Any]) -> list[str]:
    """The catalogued mistakes a test's extra_data names (`mistake`: one name, or `mistakes`: a list)."""
    extra = test.get("extra_data") or {}
    names = list(extra.get("mistakes") or ()) + ([extra["mistake"]] if extra.get("mistake") else [])
    return sorted(set(str(name) for name in names))


def _mistakes_table(graded: Sequence[GradedSubmission], tests: Sequence[TestSpec], hints: Mapping[str, str]) -> str:
    counts = mistake_counts(graded)
    if not counts:
        return '<p class="note">No graded submission matched a catalogued mistake.</p>'
    names = {t.number: t.name for t in tests}
    order = {t.number: index for index, t in enumerate(tests)}
    rows = []
    for (number, mistake), count in sorted(counts.items(), key=lambda item: (order.get(item[0][0], len(order)),
                                                                               -item[1], item[0][1])):
        hint = f'<br><span class="note">{escape(hints[mistake])}</span>' if mistake in hints else ""
        rows.append([f"{escape(number)} {escape(names.get(number, ''))}", f"<code>{escape(mistake)}</code>{hint}",
                     _share(count, len(graded))])
    return _table(["test", "mistake", "submissions"], rows, table_id="mistakes")


def _pairs_table(graded: Sequence[GradedSubmission], tests: Sequence[TestSpec]) -> str:
    counts: Counter = Counter()
    for submission in graded:
        for number, test in _tests_of(submission).items():
            pair = (test.get("extra_data") or {}).get("failing_pair")
            if isinstance(pair, list) and len(pair) == 2:
                counts[(number, f"{pair[0]} + {pair[1]}")] += 1
    if not counts:
        return '<p class="note">No graded submission failed on a pair of numbers.</p>'
    rows = [[escape(number), escape(pair), str(count)] for (number, pair), count in counts.most_common(10)]
    return _table(["test", "shortest failing pair", "submissions"], rows, numeric=(2,), table_id="pairs")


def _problems_table(submissions: Sequence[GradedSubmission], tests: Sequence[TestSpec]) -> str:
    names = {t.number: t.name for t in tests}
    rows = []
    for submission in submissions:
        who = escape("; ".join(s.name or s.email or s.sid for s in submission.submitters))
        if not submission.graded:
            rows.append([escape(submission.id), who, f'<span class="bad">{escape(submission.problem or "")}</span>'])
            continue
        for number, test in _tests_of(submission).items():
            if (test.get("extra_data") or {}).get("internal_error"):
                rows.append([escape(submission.id), who, f'<span class="bad">the grader failed on test {escape(number)} '
                             f'{escape(names.get(number, ""))} (scored 0)</span>'])
    if not rows:
        return '<p class="note">Every submission was graded.</p>'
    return _table(["submission", "student", "why"], rows, table_id="problems")
