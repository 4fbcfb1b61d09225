"""Benchmark: `lab import` of a large CSV against raw bulk inserts of the same rows.

Run on demand (pytest never collects it):

    .venv/bin/python tests/bench/ingest.py [--rows 1000000] [--postgres URL]

It registers and starts enough pilots for the rows to be valid, writes the CSV, then
times, each in a fresh database with the migrated schema:

- lab's import (lab.pilots.observations.import_csv, the code path of `lab import`), in a
  subprocess whose peak memory (ru_maxrss) is measured; as in `lab import`, its commit
  refreshes the stored recommendations of the imported pilots, so that is included;
- the `lab import` command end to end (interpreter start-up included);
- sqlite3 executemany of the same rows, already as tuples, into the same table
  (the bare cost of inserting them), and csv.reader + executemany (reading included);
- with --postgres: lab's import into PostgreSQL against COPY of the same rows.
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text

from lab import db, migrations
from tests.factories import make_spec

METRICS = [("churn-90d", "proportion"), ("cost-per-contact", "mean"), ("complaints", "rate")]
COLUMNS = ["pilot", "metric", "arm", "phase", "period", "successes", "trials", "n", "mean",
           "sd", "events", "exposure"]
PERIODS = 417  # weekly periods per pilot, metric and arm (eight years)


def pilot_count(rows: int) -> int:
    """Return how many pilots carry `rows` rows (3 metrics, 2 arms, PERIODS periods)."""
    return max(1, -(-rows // (len(METRICS) * 2 * PERIODS)))


def prepare(url: str, pilots: int) -> None:
    """Migrate a fresh database and register and start the pilots."""
    from lab.pilots import lifecycle, registry

    migrations.upgrade(url)
    with db.writing(db.engine_for(url)) as session:
        for i in range(pilots):
            spec = make_spec(key=f"p{i:05d}", pilot={"channel": f"c{i:05d}",
                                                     "end": "2034-12-31"})
            registry.register(session, spec=spec, actor="bench")
            lifecycle.start(session, pilot_key=f"p{i:05d}", actor="bench")


def write_csv(path: Path, rows: int, pilots: int) -> None:
    """Write `rows` valid observation rows, streaming."""
    start = date(2026, 1, 5)
    periods = [(start + timedelta(weeks=w)).isoformat() for w in range(PERIODS)]
    written = 0
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(COLUMNS)
        for p in range(pilots):
            for metric, kind in METRICS:
                for arm in ("pilot", "control"):
                    for w, period in enumerate(periods):
                        if written == rows:
                            return
                        out.writerow([f"p{p:05d}", metric, arm, "during", period,
                                      *values(kind, w)])
                        written += 1


def values(kind: str, w: int) -> list:
    """Return the seven value cells for a metric kind."""
    if kind == "proportion":
        return [40 + w % 17, 400 + w % 23, "", "", "", "", ""]
    if kind == "mean":
        return ["", "", 300 + w % 11, round(12.5 + (w % 7) / 10, 2), 3.25, "", ""]
    return ["", "", "", "", "", 30 + w % 13, 1000.0 + w % 5]


DRIVER = """
import sys, time
import lab.portfolio.stored  # as `lab import`: the commit refreshes the imported pilots
from lab.pilots.observations import import_csv
from lab import db
started = time.perf_counter()
result = import_csv(db.engine_for(sys.argv[1]), source=sys.argv[2], actor="bench")
seconds = time.perf_counter() - started
# VmHWM: this process's own peak, as a cross-check of the parent's ru_maxrss.
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(seconds, result.inserted, peak)
"""


def time_lab_import(url: str, path: Path) -> tuple[float, int, float]:
    """Run lab's import in a subprocess; return seconds, rows inserted and peak MB.

    The peak is the child's own ru_maxrss (read by the parent once the child ends, as
    RUSAGE_CHILDREN growth) cross-checked by the child's VmHWM. A forked child's
    ru_maxrss starts at the parent's size, so main() runs these before it loads rows.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    done = subprocess.run([sys.executable, "-c", DRIVER, url, str(path)], check=True,
                          capture_output=True, text=True, cwd=ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds, inserted, own_peak_kb = done.stdout.split()
    # RUSAGE_CHILDREN is the largest child so far: it tells this child's peak only if
    # it grew; otherwise the child's own VmHWM does.
    peak_kb = after if after > before else int(own_peak_kb)
    return float(seconds), int(inserted), peak_kb / 1024


