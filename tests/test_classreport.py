"""Tests of the class report: one self-contained HTML page with the histogram, pass rates, mistakes and failures."""

import ast
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from datetime import datetime, timezone
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograder.config import TestSpec as Spec
from autograder.export import Submitter
from autograder.judge import lstm
from autograder.judge.verdict import Verdict
from autograder.kinds import load_config
from autograder.record import replace
from autograder.report.classreport import (
    CAUSES,
    attention,
    histogram_bins,
    mistake_counts,
    render_report,
    submission_flags,
)
from autograder.report.gradebook import BAD_UPLOAD, INTERRUPTED, NO_FOLDER, STOPPED, GradedSubmission
from autograder.report.results import build_results, failure_results
from conftest import ROOT

TESTS = [
    Spec(name="Adds every pair", number="1.1", question="1", max_score=5, check="toy"),
    Spec(name="c_bar", number="2.2", question="2a", max_score=4, check="toy"),
    Spec(name="w_ix_bar", number="2.7", question="2b", max_score=1, check="toy"),
]
CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)


def submission(number, adder, c_bar, w_ix, name="Student"):
    """A graded submission from (fraction, extra data) per test."""
    verdicts = [Verdict(fraction, "feedback", data) for fraction, data in (adder, c_bar, w_ix)]
    results = build_results(list(zip(TESTS, verdicts, strict=True)))
    return GradedSubmission(f"submission_{number}", (Submitter(name, f"{number}@uni.edu", str(number)),), results)


RIGHT = (1.0, {})
CLASS = [
    submission(1, RIGHT, RIGHT, RIGHT),
    submission(2, (0.0, {"failing_pair": [3, 1]}), (0.0, {"mistake": "c_bar_without_carry"}), RIGHT),
    submission(
        3,
        (0.0, {"failing_pair": [3, 1]}),
        (0.0, {"mistake": "c_bar_without_carry"}),
        (1.0, {"status": "carried_forward"}),
    ),
    submission(
        4,
        RIGHT,
        (0.0, {"mistakes": ["c_bar_one_minus_c_squared"]}),
        (0.0, {"internal_error": True}),
        name="<script>alert(1)</script>",
    ),
    GradedSubmission(
        "submission_5",
        (Submitter("Eve", "eve@uni.edu", "5"),),
        failure_results("x"),
        problem="the grading process died (exit code -9)",
    ),
]
MISTAKES = [
    SimpleNamespace(name="c_bar_without_carry", hint="This matches c_bar without the c_bar^(t+1) f^(t+1) term.")
]


class Page(HTMLParser):
    """The parts of the page the tests read: element ids, histogram bars, and each table's rows as text."""

    def __init__(self, html):
        super().__init__()
        self.ids, self.bars, self.tables, self.tags = set(), 0, {}, []
        self._table, self._row, self._cell = None, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "rect" and attrs.get("class") == "bar":
            self.bars += 1
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id", ""), [])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def html():
    return render_report(CLASS, tests=TESTS, title="Class report: hw1", mistakes=MISTAKES)


def test_histogram_bins_count_totals_per_round_width():
    """Totals up to 10 fall in half-point bins from 0 to 10; the maximum has its own bin."""
    bins = histogram_bins([0, 0.5, 0.7, 4, 10], 10)
    assert len(bins) == 21 and bins[0] == (0.0, 1) and bins[1] == (0.5, 2) and bins[8] == (4.0, 1)
    assert bins[-1] == (10.0, 1) and sum(count for _, count in bins) == 5
    assert [start for start, _ in histogram_bins([3], 100)][:3] == [0.0, 5.0, 10.0]


def test_the_page_has_every_section_and_a_bar_per_bin(html):
    """The page holds the overview, an inline SVG histogram with one bar per bin, and the four tables."""
    page = Page(html)
    assert {"overview", "histogram", "questions", "tests", "mistakes", "pairs", "problems"} <= page.ids
    assert page.bars == len(histogram_bins([s.total for s in CLASS if s.graded], 10))


def test_the_overview_counts_submissions_graded_and_failed(html):
    """The overview says 5 submissions, 4 graded, 1 not, the mean of the graded totals (10, 1, 1, 5) and full marks."""
    text = " ".join(html.split())
    for card in (
        "<b>5</b>submissions",
        "<b>4</b>graded",
        "<b>1</b>could not be graded",
        "<b>4.25 / 10</b>mean total",
        "<b>1</b>full marks",
    ):
        assert card in text


