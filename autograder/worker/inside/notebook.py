"""Untrusted: a notebook's code cells run in order, in one namespace, each under its own time limit."""

from __future__ import annotations

import json
import linecache
import os
import re
import sys
import time
import types
from collections.abc import Callable
from typing import Any, Protocol

from .guard import CallTimeout, guarded

NOTEBOOK_BYTES = 20_000_000
MAX_CELL_NOTES = 20  # cells described in the feedback; more are counted
MAX_CODE_CELLS = 1000  # each sends its number before it runs: the replies stay small


LATEX_ANSWER = re.compile(
    r"\\overline\s*\{|\\bar\s*\{?\s*[hcgofiw]|"
    r"\b(?:U|V|W|b_h|b_\{h\})\s*=\s*\\begin\{[bpv]?matrix\}"
)


FETCH_AGAIN = "Download it again from Jupyter or Colab (File > Download > .ipynb)"


class Sender(Protocol):
    """Where notes go: the child's reply pipe (child.Replies)."""

    def send(self, obj: dict[str, Any]) -> None: ...


class NotebookError(Exception):
    """The notebook cannot be read; the message is for the student."""


def notebook_cells(path: str) -> tuple[list[str], tuple[int, str] | None]:
    """The sources of the code cells of an nbformat-4 notebook, in order, and where a Markdown cell
    writes an answer in LaTeX (which is not read: the student is told). Outputs are never looked at."""
    with open(path, "rb") as stream:
        data = stream.read(NOTEBOOK_BYTES + 1)
    if len(data) > NOTEBOOK_BYTES:
        raise NotebookError(
            f"it is larger than {NOTEBOOK_BYTES // 1_000_000} MB: clear its outputs (Edit > Clear all outputs) "
            "and save it again"
        )
    try:
        text = data.decode("utf-8-sig")
        notebook = json.loads(text)
    except UnicodeDecodeError:
        raise NotebookError(f"it is not UTF-8 text. {FETCH_AGAIN}") from None
    except RecursionError:
        raise NotebookError(f"its JSON is nested too deeply. {FETCH_AGAIN}") from None
    except json.JSONDecodeError as error:
        if text.lstrip()[:1] not in ("{", "["):  # a script renamed .ipynb (`# %%` cells, as VS Code writes them)
            raise NotebookError(
                "it is plain text, not a notebook (a notebook's file starts with `{`): Python code renamed .ipynb? "
                "Upload Python code as adder.py and lstm_bptt.py, or download the notebook from Jupyter or Colab "
                "(File > Download > .ipynb)"
            ) from None
        where = f" (line {error.lineno}, column {error.colno}: {error.msg})"
        raise NotebookError(f"it is not valid notebook JSON{where}: was it saved completely? {FETCH_AGAIN}") from None
    if type(notebook) is not dict or type(notebook.get("cells")) is not list:
        if type(notebook) is dict and "worksheets" in notebook:
            raise NotebookError(
                "it is in the old notebook format 3: open it in a current Jupyter or Colab and save it again"
            )
        raise NotebookError(f"it is not a Jupyter notebook (it has no list of cells). {FETCH_AGAIN}")
    if notebook.get("nbformat", 4) != 4:
        raise NotebookError(
            f"it is in notebook format {notebook.get('nbformat')!r}, not 4: "
            "open it in a current Jupyter or Colab and save it again"
        )
    sources: list[str] = []
    written = None  # (code cells before it, its line) of the first Markdown cell that writes an answer in LaTeX
    scan = 1_000_000  # characters of Markdown looked at
    for cell in notebook["cells"]:
        if type(cell) is not dict or cell.get("cell_type") not in ("code", "markdown"):
            continue
        source = cell.get("source", "")
        if type(source) is list and all(type(line) is str for line in source):
            source = "".join(source)
        if type(source) is not str and cell["cell_type"] == "code":
            raise NotebookError(f"code cell {len(sources) + 1} has no readable source. {FETCH_AGAIN}")
        if cell["cell_type"] == "code":
            sources.append(source)
        elif written is None and type(source) is str and scan > 0:
            text, scan = source[:scan], scan - len(source)  # a bounded look (images may be inlined as text)
            if answer := LATEX_ANSWER.search(text):
                line = text[text.rfind("\n", 0, answer.start()) + 1 :].split("\n", 1)[0]
                written = (len(sources), line.strip()[:120])
    if len(sources) > MAX_CODE_CELLS:
        raise NotebookError(
            f"it has {len(sources)} code cells, more than the {MAX_CODE_CELLS} the grader runs: "
            "keep the cells that define your answers"
        )
    return sources, written


def without_magics(source: str) -> str:
    """The cell's Python: lines whose first non-blank character is % or ! (magics, shell commands
    such as !pip install) are blanked; one that opens a block (after a line ending in `:`) becomes
    `pass` at its indentation, so the block stays valid. Line numbers do not change."""
    lines = source.split("\n")
    opens_block = False
    for index, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped[:1] in ("%", "!"):
            lines[index] = line[: len(line) - len(stripped)] + "pass" if opens_block else ""
            opens_block = False
        elif stripped and not stripped.startswith("#"):
            opens_block = stripped.rstrip().endswith(":")
    return "\n".join(lines)