def time_lab_command(url: str, path: Path) -> float:
    """Run `lab import FILE` end to end; return wall seconds."""
    started = time.perf_counter()
    # This checkout's lab, whatever the installed `lab` script points at.
    subprocess.run([sys.executable, "-c", "from lab.cli import main; main()", "import",
                    str(path)],
                   check=True, capture_output=True, env={**os.environ, "LAB_DATABASE_URL": url},
                   cwd=ROOT)
    return time.perf_counter() - started


def ids(url: str) -> tuple[dict[str, int], dict[tuple[int, str], int]]:
    """Return pilot ids by key and metric ids by (pilot id, metric key)."""
    with db.engine_for(url).connect() as connection:
        pilots = dict(connection.execute(text("SELECT key, id FROM pilot")).all())
        metrics = {(p, k): i for p, k, i in
                   connection.execute(text("SELECT pilot_id, key, id FROM metric"))}
    return pilots, metrics


def tuples(path: Path, url: str) -> list[tuple]:
    """Read the CSV into the tuples the observation table takes (outside the timing)."""
    pilots, metrics = ids(url)
    rows = []
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for record in reader:
            pilot = pilots[record[0]]
            rows.append((pilot, metrics[pilot, record[1]], record[2], record[3], record[4],
                         *(_number(cell) for cell in record[5:])))
    return rows


def _number(cell: str):
    if not cell:
        return None
    return float(cell) if "." in cell else int(cell)


# recorded_at is one constant per import, as lab's store writes it (a literal in the SQL).
INSERT = ("INSERT INTO observation (pilot_id, metric_id, arm, phase, period, successes, "
          "trials, n, mean, sd, events, exposure, recorded_at) "
          "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'2026-12-01 00:00:00.000000')")


