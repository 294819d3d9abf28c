"""Run each form of the student's answers in the worker and bring back plain data: the adder's names, the LSTM answers.

A form is the Python files (adder.py or its data files, lstm_bptt.py), `answers.tex`, or a notebook.
Each form found is collected, side by side in worker tasks; `autograder.precedence` then judges
them and keeps the best per question.

Hidden means hidden (docs/spec.md 6.2): the calls that only hidden tests make run in tasks of their
own, after every task whose output a student sees has ended (and, with a dedicated worker user,
after the sandbox cleaned that user: `Sandbox.run` does when its last running task ends), so no
student code that feeds visible feedback ever shares a process, a user or a time window with them.
Their replies answer hidden tests only; what those tasks printed reaches the course staff only and
never decides anything a student sees. answers.tex and data files run no student code: no split.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from autograder.datafile import read_data_file
from autograder.locate import Located
from autograder.record import Record, field, replace
from autograder.text import literal, literal_block
from autograder.worker.limits import Limits
from autograder.worker.sandbox import Sandbox, TaskResult

ADDER_NAMES = ("U", "V", "W", "b_h", "b_y")
ADDER_READ = (*ADDER_NAMES, "v")  # what is read: also `v`, the output weights as course notes name them
LSTM_FUNCTION = "lstm_bptt"
PYTHON, LATEX, NOTEBOOK = 0, 1, 2  # the forms, in the order that breaks ties (docs/spec.md 5.3)
FORM_NAMES = {PYTHON: "file", LATEX: "LaTeX file", NOTEBOOK: "notebook"}  # "your notebook `hw.ipynb`"
ANSWER_FILES = {LATEX: ("answers.tex", "answers.tex"), NOTEBOOK: ("*.ipynb", "notebook.ipynb")}  # located as, run as
NOTE_CHARS = 1500  # of a cell's error shown in a note (up to 20 cells are)
CELLS_SHARE = 2 / 3  # of the wall time, for a notebook's cells; the rest is kept for the calls
HIDDEN_RUN = "run again for the hidden tests' calls"  # a file or notebook, in the staff's log and hidden tests
ONLY_DEFINITIONS = "Only the definitions are needed (U, V, W, b_h, b_y, lstm_bptt), not training or downloads."


class Collected(Record):
    """One form's answers, as plain data, or why it has none (in the student's terms)."""

    adder: Mapping[str, Any] | str
    adder_file: str = "adder.py"  # the file the adder's names came from (adder.py, adder.yaml, adder.json, a notebook)
    replies: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # call key -> {"value": ...} | {"error"...}
    lstm_problem: str | None = None
    output: str = ""  # what the student's code printed in the tasks for visible tests (shown to instructors only)
    hidden_output: str = ""  # what it printed while answering hidden tests' calls (instructors only, never counted)
    lstm_file: str = "lstm_bptt.py"  # the file lstm_bptt came from
    form: int = PYTHON  # PYTHON, LATEX or NOTEBOOK
    answers: frozenset[str] = frozenset({"1", "2"})  # the questions this form holds something for
    notes: tuple[str, ...] = ()  # about the form itself (a notebook's cells), Markdown-safe
    unread: tuple[str, ...] = ()  # on answers written where they are not read (Markdown): in notes if one is missing
    # What the judges read from these answers, read once for every test that reads the same (kinds.py).
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    def reply(self, call: Mapping[str, Any]) -> Mapping[str, Any]:
        """The reply to one call of the student's function."""
        return self.replies[call_key(call)]

    def file(self, question: str) -> str:
        """The file that answers a question ("1" or "2") in this form."""
        return self.adder_file if question == "1" else self.lstm_file


def call_key(call: Mapping[str, Any]) -> str:
    """A call's identity: calls with equal arguments are made once. Remembered per call object: the calls prepared
    for a configuration (kinds.py keeps them) are keyed again by every judge that reads their replies, and a key
    writes out every number of the call. A call is never changed once made."""
    known = _KEYS.get(id(call))
    if known is not None and known[0] is call:  # the entry holds the call: its id is not another's
        return known[1]
    key = json.dumps(call, sort_keys=True)
    if len(_KEYS) >= KEYS_KEPT:
        _KEYS.clear()
    _KEYS[id(call)] = (call, key)
    return key


