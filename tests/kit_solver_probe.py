"""Run inside an unzipped student kit (numpy only): call every function of the kit on a problem it was not built with.

Usage: python kit_solver_probe.py KIT_FOLDER PROBLEM_JSON [MODULE_PREFIX]. PROBLEM_JSON holds the problem's call
(`x`, `weights`, `forward`, `dL_dh`) and its true bars (`truth`: h c g o f i over t = 1..T, and
`w_ix`). Every function and method of every module of the kit is called with every combination of
plausible arguments (the call's arrays, the call as the worker's data, problems and parameters made
from it with no truth); each function runs in a forked child, so that whatever it does to the
process (closing descriptors, exiting) ends with it. Prints one JSON line per return value that
holds a true bar, then `{"calls": N, "functions": M, "unfinished": [functions whose child ended early]}`.
"""

import importlib
import inspect
import itertools
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

import numpy as np

CORE = 7  # the likeliest arguments, first in `candidates`: every combination of them is tried (7^4 = 2401)
SAMPLE = 1000  # then this many drawn from all of them, for each number of arguments
# Then the next function (a slow function still gets its likeliest combinations first); the fast test gives less.
SECONDS_PER_FUNCTION = float(os.environ.get("KIT_PROBE_SECONDS", "0.6"))


def candidates(kit, call, length):
    """The arguments a function of the kit might take for a problem: plain and in the kit's own types."""
    arrays = {
        "x": np.array(call["x"]),
        "dL_dh": np.array(call["dL_dh"]),
        "forward": {key: np.array(values) for key, values in call["forward"].items()},
    }
    found = [
        arrays["x"],
        dict(call["weights"]),
        arrays["forward"],
        arrays["dL_dh"],
        {"x": arrays["x"], "weights": dict(call["weights"]), "forward": arrays["forward"], "dL_dh": arrays["dL_dh"]},
        {
            "x": {"__array__": call["x"]},
            "weights": dict(call["weights"]),
            "forward": {key: {"__array__": values} for key, values in call["forward"].items()},
            "dL_dh": {"__array__": call["dL_dh"]},
        },
        "h",
    ]
    try:
        lstm_problem = importlib.import_module("autograder.judge.lstm_problem")
        zeros = {key: [0.0] * length for key in ("h", "c", "g", "o", "f", "i")}
        data = {
            "seed": 99991,
            "length": length,
            "arguments": {
                "x": call["x"],
                "weights": call["weights"],
                "forward": call["forward"],
                "dL_dh": call["dL_dh"],
            },
            "truth": {**zeros, "w_ix": 0.0},
            "equations": {},
            "mistakes": [],
        }
        problem = lstm_problem.Problem.from_data(data)
        replies = [{"value": {key: [0.0] * (length + 1) for key in ("h", "c", "g", "o", "f", "i")} | {"w_ix": 0.0}}]
        found += [
            problem,
            [problem],
            data,
            replies,
            "w_ix",
            length,
            (problem,),
            [data],
            lstm_problem.LstmParams(seeds=(99991,), lengths=(length,)),
            lstm_problem.BarParams(quantity="h", seeds=(99991,), lengths=(length,)),
            lstm_problem.DemoParams(),
        ]
    except Exception as error:  # noqa: BLE001 - a kit without these types is probed with plain arguments
        print(json.dumps({"note": f"no kit problem types: {error!r}"}), flush=True)
    return found


def by_shape(truth):
    """The true bars grouped by shape, for `holds_truth`: {shape: (names, rows, tolerances)}, one row per bar."""
    groups = {}
    for name, bar in truth.items():
        groups.setdefault(np.atleast_1d(np.asarray(bar, dtype=float)).shape, []).append((name, bar))
    found = {}
    for shape, named in groups.items():
        rows = np.array([np.atleast_1d(np.asarray(bar, dtype=float)) for _, bar in named])
        found[shape] = ([name for name, _ in named], rows, 1e-12 + 1e-6 * np.abs(rows))  # np.allclose's test
    return found


