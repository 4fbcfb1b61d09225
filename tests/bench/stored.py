"""Benchmark: stored recommendations, each figure against its target in the same run.

Run on demand (pytest never collects it):

    .venv/bin/python tests/bench/stored.py [--pilots 1000] [--rows 100000,1000000]
                                           [--folder DIR]

On a portfolio of --pilots running pilots (3 metrics, 2 arms, 26 weeks: 156 rows each)
it measures, as medians:

- the portfolio page under gunicorn -w 2 (16 concurrent clients over loopback) and
  in-process (Flask's client), each against a trivial page of the same app (the
  sign-in form), and the read model alone (`lab.portfolio.build`);
- one observation row written through the API's path (`record_observations` as a
  correction, in its write transaction), the refresh of its pilot included, and the
  first portfolio read after it;
- `lab check --json` as a new process against `python -c "import flask, sqlalchemy"`;
- a full `lab refresh` (time and CPU time, the boundary cache cold as in a new process),
  and for each --rows size a full refresh and a portfolio read in a fresh process each,
  with their peak memory (ru_maxrss), to show how cost grows with the rows (memory
  should stay flat: refreshes go BATCH pilots at a time). The rows grow with the pilots
  (156 rows each), so the 5 M database has 32,051 pilots; its build syncs the plans a
  thousand at a time and imports the rows through `lab import`'s fast path (tens of
  minutes on the development machine). The CPU times are printed beside the wall times
  because other jobs share the machine.

Databases are built under --folder (default a temporary folder) and reused if there.
`lab import` against raw executemany, its refresh included, is tests/bench/ingest.py.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import lab.portfolio.stored  # noqa: E402,F401 (writes refresh what they change)
from lab import accounts, db, portfolio  # noqa: E402
from lab.app import create_app  # noqa: E402
from lab.pilots.observations import record_observations  # noqa: E402
from lab.portfolio.stored import refresh  # noqa: E402
from lab.stats import sequential  # noqa: E402
from tests.bench.portfolio import WEEKS, build  # noqa: E402
from tests.web.conftest import PASSWORD, sign_in  # noqa: E402

ROWS_PER_PILOT = WEEKS * 2 * 3
LAB = [sys.executable, "-c", "from lab.cli import main; main()"]


def median_ms(action, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def report(name: str, value: float, unit: str, target: float | None = None,
           note: str = "") -> None:
    verdict = "" if target is None else ("  ok" if value <= target else "  OVER")
    limit = "" if target is None else f" (target ≤ {target:g} {unit})"
    print(f"{name:<58} {value:>9.1f} {unit}{limit}{verdict}{note}")


def database(folder: Path, pilots: int) -> str:
    path = folder / f"stored-{pilots}.sqlite"
    url = f"sqlite:///{path}"
    if not path.exists():
        started = time.perf_counter()
        build(url, pilots, folder)
        print(f"(built {pilots} pilots, {pilots * ROWS_PER_PILOT:,} rows, refreshed on "
              f"import, in {time.perf_counter() - started:.0f} s)")
    return url


def pages(url: str) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "HTTPS": False})
    with app.app_context(), db.writing(db.engine()) as session:
        if accounts.find_user(session, "bench@lab.example") is None:
            accounts.add_user(session, email="bench@lab.example", password=PASSWORD,
                              role="viewer", actor="bench")
    client = app.test_client()
    assert sign_in(client, "bench@lab.example").status_code == 302
    assert client.get("/").status_code == 200
    page = median_ms(lambda: client.get("/"))
    trivial = median_ms(lambda: client.get("/login"))
    report("portfolio page (in-process)", page, "ms", 50)
    report("  a trivial page of the same app (/login)", trivial, "ms")
    report("  ratio page / trivial", page / trivial, "×", 5)
    engine = db.engine_for(url)

    def read():
        with db.reading(engine) as session:
            portfolio.build(session)
    report("read model alone (lab.portfolio.build)", median_ms(read), "ms")

    key = "p0001"
    values = iter(range(10_000))

    def write():
        value = next(values) % 50
        with db.writing(engine) as session:
            record_observations(session, rows=[{
                "pilot": key, "metric": "conversion", "arm": "pilot", "phase": "during",
                "period": "2026-01-05", "successes": 40 + value, "trials": 200}],
                actor="bench", correct=True, source="bench")
    report("one observation row written, its refresh included", median_ms(write), "ms", 100)
    write()
    started = time.perf_counter()
    read()
    report("first portfolio read after that write", (time.perf_counter() - started) * 1000,
           "ms", 500)


def served(url: str, folder: Path) -> None:
    """Time pages under gunicorn -w 2, 16 clients at once, over loopback only."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "LAB_DATABASE_URL": url, "LAB_SECRET_KEY": "b" * 32,
           "LAB_INSTANCE_PATH": str(folder / "instance"), "LAB_HTTPS": "false"}
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-w", "2",
                               "-b", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(60):  # the workers import the app: a few seconds
            try:
                requests.get(f"{base}/login", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.5)
        clients = []
        for _ in range(16):
            client = requests.Session()
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                              client.get(f"{base}/login", timeout=10).text).group(1)
            signed = client.post(f"{base}/login", data={
                "email": "bench@lab.example", "password": PASSWORD, "csrf_token": token},
                allow_redirects=False, timeout=10)
            assert signed.status_code == 302, signed.status_code
            clients.append(client)

        def timed(path: str) -> float:
            def one(client):
                times = []
                for _ in range(10):  # bounded: 16 clients × 10 requests
                    started = time.perf_counter()
                    assert client.get(f"{base}{path}", timeout=30).status_code == 200
                    times.append((time.perf_counter() - started) * 1000)
                return times
            with ThreadPoolExecutor(16) as pool:
                return statistics.median(t for ts in pool.map(one, clients) for t in ts)
        page, trivial = timed("/"), timed("/login")
        report("portfolio page, gunicorn -w 2, 16 clients (p50)", page, "ms", 50)
        report("  the sign-in form, same server (p50)", trivial, "ms")
        report("  ratio page / trivial", page / trivial, "×", 5)
    finally:
        server.terminate()
        server.wait(timeout=30)


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
import resource, sys, time
sys.path.insert(0, {root!r})
import lab.portfolio.stored
from lab import db, portfolio
from lab.portfolio.stored import refresh
engine = db.engine_for({url!r})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started, cpu = time.perf_counter(), time.process_time()
if {what!r} == "refresh":
    with db.writing(engine) as session:
        refresh(session)
