"""Each sample's golden result, and the samples each door of the grader is tested on.

A sample's golden (`submissions_sample/<name>/golden.json`) is its results.json under the default
configuration, normalised to what must not change by accident: the total, each test's score, status and
kind of verdict (carried forward, which catalogued mistake), the forms that counted, and where each phrase
of its expected.yaml's `output_contains` first appears. `tests/test_samples.py` grades every sample once and
compares; `python -m pytest tests/test_samples.py --update-goldens` rewrites the goldens after an intended
change and shows the diff to review (git diff). The other doors (run_autograder, the built Gradescope zip,
the kit's check, batch) compare with the same goldens on a few samples each: `representatives`.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from autograder.report.summary import question_scores
from conftest import ROOT, assert_valid_results

SAMPLES_DIR = ROOT / "submissions_sample"
SAMPLES = sorted(p for p in SAMPLES_DIR.iterdir() if (p / "expected.yaml").is_file())
GOLDEN = "golden.json"
UPDATE_OPTION = "--update-goldens"


def family(sample: Path) -> str:
    """A sample's family: its name's prefix (`adder_`, `tex_`, ...)."""
    return sample.name.split("_", 1)[0]


def representatives(*chosen: str) -> list[Path]:
    """The samples a door is tested on: those chosen for what the door does differently, then the first sample
    of every family not yet among them (each door sees every family at least once)."""
    picked = [SAMPLES_DIR / name for name in chosen]
    missing = [p.name for p in picked if p not in SAMPLES]
    assert not missing, f"representative samples not found in submissions_sample/: {missing}"
    covered = {family(p) for p in picked}
    for sample in SAMPLES:
        if family(sample) not in covered:
            picked.append(sample)
            covered.add(family(sample))
    return picked


def expected(case: Path) -> dict[str, Any]:
    return yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))


def shown_text(results: Mapping[str, Any]) -> str:
    return results["output"] + "\n".join(t.get("output", "") for t in results["tests"])


def normalise(results: Mapping[str, Any], pins: Iterable[str] = ()) -> dict[str, Any]:
    """What a golden holds of a results.json (timings, hashes and the feedback's wording outside `pins` left out)."""
    tests = []
    for test in results["tests"]:
        entry = {key: test[key] for key in ("number", "max_score", "status")}
        entry["score"] = round(float(test["score"]), 6)
        extra = test.get("extra_data") or {}
        for key in ("status", "mistake"):
            if isinstance(extra.get(key), str):
                entry[f"verdict_{key}"] = extra[key]
        tests.append(entry)
    where: dict[str, str | None] = {}
    for phrase in pins:  # the first place that says it (later tests of another visibility may say it again)
        places = ["output"] if phrase in results["output"] else []
        places += [t["number"] for t in results["tests"] if phrase in t.get("output", "")]
        where[phrase] = places[0] if places else None
    return {
        "score": round(float(results["score"]), 6),
        "forms": (results.get("extra_data") or {}).get("forms", {}),
        "tests": tests,
        "pinned": where,
    }


def golden_path(case: Path) -> Path:
    return case / GOLDEN


def updating(config: pytest.Config) -> bool:
    return bool(config.getoption("update_goldens", False))


def how_to_create(case: Path) -> str:
    return (
        f"{case.name} has no {GOLDEN}: grade it and write one with "
        f"`python -m pytest tests/test_samples.py -k {case.name} {UPDATE_OPTION}`, then review it "
        f"(git diff / git add submissions_sample/{case.name}/{GOLDEN})"
    )


def stopped_by_the_supervisor(case: Path, results: Mapping[str, Any]) -> bool:
    """Whether this sample scores otherwise here: without private places (a Docker container) the supervisor
    stops a task that a tmpfs would have bounded (expected.yaml's `scores_without_namespaces`; no golden then)."""
    isolation = results.get("extra_data", {}).get("isolation", {})
    missing = isolation.get("mode") == "dedicated" and "mount_namespace" in isolation.get("missing", {})
    return missing and "scores_without_namespaces" in expected(case)


def assert_expected(case: Path, results: dict[str, Any]) -> None:
    """A sample's results.json is valid, scores what its expected.yaml says per question, and shows its feedback."""
    wanted = expected(case)
    if wanted.get("root_only") and os.geteuid() != 0:
        pytest.skip("this protection needs root: not root, the worker runs as you (README, security model)")
    assert_valid_results(results)
    assert "FORGED" not in json.dumps(results), "a submission's forged text reached results.json"
    scores = {question: score for question, (score, _) in question_scores(results).items()}
    key = "scores_without_namespaces" if stopped_by_the_supervisor(case, results) else "scores"
    assert scores == {q: pytest.approx(float(s)) for q, s in wanted[key].items()}
    shown = shown_text(results)
    for phrase in wanted.get("output_contains", []):
        assert phrase in shown
    for phrase in wanted.get("output_lacks", []):
        assert phrase not in shown
    statuses = {t["number"]: t["status"] for t in results["tests"]}
    assert statuses["1.2"] == statuses["1.3"], "the exhaustive check and the proof disagree"


def assert_golden(
    case: Path, results: Mapping[str, Any], *, numbers: Iterable[str] | None = None, texts: bool = True
) -> None:
    """`results` match the sample's golden (only the tests `numbers`, when a door grades a subset or more; without
    the pinned texts when `texts` is false, for a configuration whose other visibilities change the wording)."""
    if stopped_by_the_supervisor(case, results):
        return
    path = golden_path(case)
    if not path.is_file():
        pytest.fail(how_to_create(case), pytrace=False)
    golden = json.loads(path.read_text(encoding="utf-8"))
    got = normalise(results, golden["pinned"])
    if not texts:
        got["pinned"] = golden["pinned"] = {}
    if numbers is not None:
        keep = set(numbers)
        got["tests"] = [t for t in got["tests"] if t["number"] in keep]
        golden = dict(golden, tests=[t for t in golden["tests"] if t["number"] in keep])
        got["score"] = golden["score"] = None  # a subset's total is not the golden's
        for pinned in (got["pinned"], golden["pinned"]):
            for phrase, place in list(pinned.items()):
                if place not in keep and place != "output":
                    del pinned[phrase]  # said in a test this door does not show
    if got != golden:
        diff = "\n".join(
            difflib.unified_diff(
                dump(golden).splitlines(), dump(got).splitlines(), "golden", "this grading", lineterm="", n=2
            )
        )
        pytest.fail(
            f"{case.name} differs from its {GOLDEN}:\n{diff}\n(an intended change? rewrite the goldens with "
            f"`python -m pytest tests/test_samples.py {UPDATE_OPTION}` and review the diff)",
            pytrace=False,
        )


def write_golden(case: Path, results: Mapping[str, Any]) -> bool:
    """Write the sample's golden from `results`; True when it changed."""
    path = golden_path(case)
    text = dump(normalise(results, expected(case).get("output_contains", [])))
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def dump(data: Mapping[str, Any]) -> str:
    """A golden as text: one line per test and per pinned phrase, so that a diff shows what changed where."""

    def line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    for index, (key, value) in enumerate(data.items()):
        end = "," if index < len(data) - 1 else ""
        if key == "tests" and isinstance(value, list):
            lines += [' "tests": [', *(f"  {line(t)}{',' if i < len(value) - 1 else ''}" for i, t in enumerate(value))]
            lines.append(f" ]{end}")
        elif key == "pinned" and isinstance(value, dict) and value:
            items = list(value.items())
            lines.append(' "pinned": {')
            lines += [f"  {line(k)}: {line(v)}{',' if i < len(items) - 1 else ''}" for i, (k, v) in enumerate(items)]
            lines.append(f" }}{end}")
        else:
            lines.append(f" {line(key)}: {line(value)}{end}")
    return "\n".join([*lines, "}"]) + "\n"