KEYS_KEPT = 4096
_KEYS: dict[int, tuple[Mapping[str, Any], str]] = {}


def collect(
    located: Located,
    *,
    calls: Sequence[Mapping[str, Any]],
    sandbox: Sandbox,
    limits: Limits,
    hidden_calls: Sequence[Mapping[str, Any]] = (),
) -> list[Collected]:
    """Collect every form found; the Python files' form comes first, always.

    `calls` are those of the tests a student sees (now or later), `hidden_calls` those of hidden tests:
    the tasks for `calls` run side by side, then, once all of them have ended, the tasks for the hidden
    calls that are not among `calls` (docs/spec.md 6.2).
    """
    unique = unique_calls(calls)
    shown = {key for key, _ in unique}
    hidden = [(key, call) for key, call in unique_calls(hidden_calls) if key not in shown]
    answer_files = [form for form, (name, _) in ANSWER_FILES.items() if name in located.files]
    with _Threads() as pool:
        adder = pool.submit(_collect_adder, located, sandbox, limits)
        lstm = pool.submit(_collect_calls, located, unique, sandbox, limits)
        # answers.tex runs no student code: its reader answers every call at once.
        others = [
            pool.submit(
                _collect_answer_file, located, form, [*unique, *hidden] if form == LATEX else unique, sandbox, limits
            )
            for form in answer_files
        ]
        (adder_data, adder_output), (replies, lstm_problem, lstm_output) = adder.result(), lstm.result()
        forms = [future.result() for future in others]
        # Every task that feeds visible feedback has ended here: only now do the hidden calls run.
        python_hidden = pool.submit(_collect_calls, located, hidden, sandbox, limits, True) if hidden else None
        notebooks_hidden = [
            (index, pool.submit(_collect_hidden_notebook, located, form.form, hidden, sandbox, limits))
            for index, form in enumerate(forms)
            if hidden and form.form == NOTEBOOK and "2" in form.answers
        ]
        hidden_replies, _, hidden_output = python_hidden.result() if python_hidden else ({}, None, "")
        for index, future in notebooks_hidden:
            more, printed = future.result()
            forms[index] = replace(forms[index], replies={**forms[index].replies, **more}, hidden_output=printed)
    adder_file = located.first("adder") or "adder.py"
    python = Collected(
        adder=adder_data,
        adder_file=adder_file,
        replies={**replies, **hidden_replies},
        lstm_problem=lstm_problem,
        output=_labelled(adder_file, adder_output) + _labelled("lstm_bptt.py", lstm_output),
        hidden_output=_labelled(f"lstm_bptt.py, {HIDDEN_RUN}", hidden_output),
        answers=_python_answers(located),
    )
    # Where answers are not read (a Markdown cell's LaTeX) is worth saying only while a question has no answer.
    answered = {question for form in [python, *forms] for question in form.answers}
    if not {"1", "2"} <= answered:
        forms = [replace(form, notes=(*form.notes, *form.unread)) for form in forms]
    return [python, *forms]


T = TypeVar("T")


class _Started(Generic[T]):
    """A function running in a thread of its own: `result()` waits for it and returns what it returned (or raises
    what it raised)."""

    def __init__(self, function: Callable[..., T], *args: Any) -> None:
        self._outcome: tuple[bool, Any] = (False, None)
        self._thread = threading.Thread(target=self._run, args=(function, args), name=f"collect-{function.__name__}")
        self._thread.start()

    def _run(self, function: Callable[..., T], args: tuple[Any, ...]) -> None:
        try:
            self._outcome = (True, function(*args))
        except BaseException as error:  # noqa: BLE001 - raised again in the thread that asks for the result
            self._outcome = (False, error)

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> T:
        self.wait()
        finished, value = self._outcome
        if not finished:
            raise value
        return value


class _Threads:
    """Functions run side by side, a thread each; leaving the block waits for every one of them. (What
    concurrent.futures' pool does here, without loading it and logging at every grading.)"""

    def __init__(self) -> None:
        self._started: list[_Started[Any]] = []

    def __enter__(self) -> _Threads:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for started in self._started:
            started.wait()

    def submit(self, function: Callable[..., T], *args: Any) -> _Started[T]:
        started = _Started(function, *args)
        self._started.append(started)
        return started


