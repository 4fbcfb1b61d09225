"""Benchmark: `lab import --mapping` of a raw ticket export against reading it with csv.

Run on demand (pytest never collects it):

    .venv/bin/python tests/bench/raw_ingest.py [--rows 1000000]

It writes a ticketing export (one row per ticket: created and first-reply times without
offset, queue, channel, handling cost) over ~8 years of weeks, registers and starts a
pilot with a share (replied within 60 minutes), a mean of minutes and a mean of a
column, then times, in the same run:

- csv.reader over the file, every row consumed (the floor the target is stated against);
- lab's raw import (lab.pilots.observations.raw.import_raw, the code path of `lab import
  --mapping`), in a subprocess whose peak memory is measured, for the file and for a
  file a tenth its size (memory should not grow with the file: the aggregates do not).

Target (issue 16): the import takes at most 2x the csv.reader time.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from lab import db, migrations  # noqa: E402
from tests.factories import make_spec  # noqa: E402

MAPPING = """
pilot = "raw-bench"
arm = { column = "queue", values = { "desk" = "pilot", "usual" = "control" }, others = "skip" }

[time]
column = "created_at"
timezone = "Europe/Amsterdam"

[[metrics]]
metric = "replied-1h"
share = { minutes = ["created_at", "first_reply_at"], at_most = 60 }
blank = "fail"

[[metrics]]
metric = "reply-minutes"
mean = { minutes = ["created_at", "first_reply_at"] }
blank = "skip"

[[metrics]]
metric = "cost"
mean = { column = "handling_cost" }
where = { column = "channel", equals = "x" }
"""
METRICS = [
    {"key": "replied-1h", "kind": "proportion", "role": "primary", "direction": "increase",
     "minimum_effect": 0.02},
    {"key": "reply-minutes", "kind": "mean", "role": "secondary", "direction": "decrease"},
    {"key": "cost", "kind": "mean", "role": "guardrail", "direction": "decrease",
     "margin": 1.0},
]


def write_export(path: Path, rows: int) -> None:
    """Write `rows` tickets spread over 417 weeks, streaming."""
    start, step = datetime(2026, 1, 5, 8), timedelta(weeks=417) / rows
    queues, channels = ("desk", "usual", "vip"), ("x", "x", "email")
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["ticket_id", "created_at", "first_reply_at", "channel", "queue",
                      "handling_cost", "subject"])
        for i in range(rows):
            created = start + step * i
            reply = "" if i % 13 == 0 else \
                (created + timedelta(minutes=5 + i % 120)).isoformat(" ", "seconds")
            out.writerow([f"T-{i}", created.isoformat(" ", "seconds"), reply,
                          channels[i % 3], queues[i % 3], f"{8 + i % 9}.{i % 100:02d}",
                          "Card blocked abroad"])


def prepare(url: str) -> None:
    """Migrate a fresh database and register and start the benchmark's pilot."""
    from lab.pilots import lifecycle, registry

    migrations.upgrade(url)
    spec = make_spec(key="raw-bench", metrics=METRICS,
                     pilot={"channel": "bench", "start": "2026-01-05", "end": "2034-12-31"})
    with db.writing(db.engine_for(url)) as session:
        registry.register(session, spec=spec, actor="bench")
        lifecycle.start(session, pilot_key="raw-bench", actor="bench")


def read_with_csv(path: Path) -> float:
    """Consume every row with csv.reader; return seconds."""
    started = time.perf_counter()
    with open(path, newline="", encoding="utf-8") as handle:
        for _ in csv.reader(handle):
            pass
    return time.perf_counter() - started


DRIVER = """
import sys, time
from lab import db
from lab.pilots.observations.mapping import load
from lab.pilots.observations.raw import import_raw
started = time.perf_counter()
results = import_raw(db.engine_for(sys.argv[1]), mapping=load(sys.argv[2]),
                     sources=[sys.argv[3]], actor="bench")
seconds = time.perf_counter() - started
peak = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(seconds, sum(r.inserted for r in results), peak)
"""


def time_import(folder: Path, name: str, export: Path, mapping: Path) -> tuple[float, int, float]:
    """Import the export into a fresh database in a subprocess: seconds, rows, peak MB."""
    url = f"sqlite:///{folder / name}.sqlite"
    prepare(url)
    done = subprocess.run([sys.executable, "-c", DRIVER, url, str(mapping), str(export)],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    seconds, inserted, peak_kb = done.stdout.split()
    return float(seconds), int(inserted), int(peak_kb) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        mapping = folder / "tickets.toml"
        mapping.write_text(MAPPING, encoding="utf-8")
        small, large = folder / "small.csv", folder / "large.csv"
        write_export(small, args.rows // 10)
        write_export(large, args.rows)
        size = large.stat().st_size / 1024 / 1024
        print(f"raw export: {args.rows:,} rows, {size:.0f} MB")
        reading = read_with_csv(large)
        print(f"csv.reader, every row:        {reading:6.2f} s")
        seconds, inserted, peak = time_import(folder, "large", large, mapping)
        print(f"lab raw import:               {seconds:6.2f} s  ({seconds / reading:.2f}x "
              f"csv.reader; target <= 2x), {inserted:,} observations, peak {peak:.0f} MB")
        again = read_with_csv(large)
        print(f"csv.reader again:             {again:6.2f} s")
        small_seconds, _, small_peak = time_import(folder, "small", small, mapping)
        print(f"lab raw import, 1/10 the rows: {small_seconds:5.2f} s, peak {small_peak:.0f} MB "
              f"(memory flat in the file's size: {peak - small_peak:+.0f} MB for 10x rows)")


if __name__ == "__main__":
    main()
