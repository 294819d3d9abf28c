"""The builds: the Gradescope autograder zip, the student kit, and the generated configuration reference."""

from __future__ import annotations

import ast
import json
import os
import re
import stat
import sys
import tempfile
import types
import typing
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, TextIO

from autograder import built
from autograder.check import SHOWN, not_visible, not_visible_by_question
from autograder.config import PARSED_SUFFIX, QUESTIONS, VISIBILITIES, Config, ConfigError, TestSpec, parsed_twin
from autograder.kinds import KINDS, load_config
from autograder.record import MISSING, fields, is_record
from autograder.worker.limits import Limits

ROOT = Path(__file__).resolve().parent.parent  # the repository
PACKAGE = ROOT / "autograder"
KIT = ROOT / "kit"
REFERENCE_DOC = ROOT / "docs" / "configuration.md"
STUDENT_DOC = ROOT / "docs" / "student.md"
TARGETS = ("gradescope", "kit", "docs")
DEFAULT_OUT = {"gradescope": Path("dist/autograder.zip"), "kit": Path("dist/student_kit.zip"), "docs": REFERENCE_DOC}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # every entry's timestamp: the same sources give the same zip, byte for byte
EXECUTABLES = {"setup.sh", "run_autograder", "check.py"}  # at the root of a zip (or of its one top folder)
SKIPPED_PARTS = {"__pycache__", ".pytest_cache"}
BUILT = (
    "autograder/default.yaml",
    "autograder/default.json",
    "autograder/kit.json",  # written by a build, per config
    "autograder/problems.json",
    "autograder/default.yaml" + PARSED_SUFFIX,
)
KIT_ENTRY = "autograder/check.py"  # the kit ships the check and what it imports, at any depth (in functions too),
# the worker's folders whole (they run the student's code, and read answers.tex), and nothing of:
NOT_IN_KIT = {
    "autograder/report/results.py": "Gradescope's results writer (gradescope-utils); the check shows report/view.py's",
    "autograder/judge/lstm_model.py": "the builder of question 2's problems: a solver (finite differences, chain rule)",
    "autograder/judge/mistakes.py": "the catalogue's reader (PyYAML); each built problem carries its mistakes' numbers",
    "autograder/judge/mistakes.yaml": "the catalogue, read by the builder only",
}
KIT_DOCS = {"docs/student.md": "HANDOUT.md", "docs/answers-tex.md": "answers-tex.md"}  # those that exist
HANDOUT_TESTS = (
    "<!-- The tests and their points, from the configuration (written by `python3 -m autograder build`: "
    "edit the configuration, not this part) -->",
    "<!-- end of the tests -->",
)


class BuildError(Exception):
    """A build cannot be made; the message says why."""


# ---------------------------------------------------------------- zips


def write_zip(out: Path, files: Mapping[str, bytes], *, folder: str = "") -> Path:
    """Write a reproducible zip: sorted entries, fixed timestamps, fixed modes (0755 for the root scripts).

    With `folder`, every entry is inside that one top folder (what a student expects of an unzipped kit).
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}-")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w") as archive:
            for name in sorted(files):
                info = zipfile.ZipInfo(f"{folder}/{name}" if folder else name, FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3  # unix, so that the modes below are honoured
                mode = 0o755 if name in EXECUTABLES else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                archive.writestr(info, files[name], compresslevel=9)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
    except BaseException:
        os.unlink(temporary)
        raise
    return out


def package_files() -> dict[str, bytes]:
    """The grader's own package, `autograder/...` -> bytes, without caches and without its configuration."""
    files = {}
    for folder, dirs, names in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_PARTS and not d.startswith("."))
        for name in sorted(names):
            path = Path(folder) / name
            relative = PurePosixPath(path.relative_to(ROOT).as_posix())
            if name.startswith(".") or name.endswith((".pyc", ".pyo")) or str(relative) in BUILT:
                continue
            files[str(relative)] = path.read_bytes()
    return files


def _load(config_path: Path | None) -> Config:
    try:
        return load_config(config_path)
    except ConfigError as error:
        raise BuildError(f"the configuration is broken: {error}") from None