def holds_truth(value, truth, depth=0):
    """Whether a returned value holds, anywhere inside, a true bar (over t = 1..T, or with index 0) or w_ix_bar.
    `truth` is `by_shape` of the bars: each candidate is compared with every bar of its shape at once."""
    if depth > 6:
        return None
    if isinstance(value, dict):
        items = list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    elif hasattr(value, "__dict__") and not inspect.isroutine(value) and not inspect.ismodule(value):
        items = list(vars(value).values())
    else:
        items = []
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError, OverflowError):
        array = None
    if array is not None and array.ndim <= 1 and array.size:
        array = np.atleast_1d(array)
        for candidate in (array, array[1:]):
            if candidate.shape in truth:
                names, rows, tolerance = truth[candidate.shape]
                close = (np.abs(candidate - rows) <= tolerance).all(axis=1)
                if close.any():
                    return names[int(close.argmax())]
    for item in items[:200]:
        found = holds_truth(item, truth, depth + 1)
        if found:
            return found
    return None


def functions(kit, only):
    """Every function and method defined in the kit's modules (those named `only*` if given), by qualified name."""
    found = {}
    for path in sorted((kit / "autograder").rglob("*.py")):
        name = ".".join(path.relative_to(kit).with_suffix("").parts).removesuffix(".__init__")
        if not name.startswith(only):
            continue
        try:
            module = importlib.import_module(name)
        except BaseException as error:  # noqa: BLE001 - reported: a module that cannot load holds no callable
            print(json.dumps({"note": f"{name} does not import: {error!r}"}), flush=True)
            continue
        for attribute, value in vars(module).items():
            if inspect.isfunction(value) and value.__module__ == name:
                found[f"{name}.{attribute}"] = value
            elif inspect.isclass(value) and value.__module__ == name:
                for method_name, method in vars(value).items():
                    method = getattr(method, "__func__", method)
                    if inspect.isfunction(method):
                        found[f"{name}.{attribute}.{method_name}"] = method
                found[f"{name}.{attribute}"] = value
    return found


def combinations(arguments, counts):
    """Argument tuples of each length in `counts`: every combination of the likeliest first, then a fixed sample."""
    for count in counts:
        if count <= 4:
            yield from itertools.product(arguments if count <= 2 else arguments[:CORE], repeat=count)
        rng = random.Random(count)
        for _ in range(SAMPLE):
            yield tuple(rng.choice(arguments) for _ in range(count))


def probe(name, function, arguments, truth, report):
    """In a forked child: call `function` with every combination of `arguments` for its positional parameters."""
    try:
        parameters = [
            p
            for p in inspect.signature(function).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        parameters = []
    required = sum(1 for p in parameters if p.default is p.empty)
    calls, give_up = 0, time.monotonic() + SECONDS_PER_FUNCTION
    for combination in combinations(arguments, sorted({required, min(len(parameters), 6)})):
        if time.monotonic() > give_up:
            break
        calls += 1
        try:
            result = function(*combination)
        except BaseException:  # noqa: BLE001 - refusing a problem is what we hope for
            continue
        try:
            found = holds_truth(result, truth)
        except Exception as error:  # noqa: BLE001 - a value we cannot inspect is reported, not skipped
            found = f"uninspectable {type(result).__name__}: {error!r}"
        if found:
            os.write(report, (json.dumps({"function": name, "returned": found}) + "\n").encode())
    os.write(report, (json.dumps({"done": name, "calls": calls}) + "\n").encode())


def main():
    kit, problem = Path(sys.argv[1]).resolve(), json.loads(Path(sys.argv[2]).read_text())
    sys.path.insert(0, str(kit))
    os.chdir(Path(sys.argv[2]).parent)
    truth = by_shape(
        {
            **{name: values for name, values in problem["truth"].items() if name != "w_ix"},
            "w_ix": [problem["truth"]["w_ix"]],
        }
    )
    length = len(problem["call"]["x"]) - 1
    arguments = candidates(kit, problem["call"], length)
    found = functions(kit, sys.argv[3] if len(sys.argv) > 3 else "")
    total, unfinished = 0, []
    for name, function in found.items():
        read, write = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(read)
            signal.alarm(int(SECONDS_PER_FUNCTION) + 10)
            try:
                probe(name, function, arguments, truth, write)
            finally:
                os._exit(0)
        os.close(write)
        finished = False
        with os.fdopen(read) as lines:
            for line in lines:
                record = json.loads(line)
                if "done" in record:
                    total += record["calls"]
                    finished = True
                else:
                    print(line.strip(), flush=True)
        os.waitpid(child, 0)
        if not finished:
            unfinished.append(name)
    print(json.dumps({"calls": total, "functions": len(found), "unfinished": unfinished}), flush=True)


if __name__ == "__main__":
    main()
