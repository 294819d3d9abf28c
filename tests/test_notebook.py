"""Tests of notebooks: found like the other files, their code cells run in the worker by docs/spec.md 5.3."""

import json

import pytest

from autograder import engine
from autograder import locate as locate_module
from autograder.collect import NOTEBOOK, _cell_note, collect
from autograder.kinds import load_config
from autograder.locate import Located, is_wanted, locate
from autograder.worker import Limits, Sandbox
from conftest import ROOT

FAST = Limits(call_seconds=0.5, wall_seconds=6)


def notebook(*cells, markdown_first=True):
    """An nbformat-4 notebook: a markdown cell, then the code cells (sources as lists of lines, as Jupyter saves)."""
    code = [
        {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source.splitlines(True)}
        for source in cells
    ]
    text = [{"cell_type": "markdown", "metadata": {}, "source": ["# Homework\n"]}] if markdown_first else []
    return json.dumps({"cells": text + code, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as opened:
        yield opened


def run(sandbox, content, *, names=("U", "V", "lstm_bptt"), calls=(), limits=FAST, cells_seconds=4):
    task = {
        "task": "call",
        "module": "notebook.ipynb",
        "names": list(names),
        "function": "lstm_bptt",
        "calls": list(calls),
        "call_seconds": limits.call_seconds,
        "cells_seconds": cells_seconds,
    }
    return sandbox.run(task, {"notebook.ipynb": content}, limits)


def kinds(result):
    return [(note["kind"], note["cell"]) for note in result.notes]


def test_code_cells_run_in_order_in_one_namespace(sandbox):
    """Names defined in one cell are seen by later ones; the adder's names and lstm_bptt come from the namespace."""
    result = run(
        sandbox,
        notebook(
            "import numpy as np\nU = np.ones((3, 2))",
            "V = U.sum()",
            "def lstm_bptt(x, weights, forward, dL_dh):\n    return {'w_ix': V}",
        ),
        calls=[{"x": 1, "weights": 2, "forward": 3, "dL_dh": 4}],
    )
    assert result.replies[0]["names"]["U"] == [[1.0, 1.0]] * 3 and result.replies[0]["names"]["V"] == 6.0
    assert "lstm_bptt" in result.replies[0]["names"]
    assert result.replies[1] == {"value": {"w_ix": 6.0}} and result.notes == [] and result.failure is None


def test_cells_run_as_main_as_in_jupyter(sandbox):
    """A notebook's cells run as __main__, so code under `if __name__ == "__main__":` runs as it does in Jupyter."""
    result = run(sandbox, notebook("if __name__ == '__main__':\n    U = 1"))
    assert result.replies[0]["names"] == {"U": 1.0}


def test_shell_and_magic_lines_are_skipped(sandbox):
    """Lines starting with % or ! (after blanks) are skipped, also inside a block; the rest of the cell runs."""
    cell = "!pip install -q numpy\n%matplotlib inline\nif True:\n    !ls -la\n    U = 2\n%time V = 3\n  !echo\nV = 4"
    result = run(sandbox, notebook(cell))
    assert result.replies[0]["names"] == {"U": 2.0, "V": 4.0} and result.notes == []


def test_a_cell_magic_cell_is_skipped_with_a_note(sandbox):
    """A cell starting with %% is skipped whole, and noted; the next cells run."""
    result = run(sandbox, notebook("%%capture\nU = 1", "V = 2"))
    assert result.replies[0]["names"] == {"V": 2.0}
    assert result.notes == [{"kind": "cell_magic", "cell": 1, "detail": "%%capture"}]


def test_a_raising_cell_is_noted_and_later_cells_run(sandbox):
    """The error names the code cell (markdown cells not counted) and shows the student's frames and lines."""
    result = run(sandbox, notebook("def f():\n    return 1 / 0", "U = 1\nf()", "V = 2"))
    assert result.replies[0]["names"] == {"U": 1.0, "V": 2.0}
    assert kinds(result) == [("raised", 2)]
    detail = result.notes[0]["detail"]
    assert 'File "cell 2", line 2' in detail and 'File "cell 1", line 2, in f' in detail
    assert "return 1 / 0" in detail and detail.endswith("ZeroDivisionError: division by zero")
    assert "inside/" not in detail and "zygote" not in detail  # the worker's own frames are not shown


def test_a_syntax_error_is_a_raising_cell(sandbox):
    """A cell that does not compile is noted like one that raises; the others run."""
    result = run(sandbox, notebook("U = = 1", "V = 2"))
    assert result.replies[0]["names"] == {"V": 2.0} and kinds(result) == [("raised", 1)]
    assert "SyntaxError" in result.notes[0]["detail"] and 'File "cell 1", line 1' in result.notes[0]["detail"]


def test_a_colab_import_is_noted_as_such(sandbox):
    """`from google.colab import drive` fails outside Colab: noted as Colab's, and the rest runs."""
    result = run(sandbox, notebook("from google.colab import drive\ndrive.mount('/content/drive')", "U = 1"))
    assert kinds(result) == [("colab", 1)] and result.replies[0]["names"] == {"U": 1.0}


def test_a_missing_module_is_noted_as_such(sandbox):
    """A module that is not installed (torch, say) is named as such; the rest of the notebook runs."""
    result = run(sandbox, notebook("import torch\nU = 1", "V = 2"))
    assert kinds(result) == [("no_module", 1)] and result.replies[0]["names"] == {"V": 2.0}
    assert _cell_note(result.notes[0], FAST, 4).startswith(
        "Code cell 1 imports a module that is not installed where your work is graded (only numpy and Python's "
        "standard library are): that cell stopped there; the later cells still ran.\n\n```text\nTraceback"
    )


def test_a_cell_past_its_time_limit_is_stopped_and_later_cells_run(sandbox):
    """A training loop is stopped after the per-cell limit (call_seconds), noted, and the next cells still run."""
    result = run(sandbox, notebook("U = 1", "while True:\n    pass", "V = 2"))
    assert result.replies[0]["names"] == {"U": 1.0, "V": 2.0}
    assert result.notes == [{"kind": "timed_out", "cell": 2, "detail": "timed out after 0.5 s"}]


@pytest.mark.slow
def test_a_cell_that_swallows_every_interruption_ends_the_run(sandbox):
    """A loop that catches every timeout cannot be stopped: the wall clock ends the run, and the cell is known."""
    cell = "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"
    result = run(sandbox, notebook("U = 1", cell, "V = 1"), limits=Limits(call_seconds=0.3, wall_seconds=1.5))
    assert result.cell == 2 and result.failure == "timed out after 1.5 s" and result.replies == []


def test_only_the_first_twenty_problem_cells_are_described(sandbox):
    """A notebook of many failing cells gets twenty notes and a count of the rest, not a flood."""
    result = run(sandbox, notebook(*["1 / 0"] * 25, "U = 1"))
    assert kinds(result) == [("raised", cell) for cell in range(1, 21)] + [("more", 21)]
    assert result.notes[-1]["detail"] == "5" and result.replies[0]["names"] == {"U": 1.0}
    assert (
        _cell_note(result.notes[-1], FAST, 4) == "5 more code cells, from cell 21 on, failed or were skipped too "
        "(not shown)."
    )


def test_the_cells_share_the_notebooks_time(sandbox):
    """Once the cells have used their total time, the later cells do not run, and that is noted."""
    result = run(
        sandbox,
        notebook("import time\ntime.sleep(0.4)", "time.sleep(0.4)", "U = 1", "V = 2"),
        limits=Limits(call_seconds=1, wall_seconds=6),
        cells_seconds=0.6,
    )
    assert ("out_of_time", 3) in kinds(result) and result.replies[0]["names"] == {}
    assert _cell_note(result.notes[-1], FAST, 0.6) == (
        "Code cells 3 to 4 did not run: the notebook's cells used up "
        "their 0.6 s. Only the definitions are needed (U, V, W, b_h, "
        "b_y, lstm_bptt), not training or downloads."
    )


@pytest.mark.slow
def test_a_cell_stuck_in_compiled_code_ends_the_run_and_is_named(sandbox):
    """A cell the alarm cannot interrupt runs into the wall clock; the message names that cell."""
    content = notebook("U = 1", "x = sum(range(10 ** 12))", "V = 2")
    located = Located({"*.ipynb": content}, (), {"*.ipynb": "hw/My HW.ipynb"})
    python, form = collect(located, calls=[], sandbox=sandbox, limits=Limits(call_seconds=0.3, wall_seconds=1.5))
    assert form.form == NOTEBOOK and form.answers == frozenset()
    assert form.adder.startswith(
        "Your notebook `My HW.ipynb` stopped in code cell 2: it timed out after 1.5 s. "
        "That cell could not be interrupted (it was inside compiled code"
    )
    assert "Only the definitions are needed" in form.adder and form.lstm_problem == form.adder


def test_a_notebook_answers_the_questions_it_defines_something_for(sandbox):
    """A notebook with only lstm_bptt answers question 2; for question 1 it says what is missing."""
    content = notebook("def lstm_bptt(x, weights, forward, dL_dh):\n    return {}")
    _, form = collect(
        Located({"*.ipynb": content}, (), {"*.ipynb": "hw.ipynb"}), calls=[], sandbox=sandbox, limits=FAST
    )
    assert form.answers == frozenset({"2"}) and form.lstm_problem is None
    assert (
        form.adder == "Your notebook `hw.ipynb` defines none of U, V, W, b_h, b_y, and no `adder.py` was found "
        "in your submission."
    )


def test_a_cell_that_ends_the_process_is_named(sandbox):
    """A cell that kills its own process ends the run; the message names the cell and what happened."""
    located = Located({"*.ipynb": notebook("U = 1", "import os\nos._exit(3)", "V = 2")}, (), {"*.ipynb": "hw.ipynb"})
    _, form = collect(located, calls=[], sandbox=sandbox, limits=FAST)
    assert form.adder == (
        "Your notebook `hw.ipynb` stopped in code cell 2: it exited early with status 3 (sys.exit?). "
        "The later cells did not run."
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (
            b'{"cells": [',
            "it is not valid notebook JSON (line 1, column 12: Expecting value): was it saved completely?",
        ),
        (b"[1, 2]", "it is not a Jupyter notebook (it has no list of cells)"),
        (b'{"nbformat": 3, "worksheets": []}', "it is in the old notebook format 3"),
        (b'{"nbformat": 5, "cells": []}', "it is in notebook format 5, not 4"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 7}]}', "code cell 1 has no readable source"),
        (b'\xff\xfe{"cells": []}', "it is not UTF-8 text"),
        (b"[" * 100_000, "its JSON is nested too deeply"),
        (notebook(*["x = 1"] * 1001), "it has 1001 code cells, more than the 1000 the grader runs"),
        (
            b"# %%\nimport numpy as np\nU = np.ones((3, 2))\n",
            "it is plain text, not a notebook (a notebook's file starts with `{`): Python code renamed .ipynb? Upload "
            "Python code as adder.py and lstm_bptt.py",
        ),
    ],
    ids=[
        "cut-off",
        "not-a-notebook",
        "format-3",
        "format-5",
        "bad-source",
        "not-utf8",
        "deep",
        "too-many-cells",
        "python-renamed",
    ],
)
def test_a_malformed_notebook_is_a_clear_message(sandbox, content, message):
    """What cannot be read as an nbformat-4 notebook is one message for both questions, never a crash."""
    result = run(sandbox, content, calls=[{"x": 1}])
    assert result.failure is None and len(result.replies) == 2
    assert all(reply["error"].startswith("The notebook could not be read: ") for reply in result.replies)
    assert message in result.replies[0]["error"]