def gradescope_files(config_path: Path | None = None) -> dict[str, bytes]:
    """Gradescope's autograder: `setup.sh` and `run_autograder` at the root, the package, the configuration.

    No reference solution: the grader never reads one (the truth of question 2 is measured). Every test's
    problems are built ahead, so no grading computes them (the hidden tests' too: this zip is the staff's);
    the visible tests' are the kit's very numbers, so that both judge them from the same numbers.
    """
    config = _load(config_path)
    files = package_files()
    files["autograder/default.yaml"] = config.path.read_bytes()
    if (twin := parsed_twin(files["autograder/default.yaml"])) is not None:
        files["autograder/default.yaml" + PARSED_SUFFIX] = twin  # a grading reads it without PyYAML
    files["autograder/problems.json"] = problems_json(config)
    for name in ("setup.sh", "run_autograder", "requirements.txt"):
        files[name] = (ROOT / name).read_bytes()
    return files


def kit_files(config_path: Path | None = None) -> dict[str, bytes]:
    """The student kit: the answer files to fill in, the check and what it imports, the visible tests, the handout.

    It runs with Python and numpy alone: its configuration is JSON (no PyYAML) and its check shows the
    tests without gradescope-utils.
    """
    config = _load(config_path)
    visible = config.visible_only()
    if not visible.tests:
        raise BuildError(f"{config.path}: no test is visible, so the kit's check would have nothing to run")
    shipped = package_files()
    files = {name: shipped[name] for name in kit_modules(shipped)}
    files["autograder/default.json"] = config_json(visible).encode()
    files["autograder/problems.json"] = problems_json(visible)
    note = {  # what the kit's check says it leaves out, in all and per question
        "not_visible": dict(sorted(not_visible(config, None).items())),
        "not_visible_by_question": not_visible_by_question(config, None),
    }
    files["autograder/kit.json"] = (json.dumps(note, indent=2) + "\n").encode()
    for path in sorted(KIT.iterdir()):
        if path.is_file() and not path.name.startswith("."):
            files[path.name] = path.read_bytes()
    for source, name in KIT_DOCS.items():
        if (ROOT / source).is_file():
            files[name] = (ROOT / source).read_bytes()
    files["HANDOUT.md"] = handout(config).encode()
    _check_round_trip(files["autograder/default.json"], visible)
    return files


def kit_modules(shipped: Mapping[str, bytes]) -> list[str]:
    """The package's files the kit's check needs: the modules it imports (at any depth, in functions too),
    their packages' `__init__.py`, the data files beside them, and the worker's folders (whose modules the
    worker imports by their own top-level names); none of NOT_IN_KIT."""
    needed, todo = set(), [KIT_ENTRY]
    while todo:
        module = todo.pop()
        if module in needed or module in NOT_IN_KIT:
            continue
        needed.add(module)
        for name in _imported(module, shipped[module]):
            for candidate in (f"{name.replace('.', '/')}.py", f"{name.replace('.', '/')}/__init__.py"):
                if candidate in shipped:
                    todo.append(candidate)
    folders = {str(PurePosixPath(module).parent) for module in needed}
    for folder in list(folders):
        while folder != ".":
            needed.add(f"{folder}/__init__.py")
            folder = str(PurePosixPath(folder).parent)
    data = {name for name in shipped if not name.endswith(".py") and str(PurePosixPath(name).parent) in folders}
    vendored = {name for name in shipped if name.startswith(("autograder/worker/", "autograder/vendor/"))}
    return sorted((needed | data | vendored) & set(shipped) - set(NOT_IN_KIT))


def _imported(module: str, source: bytes) -> set[str]:
    """The dotted names a module imports (absolute or relative; `from a import b` gives `a` and `a.b`)."""
    package = str(PurePosixPath(module).parent).replace("/", ".")
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            names |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in names if name.split(".")[0] == "autograder"}


def problems_json(config: Config) -> bytes:
    """autograder/problems.json: the question-2 problems of the configuration's tests, computed now."""
    pairs = ((spec.params, KINDS[spec.check].problems) for spec in config.tests)
    return built.build((params, problems) for params, problems in pairs if problems is not None)


# ---------------------------------------------------------------- the handout's tests


