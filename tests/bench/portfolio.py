"""Benchmark: checking a whole portfolio, against GrowthBook's gbstats.

Run on demand (pytest never collects it):

    .venv/bin/python tests/bench/portfolio.py [--pilots 1000] [--database FILE]

A SQLite database with running pilots (one primary and two guardrails each, two arms,
26 weekly periods) is built (or reused with --database), then it times:

- `lab check --json` over the whole portfolio, end to end (a subprocess), beside the
  floor under it: a process that only imports what the command needs and makes its app;
- the same check inside a running process (what the web's portfolio page pays), with the
  boundary cache cold and warm;
- the aggregation query (lab.pilots.observations.summaries) with and without a covering index;
- lab.analysis.pipeline.recommend_portfolio per pilot and for all at once, on summaries
  already aggregated (statistics alone);
- the same comparisons through gbstats (frequentist sequential two-sided t-test, one
  per pilot and metric on the pooled summaries), in its own virtualenv under /tmp,
  because gbstats pins numpy<2 and pandas<2 and is never a dependency of lab.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text
from sqlmodel import select

from lab import db, migrations
from lab.analysis.pipeline import recommend_pilots, recommend_portfolio
from lab.models import Pilot
from lab.pilots import lifecycle, registry
from lab.pilots.observations import import_csv
from lab.pilots.observations.summaries import period_summaries, summary_query
from lab.stats import sequential
from tests.factories import make_spec

GBSTATS_VENV = Path("/tmp/lab-gbstats-venv")
WEEKS = 26
METRICS = [
    {"key": "conversion", "kind": "proportion", "role": "primary", "direction": "increase",
     "minimum_effect": 0.02},
    {"key": "handling-cost", "kind": "mean", "role": "guardrail", "direction": "decrease",
     "margin": 1.5},
    {"key": "complaints", "kind": "rate", "role": "guardrail", "direction": "decrease",
     "margin": 0.005},
]
COLUMNS = ["pilot", "metric", "arm", "phase", "period", "successes", "trials", "n", "mean",
           "sd", "events", "exposure"]
COVERING = ("CREATE INDEX bench_covering ON observation (pilot_id, metric_id, arm, phase, "
            "period, successes, trials, n, mean, sd, events, exposure)")


SYNCED = 1000  # plans per `lab sync`-style transaction when building


def build(url: str, pilots: int, folder: Path) -> None:
    """Migrate, register and start the pilots, and import their generated rows.

    The plans are written as TOML files and synced SYNCED at a time, as `lab sync`
    does: registering one at a time checks the overlaps of all pilots on each, which
    grows with the square of the pilots (hours for the 32,000 of 5 M rows).
    """
    migrations.upgrade(url)
    start = date(2026, 1, 5)
    plans = Path(tempfile.mkdtemp(prefix="plans-", dir=folder))
    for first in range(0, pilots, SYNCED):
        chunk = plans / f"{first:06d}"
        chunk.mkdir(parents=True, exist_ok=True)
        keys = [f"p{i:04d}" for i in range(first, min(first + SYNCED, pilots))]
        for key in keys:
            spec = make_spec(key=key, metrics=METRICS, pilot={
                "channel": f"c{key[1:]}", "planned_sample": 5200, "start": start.isoformat(),
                "end": (start + timedelta(weeks=WEEKS)).isoformat()})
            (chunk / f"{key}.toml").write_text(plan_toml(spec))
        with db.writing(db.engine_for(url)) as session:
            registry.sync_paths(session, paths=[chunk], actor="bench")
            for key in keys:
                lifecycle.start(session, pilot_key=key, actor="bench")
    shutil.rmtree(plans)
    path = folder / "portfolio.csv"
    write_rows(path, pilots, start)
    import_csv(db.engine_for(url), source=path, actor="bench")


def plan_toml(spec: dict) -> str:
    """Write a plan dict (strings, numbers, lists, a team of tables) as a TOML file."""
    def value(item) -> str:
        if isinstance(item, dict):
            return "{ " + ", ".join(f"{k} = {value(v)}" for k, v in item.items()) + " }"
        if isinstance(item, list):
            return "[" + ", ".join(value(v) for v in item) + "]"
        return json.dumps(item)  # a basic string, an integer or a float
    lines = []
    for table in ("hypothesis", "pilot"):
        lines += [f"[{table}]", *(f"{k} = {value(v)}" for k, v in spec[table].items())]
    for metric in spec["metrics"]:
        lines += ["[[metrics]]", *(f"{k} = {value(v)}" for k, v in metric.items())]
    return "\n".join(lines) + "\n"


def write_rows(path: Path, pilots: int, start: date) -> None:
    """Write 26 weekly periods of both arms for every metric, with varied true effects."""
    rng = np.random.default_rng(7)
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for i in range(pilots):
            lift = rng.choice([-0.03, 0.0, 0.02, 0.05])
            for week in range(WEEKS):
                period = (start + timedelta(weeks=week)).isoformat()
                for arm in ("pilot", "control"):
                    p = 0.20 + (lift if arm == "pilot" else 0)
                    trials = int(rng.poisson(200))
                    out.writerow([f"p{i:04d}", "conversion", arm, "during", period,
                                  int(rng.binomial(trials, p)), trials, "", "", "", "", ""])
                    n = int(rng.poisson(200))
                    out.writerow([f"p{i:04d}", "handling-cost", arm, "during", period, "", "",
                                  n, round(float(rng.normal(12, 4 / np.sqrt(n))), 4), 4.0,
                                  "", ""])
                    exposure = round(float(rng.uniform(900, 1100)), 2)
                    out.writerow([f"p{i:04d}", "complaints", arm, "during", period, "", "", "",
                                  "", "", int(rng.poisson(0.03 * exposure)), exposure])


def time_check_command(url: str) -> tuple[float, int]:
    """Run `lab check --json` end to end; return seconds and recommendations printed."""
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("lab")), "check", "--json"],
                          check=True, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "LAB_DATABASE_URL": url})
    return time.perf_counter() - started, len(json.loads(done.stdout))


def time_process(code: str) -> float:
    """Return the best of three wall times of `python -c code` (start-up included)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    return best