def test_a_notebook_over_20_mb_is_not_run(sandbox):
    """The worker reads at most 20 MB of notebook (outputs included); more is a message."""
    big = notebook("U = 1")[:-1] + b', "padding": "' + b"x" * 20_000_000 + b'"}'
    result = run(sandbox, big)
    assert "larger than 20 MB: clear its outputs" in result.replies[0]["error"]


def test_outputs_are_never_run_or_read(sandbox):
    """Cells' outputs (text, images, errors) and markdown cells play no part: only code cells' sources run."""
    data = json.loads(notebook("U = 1"))
    data["cells"][1]["outputs"] = [
        {"output_type": "stream", "name": "stdout", "text": ["V = 2\n"]},
        {"output_type": "error", "ename": "X", "evalue": "", "traceback": []},
    ]
    data["cells"].append({"cell_type": "raw", "metadata": {}, "source": "V = 3"})
    result = run(sandbox, json.dumps(data).encode())
    assert result.replies[0]["names"] == {"U": 1.0} and result.notes == []


def test_latex_answers_in_markdown_are_not_read_and_the_student_is_told(sandbox):
    """A Markdown cell writing a bar's equation is noted once (where, what to write instead); the code still runs."""
    data = json.loads(notebook("U = 1", "V = 2"))
    data["cells"].insert(
        2,
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": ["Derivation:\n", "$$\\overline{h^{(t)}} = \\frac{\\partial L}{\\partial h^{(t)}}$$\n"],
        },
    )
    data["cells"].append({"cell_type": "markdown", "metadata": {}, "source": "$U = \\begin{bmatrix} 1 \\end{bmatrix}$"})
    result = run(sandbox, json.dumps(data).encode())
    assert result.replies[0]["names"] == {"U": 1.0, "V": 2.0}
    assert result.notes == [
        {
            "kind": "markdown_latex",
            "cell": 1,
            "detail": "$$\\overline{h^{(t)}} = \\frac{\\partial L}{\\partial h^{(t)}}$$",
        }
    ]
    assert _cell_note(result.notes[0], FAST, 4) == (
        "A Markdown cell (after code cell 1) writes answers in LaTeX, such as "
        "`$$\\overline{h^{(t)}} = \\frac{\\partial L}{\\partial h^{(t)}}$$`: Markdown is not read. Put the "
        "equations in an `answers.tex` file (see the handout), or the answers as Python in code cells."
    )


