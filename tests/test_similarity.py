"""Tests of the TA's similarity section: records, fingerprints, designs, pairs, the CSV and the report's section."""

import ast
import csv
import json
import os
import shutil
import stat
from pathlib import Path
from types import SimpleNamespace

import pytest
from similarity_class import PLANTED, make_class
from test_classreport import CHROMIUM, chromium, png_colours

from autograder import batch, build
from autograder.collect import Collected, call_key
from autograder.judge.adder_weights import read_adder_weights
from autograder.judge.verdict import Verdict
from autograder.kinds import KINDS, load_config
from autograder.similarity.behaviour import canonical_design, wrong_numbers
from autograder.similarity.evidence import EVIDENCE, Evidence
from autograder.similarity.fingerprints import (
    CODE,
    LATEX,
    MAX_BYTES,
    MAX_NOTEBOOK_BYTES,
    fingerprint_files,
    fingerprint_text,
)
from autograder.similarity.pairs import find_pairs
from autograder.similarity.screening import (
    CSV,
    DISMISSED,
    REFERENCE_ADDER,
    first_rows,
    party_names,
    read_dismissed,
    reference_design,
)
from conftest import ROOT

SAMPLES = ROOT / "submissions_sample"


def rows_of(path):
    with open(path, encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def planted_pairs():
    return {frozenset(pair) for pair in PLANTED.values()}


# ---------------------------------------------------------------- the generated class, end to end


@pytest.fixture(scope="module")
def class_run(tmp_path_factory):
    """One batch run over a generated export of 210 submissions with planted pairs."""
    root = tmp_path_factory.mktemp("class")
    make_class(root / "export")
    out = root / "out"
    code = batch.main(
        export=root / "export", out=out, jobs=2, stdout=open(root / "log", "w"), stderr=open(root / "err", "w")
    )
    assert code == 0, (root / "err").read_text()[-2000:]
    return SimpleNamespace(root=root, out=out, rows=rows_of(out / CSV))


@pytest.mark.slow
def test_the_planted_pairs_are_listed_first_and_nothing_expected_by_chance_is(class_run):
    """The three planted pairs (numbers, code, LaTeX) come first; no pair from a shared catalogued mistake, a
    common wrong equation, the reference's weights (scaled or reordered) or the common templates is listed."""
    listed = [frozenset((row["submission_a"], row["submission_b"])) for row in class_run.rows]
    assert set(listed[:3]) == planted_pairs()
    assert set(listed) == planted_pairs(), listed


@pytest.mark.slow
def test_each_planted_pair_is_listed_for_its_own_signal_with_its_evidence(class_run):
    """The numbers pair: every c_bar value of every problem (T = 1 + 3 + 6 + 15 + 50 and more) to about 15
    digits, 2 of the class; the code and LaTeX pairs: fingerprints."""
    by_pair = {frozenset((row["submission_a"], row["submission_b"])): row for row in class_run.rows}
    numbers = by_pair[frozenset(PLANTED["numbers"])]
    record = json.loads((class_run.out / "submissions" / PLANTED["numbers"][0] / EVIDENCE).read_text())
    assert list(record["numbers"]) == ["2.2"] and record["numbers"]["2.2"]["quantity"] == "c"
    values = sum(len(value) for value in record["numbers"]["2.2"]["values"])
    assert int(numbers["numbers_values"]) == values >= 75 and float(numbers["numbers_digits"]) >= 12
    assert numbers["numbers_shared_by"] == "2" and not numbers["code_fingerprints"]
    assert int(by_pair[frozenset(PLANTED["code"])]["code_fingerprints"]) >= 40
    assert float(by_pair[frozenset(PLANTED["latex"])]["latex_share"]) >= 0.9


@pytest.mark.slow
def test_the_common_wrong_equation_is_kept_but_not_listed(class_run):
    """The 14 students with the same uncatalogued wrong o_bar have it in their records: it is the class's
    share (more than 5 %), not a missing record, that keeps them out."""
    records = [json.loads(p.read_text()) for p in class_run.out.glob(f"submissions/*wrong_o/{EVIDENCE}")]
    assert len(records) == 14 and all(record["numbers"] for record in records)


@pytest.mark.slow
def test_records_are_private_and_never_in_results_json(class_run):
    """Each record and similarity.csv are readable by their owner only; results.json holds none of it."""
    folder = class_run.out / "submissions" / PLANTED["numbers"][0]
    for path in (folder / EVIDENCE, class_run.out / CSV, class_run.out / DISMISSED):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    results = (folder / "results.json").read_text()
    record = json.loads((folder / EVIDENCE).read_text())
    assert record["numbers"] and all(f'"{key}"' not in results for key in ("prints", "numbers", "design", "values"))


@pytest.mark.slow
def test_a_dismissed_pair_stays_dismissed_on_a_rerun(class_run, tmp_path):
    """A pair written into similarity-dismissed.txt is marked dismissed in the CSV and left out of the report,
    on a rerun that grades nothing (the records of the earlier run are compared)."""
    out = tmp_path / "out"
    shutil.copytree(class_run.out, out)
    with open(out / DISMISSED, "a", encoding="utf-8") as file:
        file.write("\t".join(PLANTED["code"]) + "\t# same tutor's example, checked\n")
    code = batch.main(
        export=class_run.root / "export",
        out=out,
        jobs=2,
        stdout=open(tmp_path / "log", "w"),
        stderr=open(tmp_path / "err", "w"),
    )
    assert code == 0
    rows = {frozenset((r["submission_a"], r["submission_b"])): r["dismissed"] for r in rows_of(out / CSV)}
    assert rows == {
        frozenset(PLANTED["code"]): "yes",
        frozenset(PLANTED["numbers"]): "",
        frozenset(PLANTED["latex"]): "",
    }
    section = (out / "report.html").read_text().split('id="similarity"')[1].split("</section>")[0]
    assert PLANTED["numbers"][0] in section and "s002_code_a</a>" not in section and "1 dismissed" in section


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless check needs Debian's chromium (apt-get install -y chromium)")
def test_a_browser_shows_the_section_with_highlights_and_links(class_run, tmp_path):
    """Chromium renders the section: the caution, the highlighted code and numbers, links to each drill-down (the
    screenshot is kept in $REPORT_SCREENSHOTS, when set, for a person to look at)."""
    page = class_run.out / "report.html"
    shots = Path(os.environ.get("REPORT_SCREENSHOTS", tmp_path))
    screenshot = shots / "report-similarity.png"
    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1200,2600", page.as_uri() + "#similarity")
    width, height, colours = png_colours(screenshot, limit=100_000)
    assert (width, height) == (1200, 2600) and len(colours) > 20
    assert bytes.fromhex("ffd8b5") in colours, "no matching region was highlighted"
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    section = dom.split('id="similarity"')[1].split("</section>")[0]
    assert "Similarity is a reason to look, not proof." in section
    rows = first_rows(
        [SimpleNamespace(id=p.name, submitters=()) for p in sorted((class_run.root / "export").iterdir())]
    )
    for student in PLANTED["numbers"]:
        assert f'href="#open={rows[student]}"' in section


# ---------------------------------------------------------------- the batch's options


def tiny_export(tmp_path, names):
    export = tmp_path / "export"
    for name, sample in names.items():
        shutil.copytree(SAMPLES / sample if sample != "reference" else ROOT / "reference", export / name)
    return export


def run(export, out, **options):
    log = out.parent / f"{out.name}.log"
    with open(log, "w") as stream:
        code = batch.main(export=export, out=out, jobs=2, stdout=stream, stderr=stream, **options)
    assert code == 0, log.read_text()


@pytest.mark.slow
def test_no_similarity_keeps_nothing_and_a_later_run_says_what_has_no_record(tmp_path):
    """--no-similarity keeps nothing for it (no record, no similarity.csv, no section); a later run with it
    says which submissions have no record, and --regrade keeps them."""
    export = tiny_export(tmp_path, {"a": "lstm_loop_skips_last_step", "b": "lstm_loop_skips_last_step"})
    out = tmp_path / "off"
    run(export, out, similarity=False)
    assert not (out / CSV).exists() and 'id="similarity"' not in (out / "report.html").read_text()
    assert not list(out.glob(f"submissions/*/{EVIDENCE}"))
    run(export, out)
    assert rows_of(out / CSV) == [] and "2 submissions have no record to compare" in (out / "report.html").read_text()
    run(export, out, regrade=True)
    assert [(r["submission_a"], r["submission_b"]) for r in rows_of(out / CSV)] == [("a", "b")]


@pytest.mark.slow
def test_an_earlier_terms_submission_is_found(tmp_path):
    """--similar-to: a student who hands in an earlier term's answer is paired with it; earlier pairs are not."""
    earlier = tiny_export(tmp_path / "earlier", {"old1": "lstm_loop_skips_last_step", "old2": "lstm_correct_loop"})
    run(earlier, tmp_path / "earlier_out")
    now = tiny_export(tmp_path / "now", {"new1": "lstm_loop_skips_last_step", "new2": "reference"})
    run(now, tmp_path / "out", similar_to=tmp_path / "earlier_out")
    pairs = {frozenset((r["submission_a"], r["submission_b"])) for r in rows_of(tmp_path / "out" / CSV)}
    assert pairs == {frozenset(("new1", "earlier_out:old1"))}


# ---------------------------------------------------------------- question 1 designs


def weights(**changes):
    return read_adder_weights({**REFERENCE_ADDER, **changes})


def test_the_reference_design_is_the_reference_solutions():
    """The constant the screening treats as common is reference/adder.py's weights."""
    tree = ast.parse((ROOT / "reference" / "adder.py").read_text())
    values = {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)}
    assert canonical_design(read_adder_weights(values)) == reference_design()


