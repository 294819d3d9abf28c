"""Hidden means hidden (docs/spec.md 6.2): a hidden test's calls run in tasks of their own, after every task
whose output a student sees, and nothing of them (inputs, printed output, cell notes) reaches visible feedback."""

import hashlib
import json
import threading

import pytest
import yaml

from autograder import engine
from autograder.collect import ANSWER_FILES, LATEX, NOTEBOOK, call_key, collect
from autograder.kinds import KINDS, load_config
from autograder.locate import locate
from autograder.report.feedback import PRINTED
from autograder.worker.limits import Limits
from autograder.worker.sandbox import Sandbox, TaskResult
from conftest import ROOT, assert_valid_results

SAMPLE = ROOT / "submissions_sample" / "hostile_hidden_inputs_channel"
HIDDEN_TEST = {
    "name": "Carries h_bar across short problems",
    "number": "2.10",
    "question": "2a",
    "max_score": 1,
    "check": "lstm_bar",
    "visibility": "hidden",
    "params": {"quantity": "h", "seeds": [424242, 777001], "lengths": [2, 4]},
}
HIDDEN_LENGTHS = (3, 5)  # len(x) of the hidden problems (T + 1: x[0] is unused); no visible problem's


@pytest.fixture(scope="module")
def hidden_config(tmp_path_factory):
    """The default tests plus one hidden test (the one the sample's expected.yaml names)."""
    data = yaml.safe_load((ROOT / "autograder" / "default.yaml").read_text())
    data["tests"].append(HIDDEN_TEST)
    path = tmp_path_factory.mktemp("config") / "course.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(path)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox() as opened:
        yield opened


def fingerprint(call) -> str:
    """As the hostile sample marks a call it saw."""
    return "CALL-" + hashlib.sha1(json.dumps(call, sort_keys=True).encode()).hexdigest()[:12]


def calls_of(config, hidden: bool) -> list:
    return [
        call
        for spec in config.tests
        if (spec.visibility == "hidden") == hidden
        for call in KINDS[spec.check].calls(spec.params)
    ]


def seen_by_students(results: dict) -> str:
    """Everything of results.json a student can ever see: the top-level text and every test but the hidden."""
    return results["output"] + "".join(t["output"] for t in results["tests"] if t.get("visibility") != "hidden")


class Recording:
    """A stand-in sandbox that records each task (its file, its calls, when it started and ended, in events);
    the visible tasks that run student code meet at a barrier, which they pass only if they run side by side."""

    def __init__(self, hidden: set[str], meeting: int):
        self.lock = threading.Lock()
        self.events = 0
        self.tasks: list[dict] = []
        self.hidden = hidden
        self.barrier = threading.Barrier(meeting, timeout=30)

    def run(self, task: dict, files: dict, limits: Limits, *, hidden: bool = False) -> TaskResult:
        keys = {call_key(call) for call in task.get("calls", [])}
        with self.lock:
            record = {"module": task["module"], "keys": keys, "start": self.events, "hidden": hidden}
            self.tasks.append(record)
            self.events += 1
        if task["module"] != ANSWER_FILES[LATEX][1] and not keys & self.hidden:
            self.barrier.wait()
        with self.lock:
            record["end"] = self.events
            self.events += 1
        names = [{"names": {"U": [[1.0]], "lstm_bptt": "<function>"}}] if "names" in task else []
        return TaskResult(replies=[*names, *({"value": {}} for _ in keys)], output="", failure=None)


def test_hidden_calls_run_in_their_own_task_after_every_visible_one(tmp_path, hidden_config):
    """The visible tasks run side by side, never with a hidden call; the hidden calls start only once every
    visible task has ended; answers.tex (read, never run) answers every call in its one task."""
    for name in ("adder.py", "lstm_bptt.py", "hw.ipynb", "answers.tex"):
        (tmp_path / name).write_text("{}" if name.endswith(".ipynb") else "")
    visible, hidden = calls_of(hidden_config, False), calls_of(hidden_config, True)
    hidden_keys = {call_key(call) for call in hidden}
    everything = hidden_keys | {call_key(call) for call in visible}
    sandbox = Recording(hidden_keys, meeting=3)  # adder.py, lstm_bptt.py and the notebook, side by side
    forms = collect(locate(tmp_path), calls=visible, hidden_calls=hidden, sandbox=sandbox, limits=Limits())
    latex = [t for t in sandbox.tasks if t["module"] == ANSWER_FILES[LATEX][1]]
    assert [t["keys"] for t in latex] == [everything]
    run = [t for t in sandbox.tasks if t["module"] != ANSWER_FILES[LATEX][1]]
    alone = [t for t in run if t["keys"] & hidden_keys]
    assert sorted(t["module"] for t in alone) == ["lstm_bptt.py", ANSWER_FILES[NOTEBOOK][1]]
    assert all(t["keys"] == hidden_keys for t in alone)
    assert min(t["start"] for t in alone) > max(t["end"] for t in sandbox.tasks if t not in alone)
    assert [t["hidden"] for t in run] == [t in alone for t in run]  # said to the sandbox: a batch's phases.py
    python, *answer_files = forms
    assert set(python.replies) == everything
    assert {form.form for form in answer_files} == {LATEX, NOTEBOOK}
    assert all(set(form.replies) == everything for form in answer_files)