@pytest.mark.parametrize("defines_lstm", [True, False])
def test_latex_in_markdown_is_advice_only_while_a_question_has_no_answer(tmp_path, sandbox, defines_lstm):
    """A notebook that answers both questions in code while its Markdown shows U in LaTeX is not told to write
    answers.tex; one that leaves question 2 without an answer is."""
    code = [(ROOT / "reference" / "adder.py").read_text()]
    if defines_lstm:
        code.append((ROOT / "reference" / "lstm_bptt.py").read_text())
    data = json.loads(notebook(*code))
    data["cells"].insert(
        1, {"cell_type": "markdown", "metadata": {}, "source": "$$U = \\begin{bmatrix} 1 & 1 \\end{bmatrix}$$"}
    )
    (tmp_path / "hw.ipynb").write_text(json.dumps(data))
    forms = collect(locate(tmp_path), calls=[], sandbox=sandbox, limits=FAST)
    told = any("Markdown is not read" in note for form in forms for note in form.notes)
    assert told is not defines_lstm


def test_markdown_without_answers_is_not_noted(sandbox):
    """Ordinary Markdown, even with math, is no note: only an answer written in LaTeX is."""
    data = json.loads(notebook("U = 1"))
    data["cells"][0]["source"] = "# HW 3\nThe loss is $L = \\sum_t L^{(t)}$ and $h^{(t)} = o^{(t)} \\tanh(c^{(t)})$."
    assert run(sandbox, json.dumps(data).encode()).notes == []


