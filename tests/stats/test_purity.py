"""`lab.stats` stays pure: importing it pulls in no web, database or plotting stack."""

import json
import subprocess
import sys


def test_importing_lab_stats_pulls_in_no_web_database_or_plotting():
    code = ("import json, sys, lab.stats, lab.stats.did, lab.stats.planning; "
            "print(json.dumps(sorted(sys.modules)))")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    modules = json.loads(output)
    # pandas arrives with statsmodels; the web, database and plotting stacks must not.
    for banned in ("flask", "sqlmodel", "sqlalchemy", "matplotlib", "werkzeug", "lab.models"):
        assert not any(m == banned or m.startswith(banned + ".") for m in modules), banned
