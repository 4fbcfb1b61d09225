"""Benchmark: the portfolio page, in-process and under gunicorn, and a write then a read.

Run on demand (pytest never collects it); `tests/bench/stored.py` runs it too:

    .venv/bin/python tests/bench/pages.py --database FILE [--requests 40]

FILE is a portfolio database (`tests/bench/stored.py` builds 1,000 pilots;
`tests/bench/copies.py` makes 10,000 of them). Every figure is a median, and each page is
measured beside a trivial page of the same app (the sign-in form) in the same run:

- in-process (Flask's client): the portfolio page as a reader finds it (kept for the
  lab's version: `lab.portfolio.kept`), and cold (nothing kept: the first read after a
  write), and the read model alone (`lab.portfolio.build`);
- one observation row written through the API's path (`record_observations` as a
  correction, in its write transaction), its pilot's refresh included, and the first
  page after it, which builds the portfolio again;
- under gunicorn -w 2 over loopback, with as many clients at once as workers (each
  request has a worker to itself: the latency of one page) and with 16 (requests queue
  for the two workers: the latency of a busy server, about 8× the first); then one row
  written through the JSON API (HTTP, token, refresh) and the first page after it.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
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
from lab.portfolio import kept  # noqa: E402
from tests.web.conftest import PASSWORD, sign_in  # noqa: E402

WORKERS = 2
EMAIL, WRITER = "bench@lab.example", "bench-writer@lab.example"


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
    print(f"{name:<62} {value:>9.1f} {unit}{limit}{verdict}{note}")


def pages(url: str, target: float) -> str:
    """In-process figures, then a one-row write and the first page after it.

    Returns an API token (write scope) for the served figures.
    """
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "HTTPS": False})
    with app.app_context(), db.writing(db.engine()) as session:
        for email, role in ((EMAIL, "viewer"), (WRITER, "analyst")):
            if accounts.find_user(session, email) is None:
                accounts.add_user(session, email=email, password=PASSWORD, role=role,
                                  actor="bench")
        _, secret = accounts.create_token(session, user=accounts.find_user(session, WRITER),
                                          name="bench", scope="write", days=1)
    client = app.test_client()
    assert sign_in(client, EMAIL).status_code == 302
    assert client.get("/").status_code == 200
    page = median_ms(lambda: client.get("/"))
    trivial = median_ms(lambda: client.get("/login"))

    def cold():
        kept.forget()
        assert client.get("/").status_code == 200
    report("portfolio page, in-process, kept for the version", page, "ms", target)
    report("  a trivial page of the same app (/login)", trivial, "ms")
    report("  ratio page / trivial", page / trivial, "×", 5)
    report("portfolio page, in-process, nothing kept (cold)", median_ms(cold, 7), "ms")
    engine = db.engine_for(url)

    def read():
        with db.reading(engine) as session:
            portfolio.build(session)
    report("read model alone (lab.portfolio.build)", median_ms(read, 7), "ms")

    values = iter(range(10_000))

    def write():
        value = next(values) % 50
        with db.writing(engine) as session:
            record_observations(session, rows=[{
                "pilot": "p0001", "metric": "conversion", "arm": "pilot", "phase": "during",
                "period": "2026-01-05", "successes": 40 + value, "trials": 200}],
                actor="bench", correct=True, source="bench")
    report("one observation row written, its refresh included", median_ms(write), "ms", 100)
    after = []
    for _ in range(5):
        write()
        started = time.perf_counter()
        assert client.get("/").status_code == 200
        after.append((time.perf_counter() - started) * 1000)
    report("first portfolio page after that write (builds it again)",
           statistics.median(after), "ms", 500)
    return secret


def served(url: str, folder: Path, target: float, token: str,
           requests_each: int = 40) -> None:
    """Time the page and the sign-in form under gunicorn -w 2, over loopback only."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "LAB_DATABASE_URL": url, "LAB_SECRET_KEY": "b" * 32,
           "LAB_INSTANCE_PATH": str(folder / "instance"), "LAB_HTTPS": "false"}
    server = subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "-w",
                               str(WORKERS), "-b", f"127.0.0.1:{port}", "wsgi:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # the workers import the app: a few seconds
            try:
                requests.get(f"{base}/login", timeout=10)
                break
            except requests.RequestException:
                time.sleep(0.5)
        clients = [signed_in(base) for _ in range(16)]
        first = [_get(clients[i], f"{base}/") for i in range(WORKERS * 2)]  # each worker
        report("portfolio page, gunicorn, first reads (build in each worker)",
               max(first), "ms")

        def timed(path: str, at_once: int) -> float:
            def one(client):
                return [_get(client, f"{base}{path}") for _ in range(requests_each)]
            with ThreadPoolExecutor(at_once) as pool:
                found = [t for ts in pool.map(one, clients[:at_once]) for t in ts]
            return statistics.median(found)
        for at_once in (WORKERS, 16):
            page, trivial = timed("/", at_once), timed("/login", at_once)
            said = "one request per worker" if at_once == WORKERS else "queued on 2 workers"
            report(f"portfolio page, gunicorn -w {WORKERS}, {at_once} clients (p50)", page,
                   "ms", target if at_once == WORKERS else None, f"  ({said})")
            report("  the sign-in form, same server, same clients (p50)", trivial, "ms")
            report("  ratio page / trivial", page / trivial, "×",
                   5 if at_once == WORKERS else None)
        writes(base, clients[0], token)
    finally:
        server.terminate()
        server.wait(timeout=30)


def writes(base: str, reader: requests.Session, token: str, repeat: int = 15) -> None:
    """One row through the JSON API (its refresh included), then the page, alone."""
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    wrote, read = [], []
    for value in range(repeat):
        row = {"metric": "conversion", "arm": "pilot", "phase": "during",
               "period": "2026-01-05", "successes": 40 + value % 50, "trials": 200}
        started = time.perf_counter()
        answer = api.post(f"{base}/api/v1/pilots/p0001/observations", timeout=60,
                          json={"rows": [row], "correct": True})
        assert answer.status_code == 200, answer.text
        wrote.append((time.perf_counter() - started) * 1000)
        read.append(_get(reader, f"{base}/"))
    report("one row written through the API, gunicorn, refresh included (p50)",
           statistics.median(wrote), "ms", 100)
    report("  the first portfolio page after it, same server (p50)",
           statistics.median(read), "ms", 500)


def signed_in(base: str) -> requests.Session:
    client = requests.Session()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                      client.get(f"{base}/login", timeout=10).text).group(1)
    signed = client.post(f"{base}/login", data={
        "email": EMAIL, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False, timeout=10)
    assert signed.status_code == 302, signed.status_code
    return client


def _get(client: requests.Session, address: str) -> float:
    started = time.perf_counter()
    assert client.get(address, timeout=60).status_code == 200
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--target", type=float, default=50.0,
                        help="the page's p50 target in ms (50 for 1,000 pilots, 150 for 10,000)")
    parser.add_argument("--requests", type=int, default=40, help="per client, per page")
    args = parser.parse_args()
    url = f"sqlite:///{args.database.resolve()}"
    with db.reading(db.engine_for(url)) as session:
        print(f"\n{len(portfolio.build(session))} pilots ({args.database})")
    token = pages(url, args.target)
    served(url, args.database.parent, args.target, token, args.requests)


if __name__ == "__main__":
    main()