def test_the_shallowest_of_several_notebooks_is_used_with_a_note(tmp_path):
    """Notebooks may have any name; of several, the shallowest is read and the student is told."""
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "a.ipynb").write_bytes(notebook("U = 1"))
    (tmp_path / "HW3 final.IPYNB").write_bytes(notebook("U = 2"))
    found = locate(tmp_path)
    assert found.files == {"*.ipynb": notebook("U = 2")} and found.found == {"*.ipynb": "HW3 final.IPYNB"}
    assert found.notes == (
        "Several notebooks were found: read `HW3 final.IPYNB` (the shallowest), ignored `old/a.ipynb`.",
    )


def test_notebooks_and_tex_files_are_wanted_by_any_name():
    """The kit's check copies what `is_wanted` says: notebooks and .tex files by suffix, the others by name."""
    assert all(is_wanted(name) for name in ("HW 3.ipynb", "main.tex", "Answers.TEX", "adder.py", "lstm_bptt.py"))
    assert not any(is_wanted(name) for name in ("notes.txt", "helpers.py", "ipynb"))


def test_jupyters_checkpoint_copies_are_not_notebooks_of_the_student(tmp_path):
    """`.ipynb_checkpoints/hw-checkpoint.ipynb` (an older autosave) is junk: only the notebook itself is read."""
    (tmp_path / ".ipynb_checkpoints").mkdir()
    (tmp_path / ".ipynb_checkpoints" / "hw-checkpoint.ipynb").write_bytes(notebook("U = 0"))
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "hw.ipynb").write_bytes(notebook("U = 1"))
    found = locate(tmp_path)
    assert found.found == {"*.ipynb": "work/hw.ipynb"} and found.notes == ()