def test_pass_rates_and_error_carried_forward_are_counted_per_test(html):
    """Each test's row gives how many graded submissions passed it and how many earned carried-forward credit."""
    rows = {row[0]: row for row in Page(html).tables["tests"][1:]}
    assert rows["1.1"][5].startswith("2 / 4 (50%)") and rows["2.2"][5].startswith("1 / 4 (25%)")
    assert rows["2.7"][5].startswith("3 / 4 (75%)") and rows["2.7"][6] == "1"


def test_mistakes_are_counted_under_their_title_with_their_hint(html):
    """A mistake named in tests' extra_data (`mistake` or `mistakes`) is counted once per submission, under a title
    in the catalogue's words, with its hint; one not in the catalogue keeps its code."""
    assert mistake_counts([s for s in CLASS if s.graded]) == {
        ("2.2", "c_bar_without_carry"): 2,
        ("2.2", "c_bar_one_minus_c_squared"): 1,
    }
    rows = Page(html).tables["mistakes"][1:]
    assert rows[0][1] == ("c_bar without the c_bar^(t+1) f^(t+1) term " + MISTAKES[0].hint + " (c_bar_without_carry)")
    assert rows[0][2].startswith("2 / 4 (50%)") and rows[1][1] == "c_bar_one_minus_c_squared"


def test_failing_pairs_are_tallied(html):
    """The shortest failing pairs of question 1 are listed with how many submissions failed on each."""
    assert Page(html).tables["pairs"][1:] == [["1.1", "3 + 1", "2"]]


def test_submissions_that_could_not_be_graded_are_listed_with_the_reason(html):
    """A failed submission and a test the grader failed on are listed, with who and why."""
    assert Page(html).tables["problems"][1:] == [
        ["submission_4", "<script>alert(1)</script>", "the grader failed on test 2.7 w_ix_bar (scored 0)"],
        ["submission_5", "Eve", "the grading process died (exit code -9)"],
    ]


def test_the_page_is_self_contained_and_escapes_names(html):
    """Nothing is loaded from elsewhere (no script, link, src, href or url()), and a name cannot inject markup."""
    assert not [tag for tag, attrs in Page(html).tags if tag in ("link", "img", "iframe")]
    assert not [attrs for tag, attrs in Page(html).tags if "src" in attrs or not attrs.get("href", "#").startswith("#")]
    scripts = [attrs.get("type") for tag, attrs in Page(html).tags if tag == "script"]
    assert scripts == ["application/json", None, "application/json"]
    assert "url(" not in html and "@import" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_empty_class_still_renders():
    """With nothing graded the page says so instead of drawing an empty histogram."""
    html = render_report([CLASS[-1]], tests=TESTS, title="t")
    assert "No submission was graded." in html and 'id="histogram"' not in html


def png_colours(path, limit=500):
    """Width, height and (up to `limit`) distinct RGB colours of an 8-bit RGB or RGBA PNG (no imaging library)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type = header[:4]
    assert depth == 8 and colour_type in (2, 6), header
    step = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * step
    previous, colours = bytearray(stride), set()
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride) if kind else ():
            a = line[x - step] if x >= step else 0
            b, c = previous[x], (previous[x - step] if x >= step else 0)
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if len(colours) < limit:
            colours.update(bytes(line[x : x + 3]) for x in range(0, stride, step))
        previous = line
    return width, height, colours


def chromium(tmp_path, *arguments):
    """Run headless Chromium on its own profile; return what it printed."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
        *arguments,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow  # two browser runs
@pytest.mark.skipif(CHROMIUM is None, reason="headless check needs Debian's chromium (apt-get install -y chromium)")
def test_a_browser_renders_the_report(html, tmp_path):
    """Chromium renders the page: a non-blank screenshot showing the bars' colour, and a DOM with histogram and
    tables."""
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    screenshot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1200,2600", page.as_uri())
    width, height, colours = png_colours(screenshot, limit=100_000)
    assert (width, height) == (1200, 2600) and screenshot.stat().st_size > 20_000
    assert len(colours) > 20, "the screenshot is (nearly) blank"
    assert bytes.fromhex("4c72b0") in colours, "the histogram's bars were not drawn"
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    rendered = Page(dom)
    assert rendered.bars == Page(html).bars > 0
    assert {"histogram", "tests", "mistakes", "problems"} <= rendered.ids
    assert len(rendered.tables["tests"]) == len(TESTS) + 1


