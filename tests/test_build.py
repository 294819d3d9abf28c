"""Tests of the builds: the Gradescope zip grades as on Gradescope, the kit checks with no answer or hidden test
inside."""

import ast
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from autograder import build, built
from autograder.check import closing_lines
from autograder.config import PARSED_SUFFIX
from autograder.judge.adder import read_adder_weights
from autograder.judge.lstm_model import FORWARD_KEYS, build_problem
from autograder.kinds import load_config
from autograder.report.feedback import PRINTED
from autograder.report.summary import question_scores
from conftest import ROOT, assert_valid_results
from goldens import assert_expected, assert_golden, representatives, updating

HIDDEN_NUMBER = re.compile(r"(?<![\d.])2\.19(?![\d])")  # the hidden test's number, as a number of its own

SECRET_NAME = "Carries a bar across chained steps (secret ZQX)"
SECRET_SEEDS = [424242, 777001]
HIDDEN_TEST = {
    "name": SECRET_NAME,
    "number": "2.19",
    "question": "2a",
    "max_score": 0.5,
    "check": "lstm_bar",
    "visibility": "hidden",
    "params": {"quantity": "h", "seeds": SECRET_SEEDS, "lengths": [2, 4]},
}
KIT_ROOT_FILES = (
    {p.name for p in (ROOT / "kit").iterdir()}
    | {"HANDOUT.md"}
    | ({"answers-tex.md"} if (ROOT / "docs" / "answers-tex.md").is_file() else set())
)
KIT_FOLDER = "student_kit"  # the kit's one top folder: its zip's name
NEVER_SHIPPED = ("reference/", "submissions_sample/", "tests/", "kit/", "docs/", "benchmarks/", ".venv/", ".ci/")


@pytest.fixture(scope="module")
def secret_config(tmp_path_factory):
    """The default tests plus one hidden test with a distinctive name and distinctive seeds."""
    data = yaml.safe_load((ROOT / "autograder" / "default.yaml").read_text())
    data["tests"].append(HIDDEN_TEST)
    path = tmp_path_factory.mktemp("config") / "course.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def gradescope_zip(tmp_path_factory, secret_config):
    return build.build("gradescope", out=tmp_path_factory.mktemp("dist") / "autograder.zip", config_path=secret_config)


@pytest.fixture(scope="module")
def kit_zip(tmp_path_factory, secret_config):
    return build.build("kit", out=tmp_path_factory.mktemp("dist") / f"{KIT_FOLDER}.zip", config_path=secret_config)


def kit_contents(archive: Path) -> dict[str, bytes]:
    """The kit's files, by their path inside its one top folder (which this asserts)."""
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        assert {name.split("/")[0] for name in names} == {KIT_FOLDER}, "the kit unzips into one top folder"
        return {name[len(KIT_FOLDER) + 1 :]: opened.read(name) for name in names}


def unzip(archive: Path, into: Path) -> Path:
    """Extract a zip keeping the modes it records (as Gradescope's unzip does)."""
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            target = Path(opened.extract(info, into))
            os.chmod(target, (info.external_attr >> 16) & 0o777)
    return into


def load_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem + "_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def expected_scores(case: Path) -> dict:
    return {
        q: pytest.approx(float(s)) for q, s in yaml.safe_load((case / "expected.yaml").read_text())["scores"].items()
    }


def test_the_gradescope_zip_holds_the_grader_and_its_configuration(gradescope_zip, secret_config):
    """Setup.sh and run_autograder (executable) at the root, the package, the given configuration; no answers, no
    caches."""
    with zipfile.ZipFile(gradescope_zip) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert archive.read("autograder/default.yaml") == secret_config.read_bytes()
    modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in infos}
    assert {
        "setup.sh",
        "run_autograder",
        "requirements.txt",
        "autograder/__main__.py",
        "autograder/engine.py",
        "autograder/worker/sandbox.py",
    } <= set(names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755 and modes["autograder/engine.py"] == 0o644
    assert not [n for n in names if n.startswith(NEVER_SHIPPED) or "__pycache__" in n or n.endswith(".pyc")]
    assert names == sorted(names) and {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}


@pytest.mark.parametrize("target", ["gradescope", "kit"])
def test_builds_are_reproducible(target, tmp_path, secret_config):
    """The same sources and configuration give the same zip, byte for byte."""
    first = build.build(target, out=tmp_path / "first" / "a.zip", config_path=secret_config).read_bytes()
    second = build.build(target, out=tmp_path / "second" / "a.zip", config_path=secret_config).read_bytes()
    assert first == second


def test_a_grading_from_the_gradescope_zip_never_imports_pyyaml(gradescope_zip, secret_config, tmp_path):
    """The zip carries its configuration parsed, keyed by the YAML's SHA-256 (config.PARSED_SUFFIX), and the adder's
    data file reader imports PyYAML for an adder.yaml only: a grading of .py answers from the unzipped tree loads
    none of PyYAML (about 20 ms of every grading), with the configuration's every test."""
    tree = unzip(gradescope_zip, tmp_path / "source")
    twin = json.loads((tree / "autograder" / ("default.yaml" + PARSED_SUFFIX)).read_text())
    assert twin["data"] == yaml.safe_load(secret_config.read_text())
    code = (
        "import sys; from autograder.cli import main; "
        "main(['grade', sys.argv[1], '--results', sys.argv[2], '--quiet']); "
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('yaml', '_yaml')))"
    )
    results = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "reference"), str(results)],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
    assert [t["name"] for t in json.loads(results.read_text())["tests"] if t["number"] == "2.19"] == [SECRET_NAME]