def test_a_notebook_alone_may_be_the_submission(tmp_path):
    """`grade hw.ipynb`: a single file given as the submission is found like one in a folder."""
    (tmp_path / "hw.ipynb").write_bytes(notebook("U = 1"))
    found = locate(tmp_path / "hw.ipynb")
    assert found.files == {"*.ipynb": notebook("U = 1")} and found.notes == ()


def test_a_notebook_may_exceed_the_size_limit_of_other_files(tmp_path):
    """A notebook with large outputs (over 1 MB, under 20 MB) is read whole; the worker ignores the outputs."""
    data = json.loads(notebook("U = 1"))
    image = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "A" * 3_000_000}}
    data["cells"][1]["outputs"] = [image]
    (tmp_path / "hw.ipynb").write_text(json.dumps(data))
    assert len(locate(tmp_path).files["*.ipynb"]) > 3_000_000


@pytest.mark.parametrize(
    "files, read, note",
    [
        ({"answers.tex": b"a", "main.tex": b"m"}, b"a", None),
        ({"sub/answers.tex": b"a", "main.tex": b"m"}, b"a", None),
        ({"overleaf/main.tex": b"m"}, b"m", "No `answers.tex` was found: read `overleaf/main.tex` as your answers."),
        (
            {"main.tex": b"m", "preamble.tex": b"p"},
            None,
            "No `answers.tex` was found, but several other .tex files "
            "(`main.tex`, `preamble.tex`): none was read. Name the file with your answers `answers.tex`: it is the "
            "one file read (`\\input` and `\\include` are not followed).",
        ),
    ],
    ids=["answers-first", "answers-deeper-still-first", "single-other", "several-others"],
)
def test_answers_tex_or_a_single_other_tex_file(tmp_path, files, read, note):
    """answers.tex is read wherever it is; without it, a single other .tex file is read with a note; several are not."""
    for name, content in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(content)
    found = locate(tmp_path)
    assert found.files.get("answers.tex") == read
    assert found.notes == ((note,) if note else ())


def test_notes_from_the_worker_become_safe_sentences():
    """A note's detail is a literal block; a note of unknown kind or shape (forged by student code) is dropped."""
    limits = Limits()
    raised = _cell_note({"kind": "raised", "cell": 3, "detail": "ValueError: <b>x</b>\n```\n# title"}, limits, 20)
    assert raised == (
        "Code cell 3 raised an error; the later cells still ran.\n\n"
        "````text\nValueError: <b>x</b>\n```\n# title\n````\n"
    )
    long = _cell_note({"kind": "raised", "cell": 2, "detail": "A" * 5000 + "ValueError: the end"}, limits, 20)
    assert len(long) < 1700 and "\n[...]\n" in long and "ValueError: the end\n```" in long
    assert _cell_note({"kind": "raised", "cell": "3", "detail": "x"}, limits, 20) is None
    assert _cell_note({"kind": "<img src=x>", "cell": 3, "detail": "x"}, limits, 20) is None
    assert _cell_note(["raised", 3, "x"], limits, 20) is None
    assert _cell_note({"kind": "more", "cell": 3, "detail": "**many**"}, limits, 20) is None
    magic = _cell_note({"kind": "cell_magic", "cell": 1, "detail": "%%html `<script>`"}, limits, 20)
    assert magic == (
        "Code cell 1 starts with the cell magic `` %%html `<script>` ``: it was skipped, as every cell starting with "
        "`%%` is (only Python runs here); delete that line for the cell to run."
    )


