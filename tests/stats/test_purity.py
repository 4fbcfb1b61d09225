"""`lab.stats` stays pure: importing it pulls in no web, database or plotting stack."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import lab.caching
import lab.stats

# The numerical stack the statistics are written in.
NUMERICAL = {"numpy", "scipy", "statsmodels"}
# The one exception: the boundary cache is shared by the web server's threads, so it takes
# the project's one thread-safe LRU (lab.caching), which needs only cachetools.
CACHE_HELPER, CACHE_LIBRARY = "lab.caching", "cachetools"


def imported(path: Path) -> set[str]:
    """Return the modules a source file imports (anywhere in it), as written."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def outside_stdlib(names: set[str]) -> set[str]:
    return {name for name in names
            if name.split(".")[0] not in sys.stdlib_module_names | {"__future__"}}


def test_importing_lab_stats_pulls_in_no_web_database_or_plotting():
    code = ("import json, sys, lab.stats, lab.stats.did, lab.stats.planning; "
            "print(json.dumps(sorted(sys.modules)))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    modules = json.loads(output)
    # pandas arrives with statsmodels; the web, database and plotting stacks must not.
    for banned in ("flask", "sqlmodel", "sqlalchemy", "matplotlib", "werkzeug", "lab.models"):
        assert not any(m == banned or m.startswith(banned + ".") for m in modules), banned
    lab_modules = {m for m in modules if m.startswith("lab.") and not m.startswith("lab.stats")}
    assert lab_modules <= {CACHE_HELPER}


def test_the_statistics_import_only_the_numerical_stack_and_the_cache_helper():
    folder = Path(lab.stats.__file__).parent
    for path in sorted(folder.glob("*.py")):
        foreign = {name for name in outside_stdlib(imported(path))
                   if name.split(".")[0] not in NUMERICAL and not name.startswith("lab.stats")}
        assert foreign <= {CACHE_HELPER}, (path.name, foreign)
    helper = outside_stdlib(imported(Path(lab.caching.__file__)))
    assert helper == {CACHE_LIBRARY}
