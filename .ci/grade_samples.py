"""Grade every sample under other Pythons (Gradescope's 3.10, a student's 3.13) and compare with its golden.

    python .ci/grade_samples.py [--python PATH ...] [--jobs N]

For each interpreter that exists (default: pyenv's 3.10.13 and 3.13.0), makes a venv with the pinned
runtime requirements (numpy, PyYAML, gradescope-utils), kept for the next run under the same
requirements, and runs `python -m autograder grade` with it on the reference and on every sample,
the worker included: each must score what its expected.yaml says and match its golden.json (every test's
score, status and verdict; tests/goldens.py). Prints one line per interpreter and one per mismatch;
exits 1 if any differs. The venvs live where the worker user can run them and where its private /tmp does not
hide them: /opt/rnn-autograder/ci-venvs as root (beside setup.sh's shared venv), else
~/.cache/rnn-autograder/ci-venvs (AUTOGRADER_CI_VENVS overrides).

As root the worker runs as a dedicated user, who cannot enter /root where pyenv keeps its
interpreters (and whose libpython path is compiled in). The gradings then run in a private mount
namespace (`unshare -m`) in which /root is a view holding only `.pyenv`, open to others: nothing
changes on the machine itself.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.report.summary import question_scores  # noqa: E402
from autograder.worker.forked import run_autograder_environment  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from goldens import dump, normalise  # type: ignore[import-not-found]  # noqa: E402

PYENV = Path("/root/.pyenv")
DEFAULT_PYTHONS = [PYENV / "versions" / version / "bin" / "python3" for version in ("3.10.13", "3.13.0")]


def cases() -> list[Path]:
    samples = sorted(p for p in (ROOT / "submissions_sample").iterdir() if (p / "expected.yaml").is_file())
    return [ROOT / "reference", *samples]


def venv_home() -> Path:
    if "AUTOGRADER_CI_VENVS" in os.environ:
        return Path(os.environ["AUTOGRADER_CI_VENVS"])
    if os.geteuid() == 0:
        return Path("/opt/rnn-autograder/ci-venvs")
    return Path.home() / ".cache" / "rnn-autograder" / "ci-venvs"


def venv_for(python: Path) -> Path:
    """The python of a venv of `python` with the pinned runtime requirements (made once per requirements)."""
    requirements = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()[:12]
    version = subprocess.run(
        [str(python), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    folder = venv_home() / f"python{version}-{requirements}"
    if not (folder / "ready").is_file():
        venv_home().mkdir(mode=0o755, parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        make_venv(python, folder)
        (folder / "ready").touch()
    return folder / "bin" / "python"


def make_venv(python: Path, folder: Path) -> Path:
    """A venv of `python` with the pinned runtime requirements; returns its python."""
    subprocess.run([str(python), "-m", "venv", str(folder)], check=True)
    subprocess.run(
        [
            str(folder / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(ROOT / "requirements.txt"),
        ],
        check=True,
    )
    return folder / "bin" / "python"


def grade_case(python: Path, case: Path, *, out: Path) -> str | None:
    """None if `case` graded under `python` scores what its expected.yaml says per question, else what went wrong."""
    expected = yaml.safe_load((case / "expected.yaml").read_text(encoding="utf-8"))
    if expected.get("root_only") and os.geteuid() != 0:
        return None
    results = out / f"{case.name}.json"
    done = subprocess.run(
        [str(python), "-m", "autograder", "grade", str(case), "--results", str(results), "--quiet"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=run_autograder_environment(os.environ),  # as run_autograder starts the grader: it forks its worker
    )
    if done.returncode != 0:
        return f"exit {done.returncode}: {(done.stderr.strip().splitlines() or [''])[-1][-400:]}"
    graded = json.loads(results.read_text(encoding="utf-8"))
    scores = {q: score for q, (score, _) in question_scores(graded).items()}
    wanted = {q: float(s) for q, s in expected["scores"].items()}
    if any(abs(scores.get(q, float("nan")) - s) > 1e-9 for q, s in wanted.items()) or scores.keys() != wanted.keys():
        return f"expected {wanted}, got {scores}"
    golden = case / "golden.json"
    if golden.is_file():  # the reference has none: it must score full marks (expected.yaml)
        kept = json.loads(golden.read_text(encoding="utf-8"))
        if normalise(graded, kept["pinned"]) != kept:
            return f"differs from its golden.json; got {dump(normalise(graded, kept['pinned']))}"
    return None


def grade_all(pythons: list[Path], scratch: Path, jobs: int) -> int:
    failed = 0
    for python in pythons:
        version = subprocess.run(
            [str(python), "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        out = Path(tempfile.mkdtemp(prefix=f"results-{version}-", dir=scratch))
        with ThreadPoolExecutor(jobs) as pool:
            problems = dict(zip(cases(), pool.map(partial(grade_case, python, out=out), cases()), strict=True))
        wrong = {case.name: problem for case, problem in problems.items() if problem is not None}
        print(f"Python {version}: {len(problems) - len(wrong)} of {len(problems)} cases scored as expected")
        for name, problem in wrong.items():
            print(f"  {name}: {problem}")
        failed += len(wrong)
    return 1 if failed else 0


def open_pyenv_view(scratch: Path) -> None:
    """In this (private) mount namespace: /root becomes a folder open to others that holds only .pyenv."""
    view = scratch / "root-view"
    (view / ".pyenv").mkdir(parents=True)
    view.chmod(0o711)
    subprocess.run(["mount", "--bind", str(PYENV), str(view / ".pyenv")], check=True)
    subprocess.run(["mount", "--rbind", str(view), "/root"], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--python",
        type=Path,
        action="append",
        help="an interpreter (repeatable; default: pyenv's 3.10.13 and 3.13.0, where they exist)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="gradings at once (default 2)")
    parser.add_argument("--inside", type=Path, help=argparse.SUPPRESS)  # the re-run in the mount namespace
    args = parser.parse_args(argv)
    if args.inside is not None:
        open_pyenv_view(args.inside)
        return grade_all(args.python, args.inside, args.jobs)
    pythons = [p for p in (args.python or DEFAULT_PYTHONS) if p.is_file()]
    if not pythons:
        print("No other Python found (pyenv 3.10.13, 3.13.0): nothing to compare.")
        return 0
    with tempfile.TemporaryDirectory(prefix="grade-samples-") as temporary:
        scratch = Path(temporary)
        venvs = [venv_for(python) for python in pythons]
        under_root = os.geteuid() == 0 and any(PYENV in p.resolve().parents for p in venvs)
        if not under_root:
            return grade_all(venvs, scratch, args.jobs)
        command = ["unshare", "--mount", sys.executable, __file__, "--inside", str(scratch), "--jobs", str(args.jobs)]
        for venv in venvs:
            command += ["--python", str(venv)]
        return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main())
