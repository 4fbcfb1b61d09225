"""`lab check` starts without the parts of the stack it does not use.

Start-up is most of the command's time (see tests/bench/portfolio.py): importing
matplotlib, statsmodels, scipy.stats or the web layer would add seconds to every run.
No timing here, only which modules a real `lab check --json` run has loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

# lab.web itself is a small package the app factory imports; its modules are the cost.
HEAVY = ["matplotlib", "statsmodels", "scipy.stats", "scipy.optimize", "lab.web.",
         "flask_wtf", "flask_login", "alembic", "lab.reports"]

CHECK = """
import json, sys
from lab.cli import main
main.main(args=["check", "--json"], standalone_mode=False)
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in
                        {"matplotlib", "statsmodels", "scipy", "lab", "flask_wtf",
                         "flask_login", "alembic"})))
"""


def test_lab_check_loads_none_of_the_heavy_modules(tmp_path):
    env = {**os.environ, "LAB_DATABASE_URL": f"sqlite:///{tmp_path / 'lab.sqlite'}",
           "LAB_INSTANCE_PATH": str(tmp_path / "instance")}
    lab = os.path.join(os.path.dirname(sys.executable), "lab")
    subprocess.run([lab, "init"], env=env, check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True,
                          text=True, check=True)
    printed, loaded = done.stdout.strip().splitlines()
    assert json.loads(printed) == []
    loaded = json.loads(loaded)
    assert "lab.analysis.pipeline" in loaded  # the check really ran
    heavy = [name for name in loaded
             if any(name.startswith(h) if h.endswith(".") else
                    name == h or name.startswith(h + ".") for h in HEAVY)]
    assert heavy == []


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