def _python_answers(located: Located) -> frozenset[str]:
    """The questions the Python files (or the adder's data file) answer."""
    return frozenset(q for q, group in (("1", "adder"), ("2", "lstm")) if located.first(group))


def unique_calls(calls: Sequence[Mapping[str, Any]]) -> list[tuple[str, Mapping[str, Any]]]:
    """Each call once, keyed, in the order first made: calls with equal arguments are made once."""
    return list({call_key(call): call for call in calls}.items())


def _collect_adder(located: Located, sandbox: Sandbox, limits: Limits) -> tuple[Mapping[str, Any] | str, str]:
    name = located.first("adder")
    if name is None:
        return "No `adder.py` (or `adder.yaml` / `adder.json`) was found in your submission.", ""
    if not name.endswith(".py"):
        return read_data_file(name, located.files[name], ADDER_READ), ""
    task = {"task": "names", "module": name, "names": list(ADDER_READ)}
    result = sandbox.run(task, {name: located.files[name]}, limits)
    if result.replies and "names" in result.replies[0] and isinstance(result.replies[0]["names"], dict):
        return result.replies[0]["names"], result.output
    # Not "could not be loaded": the file may have loaded, then sent too much back, hung or run out of memory.
    # The worker's own words ("Importing adder.py failed: ...") say when the import itself failed.
    problem = f"The weights (U, V, W, b_h, b_y) could not be read from your `{name}`:"
    return f"{problem}\n\n{literal_block(_task_problem(name, result))}", result.output


def _collect_calls(
    located: Located,
    unique: Sequence[tuple[str, Mapping[str, Any]]],
    sandbox: Sandbox,
    limits: Limits,
    hidden: bool = False,
) -> tuple[dict[str, Mapping[str, Any]], str | None, str]:
    """lstm_bptt.py's replies to `unique` calls, in one task (`hidden`: calls of hidden tests alone)."""
    name = located.first("lstm")
    if name is None:
        return {}, "No `lstm_bptt.py` was found in your submission.", ""
    if not unique:
        return {}, None, ""
    task = {
        "task": "call",
        "module": name,
        "function": LSTM_FUNCTION,
        "call_seconds": limits.call_seconds,
        "calls": [call for _, call in unique],
    }
    result = sandbox.run(task, {name: located.files[name]}, limits, hidden=hidden)
    return _replies(unique, result.replies, _task_problem(name, result)), None, result.output


def _replies(
    unique: Sequence[tuple[str, Mapping[str, Any]]], replies: Sequence[Mapping[str, Any]], problem: str
) -> dict[str, Mapping[str, Any]]:
    """Each call's reply, in order; calls the worker never answered get the task's problem."""
    answers = [reply for reply in replies if "value" in reply or "error" in reply]
    return {
        key: answers[index] if index < len(answers) else {"error": problem} for index, (key, _) in enumerate(unique)
    }


