"""A large refresh computes in forked workers and stores exactly what it would in place."""

from __future__ import annotations

import os
import random
import threading
import time
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import col

import lab.portfolio.stored as refreshing
from lab import db, forked
from lab.models import Pilot, StandbyFiring, StoredRecommendation
from lab.pilots import registry, stored
from lab.stats import sequential
from tests.db.test_standby import ROLES, RULE
from tests.db.test_stored import assert_stored_is_fresh, random_rows
from tests.factories import (
    ACTOR,
    log_rows,
    make_spec,
    standby_spec,
    start_pilot,
    start_plan,
    week_rows,
)

KEPT = (StoredRecommendation.pilot_id, StoredRecommendation.outcome,
        StoredRecommendation.document, StoredRecommendation.summary,
        StoredRecommendation.inputs)


def kept_rows(engine) -> list[tuple]:
    """Every stored answer as its columns hold it (the texts, not their decoding)."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(
            select(*KEPT).order_by(col(StoredRecommendation.pilot_id)))]


def portfolio(engine, session, pilots: int = 9) -> None:
    rng = random.Random(20261202)
    for i in range(pilots):
        start_pilot(session, key=f"p-{i}", pilot={"planned_sample": rng.choice([800, 4800])})
        log_rows(engine, random_rows(rng, f"p-{i}", range(rng.randint(1, 6))))
    registry.register(session, spec=make_spec(key="a-draft"), actor=ACTOR)
    session.commit()


def test_forked_workers_store_to_the_byte_what_a_refresh_in_place_stores(
        engine, session, monkeypatch):
    portfolio(engine, session)
    in_place = kept_rows(engine)
    with db.writing(engine) as write:
        write.execute(StoredRecommendation.__table__.delete())
    sequential.clear_cache()
    counted, children = [], []

    real = forked.Child

    def child(*args):  # the real fork, counted
        children.append(real(*args))
        return children[-1]
    monkeypatch.setattr(forked, "Child", child)
    with db.writing(engine) as write:
        ids = list(write.exec(select(Pilot.id).order_by(col(Pilot.id))).scalars())
        # 10 pilots, 3 workers: batches of 2, at most 3 of them computing at once.
        assert refreshing.refresh(write, ids, workers=3, progress=counted.append) == 9
    assert len(children) == 5 and all(c.pid == 0 for c in children)  # all reaped
    assert sum(counted) == 10 and len(counted) == 5
    # The boundaries the workers solved came back: computing again solves none.
    solved = set(sequential.cached())
    assert solved
    forked_rows = kept_rows(engine)
    assert [row[0] for row in forked_rows] == [row[0] for row in in_place]
    # Same outcome, JSON, summary and inputs, apart from nothing.
    assert forked_rows == in_place
    assert_stored_is_fresh(engine)
    assert set(sequential.cached()) == solved


def test_a_stand_by_rule_fires_from_a_forked_refresh(engine, session, monkeypatch):
    start_plan(session, standby_spec([RULE], ROLES))
    start_pilot(session, key="other")
    # A bare-layer write (no refresher installed) leaves the answers missing and no rule
    # read; the forked refresh then reads it against the answer it stores.
    monkeypatch.setattr(stored, "_refresher", [])
    log_rows(engine, week_rows(0, 30) + week_rows(1, 40))
    monkeypatch.undo()
    assert session.exec(select(StandbyFiring)).all() == []
    with db.writing(engine) as write:
        assert refreshing.refresh(write, workers=2) == 2
    session.rollback()
    [fired] = session.exec(select(StandbyFiring)).scalars().all()
    assert (fired.look, fired.period, fired.action) == (2, date(2026, 1, 12), "alert")
    assert_stored_is_fresh(engine)


def test_an_analysis_failing_in_a_worker_fails_the_refresh_and_stores_nothing(
        engine, session, monkeypatch):
    portfolio(engine, session, pilots=3)
    before = kept_rows(engine)

    def broken(*_args, **_kwargs):
        raise ValueError("the analysis failed on this data")
    monkeypatch.setattr(refreshing, "recommend_portfolio", broken)  # inherited by the fork
    with pytest.raises(ValueError, match="failed on this data") as failed, \
            db.writing(engine) as write:
        refreshing.refresh(write, workers=2)
    assert any("in a forked worker" in note for note in failed.value.__notes__)
    assert kept_rows(engine) == before  # the write rolled back whole


def test_lab_refresh_takes_its_workers_and_refuses_a_bad_count(engine, session, runner):
    portfolio(engine, session, pilots=3)
    before = kept_rows(engine)
    refused = runner.invoke(args=["refresh", "--workers", "-1"])
    assert refused.exit_code == 2 and "--workers" in refused.output
    assert "-1 is not in the range 0<=x<=256" in refused.output
    assert kept_rows(engine) == before
    done = runner.invoke(args=["refresh", "--workers", "2"])
    assert done.exit_code == 0, done.output
    assert "refreshed 3 stored recommendations" in done.output
    assert_stored_is_fresh(engine)


def test_a_worker_that_dies_fails_lab_refresh_in_one_line_and_stores_nothing(
        engine, session, runner, monkeypatch):
    portfolio(engine, session, pilots=3)
    before = kept_rows(engine)
    monkeypatch.setattr(refreshing, "recommend_portfolio", lambda *_: os._exit(9))
    died = runner.invoke(args=["refresh", "--workers", "2"])
    assert died.exit_code == 1
    assert "exit status 9) without an answer; nothing was stored" in died.output
    assert "--workers 1" in died.output and "Traceback" not in died.output
    assert kept_rows(engine) == before


def test_refreshes_fork_only_when_large_and_alone_in_the_process():
    assert refreshing._workers(refreshing.FORK_FROM - 1, None) == 1  # a write's few pilots
    assert refreshing._workers(10, 4) == 4  # asked for
    assert refreshing._workers(3, 8) == 3  # never more workers than pilots
    assert refreshing._workers(10, 1) == 1
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:  # a threaded server: a child could inherit a lock another thread holds
        assert not forked.usable()
        assert refreshing._workers(10_000, 4) == 1
    finally:
        release.set()
        other.join()
    assert forked.usable()


def test_the_workers_setting_is_read_and_checked(monkeypatch):
    monkeypatch.setenv("LAB_REFRESH_WORKERS", "3")
    assert refreshing._workers(refreshing.FORK_FROM, None) == 3
    monkeypatch.setenv("LAB_REFRESH_WORKERS", "0")  # one per core
    assert refreshing._workers(refreshing.FORK_FROM, None) == max(1, forked.cores())
    monkeypatch.setenv("LAB_REFRESH_WORKERS", "-1")
    with pytest.raises(ValueError, match="LAB_REFRESH_WORKERS must be a whole number of "
                                         "processes from 0 to 256, not '-1'"):
        refreshing._workers(refreshing.FORK_FROM, None)


# lab.forked itself ---------------------------------------------------------------------

class Unpicklable(Exception):
    def __init__(self):
        super().__init__("cannot cross a pipe")
        self.callback = lambda: None


def _raise(error: BaseException):
    raise error


def _unpicklable():
    raise Unpicklable()


def test_a_child_sends_its_value_or_its_error_back():
    assert forked.Child(sum, [1, 2, 3]).result() == 6
    big = forked.Child(lambda: b"x" * 5_000_000).result()  # beyond a pipe's buffer
    assert len(big) == 5_000_000
    with pytest.raises(KeyError, match="gone") as failed:
        forked.Child(_raise, KeyError("gone")).result()
    assert "Traceback" in failed.value.__notes__[0]
    with pytest.raises(forked.ChildFailed, match="Unpicklable: cannot cross a pipe"):
        forked.Child(_unpicklable).result()


def test_a_child_that_dies_or_is_cancelled_is_reaped():
    with pytest.raises(forked.ChildFailed, match=r"exit status 3\) without an answer"):
        forked.Child(os._exit, 3).result()
    sleeper = forked.Child(time.sleep, 60)
    started = time.perf_counter()
    sleeper.cancel()
    assert time.perf_counter() - started < 10
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # no child left unreaped