def test_a_notebook_grades_like_the_equivalent_python_files(tmp_path, sandbox):
    """The same code as notebook cells or as adder.py and lstm_bptt.py: the same score and feedback in every test."""
    samples = ROOT / "submissions_sample"
    (tmp_path / "adder.py").write_bytes((samples / "adder_wrong_output" / "adder.py").read_bytes())
    (tmp_path / "lstm_bptt.py").write_bytes((samples / "lstm_c_bar_without_carry" / "lstm_bptt.py").read_bytes())
    config = load_config()
    as_files = engine.grade(tmp_path, config=config, sandbox=sandbox)
    as_notebook = engine.grade(samples / "notebook_like_py_files", config=config, sandbox=sandbox)
    outcomes = [[(test["score"], test["output"]) for test in results["tests"]] for results in (as_files, as_notebook)]
    assert outcomes[0] == outcomes[1] and as_files["score"] == 5
    assert as_notebook["extra_data"]["forms"] == {"1": "q1_q2.ipynb", "2": "q1_q2.ipynb"}


def test_an_import_of_a_file_a_skipped_writefile_cell_was_to_write_says_why_it_fails(sandbox):
    """`%%writefile lstm_bptt.py` is skipped like every %% cell, so `from lstm_bptt import ...` fails: the note
    says that, not that a module is not installed; an import of anything else is still "not installed"."""
    result = run(
        sandbox,
        notebook(
            "%%writefile lstm_bptt.py\ndef lstm_bptt(x, weights, forward, dL_dh):\n    return {}",
            "%%file -a 'helpers.py'\nX = 1",
            "U = 1\nfrom lstm_bptt import lstm_bptt",
            "import helpers.sub",
            "import torch",
        ),
    )
    assert result.replies[0]["names"] == {"U": 1.0}
    assert kinds(result) == [
        ("cell_magic", 1),
        ("cell_magic", 2),
        ("unwritten_module", 3),
        ("unwritten_module", 4),
        ("no_module", 5),
    ]
    assert [note["detail"] for note in result.notes[2:4]] == ["1\tlstm_bptt.py", "2\thelpers.py"]
    assert _cell_note(result.notes[2], FAST, 4) == (
        "Code cell 3 imports `lstm_bptt.py`, which code cell 1 was to write with `%%writefile`: cells starting with "
        "`%%` are not run, so the file was never written and that import failed; the later cells still ran. Put "
        "that code in the notebook itself: delete the `%%writefile` line, and the import."
    )
    assert _cell_note({"kind": "unwritten_module", "cell": 3, "detail": "x\tlstm_bptt.py"}, FAST, 4) is None


def test_a_notebook_too_large_to_read_says_how_to_shrink_it(tmp_path, monkeypatch):
    """A notebook past its bound is made large by its outputs: the note says how to clear them."""
    monkeypatch.setitem(locate_module.MAX_BYTES, "*.ipynb", 1000)
    (tmp_path / "hw.ipynb").write_bytes(notebook("U = 1", "x" * 2000))
    assert locate(tmp_path).notes == (
        "`hw.ipynb` is larger than 1 kB; it was not read. Its outputs (plots, printed logs) make it large, and they "
        "are never read: clear them (Edit > Clear all outputs in Colab, Edit > Clear Outputs of All Cells in "
        "Jupyter), save, and upload it again.",
    )