@pytest.mark.parametrize(
    "changes",
    [
        {"U": [[2, 2], [3, 3], [1, 1]], "W": [[0, 2, 0], [0, 3, 0], [0, 1, 0]], "b_h": [-1, -4.5, -2.5]},
        {"U": [[1, 1]] * 3, "W": [[1, 0, 0]] * 3, "V": [[-1, 1, 1]], "b_h": [-1.5, -0.5, -2.5]},
        {"V": [[4, -4, 4]], "b_y": -2},
    ],
    ids=["units-scaled", "units-reordered", "output-scaled"],
)
def test_scalings_and_orders_of_the_reference_are_its_design(changes):
    """Scaling a unit's weights, reordering the hidden units, or scaling the output keeps the design."""
    assert canonical_design(weights(**changes)) == reference_design()


def test_another_threshold_is_another_design():
    """Different thresholds are a different design (which two students could share)."""
    assert canonical_design(weights(b_h=[-0.4, -1.6, -2.5])) != reference_design()


# ---------------------------------------------------------------- numbers


def test_only_unexplained_wrong_numbers_are_kept():
    """Right, carried-forward and catalogued-mistake quantities are dropped, as is a constant wrong answer."""
    config = load_config()
    specs = {spec.number: spec for spec in config.tests}
    calls = list(KINDS["lstm_bar"].calls(specs["2.1"].params))
    replies = {}
    for index, call in enumerate(calls):
        length = len(call["x"]["__array__"]) if isinstance(call["x"], dict) else len(call["x"])
        replies[call_key(call)] = {
            "value": {q: [0.0] + [index + 0.1 * t for t in range(1, length)] for q in "hcgofi"} | {"w_ix": 0.0}
        }
    form = Collected(adder="none", replies=replies)
    outcomes = [
        (specs["2.1"], Verdict(0.0, "", {"quantity": "h", "status": "wrong", "mistake": None})),
        (specs["2.2"], Verdict(0.0, "", {"quantity": "c", "status": "wrong", "mistake": "c_bar_without_carry"})),
        (specs["2.3"], Verdict(0.5, "", {"quantity": "g", "status": "carried_forward"})),
        (specs["2.4"], Verdict(1.0, "", {"quantity": "o", "status": "correct"})),
        (specs["2.7"], Verdict(0.0, "", {"quantity": "w_ix", "status": "wrong", "mistake": None})),
    ]
    kept = wrong_numbers(outcomes, [form], {"2": "lstm_bptt.py"})
    assert list(kept) == ["2.1"] and kept["2.1"]["quantity"] == "h" and len(kept["2.1"]["values"]) == len(calls)