def _collect_answer_file(
    located: Located, form: int, unique: Sequence[tuple[str, Mapping[str, Any]]], sandbox: Sandbox, limits: Limits
) -> Collected:
    """answers.tex or a notebook: one worker task reads (or runs) it once and answers both questions."""
    located_as, run_as = ANSWER_FILES[form]
    shown = _shown(located, form)
    task = _answer_task(run_as, unique, limits, names=True)
    cells_seconds = task["cells_seconds"]
    result = sandbox.run(task, {run_as: located.files[located_as]}, limits)
    kind = FORM_NAMES[form]
    said = [(raw, note) for raw in result.notes if (note := _cell_note(raw, limits, cells_seconds)) is not None]
    unread = tuple(note for raw, note in said if raw.get("kind") == "markdown_latex")
    notes = tuple(note for raw, note in said if raw.get("kind") != "markdown_latex")
    notes += _remarks(result.replies[1:2])
    first = result.replies[0] if result.replies else {}
    names = first.get("names") if isinstance(first.get("names"), dict) else None
    if names is None:
        if result.cell is not None and "error" not in first:
            failure = result.failure or "gave no answer"
            problem = f"Your {kind} {literal(shown)} stopped in code cell {result.cell}: it {failure}. " + (
                "That cell could not be interrupted (it was inside compiled code, or it caught every interruption), "
                f"so the run ended there and the later cells did not run. {ONLY_DEFINITIONS}"
                if failure.startswith("timed out")
                else "The later cells did not run."
            )
        else:
            text = first["error"] if isinstance(first.get("error"), str) else _task_problem(shown, result)
            problem = f"Your {kind} {literal(shown)} could not be used:\n\n{literal_block(text)}"
        return Collected(
            adder=problem,
            adder_file=shown,
            lstm_problem=problem,
            lstm_file=shown,
            form=form,
            answers=frozenset(),
            notes=notes,
            unread=unread,
            output=_labelled(shown, result.output),
        )
    adder = {key: value for key, value in names.items() if key in ADDER_READ}
    answers = frozenset(q for q, has in (("1", bool(adder)), ("2", LSTM_FUNCTION in names)) if has)
    return Collected(
        adder=adder if adder else _unanswered("1", form, shown),
        adder_file=shown,
        lstm_file=shown,
        form=form,
        answers=answers,
        notes=notes,
        unread=unread,
        replies=_replies(unique, result.replies[1:], _task_problem(shown, result)),
        lstm_problem=None if "2" in answers else _unanswered("2", form, shown),
        output=_labelled(shown, result.output),
    )


def _collect_hidden_notebook(
    located: Located, form: int, hidden: Sequence[tuple[str, Mapping[str, Any]]], sandbox: Sandbox, limits: Limits
) -> tuple[dict[str, Mapping[str, Any]], str]:
    """A notebook's cells run again, in a task of their own, for the hidden tests' calls: the replies (calls it
    did not answer say why, with that run's notes on its cells: hidden tests alone show them) and what it printed."""
    located_as, run_as = ANSWER_FILES[form]
    shown = _shown(located, form)
    task = _answer_task(run_as, hidden, limits, names=False)
    result = sandbox.run(task, {run_as: located.files[located_as]}, limits, hidden=True)
    notes = [note for raw in result.notes if (note := _cell_note(raw, limits, task["cells_seconds"])) is not None]
    problem = (
        f"Your {FORM_NAMES[form]} {literal(shown)} was {HIDDEN_RUN} (its cells again within "
        f"{task['cells_seconds']:g} s): {_task_problem(shown, result)}"
    )
    if result.cell is not None and result.failure:
        problem += f" It stopped in code cell {result.cell}."
    if notes:
        problem += "\n\n" + "\n".join(notes[:3])
    return _replies(hidden, result.replies, problem), _labelled(f"{shown}, {HIDDEN_RUN}", result.output)


def _shown(located: Located, form: int) -> str:
    """The answer file's name as the student wrote it (without its folder)."""
    located_as, run_as = ANSWER_FILES[form]
    return located.found.get(located_as, run_as).rsplit("/", 1)[-1]


def _answer_task(
    run_as: str, unique: Sequence[tuple[str, Mapping[str, Any]]], limits: Limits, *, names: bool
) -> dict[str, Any]:
    """The task that reads (or runs) an answer file and calls its `lstm_bptt`; with `names`, also reads the names.

    A notebook's cells get CELLS_SHARE of the wall time when calls follow them, all of it otherwise.
    """
    task: dict[str, Any] = {
        "task": "call",
        "module": run_as,
        "function": LSTM_FUNCTION,
        "call_seconds": limits.call_seconds,
        "calls": [call for _, call in unique],
        "cells_seconds": limits.wall_seconds * CELLS_SHARE if unique else limits.wall_seconds,
    }
    if names:
        task["names"] = [*ADDER_READ, LSTM_FUNCTION]
    return task


UNANSWERED = {
    ("1", NOTEBOOK): "defines none of U, V, W, b_h, b_y",
    ("2", NOTEBOOK): f"defines no function `{LSTM_FUNCTION}`",
    ("1", LATEX): "fills in none of question 1's weights (such as `U = \\begin{bmatrix} ... \\end{bmatrix}`)",
    ("2", LATEX): "fills in none of question 2's equations (such as `\\overline{h^{(t)}} = ...`)",
}


