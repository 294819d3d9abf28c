"""The class report of a batch run: one self-contained HTML page (score histogram, pass rates, mistakes, failures)."""

from __future__ import annotations

import json
import math
import platform
import statistics
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any

import numpy

import autograder
from autograder.config import QUESTIONS, Config, TestSpec
from autograder.export import Submitter
from autograder.judge.causes import CAUSES
from autograder.points import format_points
from autograder.report.feedback_html import Pieces
from autograder.report.gradebook import BAD_UPLOAD, GRADER_FAILED, STOPPED, GradedSubmission, plural
from autograder.text import printable
from autograder.worker.isolation import isolation_of

STATIC = Path(__file__).with_name("static")
SCRIPT = (STATIC / "report.js").read_text(encoding="utf-8")
MAX_LISTED = 200  # longer lists live in the table, behind its "needs attention" filter

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; margin: 2em auto;
       max-width: 1000px; padding: 0 1em; line-height: 1.4; background: #ffffff; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.8em;
  border-bottom: 2px solid #d0d7de; padding-bottom: 0.2em; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0; font-size: 0.95em; }
.wide { overflow-x: auto; max-width: 100%; }
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
.banner { background: #fff8c5; border: 1px solid #d4a72c; padding: 0.6em 1em; border-radius: 6px; font-weight: 600; }
.hash { font-size: 0.85em; word-break: break-all; } .info { color: #0969da; }
.controls { margin: 0.5em 0; } .controls input { width: 22em; padding: 0.3em; }
table.students { font-size: 0.9em; table-layout: auto; }
table.students th { cursor: pointer; user-select: none; white-space: nowrap; }
table.students td { overflow-wrap: anywhere; max-width: 16em; }
table.students th[aria-sort="ascending"]::after { content: " ▲"; }
table.students th[aria-sort="descending"]::after { content: " ▼"; }
table.students tbody tr { cursor: pointer; } table.students tbody tr:hover { background: #f6f8fa; }
tr.kind-not-graded td, tr.kind-no-files td { color: #cf222e; }
#pager { margin: 0.4em 0; } #pager .count { margin: 0 1em; }
.student { position: fixed; top: 1em; right: 1em; bottom: 1em; width: min(52em, 60vw); overflow: auto; z-index: 2;
  background: #ffffff; border: 2px solid #0969da; border-radius: 6px; padding: 0.5em 1em 1em;
  box-shadow: 0 8px 24px rgba(31, 35, 40, 0.25); }
.student .close { float: right; } .student h3 { margin: 0.3em 0; }
.test { border-top: 1px solid #d0d7de; padding: 0.2em 0; } .test h4 { margin: 0.5em 0 0.2em; font-size: 1em; }
.test.passed .mark { color: #1a7f37; } .test.failed .mark { color: #cf222e; }
.pts { color: #57606a; font-weight: normal; }
.vis { font-size: 0.8em; font-weight: normal; border-radius: 1em; padding: 0.05em 0.6em; background: #ddf4ff; }
.vis-hidden, .vis-after_due_date, .vis-after_published { background: #fff1e5; }
.md pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; } .md code { font-size: 0.9em; }
"""


def render_report(
    submissions: Sequence[GradedSubmission],
    *,
    tests: Sequence[TestSpec],
    title: str,
    mistakes: Sequence[Any] = (),
    config: Config | None = None,
    partial: bool = False,
    changes: Sequence[Mapping[str, str]] | None = None,
    compared_with: str | None = None,
    warnings: Sequence[str] = (),
    now: datetime | None = None,
    run: str = "",
    stopped: str | None = None,
    left_out: Mapping[str, Sequence[str]] | None = None,
    unwritten: Sequence[str] = (),
    similarity: Any = None,
) -> str:
    """The whole page. `tests`: the configured tests; `mistakes`: the catalogue (names, hints, titles);
    `partial`: a stopped run (`stopped`: why, when the disk filled rather than a Ctrl-C); `changes`: the rows of
    changes.csv when compared with `compared_with`; `run`: what this run graded and why; `left_out`: per file,
    lines saying who it leaves out and why; `unwritten`: the files that did not fit on the disk; `similarity`: the
    similar pairs (autograder.similarity's Screening), for course staff only."""
    graded = [s for s in submissions if s.graded and s.results]  # not a listed submission with no folder
    max_total = sum(t.max_score for t in tests)
    table, feedback = _students(submissions, max_total)
    sections = [
        _header(
            submissions, config, partial, compared_with, now or datetime.now(timezone.utc), run, stopped, unwritten
        ),
        _overview(submissions, graded, max_total),
        _section("Needs attention", _attention_list(submissions)),
        _section("Students", table),
        _section("Total scores", _histogram([s.total for s in graded], max_total)),
        _section("Questions", _questions_table(graded, tests)),
        _section("Tests", _tests_table(graded, tests)),
        _section("Mistakes", _mistakes_table(graded, tests, mistakes)),
        _section("Shortest failing pairs (question 1)", _pairs_table(graded, tests)),
        _section("Answer forms", _forms_table(graded)),
        _section("Submissions that could not be graded", _problems_table(submissions, tests)),
    ]
    if similarity is not None:  # autograder.similarity's Screening: the pairs, for course staff only
        from autograder.similarity import similarity_section

        sections.insert(3, _section("Similarity (a reason to look, not proof)", similarity_section(similarity)))
    if changes is not None:
        sections.insert(2, _section("Changes since the earlier run", _changes(changes, compared_with or "")))
    for file, lines in (left_out or {}).items():
        if lines:
            items = "".join(f"<li>{escape(printable(line))}</li>" for line in lines)
            sections.insert(3, _section(f"Left out of {file}", f'<ul class="left-out">{items}</ul>'))
    if warnings:
        sections.append(
            _section(
                "Export warnings", "<ul>" + "".join(f"<li>{escape(printable(w))}</li>" for w in warnings) + "</ul>"
            )
        )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>{escape(title)}</h1>\n"
        + "\n".join(sections)
        + f"\n<script>{SCRIPT}</script>\n{feedback}\n</body>\n</html>\n"
    )


def _section(heading: str, body: str) -> str:
    anchor = heading.lower().split(" (")[0].replace(" ", "-")
    return f'<section id="{anchor}">\n<h2>{escape(heading)}</h2>\n{body}\n</section>'


def _header(
    submissions: Sequence[GradedSubmission],
    config: Config | None,
    partial: bool,
    compared_with: str | None,
    now: datetime,
    run: str,
    stopped: str | None = None,
    unwritten: Sequence[str] = (),
) -> str:
    versions = Counter(
        json.dumps(s.results.get("extra_data", {}).get("versions"), sort_keys=True)
        for s in submissions
        if s.graded and s.results.get("extra_data", {}).get("versions")
    )
    used = (
        json.loads(versions.most_common(1)[0][0])
        if versions
        else {"autograder": autograder.__version__, "python": platform.python_version(), "numpy": numpy.__version__}
    )
    facts = [f"Generated {now.strftime('%Y-%m-%d %H:%M UTC')}"]
    if config is not None:
        facts.append(
            f"configuration <code>{escape(config.path.name)}</code> "
            f'(SHA-256 <code class="hash">{escape(config.sha256)}</code>)'
        )
    facts.append("versions: " + ", ".join(f"{escape(str(k))} {escape(str(v))}" for k, v in used.items()))
    if compared_with:
        facts.append(f"compared with <code>{escape(compared_with)}</code>")
    banner = ""
    if partial:
        reached = sum(1 for s in submissions if s.graded or s.cause != STOPPED)
        how = "stopped when the disk filled" if stopped else "was interrupted"
        banner = (
            f'<p id="partial" class="banner">Partial report: the run {how} after {reached} of '
            f"{plural(len(submissions), 'submission')}. Run the same command again to grade the rest.</p>\n"
        )
    if unwritten:
        banner += (
            f'<p id="unwritten" class="banner">{escape(" and ".join(unwritten))} did not fit on the disk: make room '
            "and run the same command again.</p>\n"
        )
    ran = f'<p id="run" class="note">{escape(run)}.</p>' if run else ""
    # The layers of isolation the gradings had (one machine for the run), as the batch's summary says them.
    isolation = next((found for s in submissions if s.graded and (found := isolation_of(s.results))), None)
    if isolation is not None:
        ran += f'<p id="isolation" class="{"banner" if isolation.missing else "note"}">{escape(isolation.line())}</p>'
    return f'{banner}<p id="provenance" class="note">{"; ".join(facts)}.</p>{ran}'


def _overview(submissions: Sequence[GradedSubmission], graded: Sequence[GradedSubmission], max_total: float) -> str:
    totals = [s.total for s in graded]
    # The first cards add up to the submissions, as the batch's summary line does: graded (some of them with
    # none of the files), not graded, and listed in the metadata with no folder.
    kinds = Counter(s.kind for s in submissions)
    cards = [
        ("submissions", str(len(submissions))),
        ("graded", str(len(graded))),
        ("could not be graded", str(sum(1 for s in submissions if not s.graded))),
    ]
    if kinds["no folder"]:
        cards.append(("no folder in the export", str(kinds["no folder"])))
    empty = sum(1 for s in graded if s.no_files is not None)
    if empty:
        cards.insert(2, ("of them with no files", str(empty)))
    if totals:
        cards += [
            ("mean total", f"{_mean(totals)} / {format_points(max_total)}"),
            ("median total", format_points(statistics.median(totals))),
            ("full marks", str(sum(1 for t in totals if t >= max_total))),
        ]
    body = "".join(f'<div class="card"><b>{escape(value)}</b>{escape(label)}</div>' for label, value in cards)
    return f'<section id="overview">\n<div class="cards">{body}</div>\n</section>'


def submission_flags(submission: GradedSubmission) -> list[str]:
    """What a TA may want to look at in one submission, in words: why it was not graded (a bad upload, an
    interrupted run, the grader's own failure), an upload note, timeout, syntax error, no files,
    carried-forward credit. Read from the feedback itself: it is what the student saw."""
    flags = []
    if not submission.graded:
        flags.append(submission.cause)
    if submission.notes:
        flags.append("upload note")
    if submission.no_files is not None:
        flags.append("no files")
    tests = [t for t in submission.results.get("tests", []) if isinstance(t, Mapping)]
    outputs = [str(t.get("output") or "") for t in tests]
    if not submission.listed:
        flags.append(NOT_IN_METADATA)
    if submission.timed_out:
        flags.append("timeout")
    if any("SyntaxError" in output for output in outputs):
        flags.append("syntax error")
    if any((t.get("extra_data") or {}).get("status") == "carried_forward" for t in tests):
        flags.append("carried forward")
    if any((t.get("extra_data") or {}).get("internal_error") for t in tests) and GRADER_FAILED not in flags:
        flags.append(GRADER_FAILED)
    return flags


NOT_IN_METADATA = "not in metadata"
ATTENTION_FLAGS = (
    GRADER_FAILED,
    BAD_UPLOAD,
    STOPPED,
    NOT_IN_METADATA,
    "upload note",
    "no files",
    "timeout",
    "syntax error",
)


def attention(submission: GradedSubmission, flags: Sequence[str]) -> str:
    """Why a TA should look at this submission ("" when there is no reason): a zero, a timeout, a syntax error,
    nothing found, not graded."""
    reasons = [flag for flag in flags if flag in ATTENTION_FLAGS]
    if submission.graded and submission.no_files is None and submission.total == 0:
        reasons.insert(0, "scored 0")
    return ", ".join(reasons)


def _student_rows(submissions: Sequence[GradedSubmission]) -> Iterator[tuple[int, GradedSubmission, Submitter]]:
    """(submission's index, submission, student): a row per student, as in the gradebook."""
    for index, submission in enumerate(submissions):
        for person in submission.submitters or (Submitter(),):
            yield index, submission, person


def _attention_list(submissions: Sequence[GradedSubmission]) -> str:
    items, unknown = [], 0
    for row, (_, submission, person) in enumerate(_student_rows(submissions)):
        why = attention(submission, submission_flags(submission))
        if why:
            unknown += not submission.submitters  # a folder no metadata names: a submission, not a student
            who = " · ".join(x for x in (person.name or "(no name)", person.sid) if x)
            items.append(
                f'<li><a href="#open={row}" data-student="{row}">{escape(printable(who))}</a> '
                f'<span class="note">{escape(printable(submission.id))}</span>: {escape(why)}</li>'
            )
    if not items:
        return '<p class="note">Nobody: no zero, time-out, syntax error or missing files.</p>'
    shown = items[:MAX_LISTED]
    more = (
        f'<p class="note">… and {len(items) - len(shown)} more: filter the table by "needs attention".</p>'
        if len(items) > len(shown)
        else ""
    )
    counts = [plural(len(items) - unknown, "student")] if len(items) > unknown else []
    counts += [plural(unknown, "submission") + " with no known student"] if unknown else []
    count = " and ".join(counts)
    return f'<p class="note">{count}.</p><ul id="attention">' + "".join(shown) + "</ul>" + more


def _students(submissions: Sequence[GradedSubmission], max_total: float) -> tuple[str, str]:
    """The student table (its data as JSON for report.js, which draws one page of it at a time), and the
    feedback's data, which goes after report.js: the table is drawn before the browser reads the feedback."""
    pieces = Pieces()
    sequences: dict[tuple[int, ...], int] = {}  # students with the same feedback share its list of pieces
    feedback = [
        sequences.setdefault(tuple(pieces.feedback(s.results, problem=s.problem)), len(sequences)) for s in submissions
    ]
    flags_of = [submission_flags(s) for s in submissions]
    kinds = ["not graded" if not s.graded else "no files" if s.no_files is not None else "graded" for s in submissions]
    students, points = [], []
    for index, submission, person in _student_rows(submissions):
        scores = [submission.question_score(q) for q in QUESTIONS]
        flags = flags_of[index]
        students.append(
            [
                printable(submission.id),
                printable(person.name),
                printable(person.sid),
                printable(person.email),
                *scores,
                submission.total,
                submission.status,
                flags,
                kinds[index],
                attention(submission, flags),
                index,
                printable(submission.reason),
            ]
        )
        points.append([format_points(x) for x in (*scores, submission.total)])
    columns = ["submission", "name", "sid", "email", *QUESTIONS, "total", "status", "flags"]
    data = {
        "questions": list(QUESTIONS),
        "columns": columns,
        "students": students,
        "points": points,
        "maximum": format_points(max_total),
    }
    # With 10,000 students whose feedback all differs, the feedback is most of the file: the table must not wait
    # for the browser to read it, nor for JSON.parse (done when a student is first opened).
    opened = {"submissions": feedback, "sequences": [list(sequence) for sequence in sequences], "pieces": pieces.html}
    all_flags = sorted({flag for flags in flags_of for flag in flags})
    header = "".join(f'<th title="click to sort">{escape(c)}</th>' for c in columns)
    flag_options = "".join(f'<option value="{escape(f)}">{escape(f)}</option>' for f in all_flags)
    return (
        f'<div class="controls"><input id="filter" type="search" placeholder="Filter by name, SID, email, '
        f'submission" aria-label="filter"> <select id="status-filter" aria-label="status">'
        f'<option value="all">every status</option><option value="graded">graded</option>'
        f'<option value="no files">no files</option><option value="not graded">not graded</option>'
        f'<option value="attention">needs attention</option></select> <select id="flag-filter" aria-label="flag">'
        f'<option value="">any flag</option>{flag_options}</select></div>\n'
        f'<div class="wide"><table id="students" class="students"><thead><tr>{header}</tr></thead><tbody></tbody>'
        f"</table></div>\n"
        f'<div id="pager"><button type="button" class="previous">← previous</button> <span class="count"></span> '
        f'<button type="button" class="next">next →</button></div>\n'
        f'<p class="note">Click a column to sort, a row to open the feedback as Gradescope shows it.</p>\n'
        f'<section id="student" class="student" hidden><button type="button" class="close">close</button>'
        f'<h3 class="who"></h3><p class="what note"></p><div class="feedback"></div></section>\n'
        f'<script type="application/json" id="class-data">{_json_in_html(data)}</script>'
    ), f'<script type="application/json" id="feedback-data">{_json_in_html(opened)}</script>'


def _json_in_html(data: Any) -> str:
    """JSON that stays data inside <script>: "</script>" or "<!--" in a name cannot end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


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
    parts = [
        f'<svg id="histogram" role="img" aria-label="Histogram of total scores" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#57606a"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="#57606a"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{tallest}</text>',
        f'<text x="{left - 6}" y="{height - bottom + 4}" text-anchor="end">0</text>',
        f'<text x="{(left + width) / 2:.0f}" y="{height - 4}" text-anchor="middle">total score</text>',
    ]
    label_every = max(1, math.ceil(len(bins) / 12))
    for index, (start, count) in enumerate(bins):
        x = left + index * bar
        bar_height = count * scale
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{height - bottom - bar_height:.1f}" width="{bar - 2:.1f}" '
            f'height="{bar_height:.1f}" fill="#4c72b0"><title>{count} with {format_points(start)}'
            f"{'' if index == len(bins) - 1 else f' to under {format_points(bins[index + 1][0])}'}</title></rect>"
        )
        if count:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom - bar_height - 3:.1f}" '
                f'text-anchor="middle">{count}</text>'
            )
        if index % label_every == 0 or index == len(bins) - 1:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{format_points(start)}</text>"
            )
    parts.append("</svg>")
    return "\n".join(parts) + '\n<p class="note">Number of graded submissions per total score.</p>'


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = (), table_id: str = ""
) -> str:
    """An HTML table; cells are already HTML; columns in `numeric` are right-aligned."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "\n".join(
        "<tr>"
        + "".join(f'<td class="n">{cell}</td>' if i in numeric else f"<td>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>"
        for row in rows
    )
    identifier = f' id="{table_id}"' if table_id else ""
    return f"<table{identifier}>\n<tr>{head}</tr>\n{body}\n</table>"


def _share(count: int, of: int) -> str:
    percent = 100 * count / of if of else 0.0
    meter = f'<span class="meter"><span style="width: {percent:.1f}%"></span></span>'
    return f'<span class="share">{count} / {of} ({percent:.0f}%)</span> {meter}'


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
        rows.append(
            [escape(question), format_points(maximum), _mean(scores), _share(full, len(scores)) if maximum > 0 else "–"]
        )
    return _table(["question", "points", "mean score", "full marks"], rows, numeric=(1, 2), table_id="questions")


def _tests_table(graded: Sequence[GradedSubmission], tests: Sequence[TestSpec]) -> str:
    rows = []
    of_each = [_tests_of(s) for s in graded]
    for spec in tests:
        found = [t for t in (tests_of.get(spec.number) for tests_of in of_each) if t is not None]
        carried = sum(1 for t in found if (t.get("extra_data") or {}).get("status") == "carried_forward")
        if spec.max_score == 0:  # part (c)'s demonstration: something to read, not a score to pass
            shown = f'<span class="info">information, 0 points: shown to {plural(len(found), "student")}</span>'
            rows.append([escape(spec.number), escape(spec.name), escape(spec.question), "0", "–", shown, "–"])
            continue
        passed = sum(1 for t in found if t.get("status") == "passed")
        rows.append(
            [
                escape(spec.number),
                escape(spec.name),
                escape(spec.question),
                format_points(spec.max_score),
                _mean([float(t.get("score", 0)) for t in found]),
                _share(passed, len(found)),
                str(carried),
            ]
        )
    return _table(
        ["number", "test", "question", "points", "mean score", "passed", "error carried forward"],
        rows,
        numeric=(3, 4, 6),
        table_id="tests",
    )


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


def mistake_title(mistake: Any) -> str:
    """A catalogued mistake's title in the catalogue's own words: its `title`, else its hint's opening clause
    ("This matches c_bar without the ... term: ..." gives "c_bar without the ... term")."""
    title = getattr(mistake, "title", "") or ""
    if title:
        return title
    return mistake.hint.removeprefix("This matches ").split(": ")[0].rstrip(".")


def _mistakes_table(graded: Sequence[GradedSubmission], tests: Sequence[TestSpec], mistakes: Sequence[Any]) -> str:
    counts = mistake_counts(graded)
    if not counts:
        return '<p class="note">No graded submission matched a catalogued mistake.</p>'
    catalogue = {m.name: m for m in mistakes}
    names = {t.number: t.name for t in tests}
    order = {t.number: index for index, t in enumerate(tests)}
    rows = []
    for (number, name), count in sorted(
        counts.items(), key=lambda item: (order.get(item[0][0], len(order)), -item[1], item[0][1])
    ):
        mistake = catalogue.get(name)
        if mistake is not None:
            described = (
                f'<b>{escape(mistake_title(mistake))}</b><br><span class="note">{escape(mistake.hint)} '
                f"(<code>{escape(name)}</code>)</span>"
            )
        elif name in CAUSES:
            described = f'<b>{escape(CAUSES[name])}</b> <span class="note">(<code>{escape(name)}</code>)</span>'
        else:
            described = f"<code>{escape(name)}</code>"
        rows.append([f"{escape(number)} {escape(names.get(number, ''))}", described, _share(count, len(graded))])
    return _table(["test", "mistake", "submissions"], rows, table_id="mistakes")


# The answer forms (docs/spec.md 5.3), by the suffix of the file that counted; question 1's weights may also be data.
FORM_KINDS = {
    ".py": "Python file",
    ".yaml": "YAML or JSON data",
    ".yml": "YAML or JSON data",
    ".json": "YAML or JSON data",
    ".tex": "LaTeX answers",
    ".ipynb": "notebook",
}
NAMES_SHOWN = 3  # of each form's file names, the most common


def answer_form(file: str) -> str:
    """The form of an answer file, by its suffix: "Python file", "LaTeX answers", "notebook", ..."""
    suffix = Path(file).suffix.lower()
    return FORM_KINDS.get(suffix, f"other ({suffix or 'no suffix'})")


def _forms_table(graded: Sequence[GradedSubmission]) -> str:
    """Which answer form each question was read from (`extra_data.forms`: question -> file), counted per form,
    with the most common file names of each (notebooks' names differ from student to student)."""
    names: dict[tuple[str, str], Counter] = {}
    for submission in graded:
        forms = submission.results.get("extra_data", {}).get("forms")
        if isinstance(forms, Mapping):
            for question, file in forms.items():
                names.setdefault((str(question), answer_form(str(file))), Counter())[str(file)] += 1
    if not names:
        return '<p class="note">The results record no answer forms.</p>'
    rows = []
    for (question, form), files in sorted(names.items(), key=lambda item: (item[0][0], -item[1].total())):
        shown = ", ".join(
            f"<code>{escape(printable(file))}</code> ({count})" for file, count in files.most_common(NAMES_SHOWN)
        )
        others = len(files) - NAMES_SHOWN
        more = f" and {others} other name{'s' if others > 1 else ''}" if others > 0 else ""
        rows.append([escape(question), escape(form), str(files.total()), shown + more])
    return _table(["question", "form", "submissions", "file names"], rows, numeric=(2,), table_id="forms")


def _changes(changes: Sequence[Mapping[str, str]], compared_with: str) -> str:
    """The students whose scores moved since the earlier run: what a TA reads before "Regrade all"."""
    if not changes:
        return f'<p class="note">No student\'s score or status changed since <code>{escape(compared_with)}</code>.</p>'
    why = Counter(row["why"] for row in changes)
    summary = "; ".join(f"{count} {reason}" for reason, count in why.most_common())
    rows = [
        [
            escape(printable(row["submission_id"])),
            escape(printable(row["name"])),
            escape(printable(row["sid"])),
            " ".join(
                f"{escape(q)}: {escape(row[f'{q} before'] or '–')} → {escape(row[f'{q} after'] or '–')}"
                for q in QUESTIONS
                if row[f"{q} before"] != row[f"{q} after"]
            ),
            f"{escape(row['total before'] or '–')} → {escape(row['total after'] or '–')}",
            escape(row["why"]),
        ]
        for row in changes[:MAX_LISTED]
    ]
    more = f'<p class="note">The first {MAX_LISTED} of {len(changes)}.</p>' if len(changes) > MAX_LISTED else ""
    return (
        f'<p class="note">{plural(len(changes), "student")} changed ({escape(summary)}); every one is in '
        f"<code>changes.csv</code>.</p>"
        + _table(["submission", "name", "sid", "questions", "total", "why"], rows, table_id="changes")
        + more
    )


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


def _why_not_graded(submission: GradedSubmission) -> str:
    """The reason, prefixed with whose side it is when it is not the grader's (whose reasons say so already)."""
    problem = submission.problem or ""
    return problem if submission.cause == GRADER_FAILED else f"{submission.cause}: {problem}"


def _problems_table(submissions: Sequence[GradedSubmission], tests: Sequence[TestSpec]) -> str:
    names = {t.number: t.name for t in tests}
    rows = []
    for submission in submissions:
        who = escape(printable("; ".join(s.name or s.email or s.sid for s in submission.submitters)))
        if not submission.graded:
            rows.append(
                [
                    escape(printable(submission.id)),
                    who,
                    f'<span class="bad">{escape(_why_not_graded(submission))}</span>',
                ]
            )
            continue
        for number, test in _tests_of(submission).items():
            if (test.get("extra_data") or {}).get("internal_error"):
                rows.append(
                    [
                        escape(printable(submission.id)),
                        who,
                        f'<span class="bad">the grader failed on test {escape(number)} '
                        f"{escape(names.get(number, ''))} (scored 0)</span>",
                    ]
                )
    if not rows:
        return '<p class="note">Every submission was graded.</p>'
    return _table(["submission", "student", "why"], rows, table_id="problems")