def test_no_hidden_input_reaches_what_a_student_sees(hidden_config, sandbox):
    """The hostile sample, graded with a hidden test: the visible calls' fingerprints show (the channel works),
    the hidden calls' never do, in any test a student sees or at the top; the hidden test does get its replies."""
    expected = yaml.safe_load((SAMPLE / "expected.yaml").read_text())
    hidden = {fingerprint(call) for call in calls_of(hidden_config, True)}
    assert hidden <= set(expected["output_lacks"]), "expected.yaml names the hidden test's calls"
    printed: list[str] = []
    results = engine.grade(SAMPLE, config=hidden_config, sandbox=sandbox, student_output=printed.append)
    assert_valid_results(results)
    shown = seen_by_students(results)
    for phrase in expected["output_contains"]:
        assert phrase in shown
    for phrase in expected["output_lacks"]:
        assert phrase not in shown
    secret = next(t for t in results["tests"] if t.get("number") == "2.10")
    assert any(mark in secret["output"] for mark in hidden)  # answered by the hidden task itself
    assert any(mark in "".join(printed) for mark in hidden)  # the staff see everything printed


LSTM_PRINTING = """
import numpy as np

def lstm_bptt(x, weights, forward, dL_dh):
    if len(x) in {lengths}:
        print("PRINTED-IN-THE-HIDDEN-RUN")
    {visible}
    raise ValueError("not done yet")
"""


@pytest.mark.parametrize("visible_print", [False, True])
def test_the_printing_note_depends_only_on_what_visible_tasks_printed(tmp_path, hidden_config, sandbox, visible_print):
    """Printing in the hidden tests' task alone: no note (it would tell the student a hidden input's length);
    printing in a visible task: the note."""
    (tmp_path / "adder.py").write_text((ROOT / "reference" / "adder.py").read_text())
    visible = 'print("PRINTED-IN-A-VISIBLE-RUN")' if visible_print else "pass"
    (tmp_path / "lstm_bptt.py").write_text(LSTM_PRINTING.format(lengths=HIDDEN_LENGTHS, visible=visible))
    printed: list[str] = []
    results = engine.grade(tmp_path, config=hidden_config, sandbox=sandbox, student_output=printed.append)
    assert "PRINTED-IN-THE-HIDDEN-RUN" in "".join(printed)
    assert (PRINTED in results["output"]) is visible_print


def test_nothing_printed_no_note(tmp_path, sandbox):
    """The reference prints nothing: the top-level text is empty, not a note about printing."""
    results = engine.grade(ROOT / "reference", config=load_config(), sandbox=sandbox)
    assert PRINTED not in results["output"]


def test_a_notebooks_cells_run_again_for_the_hidden_calls(tmp_path, hidden_config, sandbox):
    """A notebook answers the hidden calls from a second run of its cells: the hidden test is graded from it,
    and that run's notes are not among the notes at the top."""
    source = (ROOT / "reference" / "lstm_bptt.py").read_text()
    cells = [
        source,
        "import sys\nframe, tasks = sys._getframe(), []\nwhile frame is not None:\n"
        "    tasks += [v for v in frame.f_locals.values() if isinstance(v, dict) and 'calls' in v]\n"
        "    frame = frame.f_back\n"
        f"if any(len(call['x']['__array__']) in {HIDDEN_LENGTHS} for task in tasks for call in task['calls']):\n"
        "    raise RuntimeError('HIDDEN-RUN-NOTE')\n",
    ]
    notebook = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source": cell} for cell in cells],
    }
    (tmp_path / "hw.ipynb").write_text(json.dumps(notebook))
    results = engine.grade(tmp_path, config=hidden_config, sandbox=sandbox)
    secret = next(t for t in results["tests"] if t.get("number") == "2.10")
    assert secret["status"] == "passed", secret["output"]
    assert "HIDDEN-RUN-NOTE" not in seen_by_students(results)


