"""A large benchmark portfolio made of copies of a smaller one's pilots, then refreshed.

Registering ten thousand pilots one by one through the registry takes long (each
registration checks its overlaps against every pilot registered so far), and what the
page benchmark needs is the rows, not the registrations. So the 1,000-pilot database of
`tests/bench/portfolio.build` is copied, and its pilots, their metrics, teams and
observations are repeated in SQL under new ids, keys (``p0001-3``) and channels. The
stored recommendations are not copied: a full `refresh` computes every pilot's answer
from its own rows, as `lab refresh` would.

    .venv/bin/python tests/bench/copies.py SOURCE.sqlite TARGET.sqlite [--times 10]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import lab.portfolio.stored  # noqa: E402,F401 (installs the refresher)
from lab import db, migrations  # noqa: E402
from lab.portfolio.stored import refresh  # noqa: E402

PILOT = ("hypothesis_id, parent_id, iteration, title, channel_id, segment_id, design, "
         "analysis, allocation, alpha, power, planned_sample, planned_periods, start_date, "
         "end_date, budget, currency, status, plan, owner, started_at, created_at, updated_at, "
         "paused_on, paused_days")


def copy(source: Path, target: Path, times: int) -> None:
    """Write `times` copies of the source's pilots into target (the source is copy 0)."""
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copied:
        original.backup(copied)  # the WAL's pages included, unlike a file copy
    with sqlite3.connect(target) as connection:
        run = connection.execute
        counts = {table: run(f"SELECT max(id) FROM {table}").fetchone()[0] or 0
                  for table in ("channel", "pilot", "metric", "observation", "team_member")}
        for k in range(1, times):
            off = {table: k * count for table, count in counts.items()}
            run("INSERT INTO channel (id, name, created_at) SELECT id + ?, name || '-' || ?, "
                "created_at FROM channel WHERE id <= ?", (off["channel"], k, counts["channel"]))
            run(f"INSERT INTO pilot (id, key, {PILOT}) SELECT id + :p, key || '-' || :k, "
                + PILOT.replace("channel_id", "channel_id + :c").replace(
                    " plan,", " json_set(plan, '$.pilot.key', key || '-' || :k, "
                            "'$.pilot.channel', (SELECT name FROM channel WHERE id = "
                            "pilot.channel_id) || '-' || :k),")
                + " FROM pilot WHERE id <= :n",
                {"p": off["pilot"], "k": k, "c": off["channel"], "n": counts["pilot"]})
            run("INSERT INTO metric SELECT id + ?, pilot_id + ?, key, label, kind, role, "
                "direction, minimum_effect, margin, baseline FROM metric WHERE id <= ?",
                (off["metric"], off["pilot"], counts["metric"]))
            run("INSERT INTO team_member SELECT id + ?, pilot_id + ?, name, function "
                "FROM team_member WHERE id <= ?",
                (off["team_member"], off["pilot"], counts["team_member"]))
            run("INSERT INTO observation SELECT id + ?, pilot_id + ?, metric_id + ?, arm, "
                "phase, period, successes, trials, n, mean, sd, events, exposure, scope, "
                "recorded_at FROM observation WHERE id <= ?",
                (off["observation"], off["pilot"], off["metric"], counts["observation"]))
        run("DELETE FROM stored_recommendation")  # the refresh below computes them all


def build(source: Path, target: Path, times: int) -> tuple[float, float, int]:
    """Copy, upgrade and refresh; return (copy s, refresh s, answers stored)."""
    started = time.perf_counter()
    copy(source, target, times)
    url = f"sqlite:///{target}"
    migrations.upgrade(url)
    copied = time.perf_counter()
    with db.writing(db.engine_for(url)) as session:
        stored = refresh(session)
    return copied - started, time.perf_counter() - copied, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--times", type=int, default=10)
    args = parser.parse_args()
    copied, refreshed, stored = build(args.source, args.target, args.times)
    print(f"copied in {copied:.0f} s; refreshed {stored} pilots in {refreshed:.0f} s")


if __name__ == "__main__":
    main()
