"""What must hold under load and failure: concurrent writers all land, a duplicate lands
once, one sign-off wins a race, and an import killed mid-way leaves none of its rows.

Each runs on SQLite and, with LAB_TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta

from sqlmodel import Session, func, select

from lab import db
from lab.models import Decision, Observation
from lab.pilots.decisions import DecisionConflict, sign_off
from lab.pilots.observations import record_observations
from tests.factories import observation_rows, start_pilot, write_csv

WRITERS = 8
START = date(2026, 1, 5)


def together(count: int, work) -> list:
    """Run work(number) in `count` threads released at the same moment; return outcomes."""
    start, outcomes = threading.Barrier(count), []

    def run(number):
        start.wait()
        try:
            outcomes.append(work(number))
        except Exception as error:  # the outcome under test, whatever it is
            outcomes.append(error)

    threads = [threading.Thread(target=run, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return outcomes


def stored(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Observation)).one()


def test_concurrent_writers_all_land(engine, session):
    start_pilot(session, pilot={"end": "2026-12-27"})  # room for every writer's weeks
    batches = [observation_rows(periods=4, start=START + timedelta(weeks=4 * number))
               for number in range(WRITERS)]

    def write(number):
        with db.writing(engine) as writer:
            return record_observations(writer, rows=batches[number], actor="test").inserted

    outcomes = together(WRITERS, write)
    assert outcomes == [len(batches[0])] * WRITERS
    assert stored(engine) == sum(len(batch) for batch in batches)


def test_duplicate_submissions_land_once(engine, session):
    start_pilot(session)
    rows = observation_rows(periods=2)

    def submit(_number):
        with db.writing(engine) as writer:
            return record_observations(writer, rows=rows, actor="test")

    outcomes = together(20, submit)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert sum(outcome.inserted for outcome in outcomes) == len(rows)
    assert stored(engine) == len(rows)


def test_one_of_many_simultaneous_sign_offs_wins(engine, session):
    start_pilot(session)

    def decide(number):
        with db.writing(engine) as writer:
            return sign_off(writer, pilot_key="x-care-1h", outcome="withdraw",
                            rationale=f"manager {number}", decided_by=f"m{number}@bank.example",
                            recommendation={"pilot": "x-care-1h", "outcome": "withdraw"})

    outcomes = together(10, decide)
    assert len([outcome for outcome in outcomes if isinstance(outcome, Decision)]) == 1
    assert all(isinstance(outcome, DecisionConflict) for outcome in outcomes
               if not isinstance(outcome, Decision)), outcomes
    with Session(engine) as fresh:
        assert len(fresh.exec(select(Decision)).all()) == 1


def reading(process: subprocess.Popen, path) -> bool:
    """Tell whether the process has the file open (Linux: its /proc fd links)."""
    folder = f"/proc/{process.pid}/fd"
    try:
        return any(os.readlink(os.path.join(folder, fd)) == str(path)
                   for fd in os.listdir(folder))
    except OSError:
        return False


def test_an_import_killed_mid_way_leaves_none_of_its_rows(database_url, engine, session,
                                                          tmp_path):
    # A plan long enough for 10,000 weekly periods: rows must lie in the plan's window.
    start_pilot(session, pilot={"end": "2217-12-31"})
    rows = observation_rows(periods=10_000)  # 60,000 rows: three chunks, a few seconds
    path = write_csv(tmp_path / "big.csv", rows)
    environment = {**os.environ, "LAB_DATABASE_URL": database_url,
                   "LAB_INSTANCE_PATH": str(tmp_path / "instance"), "LAB_SECRET_KEY": "k" * 32}
    # This checkout's lab, whatever the installed `lab` script points at.
    lab = [sys.executable, "-c", "from lab.cli import main; main()", "import", str(path)]
    process = subprocess.Popen(lab, env=environment, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not reading(process, path) and process.poll() is None and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    assert reading(process, path), "the import never began reading its file"
    time.sleep(0.3)  # well into its first chunks
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert stored(engine) == 0
    done = subprocess.run(lab, env=environment, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert stored(engine) == len(rows)  # the database took no harm