def evidence(sid, numbers=None, design=None, files=()):
    return Evidence(sid, "", numbers or {}, {"written": design, "design": design} if design else None, tuple(files))


def wrong(values):
    return {"2.2": {"quantity": "c", "problems": ["p"], "values": [values]}}


def test_a_wrong_pattern_more_than_five_percent_share_is_never_a_pair():
    """Of 40 submissions, 3 sharing a wrong pattern are listed; 3 sharing a design too; 5 sharing one are not."""
    rare, common = [0.1, 0.2, 0.3, 0.4], [1.5, 2.5, 3.5, 4.5]
    parties = [evidence(f"r{n}", wrong(rare), "rare-design") for n in range(2)]
    parties += [evidence(f"c{n}", wrong(common), "common-design") for n in range(5)]  # 5 > 5 % of 40 = 2
    parties += [evidence(f"x{n}", wrong([n, n + 0.5, n + 0.7])) for n in range(33)]
    found = find_pairs(parties)
    assert [(p.a, p.b) for p in found] == [("r0", "r1")]
    assert found[0].numbers[0].digits == 16 and found[0].design == (True, 2)


def test_an_earlier_term_is_paired_with_this_term_only_and_dismissed_pairs_are_marked():
    """Two earlier submissions that agree are not a pair; this term's pair in the dismissed list is marked."""
    values = [0.1, 0.2, 0.3]
    parties = [evidence("a", wrong(values)), evidence("b", wrong(values)), evidence("old:1", wrong([7, 8, 9]))]
    parties.append(evidence("old:2", wrong([7, 8, 9])))
    found = find_pairs(parties, earlier=frozenset({"old:1", "old:2"}), dismissed=frozenset({frozenset({"a", "b"})}))
    assert [(p.a, p.b, p.dismissed) for p in found] == [("a", "b", True)]


