"""`lab check` starts without the parts of the stack it does not use.

Start-up is most of the command's time (see tests/bench/portfolio.py): importing
matplotlib, statsmodels, SciPy, pandas or the web layer would add seconds to every run.
It prints the stored answers, so not even the analysis is imported, nor SQLModel and the ORM.
No timing here, only which modules a real `lab check --json` run has loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# lab.web itself is a small package the app factory imports; its modules are the cost.
# SQLModel, the ORM and the models cost `lab check` more start-up than everything else it
# does: it reads the stored answers with SQLAlchemy Core (lab.pilots.answers).
HEAVY = ["matplotlib", "statsmodels", "scipy", "pandas", "numpy", "lab.web.", "flask_wtf",
         "flask_login", "alembic", "lab.reports", "lab.analysis", "sqlmodel", "sqlalchemy.orm",
         "lab.models", "lab.pilots.stored", "lab.accounts"]

CHECK = """
import json, sys
from lab.cli import main
main.main(args=["check", "--json"], standalone_mode=False)
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in
                        {"matplotlib", "statsmodels", "scipy", "lab", "flask_wtf",
                         "flask_login", "alembic", "pandas", "numpy", "sqlmodel",
                         "sqlalchemy"})))
"""
EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
# The lab of this checkout, whatever the installed `lab` script points at.
LAB = [sys.executable, "-c", "from lab.cli import main; main()"]


def _check(env) -> tuple[list, list]:
    done = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True,
                          text=True, check=True)
    printed, loaded = done.stdout.strip().rsplit("\n", 1)
    return json.loads(printed), json.loads(loaded)


def _heavy(loaded: list[str]) -> list[str]:
    return [name for name in loaded
            if any(name.startswith(h) if h.endswith(".") else
                   name == h or name.startswith(h + ".") for h in HEAVY)]


def test_lab_check_loads_none_of_the_heavy_modules(tmp_path):
    env = {**os.environ, "LAB_DATABASE_URL": f"sqlite:///{tmp_path / 'lab.sqlite'}",
           "LAB_INSTANCE_PATH": str(tmp_path / "instance")}
    subprocess.run([*LAB, "init"], env=env, check=True, capture_output=True)
    printed, loaded = _check(env)
    assert printed == []
    assert "lab.pilots.answers" in loaded  # the check really ran
    assert _heavy(loaded) == []


def test_lab_check_prints_the_stored_answers_of_a_portfolio_without_the_analysis(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    env = {**os.environ, "LAB_DATABASE_URL": url,
           "LAB_INSTANCE_PATH": str(tmp_path / "instance")}
    subprocess.run([*LAB, "demo", "--no-serve", "--database", url], env=env, check=True,
                   capture_output=True)
    printed, loaded = _check(env)
    examples = len(list(EXPERIMENTS.glob("*.toml")))  # the demo runs every example
    assert len(printed) == examples and all(answer["outcome"] for answer in printed)
    assert _heavy(loaded) == []
    # The same answers a fresh computation gives, through the command that verifies them.
    verified = subprocess.run([*LAB, "refresh", "--verify"], env=env, capture_output=True,
                              text=True)
    assert verified.returncode == 0, verified.stderr
    assert f"all {examples} stored recommendations equal a fresh computation" in verified.stdout


# Count scrypt key derivations (0.2 s each) while lab's modules are imported.
IMPORT = """
import hashlib
derived = []
real = hashlib.scrypt
hashlib.scrypt = lambda *args, **kwargs: derived.append(1) or real(*args, **kwargs)
import lab.accounts, lab.app, lab.cli, lab.web.auth, lab.demo.users
print(len(derived))
"""


def test_importing_lab_derives_no_password_hash():
    done = subprocess.run([sys.executable, "-c", IMPORT], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "0"