def test_the_worker_user_is_cleaned_between_the_visible_tasks_and_the_hidden(hidden_config, sandbox, monkeypatch):
    """With a dedicated worker user, the sandbox cleans it (processes, shared places, IPC) when its last running
    task ends: that clean-up comes after every visible task and before the hidden tests' task starts."""
    if sandbox.mode != "dedicated":
        pytest.skip("the worker runs as you: no worker user to clean (README, security model)")
    events: list[str] = []
    clean, run = sandbox._clean, sandbox.run

    def recording_clean():
        events.append("clean")
        clean()

    def recording_run(task, files, limits, **options):
        hidden = any(len(call["x"]["__array__"]) in HIDDEN_LENGTHS for call in task.get("calls", []))
        events.append("hidden" if hidden and task["module"] != "answers.tex" else "visible")
        return run(task, files, limits, **options)

    monkeypatch.setattr(sandbox, "_clean", recording_clean)
    monkeypatch.setattr(sandbox, "run", recording_run)
    results = engine.grade(ROOT / "reference", config=hidden_config, sandbox=sandbox)
    assert results["score"] == sum(t["max_score"] for t in results["tests"])
    first_hidden, last_visible = events.index("hidden"), len(events) - 1 - events[::-1].index("visible")
    assert last_visible < first_hidden and "clean" in events[last_visible:first_hidden]


def test_which_form_counts_never_depends_on_a_hidden_test(hidden_config):
    """Two forms that score alike on the tests a student sees: the tie-break (the Python file) decides, even
    when the other form does better on a hidden test; which form's feedback shows tells nothing hidden."""
    from autograder.collect import PYTHON, Collected
    from autograder.judge.verdict import Verdict
    from autograder.precedence import choose

    python = Collected(adder="none", form=PYTHON, answers=frozenset({"2"}))
    notebook = Collected(adder="none", form=NOTEBOOK, answers=frozenset({"2"}))
    tests = [spec for spec in hidden_config.tests if spec.question == "2a"]

    def judge(spec, form):
        return Verdict(1.0 if spec.visibility == "hidden" and form is notebook else 0.5, "")

    chosen = choose(tests, [python, notebook], judge)
    assert chosen.forms == {"2": "lstm_bptt.py"}
    assert [verdict.fraction for spec, verdict in chosen.outcomes if spec.visibility == "hidden"] == [0.5]


STAMPED = """
import time
print("start", time.time(), flush=True)
time.sleep({seconds})
print("end", time.time(), flush=True)
R = 1.0
"""


def test_a_batchs_hidden_task_runs_while_no_visible_task_does(tmp_path):
    """With a batch's phases lock (worker/phases.py), a hidden task waits until the visible task running has
    ended, and a visible task asked for meanwhile waits until the hidden one has ended and its worker user is
    clean: writer first, so visible tasks arriving all the time cannot keep a hidden one waiting."""
    from autograder.worker.phases import Phases

    stamps: dict[str, dict[str, float]] = {}

    def run(box, name, seconds, hidden):
        task = {"task": "names", "module": f"{name}.py", "names": ["R"]}
        files = {f"{name}.py": STAMPED.format(seconds=seconds).encode()}
        output = box.run(task, files, Limits(wall_seconds=20), hidden=hidden).output
        stamps[name] = {word: float(value) for word, value in (line.split() for line in output.split("\n") if line)}

    with Sandbox(phases=Phases(str(tmp_path))) as box:
        first = threading.Thread(target=run, args=(box, "visible1", 1.0, False))
        first.start()
        __import__("time").sleep(0.4)  # the visible task has started
        hidden = threading.Thread(target=run, args=(box, "hidden", 0.5, True))
        hidden.start()
        __import__("time").sleep(0.2)  # the hidden task waits for the lock
        second = threading.Thread(target=run, args=(box, "visible2", 0.1, False))
        second.start()
        for thread in (first, hidden, second):
            thread.join(60)
    assert stamps["hidden"]["start"] >= stamps["visible1"]["end"]
    assert stamps["visible2"]["start"] >= stamps["hidden"]["end"]