def raw_sqlite(file: Path, rows: list[tuple]) -> float:
    """Insert prepared tuples with sqlite3.executemany; return seconds."""
    connection = _raw_connection(file)
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    connection.executemany(INSERT, rows)
    connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def raw_sqlite_from_csv(file: Path, path: Path, url: str) -> float:
    """Read the CSV with csv.reader and executemany the rows; return seconds."""
    pilots, metrics = ids(url)
    connection = _raw_connection(file)
    started = time.perf_counter()
    connection.execute("BEGIN IMMEDIATE")
    with open(path, newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        connection.executemany(INSERT, (
            (pilots[r[0]], metrics[pilots[r[0]], r[1]], r[2], r[3], r[4],
             *(cell or None for cell in r[5:])) for r in reader))
    connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return seconds


def _raw_connection(file: Path) -> sqlite3.Connection:
    """Open the database with the pragmas lab uses, in autocommit mode."""
    connection = sqlite3.connect(file, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=FULL"):
        connection.execute(f"PRAGMA {pragma}")
    return connection


def fresh_sqlite(folder: Path, name: str, pilots: int) -> tuple[Path, str]:
    """Return the file and URL of a new migrated database holding the started pilots."""
    file = folder / f"{name}-{uuid.uuid4().hex[:6]}.sqlite"
    url = f"sqlite:///{file}"
    prepare(url, pilots)
    db.engine_for(url).dispose()
    return file, url


def postgres_urls(base_url: str, count: int) -> tuple[list[str], Callable[[], None]]:
    """Create schemas on PostgreSQL; return their URLs and a function dropping them."""
    from sqlalchemy.engine import make_url

    base = make_url(base_url).set(drivername="postgresql+psycopg")
    admin = create_engine(base)
    schemas = [f"bench_{uuid.uuid4().hex[:8]}" for _ in range(count)]
    with admin.begin() as connection:
        for schema in schemas:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    urls = [base.update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False) for schema in schemas]

    def drop() -> None:
        for url in urls:
            db.engine_for(url).dispose()
        with admin.begin() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    return urls, drop


# One constant, as lab's store writes recorded_at (NOT NULL since migration 0012).
RECORDED_AT = datetime(2026, 12, 1, tzinfo=UTC)


def _copy(url: str, rows: list[tuple], source_ids, target_ids) -> float:
    """COPY the rows (ids mapped to the target schema's) into observation; seconds."""
    by_id = {v: k for k, v in source_ids[0].items()}
    metric_key = {v: k for k, v in source_ids[1].items()}
    mapped = []
    for row in rows:
        pilot = target_ids[0][by_id[row[0]]]
        metric = target_ids[1][pilot, metric_key[row[1]][1]]
        mapped.append((pilot, metric, row[2], row[3], date.fromisoformat(row[4]), *row[5:]))
    engine = db.engine_for(url)
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        started = time.perf_counter()
        with cursor.copy("COPY observation (pilot_id, metric_id, arm, phase, period, "
                         "successes, trials, n, mean, sd, events, exposure, recorded_at) "
                         "FROM STDIN") as copy:
            for row in mapped:
                copy.write_row(row + (RECORDED_AT,))
    return time.perf_counter() - started


def best(repeat: int, measure: Callable[[], float]) -> float:
    """Return the fastest of `repeat` runs: the machine is shared, noise only adds."""
    return min(measure() for _ in range(repeat))


def main() -> None:
    """Generate the CSV, run every timing and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="best of N runs (SQLite)")
    parser.add_argument("--postgres", metavar="URL", help="also compare with COPY here")
    parser.add_argument("--skip-command", action="store_true",
                        help="skip the end-to-end `lab import` run")
    options = parser.parse_args()
    pilots = pilot_count(options.rows)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        run(options, pilots, folder)


def run(options: argparse.Namespace, pilots: int, folder: Path) -> None:
    """Time lab's import first (its subprocesses fork from a small parent), then the rest."""
    path = folder / "observations.csv"
    write_csv(path, options.rows, pilots)
    print(f"{options.rows:,} rows, {pilots} pilots, CSV {path.stat().st_size / 2**20:.0f} MB")
    runs = []
    for i in range(options.repeat):
        _, url = fresh_sqlite(folder, f"lab{i}", pilots)
        runs.append(time_lab_import(url, path))
    seconds, inserted, peak = min(runs)
    assert inserted == options.rows, inserted
    print(f"sqlite lab import            {seconds:8.2f} s  {inserted / seconds:>10,.0f} rows/s"
          f"  peak {max(run[2] for run in runs):.0f} MB")
    if not options.skip_command:
        _, command_url = fresh_sqlite(folder, "command", pilots)
        print(f"sqlite `lab import` command  {time_lab_command(command_url, path):8.2f} s "
              "(start-up included)")
    pg = postgres_lab(options.postgres, path, pilots) if options.postgres else None
    _, raw_url = fresh_sqlite(folder, "ids", pilots)
    rows = tuples(path, raw_url)

    def executemany() -> float:
        return raw_sqlite(fresh_sqlite(folder, "raw", pilots)[0], rows)

    def csv_executemany() -> float:
        file, url = fresh_sqlite(folder, "rawcsv", pilots)
        return raw_sqlite_from_csv(file, path, url)

    raw = best(options.repeat, executemany)
    print(f"sqlite3 executemany (tuples) {raw:8.2f} s  {len(rows) / raw:>10,.0f} rows/s")
    raw_csv = best(options.repeat, csv_executemany)
    print(f"csv.reader + executemany     {raw_csv:8.2f} s  {len(rows) / raw_csv:>10,.0f} "
          "rows/s")
    print(f"ratio lab / executemany      {seconds / raw:8.2f}")
    print(f"ratio lab / csv+executemany  {seconds / raw_csv:8.2f}")
    if pg:
        postgres_copy(pg, rows, raw_url)


def postgres_lab(base_url: str, path: Path, pilots: int) -> tuple:
    """Time lab's import into PostgreSQL; return what the COPY comparison needs."""
    urls, drop = postgres_urls(base_url, 2)
    for url in urls:
        prepare(url, pilots)
    seconds, inserted, peak = time_lab_import(urls[0], path)
    print(f"postgresql lab import        {seconds:8.2f} s  {inserted / seconds:>10,.0f} "
          f"rows/s  peak {peak:.0f} MB")
    return urls, drop, seconds


def postgres_copy(pg: tuple, rows: list[tuple], raw_url: str) -> None:
    """COPY the same rows into PostgreSQL and compare."""
    urls, drop, seconds = pg
    try:
        copy_seconds = _copy(urls[1], rows, ids(raw_url), ids(urls[1]))
        print(f"postgresql COPY              {copy_seconds:8.2f} s  "
              f"{len(rows) / copy_seconds:>10,.0f} rows/s")
        print(f"ratio lab / COPY             {seconds / copy_seconds:8.2f}")
    finally:
        drop()


if __name__ == "__main__":
    main()