STACK = "import numpy, pandas, scipy.special, sqlalchemy, sqlmodel, flask"
COMMAND_FLOOR = ("import lab.cli, lab.cli.check; from lab.app import create_app; "
                 "create_app(with_web=False)")


def time_in_process(url: str) -> tuple[float, float]:
    """Time recommend_pilots plus the JSON text, with the boundary cache cold, then warm."""
    timings = []
    for cold in (True, False):
        if cold:
            sequential.clear_cache()
        with db.reading(db.engine_for(url)) as session:
            started = time.perf_counter()
            found = recommend_pilots(session)
            json.dumps([recommendation.to_dict() for recommendation in found.values()])
            timings.append(time.perf_counter() - started)
    return timings[0], timings[1]


def time_aggregation(url: str) -> tuple[float, float]:
    """Time the aggregation query without, then with, a covering index (best of 3)."""
    engine = db.engine_for(url)
    timings = []
    for statement in (None, COVERING):
        if statement:
            with engine.begin() as connection:
                connection.execute(text(statement))
        best = float("inf")
        for _ in range(3):
            with engine.connect() as connection:
                started = time.perf_counter()
                connection.execute(summary_query()).all()
                best = min(best, time.perf_counter() - started)
        timings.append(best)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX bench_covering"))
    return timings[0], timings[1]


ONE_BY_ONE = 100  # pilots timed one call each (a call costs ~0.1 s of pandas set-up)


def time_stats(url: str) -> tuple[float, float, float, float, dict]:
    """Time the statistics on pre-aggregated summaries: per pilot (seconds per call, on
    the first ONE_BY_ONE pilots), and the whole portfolio in one pass (the boundary
    cache cold, then warm)."""
    with db.reading(db.engine_for(url)) as session:
        started = time.perf_counter()
        summaries = period_summaries(session)
        aggregate = time.perf_counter() - started
        plans = {pilot.key: pilot.plan for pilot in session.exec(select(Pilot))}
    frames = dict(tuple(summaries.groupby("pilot", sort=False)))
    chosen = list(plans.items())[:ONE_BY_ONE]
    started = time.perf_counter()
    for key, plan in chosen:
        recommend_portfolio([plan], frames[key])
    per_pilot = (time.perf_counter() - started) / len(chosen)
    sequential.clear_cache()
    started = time.perf_counter()
    recommend_portfolio(list(plans.values()), summaries)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    found = recommend_portfolio(list(plans.values()), summaries)
    one_pass = time.perf_counter() - started
    outcomes: dict[str, int] = {}
    for recommendation in found.values():
        outcomes[recommendation.outcome] = outcomes.get(recommendation.outcome, 0) + 1
    return aggregate, per_pilot, cold, one_pass, outcomes


