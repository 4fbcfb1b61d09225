"""Benchmark: stored recommendations, each figure against its target in the same run.

Run on demand (pytest never collects it):

    .venv/bin/python tests/bench/stored.py [--pilots 1000] [--rows 100000,1000000]
                                           [--folder DIR]

On a portfolio of --pilots running pilots (3 metrics, 2 arms, 26 weeks: 156 rows each)
it measures, as medians:

- the portfolio page in-process and under gunicorn -w 2 (2 clients at once, then 16),
  each against a trivial page of the same app (the sign-in form), the read model
  alone, one observation row written (in-process and through the JSON API) with its
  refresh, and the first page after it: `tests/bench/pages.py`, which also runs alone
  on any database (10,000 pilots: `tests/bench/copies.py`);
- `lab check --json` as a new process against `python -c "import flask, sqlalchemy"`;
- a full `lab refresh` (time and CPU time, the boundary cache cold as in a new process),
  and for each --rows size a full refresh and a portfolio read in a fresh process each,
  with their peak memory (VmHWM), to show how cost grows with the rows (a refresh's
  memory stays flat: it goes BATCH pilots at a time; a read's grows by about 4 KB a
  pilot: it holds every pilot's row and a compact summary, `lab.portfolio.decoded`,
  and reads every pilot's columns to build them). The rows
  grow with the pilots (156 rows each): the 100 k database is built (641 pilots), and
  the larger ones are copies of it made in SQL (`tests/bench/copies.py`: 6,410 pilots
  for 1 M rows, 32,050 for 5 M), then refreshed in full (about 40 s and 6 minutes on
  the development machine under load). The CPU times are printed beside the wall times
  because other jobs share the machine.

Databases are built under --folder (default a temporary folder) and reused if there.
`lab import` against raw executemany, its refresh included, is tests/bench/ingest.py.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import lab.portfolio.stored  # noqa: E402,F401 (writes refresh what they change)
from lab import db  # noqa: E402
from lab.portfolio.stored import refresh  # noqa: E402
from lab.stats import sequential  # noqa: E402
from tests.bench import copies  # noqa: E402
from tests.bench.pages import median_ms, pages, report, served  # noqa: E402
from tests.bench.portfolio import WEEKS, build  # noqa: E402

ROWS_PER_PILOT = WEEKS * 2 * 3
LAB = [sys.executable, "-c", "from lab.cli import main; main()"]


def database(folder: Path, pilots: int) -> str:
    path = folder / f"stored-{pilots}.sqlite"
    url = f"sqlite:///{path}"
    if not path.exists():
        started = time.perf_counter()
        build(url, pilots, folder)
        print(f"(built {pilots} pilots, {pilots * ROWS_PER_PILOT:,} rows, refreshed on "
              f"import, in {time.perf_counter() - started:.0f} s)")
    return url


def sized(folder: Path, rows: int) -> tuple[int, str]:
    """Return (pilots, url) of the database of about `rows` rows: copies of the 100 k one."""
    base = round(100_000 / ROWS_PER_PILOT)
    if rows <= 100_000:
        pilots = max(1, round(rows / ROWS_PER_PILOT))
        return pilots, database(folder, pilots)
    database(folder, base)
    pilots = base * round(rows / 100_000)
    path = folder / f"stored-{pilots}.sqlite"
    if not path.exists():
        copied, refreshed, _ = copies.build(folder / f"stored-{base}.sqlite", path,
                                            pilots // base)
        print(f"(copied {base} pilots into {pilots}, {pilots * ROWS_PER_PILOT:,} rows, in "
              f"{copied:.0f} s, then refreshed them in {refreshed:.0f} s)")
    return pilots, f"sqlite:///{path}"


def processes(url: str) -> None:
    env = {**os.environ, "LAB_DATABASE_URL": url}

    def run(args):
        return lambda: subprocess.run(args, env=env, check=True, capture_output=True, cwd=ROOT)
    check = median_ms(run([*LAB, "check", "--json"]), 5)
    bare = median_ms(run([sys.executable, "-c", "import flask, sqlalchemy"]), 5)
    report("lab check --json, new process", check, "ms", 1500)
    report("  bare python -c 'import flask, sqlalchemy'", bare, "ms")
    report("  ratio check / bare import", check / bare, "×", 3)


PEAK = """
import sys, time
sys.path.insert(0, {root!r})
import lab.portfolio.stored
from lab import db, portfolio
from lab.portfolio.stored import refresh
engine = db.engine_for({url!r})
def high_water_mb():
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so a child started by
    # this (large) benchmark process would report the parent's peak as its own.
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
before = high_water_mb()
started, cpu = time.perf_counter(), time.process_time()
if {what!r} == "refresh":
    with db.writing(engine) as session:
        refresh(session)
else:
    with db.reading(engine) as session:
        portfolio.build(session)
import resource
children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # forked workers
print(time.perf_counter() - started, time.process_time() - cpu, before, high_water_mb(),
      children)
"""


def peak(url: str, what: str) -> tuple[float, float, float, float, float]:
    """Return (wall s, CPU s, peak RSS after the imports, peak RSS, largest forked
    worker's peak RSS, shared pages counted) of one fresh process."""
    done = subprocess.run([sys.executable, "-c", PEAK.format(root=str(ROOT), url=url,
                                                             what=what)],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    seconds, cpu, before, after, workers = map(float, done.stdout.split())
    return seconds, cpu, before, after, workers


def full_refresh(url: str) -> None:
    sequential.clear_cache()  # as in a new `lab refresh` process: no boundary is known yet
    with db.writing(db.engine_for(url)) as session:
        started, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
        refresh(session)
        report("full refresh (in-process, boundary cache cold)",
               time.perf_counter() - started, "s", 2,
               f"  (CPU {time.process_time() - cpu:.2f} s here, "
               f"{_children_cpu() - children:.2f} s in forked workers)")


def _children_cpu() -> float:
    """CPU seconds of this process's ended children (the refresh's forked workers)."""
    times = os.times()
    return times.children_user + times.children_system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pilots", type=int, default=1000)
    parser.add_argument("--rows", default="100000,1000000,5000000",
                        help="comma-separated observation-row counts for the growth figures")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--refresh-only", action="store_true",
                        help="time only the full refresh of --pilots (no pages, no growth)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="time the full refresh this many times (each cache cold)")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="lab-stored-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = database(folder, args.pilots)
    print(f"\n{args.pilots} pilots, {args.pilots * ROWS_PER_PILOT:,} observation rows")
    if not args.refresh_only:
        token = pages(url, 50)
        served(url, folder, 50, token)
        processes(url)
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for _ in range(args.repeat):
        full_refresh(url)
    if args.refresh_only:
        return
    print("\ngrowth with the rows (fresh process each; peak RSS, and above the imports)")
    for rows in (int(n) for n in args.rows.split(",")):
        pilots, grown = sized(folder, rows)
        for what in ("refresh", "read"):
            seconds, cpu, before, after, workers = peak(grown, what)
            report(f"{rows:>9,} rows ({pilots} pilots): full {what}", seconds, "s",
                   note=f"  (CPU here {cpu:.1f} s, load {os.getloadavg()[0]:.1f})")
            report("    peak memory", after, "MB", 400, f"  (+{after - before:.0f} MB over "
                                                        "the imports)")
            if workers:
                report("    peak memory of the largest forked worker", workers, "MB", 400,
                       "  (pages shared with the parent counted)")


if __name__ == "__main__":
    main()