@pytest.fixture(scope="module")
def gradescope_source(gradescope_zip, tmp_path_factory):
    """The Gradescope zip unzipped into source/ and set up by its own setup.sh (into this suite's environment)."""
    source = unzip(gradescope_zip, tmp_path_factory.mktemp("gradescope") / "source")
    venv = (ROOT / ".venv").resolve()
    setup = subprocess.run(
        ["bash", str(source / "setup.sh")],
        env={**os.environ, "AUTOGRADER_VENV": str(venv)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert setup.returncode == 0, setup.stderr
    if not (source / ".venv").exists():  # not root: setup.sh leaves the environment where it is
        (source / ".venv").symlink_to(venv)
    return source


def grade_as_gradescope(source: Path, case: Path, root: Path) -> dict:
    """The unzipped zip's run_autograder grades `case` as submission/ into results/results.json (checked: valid,
    nothing forged or leaked, the hidden test there and hidden)."""
    shutil.copytree(case, root / "submission", ignore=shutil.ignore_patterns("expected.yaml", "golden.json"))
    (root / "results").mkdir()
    done = subprocess.run(
        [str(source / "run_autograder")],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "AUTOGRADER_ROOT": str(root)},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert_valid_results(results)
    assert "FORGED" not in json.dumps(results) and "LEAKED" not in json.dumps(results)
    hidden = [t for t in results["tests"] if t["number"] == "2.19"]
    assert [(t["name"], t["visibility"]) for t in hidden] == [(SECRET_NAME, "hidden")]
    return dict(results, tests=[t for t in results["tests"] if t["number"] != "2.19"])


# The zip's own door, on the samples for what it does differently from ./run_autograder in the repository: its own
# setup.sh and copy of the package, a configuration with a hidden test, and (as root) the grader's files in
# Gradescope's layout, which these samples read or forge. One test grades these (with the reference); another, a
# sample of every other family. Both are in the whole suite only: building and setting up the zip takes seconds.
ZIP_FAST = ["lstm_c_bar_without_carry"] + (
    ["hostile_exfiltrate_config", "hostile_forge_atexit", "hostile_forge_daemon"] if os.geteuid() == 0 else []
)
ZIP_SAMPLES = representatives(*ZIP_FAST)


@pytest.mark.slow
def test_the_gradescope_zip_grades_as_gradescope_does(gradescope_source, tmp_path):
    """Unzipped into source/, set up by its setup.sh, its run_autograder grades submission/ into
    results/results.json: the reference to full marks, each sample as its golden says."""
    others = grade_as_gradescope(gradescope_source, ROOT / "reference", tmp_path / "reference")
    assert {q: s for q, (s, _) in question_scores(others).items()} == {"1": 5, "2a": 4, "2b": 1, "2c": 0}
    for case in ZIP_SAMPLES[: len(ZIP_FAST)]:
        others = grade_as_gradescope(gradescope_source, case, tmp_path / case.name)
        assert {q: s for q, (s, _) in question_scores(others).items()} == expected_scores(case)
        assert_golden(case, others, numbers=[t["number"] for t in others["tests"]])


@pytest.mark.slow
@pytest.mark.parametrize("case", ZIP_SAMPLES[len(ZIP_FAST) :], ids=[p.name for p in ZIP_SAMPLES[len(ZIP_FAST) :]])
def test_the_gradescope_zip_gives_the_golden_results_for_every_family(gradescope_source, case, tmp_path, request):
    """A sample of each family, through the unzipped zip's run_autograder: its expected.yaml and its golden."""
    if updating(request.config):
        pytest.skip("the goldens are being rewritten by this run")
    others = grade_as_gradescope(gradescope_source, case, tmp_path)
    assert_expected(case, others)
    assert_golden(case, others, numbers=[t["number"] for t in others["tests"]])


def test_the_kit_holds_no_answer_and_nothing_of_the_hidden_tests(kit_zip, secret_config):
    """One top folder; no reference, samples, tests or Gradescope writer; no hidden test's name or seeds anywhere."""
    files = kit_contents(kit_zip)
    assert {name for name in files if "/" not in name} == KIT_ROOT_FILES
    assert not [n for n in files if n.startswith(NEVER_SHIPPED) or "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in files if n in build.NOT_IN_KIT or n.startswith("autograder/kit/")]
    for name, data in files.items():
        for secret in (SECRET_NAME, *map(str, SECRET_SEEDS)):
            assert secret.encode() not in data, f"{name} reveals {secret}"
    reference = {p.read_bytes() for p in (ROOT / "reference").glob("*.py")}
    assert not reference & set(files.values())


def test_the_kit_needs_neither_pyyaml_nor_gradescope_utils(kit_zip):
    """No module of the kit imports PyYAML or gradescope-utils when it loads (functions that only the course's YAML
    would reach may, lazily); the numpy-only environment below runs it."""
    for name, data in kit_contents(kit_zip).items():
        if name.endswith(".py"):
            for node in ast.parse(data).body:
                names = (
                    [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                assert not [n for n in names if n.split(".")[0] in ("yaml", "gradescope_utils")], name


def test_the_kits_configuration_holds_the_visible_tests_and_counts_the_rest(kit_zip, secret_config, tmp_path):
    """The kit's configuration is JSON that loads back to exactly the visible tests; kit.json has the hidden one's
    points."""
    kit = unzip(kit_zip, tmp_path / "kit") / KIT_FOLDER
    shipped = load_config(kit / "autograder" / "default.json")
    visible = load_config(secret_config).visible_only()
    assert shipped.tests == visible.tests and shipped.limits == visible.limits
    assert not (kit / "autograder" / "default.yaml").exists()
    not_visible = {"after_due_date": [0.0], "hidden": [0.5]}  # part (c)'s explanation (2.9) and the secret test
    assert json.loads((kit / "autograder" / "kit.json").read_text()) == {
        "not_visible": not_visible,
        "not_visible_by_question": {"2c": 0.0, "2a": 0.5},
    }


def test_the_handout_gives_the_points_of_the_configuration_it_was_built_with(tmp_path):
    """A course's points (5 for 2(a) here) and its hidden tests (count, kind and points) are the kit's handout's."""
    data = yaml.safe_load((ROOT / "autograder" / "default.yaml").read_text())
    data["tests"][1]["params"]["max_bits"] = 8  # 1.2: the handout states no other number of bits
    data["tests"][1]["name"] = "Adds every pair of numbers up to 8 bits"
    data["tests"][3]["max_score"] = 2  # 2.1: 2(a) is now worth 5
    data["tests"][4]["visibility"] = "hidden"  # 2.2, 1 point
    data["tests"].append(dict(HIDDEN_TEST, visibility="after_due_date"))
    (tmp_path / "course.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    handout = kit_contents(
        build.build("kit", out=tmp_path / f"{KIT_FOLDER}.zip", config_path=tmp_path / "course.yaml")
    )["HANDOUT.md"].decode()
    assert (
        "Points: question 1, 5 points; question 2(a), 5.5 points; question 2(b), 1 point; question 2(c), 0 points. "
        "In all, 11.5 points."
    ) in handout
    assert "| 2.1 h_bar: the error signal of h | 2(a) | 2 |" in handout
    assert "up to 8 bits" in handout and "10 bits" not in handout
    assert "2.2 " not in handout and SECRET_NAME not in handout
    assert (
        "Gradescope also runs 3 tests not listed here (1 never shown to you, 2 shown after the due date), worth "
        "1.5 points: your check does not run them, and they count in the points above."
    ) in handout
    assert "Points (the course's default configuration)" not in handout


def test_every_fact_the_handout_states_comes_from_the_configuration(tmp_path):
    """Bits, the reading of phi(0), the seconds per call and part (c)'s points are the configuration's, not the
    default's (docs/student.md marks each fact it states)."""
    data = yaml.safe_load((ROOT / "autograder" / "default.yaml").read_text())
    data["limits"]["call_seconds"] = 3
    for test in data["tests"]:
        if test["check"] == "adder_exhaustive" and test["params"]["max_bits"] > 1:
            test["params"]["max_bits"] = 6
            test["name"] = "Adds every pair of numbers up to 6 bits"  # the name is the configuration's too
        if test["check"].startswith("adder_"):
            test["params"]["convention"] = "fires"
        if test["number"] == "2.8":  # part (c)'s demonstration: the question is now worth 1 point
            test["max_score"] = 1
    (tmp_path / "course.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    handout = build.handout(load_config(tmp_path / "course.yaml"))
    assert "every pair of numbers of up to <!--adder_bits-->6<!--/--> bits" in handout and "10 bits" not in handout
    assert "this course reads phi(0) = 1: your network must be right with phi(0) = 1" in handout
    assert "or with phi(0) = 0" not in handout
    assert "(<!--call_seconds-->3<!--/--> s per call)" in handout and "5 s" not in handout
    assert "(<!--points_2c-->1 autograder point<!--/-->)" in handout and "0 autograder points" not in handout
    data["tests"] = [t for t in data["tests"] if t["check"] != "adder_exhaustive"]
    (tmp_path / "course.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(build.BuildError, match="states <!--adder_bits--> but the configuration"):
        build.handout(load_config(tmp_path / "course.yaml"))


def test_the_handout_in_the_repository_is_the_default_configurations():
    """docs/student.md's tests part is what `build docs` writes from autograder/default.yaml."""
    assert (ROOT / "docs" / "student.md").read_text(encoding="utf-8") == build.handout(load_config()), (
        "docs/student.md is stale: run `python3 -m autograder build docs`"
    )


def test_the_handout_says_the_one_command_and_nothing_that_pep_668_refuses():
    """The handout and README give `python3 check.py`, and no `pip install` outside a virtual environment
    (a notebook's `!pip install` lines, which the grader skips, are not instructions)."""
    for text in ((ROOT / "docs" / "student.md").read_text(), (ROOT / "README.md").read_text()):
        assert "python3 check.py" in text
        for line in text.splitlines():
            for command in re.findall(r"\S*python3?\S* -m pip install|(?<![!\w/.-])pip3? install", line):
                assert command.startswith(".venv/"), line
    assert "requirements.txt" not in (ROOT / "docs" / "student.md").read_text()


def test_the_kits_check_runs_from_the_unzipped_kit(kit_zip, tmp_path):
    """`python3 check.py SAMPLE` grades the visible tests; `python3 check.py` alone grades the kit's starter files."""
    kit = unzip(kit_zip, tmp_path / "kit") / KIT_FOLDER
    python = str((ROOT / ".venv" / "bin" / "python").absolute())
    case = ROOT / "submissions_sample" / "lstm_c_bar_without_carry"
    done = subprocess.run([python, "check.py", str(case)], cwd=kit, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    total = sum(float(s) for s in yaml.safe_load((case / "expected.yaml").read_text())["scores"].values())
    assert f"Checking {case}: {total:g} / 10 points\n" in done.stdout
    assert done.stdout.endswith(closing_lines({"after_due_date": [0.0], "hidden": [0.5]}))
    assert not HIDDEN_NUMBER.search(done.stdout) and SECRET_NAME not in done.stdout
    starter = subprocess.run([python, str(kit / "check.py")], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert starter.returncode == 0, starter.stderr
    assert f"Checking {kit}: 0 / 10 points\n" in starter.stdout
    assert "NotImplementedError: lstm_bptt is not written yet" in starter.stdout
    assert "Several files could be" not in starter.stdout  # the kit's own package was not searched


def test_the_starter_forward_pass_is_the_graders():
    """The kit's `lstm_forward` computes the forward pass the grader hands to `lstm_bptt`, in the same layout."""
    starter = load_module(ROOT / "kit" / "lstm_bptt.py")
    rng = np.random.default_rng(3)
    x = np.concatenate(([0.0], rng.standard_normal(6)))
    names = ("w_ix", "w_ih", "w_fx", "w_fh", "w_ox", "w_oh", "w_gx", "w_gh")
    weights = dict(zip(names, rng.uniform(-1.5, 1.5, 8), strict=True))
    problem = build_problem(0, x, weights, 0.4, -0.9, np.ones(7), np.zeros(7))
    forward = starter.lstm_forward(x, weights, h0=0.4, c0=-0.9)
    assert sorted(forward) == sorted(FORWARD_KEYS)
    for key in FORWARD_KEYS:
        np.testing.assert_allclose(forward[key], problem.values[key], rtol=1e-12, atol=1e-15)
    with pytest.raises(NotImplementedError):
        starter.lstm_bptt(x, weights, forward, np.ones(7))


def test_the_starter_adder_has_every_name_in_its_shape_and_only_zeros():
    """The kit's adder.py is accepted by the grader as weights (right shapes) and holds no answer (all zeros)."""
    starter = load_module(ROOT / "kit" / "adder.py")
    raw = {name: getattr(starter, name) for name in ("U", "W", "V", "b_h", "b_y")}
    assert not isinstance(read_adder_weights(raw), str)
    assert [np.shape(raw[name]) for name in ("U", "W", "V", "b_h", "b_y")] == [(3, 2), (3, 3), (1, 3), (3,), ()]
    assert not any(np.any(np.asarray(value)) for value in raw.values())


def test_a_kit_needs_a_visible_test(tmp_path):
    """A configuration whose tests are all hidden cannot make a kit: its check would run nothing."""
    data = yaml.safe_load((ROOT / "autograder" / "default.yaml").read_text())
    for test in data["tests"]:
        test["visibility"] = "hidden"
    (tmp_path / "hidden.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(build.BuildError, match="no test is visible"):
        build.build("kit", out=tmp_path / "kit.zip", config_path=tmp_path / "hidden.yaml")


def test_a_broken_configuration_is_not_built(tmp_path, capsys):
    """`build gradescope` with a broken configuration exits 2 with the loader's message and writes no zip."""
    (tmp_path / "broken.yaml").write_text("tests: []\n")
    assert build.main(target="gradescope", out=tmp_path / "a.zip", config_path=tmp_path / "broken.yaml") == 2
    assert capsys.readouterr().err.startswith("build: the configuration is broken: ")
    assert not (tmp_path / "a.zip").exists()


def test_the_build_command_writes_the_zip(tmp_path):
    """`python3 -m autograder build gradescope --out FILE` writes the zip and says what to do with it."""
    out = tmp_path / "dist" / "autograder.zip"
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "build", "gradescope", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert f"\nWrote {out} (" in done.stdout and zipfile.is_zipfile(out)
    assert done.stdout.startswith(f"Tests of {ROOT / 'autograder' / 'default.yaml'}:\n  1.1   Adds every pair")
    assert "Total: 10 points in 12 tests (the default configuration).\n" in done.stdout


def test_a_build_says_what_it_holds_and_a_total_unlike_the_defaults(secret_config, tmp_path, capsys):
    """`build kit` lists each test with its question, points and visibility, says which ones the kit leaves out,
    and warns when the total is not the default configuration's."""
    assert build.main(target="kit", out=tmp_path / "kit.zip", config_path=secret_config) == 0
    printed = capsys.readouterr().out
    assert re.search(r"\n  2\.7 +w_ix_bar: the gradient of w_ix +question 2\(b\) +1 pt  visible\n", printed)
    assert re.search(
        rf"\n  2\.19 +{re.escape(SECRET_NAME)} +question 2\(a\) +0\.5 pt  hidden  \(not in the kit: the check does "
        r"not run it\)\n",
        printed,
    )
    assert "Total: 10.5 points in 13 tests, NOT the default configuration's 10: " in printed


def test_the_configuration_reference_is_up_to_date():
    """docs/configuration.md is what `python3 -m autograder build docs` writes from the code's field documentation."""
    assert (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8") == build.configuration_reference(), (
        "docs/configuration.md is stale: run `python3 -m autograder build docs`"
    )


# ---------------------------------------------------------------- the kit where students run it: numpy alone, as root

NUMPY_PIN = next(
    line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("numpy==")
)
PYENV = Path("/root/.pyenv/versions")  # the image's other interpreters (root's home: root can run them)
OTHER_PYTHONS = {"3.10": PYENV / "3.10.13" / "bin" / "python3", "3.13": PYENV / "3.13.0" / "bin" / "python3"}
REPRESENTATIVE = ("lstm_c_bar_without_carry", "lstm_h_bar_without_recurrence", "adder_json", "adder_wrong_output")
NEEDS_PYYAML = ("adder.yaml", "adder.yml")  # the one form the numpy-only kit refuses (it says so)


@pytest.fixture(scope="session")
def numpy_only(tmp_path_factory):
    """Makes, once per interpreter, a virtual environment with numpy alone (pinned) in a private temporary folder;
    skips the test, saying why, when pip cannot get numpy from the registry."""
    made = {}

    def python(base: Path) -> Path:
        if base not in made:
            folder = tmp_path_factory.mktemp(f"numpy-only-{base.parent.parent.name}")
            done = subprocess.run([str(base), "-m", "venv", str(folder)], capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr
            pip = subprocess.run(
                [
                    str(folder / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    NUMPY_PIN,
                ],
                capture_output=True,
                text=True,
                timeout=600,
            )
            if pip.returncode != 0:
                pytest.skip(f"pip could not install {NUMPY_PIN} for {base} (no registry?): {pip.stderr[-300:]}")
            made[base] = folder / "bin" / "python"
        return made[base]

    return python


def base_python() -> Path:
    """The interpreter this test suite's virtual environment was made from."""
    return Path(getattr(sys, "_base_executable", sys.executable))


@pytest.fixture(scope="module")
def unzipped_kit(kit_zip, tmp_path_factory):
    return unzip(kit_zip, tmp_path_factory.mktemp("kit")) / KIT_FOLDER


@pytest.fixture(scope="module")
def no_worker_users(tmp_path_factory):
    """A command prefix that runs a command in a mount namespace whose /etc/passwd has no worker user, when this
    machine has worker users and root can make one (else no prefix: then the users exist but the kit never asks)."""
    passwd = Path("/etc/passwd").read_text()
    if os.geteuid() != 0 or "rnn-worker" not in passwd or not shutil.which("unshare"):
        return []
    hidden = tmp_path_factory.mktemp("passwd") / "passwd"
    hidden.write_text("".join(line for line in passwd.splitlines(keepends=True) if not line.startswith("rnn-worker")))
    prefix = ["unshare", "--mount", "sh", "-c", 'mount --bind "$0" /etc/passwd && exec "$@"', str(hidden)]
    probe = subprocess.run([*prefix, "id", "rnn-worker"], capture_output=True, text=True, timeout=30)
    return prefix if probe.returncode == 1 else []


def run_kit(python: Path, kit: Path, case: Path, out: Path, prefix: list[str]) -> tuple[str, dict]:
    """`python check.py CASE --json OUT` in the kit, with a student's bare environment; (what it printed, the JSON)."""
    done = subprocess.run(
        [*prefix, str(python), "check.py", str(case), "--json", str(out)],
        cwd=kit,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": str(out.parent)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, json.loads(out.read_text())


@pytest.fixture(scope="module")
def gradescope_sandbox():
    from autograder.worker.sandbox import Sandbox

    with Sandbox() as opened:
        yield opened


def assert_parity(case: Path, printed: str, checked: dict, secret_config: Path, sandbox) -> None:
    """The kit's results for a case are Gradescope's visible ones: every test's score, status and feedback
    (carried-forward credit included), the notes on the upload, and the score it prints."""
    from autograder.engine import grade

    graded = grade(case, config=load_config(secret_config), sandbox=sandbox)
    visible = [test for test in graded["tests"] if test["visibility"] == "visible"]
    if any((case / name).is_file() for name in NEEDS_PYYAML) and not (case / "adder.py").is_file():
        yaml_tests = [t for t in checked["tests"] if t["tags"] == ["1"]]
        assert yaml_tests and "needs PyYAML" in yaml_tests[0]["output"]  # said once (later tests refer to it)
        assert all(t["score"] == 0 for t in yaml_tests)
        checked = dict(checked, tests=[t for t in checked["tests"] if t["tags"] != ["1"]])
        visible = [t for t in visible if t["tags"] != ["1"]]
    assert checked["tests"] == visible
    # The note on printing follows what the code printed, which may differ where it runs (as root, the kit's
    # check lets a fork bomb fork on until it is stopped, and Python says so; a worker user's limit stops it).
    assert checked["output"].replace(PRINTED, "").strip() == graded["output"].replace(PRINTED, "").strip()
    assert "points\n" in printed and not HIDDEN_NUMBER.search(printed)  # (a table's 2.904e-03 is no test number)


@pytest.mark.slow
def test_the_kit_runs_with_numpy_alone_as_root_without_worker_users(
    numpy_only, unzipped_kit, no_worker_users, secret_config, gradescope_sandbox, tmp_path
):
    """In a virtual environment holding numpy alone (no PyYAML, no gradescope-utils), as root where the machine's
    worker users are hidden, the kit says whose rights the code runs with and gives Gradescope's visible results."""
    python = numpy_only(base_python())
    for module in ("yaml", "gradescope_utils"):
        assert subprocess.run([str(python), "-c", f"import {module}"], capture_output=True).returncode != 0
    for name in ("reference", *REPRESENTATIVE[:2]):
        case = ROOT / name if name == "reference" else ROOT / "submissions_sample" / name
        printed, checked = run_kit(python, unzipped_kit, case, tmp_path / f"{name}.json", no_worker_users)
        assert printed.startswith("Your code runs as you (")
        assert_parity(case, printed, checked, secret_config, gradescope_sandbox)
    assert any(t.get("extra_data", {}).get("status") == "carried_forward" for t in checked["tests"]), (
        "the carried-forward case shows no carried-forward credit"
    )


# The kit's door, on the samples for what it does differently: numpy alone (the YAML forms it refuses, alone and
# beside other forms), the student's own rights (the root-only samples read what they can), a student's modules
# beside the kit's, and carried-forward credit judged from the built problems; then a sample of every other family.
KIT_SAMPLES = representatives(
    "adder_yaml",
    "mixed_adder_yaml_shallower",
    "hostile_read_reference",
    "hostile_shadow_modules",
    "lstm_c_bar_without_carry",
    "tex_c_bar_without_carry_overline",
    "notebook_colab",
)


@pytest.mark.slow
@pytest.mark.parametrize("case", KIT_SAMPLES, ids=[p.name for p in KIT_SAMPLES])
def test_the_kit_gives_gradescopes_visible_results_for_every_sample(
    case, numpy_only, unzipped_kit, no_worker_users, secret_config, gradescope_sandbox, tmp_path, request
):
    """Samples of every family, checked by the kit with numpy alone as root, have Gradescope's visible scores and
    feedback, and their golden results.

    Except, by design, the samples that only a dedicated worker user stops (`root_only`: they read the grader's
    files): the kit runs the code as the student, who may read what they can (docs/spec.md 5.4); there the check
    still finishes with valid results.
    """
    printed, checked = run_kit(numpy_only(base_python()), unzipped_kit, case, tmp_path / "kit.json", no_worker_users)
    if yaml.safe_load((case / "expected.yaml").read_text()).get("root_only"):
        assert_valid_results(checked)
        assert printed.startswith("Your code runs as you (")
        return
    assert_parity(case, printed, checked, secret_config, gradescope_sandbox)
    if not any((case / name).is_file() for name in NEEDS_PYYAML) and not updating(request.config):
        assert_golden(case, checked, numbers=[t["number"] for t in checked["tests"]])


@pytest.mark.slow
@pytest.mark.parametrize("version", sorted(OTHER_PYTHONS))
def test_the_kit_runs_on_the_oldest_and_newest_python(
    version, numpy_only, unzipped_kit, no_worker_users, secret_config, gradescope_sandbox, tmp_path
):
    """The kit gives the same results on Python 3.10 and 3.13 (each with numpy alone) where they are installed."""
    base = OTHER_PYTHONS[version]
    if not os.access(base, os.X_OK):
        pytest.skip(f"Python {version} is not installed here (looked for {base}, pyenv's place in root's home)")
    case = ROOT / "submissions_sample" / REPRESENTATIVE[0]
    printed, checked = run_kit(numpy_only(base), unzipped_kit, case, tmp_path / "kit.json", no_worker_users)
    assert_parity(case, printed, checked, secret_config, gradescope_sandbox)


def test_the_kit_and_gradescope_judge_from_the_same_numbers(kit_zip, gradescope_zip, secret_config):
    """Both zips hold a problems.json built from the configuration: the kit's the visible tests' problems only,
    Gradescope's every test's (no grading computes them), the visible ones the very same numbers as the kit's."""
    with zipfile.ZipFile(gradescope_zip) as archive:
        gradescope = json.loads(archive.read("autograder/problems.json"))
    kit = json.loads(kit_contents(kit_zip)["autograder/problems.json"])
    assert kit["tests"] and set(kit["tests"]) < set(gradescope["tests"])
    for key, indices in kit["tests"].items():
        assert [kit["problems"][i] for i in indices] == [gradescope["problems"][i] for i in gradescope["tests"][key]]
    assert {p["seed"] for p in kit["problems"]} == set(load_config().tests[3].params.seeds) | {0}
    hidden = [t for t in load_config(secret_config).tests if t.visibility != "visible" and t.check.startswith("lstm")]
    assert hidden and all(built.key(t.params) in gradescope["tests"] for t in hidden)
    assert all("equations" in p and "mistakes" in p for p in gradescope["problems"] if p["seed"])


def test_the_kit_judges_from_its_built_numbers(unzipped_kit, tmp_path):
    """The kit's verdicts come from its problems.json: with one true value of o_bar and its equation changed there,
    the reference fails that quantity alone (so no other truth stands behind it)."""
    kit = tmp_path / "kit"
    shutil.copytree(unzipped_kit, kit)
    built = json.loads((kit / "autograder" / "problems.json").read_text())
    built["problems"][0]["truth"]["o"][0] += 1.0
    for term in built["problems"][0]["equations"]["o"]["terms"]:  # else its own equation still gives credit
        term["coef"][0] += 1.0
    (kit / "autograder" / "problems.json").write_text(json.dumps(built))
    printed, checked = run_kit(Path(sys.executable), kit, ROOT / "reference", tmp_path / "kit.json", [])
    failed = {t["number"] for t in checked["tests"] if t["status"] == "failed"}
    assert failed == {"2.4"}, printed


def new_problem(path: Path) -> Path:
    """A problem no kit was built with (its own seed, length and weights), and its true bars by the complex step."""
    from autograder.judge import lstm_model as model

    rng = np.random.default_rng(99991)
    length = 5
    x = np.concatenate(([0.0], rng.standard_normal(length)))
    weights = dict(zip(model.WEIGHT_NAMES, rng.uniform(-1.5, 1.5, 8), strict=True))
    problem = model.build_problem(
        99991, x, weights, 0.3, -0.7, rng.standard_normal(length + 1), rng.standard_normal(length + 1)
    )
    bars, w_ix = model.complex_step_bars(problem)
    call = {
        "x": problem.x.tolist(),
        "weights": {k: float(v) for k, v in problem.weights.items()},
        "forward": {k: problem.values[k].tolist() for k in model.FORWARD_KEYS},
        "dL_dh": problem.dL_dh.tolist(),
    }
    truth = {k: np.asarray(bars[k])[1:].tolist() for k in model.GRADED} | {"w_ix": float(w_ix)}
    path.write_text(json.dumps({"call": call, "truth": truth}))
    return path


def probe_kit(python: Path, kit: Path, problem: Path, modules: str, seconds: float) -> tuple[list[dict], dict]:
    """Run kit_solver_probe.py: (the returns that hold a true bar, its summary)."""
    done = subprocess.run(
        [str(python), str(ROOT / "tests" / "kit_solver_probe.py"), str(kit), str(problem), modules],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "KIT_PROBE_SECONDS": str(seconds)},
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return [r for r in records if "function" in r], records[-1]


@pytest.mark.parametrize(
    "modules, seconds",
    [("autograder.judge.lstm", 0.3), ("autograder", 0.6)],
    ids=["question 2's judge", "every module"],
)
@pytest.mark.slow
def test_no_function_of_the_kit_computes_the_bars_of_a_problem_it_was_not_built_with(
    modules, seconds, numpy_only, unzipped_kit, tmp_path
):
    """Every function and method of the kit (of question 2's judge, in the fast form), called with every combination
    of a
    new problem's call, data and parameters, returns none of its true bars; a kit with a solver added is caught."""
    python, problem = numpy_only(base_python()), new_problem(tmp_path / "problem.json")
    hits, summary = probe_kit(python, unzipped_kit, problem, modules, seconds)
    assert hits == [] and summary["functions"] > 40
    assert all(name.startswith("autograder.worker.inside.") for name in summary["unfinished"]), summary
    control = tmp_path / "control"
    shutil.copytree(unzipped_kit, control)
    shutil.copyfile(ROOT / "reference" / "lstm_bptt.py", control / "autograder" / "judge" / "solver.py")
    hits, _ = probe_kit(python, control, problem, "autograder.judge.solver", seconds)
    assert {hit["function"] for hit in hits} == {"autograder.judge.solver.lstm_bptt"}


def test_every_link_of_the_handout_leads_to_a_file_of_the_kit(kit_zip):
    """The handout's relative links (the answers.tex notation, say) name files that the kit holds."""
    files = kit_contents(kit_zip)
    links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", files["HANDOUT.md"].decode())
    assert [link for link in links if link not in files] == []
