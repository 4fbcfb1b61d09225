"""Each concept has one home: the imports and calls that would give it a second one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[1] / "lab"


def modules(under: str = "") -> dict[str, ast.Module]:
    """Return the parsed modules of lab (or of one of its packages), by path."""
    return {str(path.relative_to(LAB.parent)): ast.parse(path.read_text(encoding="utf-8"))
            for path in sorted((LAB / under).rglob("*.py"))}


def imported(tree: ast.Module) -> set[str]:
    """Return every module a module imports, and every name it imports from one."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def called(tree: ast.Module) -> set[str]:
    """Return the names of the functions a module calls (`f(...)` or `x.f(...)`)."""
    return {node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)}


def test_q_values_are_computed_in_one_module_outside_the_statistics():
    computing = [path for path, tree in modules().items()
                 if not path.startswith("lab/stats/")
                 and {"bh_q_values", "multipletests"} & called(tree)]
    assert computing == ["lab/analysis/portfolio.py"]


def test_the_notebooks_read_without_the_reports_package():
    for path, tree in modules("notebook").items():
        assert not any(name == "lab.reports" or name.startswith("lab.reports.")
                       for name in imported(tree)), path


def test_only_the_web_answers_http():
    answering = [path for path, tree in modules().items()
                 if not path.startswith("lab/web/") and "abort" in called(tree)]
    assert answering == []


@pytest.mark.parametrize("package", ["web", "reports", "cli", "notebook"])
def test_presentation_writes_numbers_through_lab_words(package):
    # A formatter written again in a presentation module is how the words drifted apart.
    mine = {"money", "p_value", "q_value", "p_text", "percent", "format_effect",
            "format_interval", "share", "day", "when"}
    for path, tree in modules(package).items():
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert not defined & mine, path