def _unanswered(question: str, form: int, shown: str) -> str:
    """Why an answer file does not answer a question; shown only when no form does (so no Python file exists)."""
    python = "adder.py" if question == "1" else "lstm_bptt.py"
    return (
        f"Your {FORM_NAMES[form]} {literal(shown)} {UNANSWERED[question, form]}, "
        f"and no `{python}` was found in your submission."
    )


def _remarks(replies: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """answers.tex's remarks (a bar defined twice: the last counts), sent beside the first call's value."""
    remarks = replies[0].get("remarks") if replies else None
    if not isinstance(remarks, list):
        return ()
    return tuple(literal(remark) for remark in remarks[:7] if isinstance(remark, str))


def _cell_note(raw: Any, limits: Limits, cells_seconds: float) -> str | None:
    """A note from a notebook's run as a sentence; anything else (forged by the student's code) is dropped."""
    if not isinstance(raw, dict) or type(raw.get("cell")) is not int or not isinstance(raw.get("detail"), str):
        return None
    cell, detail = raw["cell"], raw["detail"]
    kind = raw.get("kind")
    if kind == "raised":
        if len(detail) > NOTE_CHARS:  # the top and the end of a long traceback say what matters
            detail = f"{detail[: NOTE_CHARS // 2]}\n[...]\n{detail[-NOTE_CHARS // 2 :]}"
        return f"Code cell {cell} raised an error; the later cells still ran.\n\n{literal_block(detail)}\n"
    if kind == "no_module":
        return (
            f"Code cell {cell} imports a module that is not installed where your work is graded (only numpy "
            f"and Python's standard library are): that cell stopped there; the later cells still ran.\n\n"
            f"{literal_block(detail[-NOTE_CHARS:])}\n"
        )
    if kind == "colab":
        return (
            f"Code cell {cell} imports `google.colab`, which exists only in Colab: that cell stopped there; "
            "the later cells still ran."
        )
    if kind == "timed_out":
        return (
            f"Code cell {cell} ran longer than {limits.call_seconds:g} s and was stopped; the later cells "
            f"still ran. {ONLY_DEFINITIONS}"
        )
    if kind == "unwritten_module":
        written_by, _, file = detail.partition("\t")
        if not written_by.isdecimal() or len(written_by) > 6:
            return None
        return (
            f"Code cell {cell} imports {literal(file)}, which code cell {written_by} was to write with `%%writefile`: "
            "cells starting with `%%` are not run, so the file was never written and that import failed; the later "
            "cells still ran. Put that code in the notebook itself: delete the `%%writefile` line, and the import."
        )
    if kind == "cell_magic":
        return (
            f"Code cell {cell} starts with the cell magic {literal(detail)}: it was skipped, as every cell starting "
            "with `%%` is (only Python runs here); delete that line for the cell to run."
        )
    if kind == "markdown_latex":
        where = f"after code cell {cell}" if cell else "before the first code cell"
        return (
            f"A Markdown cell ({where}) writes answers in LaTeX, such as {literal(detail, limit=80)}: "
            "Markdown is not read. Put the equations in an `answers.tex` file (see the handout), or the "
            "answers as Python in code cells."
        )
    count = int(detail) if detail.isdecimal() and len(detail) < 8 else None
    if kind == "more" and count is not None:
        return f"{count} more code cells, from cell {cell} on, failed or were skipped too (not shown)."
    if kind == "out_of_time" and count is not None:
        return (
            f"Code cells {cell} to {count} did not run: the notebook's cells used up their "
            f"{cells_seconds:g} s. {ONLY_DEFINITIONS}"
        )
    return None


def _labelled(name: str, output: str) -> str:
    return f"--- output of {name} ---\n{output}\n" if output else ""


def _task_problem(name: str, result: TaskResult) -> str:
    """Why the worker gave no (further) answer, in the student's terms."""
    last = result.replies[-1] if result.replies else {}
    for key in ("error", "fatal"):
        if isinstance(last.get(key), str):
            return last[key]
    if result.failure:
        return f"Your {literal(name)} {result.failure}."
    return f"Your {literal(name)} gave no answer."