# ---------------------------------------------------------------- the student table in a browser

# Text with no place to break (an email, a name, a folder name up to 239 bytes) must wrap, not widen the table.
LONG_EMAIL = "eve.failed." + "x" * 160 + "@students.school-of-computing.example.edu"
XSS = '<img src=x onerror="document.title=\'owned\'"><script>document.title="owned"</script>'
BROWSER_CLASS = [
    submission(1, RIGHT, RIGHT, RIGHT, name="Ann Able"),
    submission(2, (0.0, {"failing_pair": [3, 1]}), (0.0, {"mistake": "c_bar_without_carry"}), RIGHT, name=XSS),
    submission(3, (0.5, {}), RIGHT, (1.0, {"status": "carried_forward"}), name="Cy Carried"),
    GradedSubmission(
        "submission_4",
        (Submitter("Eve Failed", LONG_EMAIL, "4"),),
        failure_results("x"),
        problem="the grading process died (exit code -9)",
    ),
]
# The student's own text reaching the feedback unfenced (the worst case): it must still show as text.
BROWSER_CLASS[1].results["tests"][1]["output"] = "c_bar is wrong: " + XSS
PROBE = """
(function () {
  var th = Array.prototype.slice.call(document.querySelectorAll("#students th"));
  var col = function (name) { return th.findIndex(function (t) { return t.textContent === name; }); };
  var column = function (name) {
    return Array.prototype.map.call(document.querySelectorAll("#students tbody tr"),
                                    function (tr) { return tr.children[col(name)].textContent; });
  };
  var out = {};
  th[col("total")].click(); out.ascending = column("total");
  th[col("total")].click(); out.descending = column("total");
  th[col("name")].click(); out.byName = column("name"); out.statuses = column("status");
  out.overflow = document.documentElement.scrollWidth - window.innerWidth;  // > 0: the page scrolls sideways
  out.reason = Array.prototype.map.call(document.querySelectorAll("#students tbody tr"),
                                        function (tr) { return tr.children[col("status")].title; });
  var box = document.getElementById("filter");
  box.value = "EVE"; box.dispatchEvent(new Event("input")); out.filtered = column("name");
  out.count = document.querySelector("#pager .count").textContent;
  box.value = ""; box.dispatchEvent(new Event("input"));
  var status = document.getElementById("status-filter");
  status.value = "attention"; status.dispatchEvent(new Event("change")); out.attention = column("submission");
  status.value = "all"; status.dispatchEvent(new Event("change"));
  var flag = document.getElementById("flag-filter");
  flag.value = "carried forward"; flag.dispatchEvent(new Event("change")); out.carried = column("name");
  flag.value = ""; flag.dispatchEvent(new Event("change"));
  document.querySelector("#students tbody tr:nth-child(2)").click();
  var panel = document.getElementById("student");
  out.opened = !panel.hidden; out.who = panel.querySelector(".who").textContent;
  out.feedback = panel.querySelector(".feedback").textContent;
  out.images = document.querySelectorAll("img").length;
  out.title = document.title;
  document.body.setAttribute("data-probe", JSON.stringify(out));
})();
"""


@pytest.fixture(scope="module")
def browser_html():
    return render_report(BROWSER_CLASS, tests=TESTS, title="Class report: hw1", mistakes=MISTAKES)


@pytest.mark.skipif(CHROMIUM is None, reason="headless check needs Debian's chromium (apt-get install -y chromium)")
@pytest.mark.slow
def test_the_student_table_sorts_filters_and_opens_a_student(browser_html, tmp_path):
    """Clicking headers sorts (both ways), the filter box and the status and flag menus filter, a click opens the
    student; a name and feedback carrying HTML and script stay text: no image, no script run."""
    page = tmp_path / "report.html"
    page.write_text(browser_html.replace("</body>", f"<script>{PROBE}</script></body>"), encoding="utf-8")
    dom = chromium(tmp_path, "--window-size=1200,1400", "--dump-dom", page.as_uri())
    probe = json.loads(unescape(re.search(r'data-probe="([^"]*)"', dom).group(1)))
    assert probe["ascending"] == ["0", "1", "7.5", "10"] and probe["descending"] == ["10", "7.5", "1", "0"]
    assert probe["byName"] == [XSS, "Ann Able", "Cy Carried", "Eve Failed"]  # "<" sorts before letters
    assert probe["statuses"] == ["graded", "graded", "graded", "grader failed"]  # a short code; the reason beside
    assert probe["reason"] == ["", "", "", "the grading process died (exit code -9)"]
    assert probe["overflow"] <= 0, "the student table's text spills out of the page's column"
    assert probe["filtered"] == ["Eve Failed"] and probe["count"] == "1–1 of 1 student (filtered from 4)"
    assert probe["attention"] == ["submission_4"]
    assert probe["carried"] == ["Cy Carried"]
    assert probe["opened"] and probe["who"] == "Ann Able · SID 1 · 1@uni.edu"
    assert probe["images"] == 0 and probe["title"] == "Class report: hw1"