GBSTATS_DRIVER = """
import json, sys, time
from gbstats.frequentist.tests import SequentialConfig, SequentialTwoSidedTTest
from gbstats.models.statistics import ProportionStatistic, SampleMeanStatistic

pairs = json.load(open(sys.argv[1]))
config = SequentialConfig(difference_type="absolute", alpha=0.05)

def stat(kind, n, total, total_sq):
    if kind == "proportion":
        return ProportionStatistic(n=round(n), sum=total)
    if kind == "rate":  # no Poisson statistic in gbstats: events per whole unit of
        # exposure, with variance = mean
        return SampleMeanStatistic(n=round(n), sum=total, sum_squares=total)
    return SampleMeanStatistic(n=n, sum=total, sum_squares=total_sq)

started = time.perf_counter()
for kind, a, b in pairs:
    SequentialTwoSidedTTest(stat(kind, *a), stat(kind, *b), config).compute_result()
print(time.perf_counter() - started, len(pairs))
"""


def time_gbstats(url: str, folder: Path) -> tuple[float, int] | None:
    """Time gbstats on the same pooled summaries, in its own virtualenv."""
    python = GBSTATS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(GBSTATS_VENV)], check=True)
        installed = subprocess.run([str(python), "-m", "pip", "install", "-q", "gbstats"],
                                   capture_output=True, text=True)
        if installed.returncode:
            print("gbstats could not be installed:", installed.stderr.strip()[-300:])
            return None
    pairs_file = folder / "pairs.json"
    pairs_file.write_text(json.dumps(pooled_pairs(url)))
    done = subprocess.run([str(python), "-c", GBSTATS_DRIVER, str(pairs_file)],
                          capture_output=True, text=True)
    if done.returncode:
        print("gbstats failed:", done.stderr.strip()[-500:])
        return None
    seconds, count = done.stdout.split()
    return float(seconds), int(count)


def pooled_pairs(url: str) -> list:
    """Return (kind, control (n, sum, sum_sq), pilot (...)) per pilot and metric."""
    kinds = {metric["key"]: metric["kind"] for metric in METRICS}
    with db.reading(db.engine_for(url)) as session:
        frame = period_summaries(session)
    # gbstats takes the raw Σx²; the frame carries each period's SS about its mean.
    frame["total_sq"] = frame["total_sq"] + frame["total"] ** 2 / frame["n"]
    pooled = frame.groupby(["pilot", "metric", "arm"])[["n", "total", "total_sq"]].sum()
    pairs = []
    for (_, metric), arms in pooled.groupby(level=[0, 1]):
        control = arms.xs("control", level=2).iloc[0].tolist()
        treated = arms.xs("pilot", level=2).iloc[0].tolist()
        pairs.append((kinds[metric], control, treated))
    return pairs


def main() -> None:
    """Build or reuse the portfolio database, run every timing and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pilots", type=int, default=1000)
    parser.add_argument("--database", type=Path, help="reuse (or build once into) this file")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        file = options.database or folder / "portfolio.sqlite"
        url = f"sqlite:///{file.resolve()}"
        if not file.exists():
            started = time.perf_counter()
            build(url, options.pilots, folder)
            print(f"built {options.pilots} pilots in {time.perf_counter() - started:.1f} s")
        with db.engine_for(url).connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM observation")).scalar()
        print(f"{options.pilots} running pilots, {rows:,} observation rows")
        without, with_index = time_aggregation(url)
        print(f"aggregation query            {without:7.3f} s without covering index, "
              f"{with_index:7.3f} s with")
        aggregate, per_pilot, cold, one_pass, outcomes = time_stats(url)
        print(f"period_summaries (DataFrame) {aggregate:7.3f} s")
        print(f"lab stats, pilot by pilot    {1000 * per_pilot:7.1f} ms per call to "
              f"recommend (one pilot; first {ONE_BY_ONE} pilots)")
        print(f"lab stats, portfolio in one  {cold:7.3f} s cold, {one_pass:.3f} s warm   "
              f"outcomes {outcomes}")
        comparisons = options.pilots * len(METRICS) * WEEKS
        print(f"  per comparison             {1e6 * one_pass / comparisons:7.1f} µs warm "
              f"({comparisons:,} pilot × metric × look comparisons, decision rule included)")
        cold, warm = time_in_process(url)
        print(f"check in a running process   {cold:7.3f} s cold, {warm:.3f} s warm "
              "(query, statistics and JSON)")
        stack, floor = time_process(STACK), time_process(COMMAND_FLOOR)
        seconds, count = time_check_command(url)
        print(f"`lab check --json`           {seconds:7.3f} s end to end ({count} pilots)")
        print(f"  of which start-up          {floor:7.3f} s (a process importing what the "
              f"command needs and making its app; the libraries alone: {stack:.3f} s)")
        found = time_gbstats(url, folder)
        print(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        if found:
            print(f"gbstats sequential t-tests   {found[0]:7.3f} s for {found[1]} comparisons "
                  f"({1000 * found[0] / found[1]:.3f} ms each; one final look per metric, "
                  "no decision rule)")


if __name__ == "__main__":
    main()