else:
    with db.reading(engine) as session:
        portfolio.build(session)
print(time.perf_counter() - started, time.process_time() - cpu, before / 1024,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def peak(url: str, what: str) -> tuple[float, float, float, float]:
    """Return (wall s, CPU s, peak RSS after the imports, peak RSS) of one fresh process."""
    done = subprocess.run([sys.executable, "-c", PEAK.format(root=str(ROOT), url=url,
                                                             what=what)],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    seconds, cpu, before, after = map(float, done.stdout.split())
    return seconds, cpu, before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pilots", type=int, default=1000)
    parser.add_argument("--rows", default="100000,1000000",
                        help="comma-separated observation-row counts for the growth figures")
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="lab-stored-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = database(folder, args.pilots)
    print(f"\n{args.pilots} pilots, {args.pilots * ROWS_PER_PILOT:,} observation rows")
    pages(url)
    served(url, folder)
    processes(url)
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    sequential.clear_cache()  # as in a new `lab refresh` process: no boundary is known yet
    with db.writing(db.engine_for(url)) as session:
        started, cpu = time.perf_counter(), time.process_time()
        refresh(session)
        report("full refresh (in-process, boundary cache cold)",
               time.perf_counter() - started, "s", 2,
               f"  (CPU {time.process_time() - cpu:.2f} s)")
    print("\ngrowth with the rows (fresh process each; peak RSS, and above the imports)")
    for rows in (int(n) for n in args.rows.split(",")):
        pilots = max(1, round(rows / ROWS_PER_PILOT))
        sized = database(folder, pilots)
        for what in ("refresh", "read"):
            seconds, cpu, before, after = peak(sized, what)
            report(f"{rows:>9,} rows ({pilots} pilots): full {what}", seconds, "s",
                   note=f"  (CPU {cpu:.1f} s, load {os.getloadavg()[0]:.1f})")
            report("    peak memory", after, "MB", 400, f"  (+{after - before:.0f} MB over "
                                                        "the imports)")


if __name__ == "__main__":
    main()