@pytest.mark.slow  # three browser runs
@pytest.mark.skipif(CHROMIUM is None, reason="headless check needs Debian's chromium (apt-get install -y chromium)")
def test_a_view_in_the_address_opens_a_student_as_text(browser_html, tmp_path):
    """`#open=1` opens the second student: the feedback shows the raw HTML as text, labelled by visibility;
    screenshots of the overview and of the opened student are kept for a person to look at."""
    page = tmp_path / "report.html"
    page.write_text(browser_html, encoding="utf-8")
    dom = chromium(tmp_path, "--dump-dom", page.as_uri() + "#open=1")
    opened = dom[dom.index('<section id="student"') :]
    assert "hidden" not in opened[: opened.index(">")]
    assert "c_bar is wrong: &lt;img src=x onerror=" in opened and "<img" not in dom
    assert 'class="vis vis-visible">visible</span>' in opened
    shots = Path(os.environ.get("REPORT_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    for name, address in (("overview", page.as_uri()), ("student", page.as_uri() + "#open=1")):
        chromium(tmp_path, f"--screenshot={shots / f'report-{name}.png'}", "--window-size=1200,1400", address)
        width, height, colours = png_colours(shots / f"report-{name}.png", limit=100_000)
        assert (width, height) == (1200, 1400) and len(colours) > 20


def test_question_1s_named_causes_read_as_titles_not_codes():
    """The adder judge's cause names (no catalogue file) show under a title in its hint's words."""
    graded = [submission(1, (0.0, {"failing_pair": [1, 1], "mistake": "output_weights"}), RIGHT, RIGHT)]
    rows = Page(render_report(graded, tests=TESTS, title="t")).tables["mistakes"][1:]
    assert rows == [
        [
            "1.1 Adds every pair",
            "hidden units fine, the output unit reads them wrongly (V, b_y) (output_weights)",
            "1 / 1 (100%)",
        ]
    ]


def test_the_header_states_the_date_the_configuration_and_the_versions():
    """The report says when it was made, from which configuration (file and SHA-256), with which versions."""
    config = load_config()
    html = render_report(
        CLASS, tests=TESTS, title="t", config=config, now=datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    )
    text = re.sub(r"<[^>]+>", "", html)
    assert "Generated 2026-12-01 09:30 UTC" in text and config.sha256 in text and "default.yaml" in text
    assert re.search(r"versions: autograder \S+, python \S+, numpy \S+", text)


def test_the_header_says_the_layers_of_isolation_the_gradings_had():
    """As the batch's summary does (docs/spec.md 6.1): every layer in force in a note, a missing one in a banner;
    nothing when no grading recorded them."""
    from autograder.worker.isolation import Isolation

    def graded_under(found):
        record = Isolation.of(found, mode="dedicated", private=True).record()
        return [replace(s, results={**s.results, "extra_data": {"isolation": record}}) for s in CLASS]

    everything = {
        "root": True,
        "cap_sys_admin": True,
        "user_namespace": True,
        "mount_namespace": True,
        "ipc_namespace": True,
        "network_namespace": True,
        "seccomp": None,
    }
    full = render_report(graded_under(everything), tests=TESTS, title="t")
    assert '<p id="isolation" class="note">Isolation: every layer in force' in full
    docker = {
        **everything,
        "cap_sys_admin": False,
        "mount_namespace": False,
        "ipc_namespace": False,
        "network_namespace": False,
        "user_namespace": False,
    }
    container = render_report(graded_under(docker), tests=TESTS, title="t")
    assert '<p id="isolation" class="banner">Isolation: missing' in container and "CAP_SYS_ADMIN" in container
    assert 'id="isolation"' not in render_report(CLASS, tests=TESTS, title="t")


def test_a_partial_report_says_so_at_the_top():
    """An interrupted run's report opens with a banner: how many submissions were reached, of how many."""
    waiting = GradedSubmission("submission_9", (), {}, problem=INTERRUPTED, cause=STOPPED)
    html = render_report([*CLASS, waiting], tests=TESTS, title="t", partial=True)
    assert 'id="partial"' in html and "interrupted after 5 of 6 submissions" in html
    html = render_report(
        [*CLASS, waiting], tests=TESTS, title="t", partial=True, stopped="the disk is full", unwritten=["canvas.csv"]
    )
    assert "the run stopped when the disk filled after 5 of 6 submissions" in html
    assert "canvas.csv did not fit on the disk" in html


def test_the_report_says_who_a_file_left_out_and_counts_in_words():
    """The lines about who canvas.csv left out are a section of their own; one student is "1 student"."""
    html = render_report(
        CLASS[:1], tests=TESTS, title="t", left_out={"canvas.csv": ["canvas.csv leaves out 1 student (no SID): A"]}
    )
    section = html[html.index('<section id="left-out-of-canvas.csv">') :]
    assert "canvas.csv leaves out 1 student (no SID): A" in section[: section.index("</section>")]
    assert not re.search(r"\b1 (students|submissions)\b", html)


def test_needs_attention_counts_a_submission_with_no_known_student_apart():
    """A folder the metadata does not list is under Needs attention, but it is no student: counted apart."""
    nobody = GradedSubmission("submission_9", (), CLASS[0].results, listed=False)
    html = render_report([*CLASS, nobody], tests=TESTS, title="t")
    people = sum(1 for s in CLASS for _ in s.submitters if attention(s, submission_flags(s)))
    assert f'<p class="note">{people} students and 1 submission with no known student.</p>' in html
    assert f'<p class="note">{people} students.</p>' in render_report(CLASS, tests=TESTS, title="t")


def test_flags_and_attention_come_from_what_the_student_was_told():
    """A time-out or a syntax error in a test's feedback, carried-forward credit, no files, a grader failure and a
    zero are flagged; all but carried-forward credit put the student on the needs-attention list."""

    def told(text, data=None):
        return build_results([(spec, Verdict(0.0, text, data or {})) for spec in TESTS])

    cases = {
        "timeout": GradedSubmission("t", (), told("Importing adder.py failed:\ntimed out after 5 s")),
        "syntax": GradedSubmission("s", (), told("SyntaxError: '(' was never closed")),
        "carried": GradedSubmission(
            "c", (), build_results([(spec, Verdict(1.0, "ok", {"status": "carried_forward"})) for spec in TESTS])
        ),
        "nothing": GradedSubmission("n", (), told("No `adder.py` was found"), no_files="none of the files"),
        "failed": CLASS[-1],
    }
    flags = {name: submission_flags(s) for name, s in cases.items()}
    assert flags == {
        "timeout": ["timeout"],
        "syntax": ["syntax error"],
        "carried": ["carried forward"],
        "nothing": ["no files"],
        "failed": ["grader failed"],
    }
    assert {name: attention(s, flags[name]) for name, s in cases.items()} == {
        "timeout": "scored 0, timeout",
        "syntax": "scored 0, syntax error",
        "carried": "",
        "nothing": "no files",
        "failed": "grader failed",
    }


def test_answer_forms_are_counted_per_form_with_their_most_common_names():
    """The forms table groups the files that counted by form (Python, data, LaTeX, notebook: by suffix), one row
    per question and form, most used first, with the commonest file names; a notebook per student stays one row."""
    counted = [
        {"1": "adder.py", "2": "lstm_bptt.py"},
        {"1": "adder.py", "2": "answers.tex"},
        {"1": "answers.tex", "2": "main.tex"},
        {"1": "adder.yaml", "2": "lstm_bptt.py"},
        *({"1": f"HW4_student{n}.ipynb", "2": f"HW4_student{n}.ipynb"} for n in range(5)),
        {"1": "work/Notebook.IPYNB", "2": "<b>x</b>.py"},
    ]
    graded = [
        GradedSubmission(f"s{n}", (), build_results([], extra_data={"forms": forms})) for n, forms in enumerate(counted)
    ]
    rows = Page(render_report(graded, tests=TESTS, title="t")).tables["forms"]
    assert rows == [
        ["question", "form", "submissions", "file names"],
        [
            "1",
            "notebook",
            "6",
            "HW4_student0.ipynb (1), HW4_student1.ipynb (1), HW4_student2.ipynb (1) and 3 other names",
        ],
        ["1", "Python file", "2", "adder.py (2)"],
        ["1", "LaTeX answers", "1", "answers.tex (1)"],
        ["1", "YAML or JSON data", "1", "adder.yaml (1)"],
        [
            "2",
            "notebook",
            "5",
            "HW4_student0.ipynb (1), HW4_student1.ipynb (1), HW4_student2.ipynb (1) and 2 other names",
        ],
        ["2", "Python file", "3", "lstm_bptt.py (2), <b>x</b>.py (1)"],
        ["2", "LaTeX answers", "2", "answers.tex (1), main.tex (1)"],
    ]


def test_students_with_the_same_feedback_share_it_in_the_page():
    """The page holds each distinct feedback once: students told the same thing point at one list of pieces,
    and a block that all share (the hint) is one piece, whatever else differs."""
    hint = "Hint: `c_bar` also reaches c^(t+1)."
    graded = [submission(n, RIGHT, RIGHT, RIGHT, name=f"S{n}") for n in range(3)]  # the same results, three students
    told = [
        GradedSubmission(
            f"t{n}",
            (),
            build_results([(spec, Verdict(0.0, f"got {n}\n\n{hint}")) for spec in TESTS]),
        )
        for n in range(2)
    ]
    html = render_report([*graded, *told], tests=TESTS, title="t")
    start = html.index('<script type="application/json" id="feedback-data">') + 51
    data = json.loads(html[start : html.index("</script>", start)])
    assert data["submissions"][:3] == [0, 0, 0] and data["submissions"][3:] == [1, 2]
    assert len(data["sequences"]) == 3
    assert sum(hint.replace("`c_bar`", "<code>c_bar</code>") in piece for piece in data["pieces"]) == 1


def test_a_submission_not_graded_is_flagged_by_whose_side_it_is():
    """A bad upload (a zip bomb, a name too long), an interrupted run and the grader's own failure are three
    different flags; a graded submission with a note from the export is flagged for attention too."""
    bomb = GradedSubmission("b", (), {}, "b/zeros.bin is compressed more than 200:1 (a zip bomb?)", cause=BAD_UPLOAD)
    waiting = GradedSubmission("w", (), {}, INTERRUPTED, cause=STOPPED)
    noted = GradedSubmission("n", (), CLASS[0].results, notes=("its zip holds adder.py more than once",))
    flags = [submission_flags(s) for s in (bomb, waiting, CLASS[-1], noted)]
    assert flags == [["bad upload"], ["interrupted"], ["grader failed"], ["upload note"]]
    assert attention(noted, flags[3]) == "upload note"
    html = render_report([bomb, waiting, CLASS[-1]], tests=TESTS, title="t", partial=True)
    assert Page(html).tables["problems"][1][2] == "bad upload: " + bomb.problem
    assert Page(html).tables["problems"][2][2] == "interrupted: " + INTERRUPTED


def test_every_cause_a_judge_names_has_a_readable_title():
    """Each cause the judges name outside the catalogue (every name question 1's hints return, the LSTM judge's
    own) has a title in the report's mistakes table: a new hint never shows there as a bare name."""
    source = ast.parse((ROOT / "autograder" / "judge" / "adder_hints.py").read_text())
    named = {
        node.value.elts[0].value
        for node in ast.walk(source)
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Tuple)
        if isinstance(node.value.elts[0], ast.Constant) and isinstance(node.value.elts[0].value, str)
    }
    assert {"carry_lost", "hidden_bias", "float_rounding"} <= named
    assert named | {lstm.ONE_INDEX_EARLY, lstm.STATE_BETWEEN_CALLS} <= set(CAUSES)


def test_the_overview_cards_add_up_to_the_submissions():
    """Graded, not graded and listed-without-a-folder add up to the submissions (a graded one with none of the
    files counts among the graded, and is said so)."""
    empty = GradedSubmission("e", (), CLASS[0].results, no_files="none of the assignment's files is in it")
    nowhere = GradedSubmission("n", (), {}, no_files=NO_FOLDER)
    text = " ".join(render_report([*CLASS, empty, nowhere], tests=TESTS, title="t").split())
    for card in (
        "<b>7</b>submissions",
        "<b>5</b>graded",
        "<b>1</b>of them with no files",
        "<b>1</b>could not be graded",
        "<b>1</b>no folder in the export",
    ):
        assert card in text