# ---------------------------------------------------------------- text


LOOP = (SAMPLES / "lstm_correct_loop" / "lstm_bptt.py").read_text()


def prints(text, channel=CODE):
    return {p[0] for p in fingerprint_text("f", text, channel).prints}


def test_renamed_variables_and_reordered_functions_keep_the_fingerprints():
    """Renaming every local and moving the helper after the main function changes few fingerprints."""
    head, helper, main = LOOP.split("\n\n\n")
    copied = "\n\n\n".join([head, main, helper]).replace("h_bar", "dh").replace("sigmoid_slope", "ds")
    assert len(prints(LOOP) & prints(copied)) >= 0.8 * len(prints(LOOP))


def test_latex_spacing_changes_no_fingerprint():
    """Spaces, thin spaces, \\left/\\right and line breaks are not tokens."""
    tex = r"\overline{c^{(t)}} &= \overline{h^{(t)}} o^{(t)} (1 - \tanh^2(c^{(t)})) + \overline{c^{(t+1)}} f^{(t+1)}"
    spaced = tex.replace(" ", "").replace("=", r"=\,").replace("(1", r"\left(1").replace("))", r")\right)")
    assert prints(tex, LATEX) == prints(spaced, LATEX) and prints(tex, LATEX)


def test_a_notebooks_code_cells_are_code_and_its_markdown_is_not():
    """A notebook's code cells are fingerprinted like a Python file; a broken notebook has no fingerprints."""
    notebook = {"cells": [{"cell_type": "markdown", "source": ["# notes"]}, {"cell_type": "code", "source": LOOP}]}
    printed, notes = fingerprint_files({"hw.ipynb": json.dumps(notebook).encode(), "x.ipynb": b"{" * 100_000})
    assert {p[0] for p in printed[0].prints} == prints(LOOP) and printed[1].prints == () and not notes


