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
    assert computing == ["lab/portfolio/measures.py"]


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


# The layers, lowest first: a module imports only from its own package or a lower layer
# (docs/ARCHITECTURE.md draws them).
LAYERS = (
    ("vocabulary", "caching", "forked", "errors", "delimiters", "config", "passwords"),
    ("kinds", "stats", "db"),
    ("words",),  # the sentences of a recommendation read the statistics' thresholds
    ("models",),
    ("throttling", "pilots"),
    ("accounts", "analysis"),
    ("portfolio", "demo"),
    ("charts",),
    ("reports", "notify"),
    ("web",),
    ("app",),
    ("cli", "notebook"),
)
LAYER = {f"lab.{name}": rank for rank, names in enumerate(LAYERS) for name in names}


def package_of(name: str) -> str | None:
    """Return the `lab.<package>` a dotted name belongs to (None outside lab)."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "lab" and len(parts) > 1 else None


def test_imports_run_down_the_layers():
    upward = []
    for path, tree in modules().items():
        if "/migrations/" in path or path == "lab/__init__.py":
            continue
        home = package_of(path.removesuffix(".py").replace("/", "."))
        for name in imported(tree):
            target = package_of(name)
            if target in LAYER and target != home and LAYER[target] >= LAYER[home]:
                upward.append(f"{path} imports {name}")
    assert upward == []
    placed = {package_of(path.removesuffix(".py").replace("/", "."))
              for path in modules() if path != "lab/__init__.py"}
    assert placed - set(LAYER) == {"lab.migrations"}  # only Alembic runs the migrations


def module_imports(nodes: list, known) -> set[str]:
    """Return the lab modules some import statements load (`from pkg import module` too)."""
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif node.module:
            found |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in known
                      else node.module for alias in node.names}
    return {name for name in found if name in known}


def test_no_module_imports_itself_round_a_cycle():
    graph = {}
    for path, tree in modules().items():
        name = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        # Only imports at module level run at import time; those inside a function are
        # deliberate late imports (start-up time) and cannot deadlock an import.
        graph[name] = [node for node in tree.body
                       if isinstance(node, ast.Import | ast.ImportFrom)]
    graph = {name: {target for target in module_imports(nodes, graph) if target != name}
             for name, nodes in graph.items()}
    done, path_now = set(), []

    def visit(name):
        if name in path_now:
            raise AssertionError(" -> ".join([*path_now[path_now.index(name):], name]))
        if name in done:
            return
        path_now.append(name)
        for target in sorted(graph[name]):
            visit(target)
        path_now.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
