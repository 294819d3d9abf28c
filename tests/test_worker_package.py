"""What the worker loads never imports the grader: every module of the worker package (autograder/worker/inside/),
of the LaTeX reader copied beside it (tex/) and of the vendored libraries stands alone. The one import of the
grader allowed is tex/'s, under `if __name__.startswith("autograder.")` (it runs in the grader only)."""

import ast
import subprocess
import sys

from conftest import ROOT

WORKER = ROOT / "autograder" / "worker"
LOADED = [WORKER / "inside", WORKER / "tex", ROOT / "autograder" / "vendor"]


def grader_only(node: ast.AST) -> bool:
    """`if __name__.startswith("autograder."):`, the guard of an import that runs in the grader only."""
    return isinstance(node, ast.If) and ast.unparse(node.test) == "__name__.startswith('autograder.')"


def grader_imports(tree: ast.AST) -> list[str]:
    found, todo = [], [tree]
    while todo:
        node = todo.pop()
        if grader_only(node):
            todo += node.orelse
            continue
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "autograder"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "autograder":
            found.append(node.module)
        todo += ast.iter_child_nodes(node)
    return found


def test_no_module_the_worker_loads_imports_the_grader():
    modules = [path for folder in LOADED for path in folder.rglob("*.py")]
    assert len(modules) > 20
    found = {
        str(path.relative_to(ROOT)): names
        for path in modules
        if (names := grader_imports(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert found == {}


def test_the_check_sees_an_import_of_the_grader():
    """The walk finds imports at any depth, but not under the grader-only guard."""
    assert grader_imports(ast.parse("def f():\n    if x:\n        import autograder.judge\n")) == ["autograder.judge"]
    assert grader_imports(ast.parse("from autograder.worker import host")) == ["autograder.worker"]
    assert (
        grader_imports(ast.parse("if __name__.startswith('autograder.'):\n    from autograder import vendor\n")) == []
    )
    assert grader_imports(ast.parse("from . import wire\nimport numpy")) == []


def test_the_worker_package_imports_alone(tmp_path):
    """A copy of the package beside tex/ and vendor/, as the sandbox makes it, imports every module in a fresh
    `python -I` without the grader on its path."""
    import shutil

    for folder in LOADED:
        shutil.copytree(folder, tmp_path / folder.name, ignore=shutil.ignore_patterns("__pycache__"))
    names = sorted(path.stem for path in (WORKER / "inside").glob("*.py") if path.stem not in ("__init__", "__main__"))
    code = (
        f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {str(tmp_path / 'vendor')!r}]\n"
        f"import importlib\nfor name in {names!r}: importlib.import_module('inside.' + name)\n"
        "import tex\nassert not [m for m in sys.modules if m.startswith('autograder')], sys.modules\n"
    )
    subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path, check=True)