def test_a_notebook_past_its_bound_is_not_parsed_and_says_so():
    """A notebook larger than the bound is not parsed in the trusted process; the record's note says so."""
    printed, notes = fingerprint_files({"hw.ipynb": b" " * (MAX_NOTEBOOK_BYTES + 1)})
    assert printed == [] and notes == [f"hw.ipynb: a notebook past {MAX_NOTEBOOK_BYTES // 2**20} MB is not compared"]


def test_a_huge_file_is_cut_with_a_note():
    """A file past its bounds (size, tokens, time: whichever comes first) is compared up to the bound, with a note."""
    printed, notes = fingerprint_files({"lstm_bptt.py": ("x = 1\n" * (MAX_BYTES // 3)).encode()})
    assert printed[0].prints and printed[0].cut and notes == [f"lstm_bptt.py: {printed[0].cut}"]
    assert len(printed[0].text) == MAX_BYTES


def test_adder_files_are_left_to_the_design():
    """adder.py holds only weights: its text is not compared (question 1's design is, scalings folded)."""
    printed, _ = fingerprint_files({"adder.py": b"U = [[1, 1]]\n" * 50, "lstm_bptt.py": LOOP.encode()})
    assert [f.name for f in printed] == ["lstm_bptt.py"]


# ---------------------------------------------------------------- parties, dismissals, packaging


def test_a_group_is_one_party_named_by_its_members_and_linked_to_its_first_row():
    """A group's submission is one party: its members' names together, its first row in the student table."""
    person = SimpleNamespace
    submissions = [
        SimpleNamespace(id="1", submitters=(person(name="Ana", email="", sid=""), person(name="Bo", email="", sid=""))),
        SimpleNamespace(id="2", submitters=(person(name="", email="c@x", sid=""),)),
        SimpleNamespace(id="3", submitters=()),
    ]
    assert party_names(submissions) == {"1": "Ana & Bo", "2": "c@x", "3": ""}
    assert first_rows(submissions) == {"1": 0, "2": 2, "3": 3}


def test_the_dismissed_file_reads_tab_separated_ids_and_skips_comments(tmp_path):
    """Lines of two ids (tab-separated, or space-separated) with optional notes; comments and blanks skipped."""
    path = tmp_path / DISMISSED
    path.write_text("# header\n\na b\t# looked, fine\nid with space\tother\n\nc d e\n", encoding="utf-8")
    assert read_dismissed(path) == {frozenset({"a", "b"}), frozenset({"id with space", "other"}), frozenset({"c", "d"})}


def test_the_tas_tools_are_in_neither_the_gradescope_zip_nor_the_kit():
    """requirements-ta.txt (Pygments) is never shipped: Gradescope and the kit install requirements.txt only."""
    assert "Pygments" in (ROOT / "requirements-ta.txt").read_text()
    for files in (build.gradescope_files(), build.kit_files()):
        assert "requirements-ta.txt" not in files and not any("pygments" in name.lower() for name in files)
        for installer in ("setup.sh", "requirements.txt"):  # what Gradescope installs from
            assert b"requirements-ta" not in files.get(installer, b"") and b"Pygments" not in files.get(installer, b"")
    assert not any(name.startswith("autograder/similarity/") for name in build.kit_files())