def handout(config: Config) -> str:
    """docs/student.md with its part on tests and points, and every fact it states in a marked span
    (`<!--name-->...<!--/-->`), written from `config` (the kit's HANDOUT.md)."""
    text = STUDENT_DOC.read_text(encoding="utf-8")
    start, end = HANDOUT_TESTS
    before, found, rest = text.partition(start)
    if not found or end not in rest:
        raise BuildError(f"docs/student.md has lost its markers of the tests part ({start} ... {end})")
    text = f"{before}{start}\n{handout_tests(config)}{end}{rest.partition(end)[2]}"
    facts = handout_facts(config)

    def fact(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in facts:
            raise BuildError(f"docs/student.md marks an unknown fact <!--{name}-->; known: {', '.join(facts)}")
        if facts[name] is None:
            raise BuildError(
                f"docs/student.md states <!--{name}--> but the configuration {config.path} has no test it comes "
                "from: add the test, or edit the handout"
            )
        return f"<!--{name}-->{facts[name]}<!--/-->"

    return HANDOUT_FACT.sub(fact, text)


HANDOUT_FACT = re.compile(r"<!--(\w+)-->(.*?)<!--/-->", re.S)
PHI0_RULE = {
    "either": "your network passes if it is right with phi(0) = 1 for every unit, or with phi(0) = 0\n"
    "  for every unit. If it is right under only one of the two, it still passes and the feedback says\n"
    "  which one it needs.",
    "fires": "this course reads phi(0) = 1: your network must be right with phi(0) = 1 for every unit.",
    "silent": "this course reads phi(0) = 0: your network must be right with phi(0) = 0 for every unit.",
}


def handout_facts(config: Config) -> dict[str, str | None]:
    """What the handout states that the configuration decides, by the name of its span in docs/student.md
    (None: no test of the configuration says it)."""
    from autograder.points import format_points

    bits = [t.params.max_bits for t in config.tests if t.check == "adder_exhaustive"]
    conventions = {t.params.convention for t in config.tests if t.check in ("adder_exhaustive", "adder_proof")}
    part_c = sum(t.max_score for t in config.tests if t.question == "2c")
    if len(conventions) > 1:
        reads = {"either": "accepts either reading", "fires": "reads phi(0) = 1", "silent": "reads phi(0) = 0"}
        adder = [t for t in config.tests if t.check in ("adder_exhaustive", "adder_proof")]
        each = "; ".join(f"test {t.number} {reads[t.params.convention]}" for t in adder)
        rule: str | None = f"it depends on the test: {each}."
    else:
        rule = PHI0_RULE[conventions.pop()] if conventions else None
    return {
        "adder_bits": str(max(bits)) if bits else None,
        "phi0_rule": rule,
        "call_seconds": format_points(config.limits.call_seconds),
        "points_2c": f"{format_points(part_c)} autograder point{'' if part_c == 1 else 's'}",
    }


def handout_tests(config: Config) -> str:
    """The handout's tests: points per question, each visible test, and the count and points of the others."""
    from autograder.points import format_points

    def points(tests: Sequence[TestSpec]) -> str:
        total = sum(test.max_score for test in tests)
        return f"{format_points(total)} point{'' if total == 1 else 's'}"

    questions = [q for q in QUESTIONS if any(test.question == q for test in config.tests)]
    per_question = "; ".join(
        f"question {_question_name(q)}, {points([t for t in config.tests if t.question == q])}" for q in questions
    )
    lines = [
        f"Points: {per_question}. In all, {points(config.tests)}.",
        "",
        "| test | question | points |",
        "|---|---|---|",
    ]
    for test in config.tests:
        if test.visibility == "visible":
            name = test.name.replace("|", "\\|")
            lines.append(
                f"| {test.number} {name} | {_question_name(test.question)} | {format_points(test.max_score)} |"
            )
    unseen = [test for test in config.tests if test.visibility != "visible"]
    if unseen:
        counts = Counter(test.visibility for test in unseen)
        kinds = ", ".join(f"{counts[v]} {SHOWN[v]}" for v in VISIBILITIES if counts.get(v))
        lines += [
            "",
            f"Gradescope also runs {len(unseen)} test{'' if len(unseen) == 1 else 's'} not listed here "
            f"({kinds}), worth {points(unseen)}: your check does not run "
            f"{'it' if len(unseen) == 1 else 'them'}, and {'it counts' if len(unseen) == 1 else 'they count'} "
            "in the points above.",
        ]
    else:
        lines += ["", "Every test is listed here: your check runs them all."]
    return "\n".join(lines) + "\n"


def _question_name(question: str) -> str:
    return question if question.isdigit() else f"{question[:-1]}({question[-1]})"


# ---------------------------------------------------------------- configuration as JSON


def plain(value: Any) -> Any:
    """A configuration value as plain data: records become mappings, tuples lists."""
    if is_record(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    if isinstance(value, Path):
        return str(value)
    return value


def config_json(config: Config) -> str:
    """A configuration file (JSON, for the kit) that loads back to the same tests and limits, every parameter
    written."""
    tests = []
    for spec in config.tests:
        entry = {f.name: plain(getattr(spec, f.name)) for f in fields(TestSpec) if f.name != "params"}
        if spec.params is not None:
            entry["params"] = plain(spec.params)
        tests.append(entry)
    return json.dumps({"limits": plain(config.limits), "tests": tests}, indent=1, ensure_ascii=False) + "\n"


def _check_round_trip(text: bytes, config: Config) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "default.json"
        path.write_bytes(text)
        loaded = load_config(path)
    if loaded.tests != config.tests or loaded.limits != config.limits:
        raise BuildError("the kit's configuration does not load back to the visible tests (a bug of `build`)")


# ---------------------------------------------------------------- the configuration reference


def configuration_reference() -> str:
    """docs/configuration.md: every key of a configuration file, from the records' field documentation."""
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python3 -m autograder build docs` from the code's field documentation: "
        "edit the code, not this file. -->",
        "",
        "A configuration is a YAML file: `autograder/default.yaml` unless a command is given `--config FILE`. "
        "It has two keys: `limits` (optional) and `tests` (a non-empty list). A key without a default is required. "
        "The file is checked when it is loaded: an unknown key, a wrong type or a bad value is an error that names "
        "the file, the line and the key.",
        "",
        "## `limits`",
        "",
        _doc_of(Limits),
        "",
        *_fields_table(Limits),
        "",
        "## `tests`",
        "",
        "Each entry of the list is one graded test, shown on Gradescope as one test.",
        "",
        *_fields_table(TestSpec),
        "",
        "## Check kinds",
        "",
        "A test's `check` names one of these; its `params` takes the keys listed under it.",
        "",
    ]
    for name, kind in KINDS.items():
        lines += [f"### `{name}`", ""]
        description = _doc_of(kind.params)
        if description:
            lines += [description, ""]
        lines += [*_fields_table(kind.params), ""]
    return "\n".join(line.rstrip() for line in lines).rstrip() + "\n"


def _doc_of(cls: type) -> str:
    doc = (cls.__doc__ or "").strip()
    if not doc:
        return ""
    return " ".join(doc.split("\n\n")[0].split())


def _fields_table(cls: type) -> list[str]:
    known = fields(cls)
    if not known:
        return ["No parameters."]
    hints = typing.get_type_hints(cls)
    rows = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for f in known:
        if f.default is not MISSING:
            default = f"`{_yaml_value(f.default)}`"
        elif f.default_factory is not MISSING:
            default = f"`{_yaml_value(f.default_factory())}`"
        else:
            default = "required"
        meaning = " ".join(str(f.metadata.get("doc", "")).split()).replace("|", "\\|")
        rows.append(f"| `{f.name}` | {_type_name(hints.get(f.name, Any))} | {default} | {meaning} |")
    return rows


def _yaml_value(value: Any) -> str:
    value = plain(value)
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_yaml_value(item)}" for key, item in value.items()) + "}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(option) for option in typing.get_args(hint))
    if origin in (tuple, list):
        return f"list of {_type_name(typing.get_args(hint)[0])}" if typing.get_args(hint) else "list"
    if hint is Any:
        return "any"
    if hint is type(None):
        return "null"
    if isinstance(hint, type) and is_record(hint):
        return "mapping"
    return {"str": "text", "float": "number", "int": "integer", "bool": "true/false"}.get(
        getattr(hint, "__name__", ""), getattr(hint, "__name__", str(hint))
    )


# ---------------------------------------------------------------- the verb

# What the builds copy from beside the package: a clone of the repository has them, an installed
# package (`pip install .`) does not, so there the builds refuse with a message instead of a traceback.
REPOSITORY = {
    "gradescope": ("setup.sh", "run_autograder", "requirements.txt"),
    "kit": ("kit", "docs/student.md"),
    "docs": ("docs",),
}


def _need_repository(target: str, out: Path | None) -> None:
    if target == "docs" and out is not None:
        return  # the reference is generated from the package alone
    missing = [name for name in REPOSITORY.get(target, ()) if not (ROOT / name).exists()]
    if missing:
        raise BuildError(
            f"`build {target}` needs a clone of the repository: {', '.join(missing)} not found in "
            f"{ROOT} (an installed package); run it in the repository's folder"
            + (", or give --out" if target == "docs" else "")
        )


def build(target: str, *, out: Path | None = None, config_path: Path | None = None) -> Path:
    """Make one build (`gradescope`, `kit` or `docs`) and return where it was written."""
    _need_repository(target, out)
    out = Path(out) if out is not None else DEFAULT_OUT[target]
    if target == "gradescope":
        return write_zip(out, gradescope_files(config_path))
    if target == "kit":
        return write_zip(out, kit_files(config_path), folder=out.stem)
    if target == "docs":
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(configuration_reference(), encoding="utf-8")
        if out == REFERENCE_DOC:  # in the repository: the handout's tests part too, from the default configuration
            STUDENT_DOC.write_text(handout(_load(None)), encoding="utf-8")
        return out
    raise BuildError(f"unknown build {target!r}; known: {', '.join(TARGETS)}")


NEXT_STEP = {
    "gradescope": "Upload it on Gradescope: the assignment's Configure Autograder page, Zip file upload "
    "(base image Ubuntu 22.04 or newer with Python 3.10+). See docs/instructor.md.",
    "kit": "Give it to the students: it unzips into one folder with the answer files, HANDOUT.md and "
    "`python3 check.py` (Python 3.10+ and numpy, nothing to install).",
    "docs": "The configuration reference and the handout's tests part are up to date.",
}


def main(
    *,
    target: str,
    out: Path | None = None,
    config_path: Path | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The `build` verb: exit 0 when the build was written, 2 when it could not be made."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        path = build(target, out=out, config_path=config_path)
    except BuildError as error:
        print(f"build: {error}", file=stderr)
        return 2
    size = path.stat().st_size
    if target in ("gradescope", "kit"):
        print(built_tests(_load(config_path), kit=target == "kit"), file=stdout)
    print(f"Wrote {path} ({size / 1000:,.1f} kB). {NEXT_STEP[target]}", file=stdout)
    return 0


def built_tests(config: Config, *, kit: bool) -> str:
    """What a build holds: each test's number, name, question, points and visibility, and the total, compared with
    the default configuration's."""
    from autograder.config import DEFAULT_CONFIG
    from autograder.points import format_points

    width = max(len(test.name) for test in config.tests)
    lines = [f"Tests of {config.path}:"]
    for test in config.tests:
        shown = "" if not kit or test.visibility == "visible" else "  (not in the kit: the check does not run it)"
        lines.append(
            f"  {test.number:<5} {test.name:<{width}}  question {_question_name(test.question):<5} "
            f"{format_points(test.max_score):>4} pt  {test.visibility}{shown}"
        )
    total = sum(test.max_score for test in config.tests)
    line = f"Total: {format_points(total)} points in {len(config.tests)} tests"
    if config.path.resolve() == DEFAULT_CONFIG.resolve():
        line += " (the default configuration)"
    else:
        default = sum(test.max_score for test in _load(None).tests)
        line += (
            ", the same as the default configuration's."
            if total == default
            else f", NOT the default configuration's {format_points(default)}: make sure Gradescope's assignment "
            "is worth as much."
        )
    return "\n".join([*lines, line + ("" if line.endswith(".") else ".")])