def run_notebook(
    path: str, cell_seconds: float, total_seconds: float, describe: Callable[[BaseException], str], replies: Sender
) -> tuple[bool, Any]:
    """Run the notebook's code cells in one namespace: (True, the namespace) or (False, why it cannot run).

    What happens to cells is sent as notes ({"note": {"kind", "cell", "detail"}}); before each cell
    its number is sent ({"cell": n}), so that a cell stuck in compiled code, which only the task's
    wall clock can stop, can still be named. `total_seconds` bounds all the cells together.
    """
    try:
        sources, written = notebook_cells(path)
    except NotebookError as error:
        return False, f"The notebook could not be read: {error}"
    if written is not None:
        replies.send({"note": {"kind": "markdown_latex", "cell": written[0], "detail": written[1]}})
    deadline = time.monotonic() + total_seconds
    module = types.ModuleType("__main__")  # as in Jupyter, where cells run as __main__
    sys.modules["__main__"] = module
    namespace = vars(module)
    told, untold = 0, []  # cells beyond MAX_CELL_NOTES are counted, not described
    # module name -> (cell, file name) of a skipped %%writefile cell: importing that module fails
    unwritten: dict[str, tuple[int, str]] = {}
    for number, source in enumerate(sources, start=1):
        if source.lstrip().startswith("%%"):
            magic = source.lstrip().split("\n")[0][:200]
            problem: tuple[str, str] | None = ("cell_magic", magic)
            written_file = writefile_target(magic)
            if written_file is not None:
                unwritten.setdefault(written_file[: -len(".py")], (number, written_file))
        else:
            remaining = deadline - time.monotonic()
            if remaining <= 0:  # always told: the cells from here on never ran
                replies.send({"note": {"kind": "out_of_time", "cell": number, "detail": f"{len(sources)}"}})
                break
            replies.send({"cell": number})
            filename = os.path.join(os.path.dirname(path), f"cell {number}")
            code = without_magics(source)
            linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # tracebacks show it
            problem = run_cell(code, filename, namespace, min(cell_seconds, remaining), describe, unwritten)
        if problem is not None and told < MAX_CELL_NOTES:
            replies.send({"note": {"kind": problem[0], "cell": number, "detail": problem[1]}})
            told += 1
        elif problem is not None:
            untold.append(number)
    if untold:
        replies.send({"note": {"kind": "more", "cell": untold[0], "detail": f"{len(untold)}"}})
    return True, module


def writefile_target(magic_line: str) -> str | None:
    """The .py file a `%%writefile [-a] NAME.py` line (or IPython's alias `%%file`) writes (its base name), or None
    for any other cell magic."""
    words = magic_line.split()
    names = [word for word in words[1:] if not word.startswith("-")]
    if words[:1] not in (["%%writefile"], ["%%file"]) or len(names) != 1:
        return None
    name = names[0].strip("'\"").replace("\\", "/").rsplit("/", 1)[-1]
    return name if name.endswith(".py") and name[:-3].isidentifier() else None


def run_cell(
    code: str,
    filename: str,
    namespace: dict[str, Any],
    seconds: float,
    describe: Callable[[BaseException], str],
    unwritten: dict[str, tuple[int, str]] | None = None,
) -> tuple[str, str] | None:
    """Run one cell's code: None, or (kind, message) with kind "raised", "colab", "no_module", "timed_out" or
    "unwritten_module" (an import of a file that a skipped %%writefile cell of `unwritten` was to write; the
    message is then "CELL\tFILE")."""
    kinds = []

    def described(exc: BaseException) -> str:
        kinds.append(import_kind(exc, unwritten or {}))
        return describe(exc)

    ok, message = guarded(lambda: exec(compile(code, filename, "exec"), namespace), seconds, described)
    if ok:
        return None
    if message.startswith("timed out"):
        return "timed_out", message
    kind = kinds[-1] if kinds else "raised"
    if isinstance(kind, tuple):  # the module a %%writefile cell was to write
        return "unwritten_module", f"{kind[0]}\t{kind[1]}"
    return kind, message


def import_kind(exc: BaseException, unwritten: dict[str, tuple[int, str]]) -> str | tuple[int, str]:
    """ "colab" for a failed import of Colab's own modules (google.colab exists only there), the (cell, file)
    of `unwritten` for a module that a skipped %%writefile cell was to write, "no_module" for another module
    that is not installed, else "raised"."""
    try:
        name = exc.name if isinstance(exc, ModuleNotFoundError) else None
        if type(name) is not str:
            return "raised"
        top = name.split(".")[0]
        return "colab" if top == "google" else unwritten.get(top, "no_module")
    except CallTimeout:
        raise
    except BaseException:
        return "raised"
