"""The lab's version: every write the portfolio shows adds one, nothing else does, and the
portfolio kept per version is the one a fresh read builds."""

from __future__ import annotations

import re
import threading
from dataclasses import asdict
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session

import lab.portfolio.stored  # noqa: F401 (the refresher the app and the CLI install)
from lab import accounts, db, portfolio
from lab.analysis import pipeline
from lab.models import LabVersion
from lab.pilots import evidence, registry, version
from lab.pilots.observations import record_observations
from lab.portfolio import kept
from lab.portfolio.stored import refresh
from tests.factories import (
    ACTOR,
    MANAGER,
    log_rows,
    make_spec,
    observation_rows,
    register_pilot,
    start_pilot,
)


def number(engine) -> int:
    with db.reading(engine) as session:
        return version.current(session)[1]


WRITES = {
    "register": lambda s: registry.register(s, spec=make_spec(key="other"), actor=ACTOR),
    "relabel a running pilot": lambda s: registry.register(s, spec=make_spec(
        pilot={"title": "A new title"}), actor=ACTOR),
    "log by form": lambda s: record_observations(s, rows=observation_rows(periods=1),
                                                 actor=ACTOR),
    "spend": lambda s: evidence.add_spend(s, pilot_key="x-care-1h", spent_on=date(2026, 1, 9),
                                          amount=10.0, description="Desk", actor=ACTOR),
    "sign off": lambda s: pipeline.sign_off(s, pilot_key="x-care-1h", outcome="withdraw",
                                             rationale="enough", decided_by=MANAGER),
    "refresh": lambda s: refresh(s),
}


@pytest.mark.parametrize("name", list(WRITES))
def test_each_write_the_portfolio_shows_adds_one(engine, session, name):
    start_pilot(session)
    before = number(engine)
    with db.writing(engine) as write:
        WRITES[name](write)
    assert number(engine) == before + 1


def test_the_raw_import_adds_one(engine, session):
    start_pilot(session)
    before = number(engine)
    log_rows(engine, observation_rows(periods=2))
    assert number(engine) == before + 1


def test_reads_rollbacks_and_other_writes_leave_it(engine, session):
    start_pilot(session)
    before = number(engine)
    with db.reading(engine) as reader:
        portfolio.build(reader)
    with pytest.raises(RuntimeError), db.writing(engine) as write:
        evidence.add_spend(write, pilot_key="x-care-1h", spent_on=date(2026, 1, 9),
                           amount=10.0, description="Desk", actor=ACTOR)
        raise RuntimeError("changed my mind")
    with db.writing(engine) as write:  # notes and accounts are not on the portfolio
        evidence.add_note(write, pilot_key="x-care-1h", kind="risk", noted_on=date(2026, 1, 9),
                          source="desk", text="a risk", actor=ACTOR)
        accounts.add_user(write, email="new@lab.example", password="correct horse battery",
                          role="viewer", actor=ACTOR)
    assert number(engine) == before


def test_writers_at_once_each_add_one(engine, session):
    """On PostgreSQL the row's lock queues them at the commit; none is lost."""
    start_pilot(session)
    before, errors = number(engine), []

    def spend(amount):
        try:
            with db.writing(engine) as write:
                evidence.add_spend(write, pilot_key="x-care-1h", spent_on=date(2026, 1, 9),
                                   amount=amount, description="Desk", actor=ACTOR)
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)
    threads = [threading.Thread(target=spend, args=(float(i),)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and number(engine) == before + 6


def test_the_portfolio_reads_only_tables_whose_writes_add_one(engine, session):
    """If the read model starts reading a new table, its writes must move the version."""
    start_pilot(session)
    register_pilot(session, key="draft", pilot={"channel": "linkedin"})
    read: set[str] = set()

    def seen(_connection, _cursor, statement, *_args):
        read.update(re.findall(r'(?:FROM|JOIN)\s+"?(\w+)"?', statement))
    event.listen(engine, "before_cursor_execute", seen)
    try:
        kept.forget()
        with db.reading(engine) as reader:
            kept.portfolio(reader)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    watched = {model.__tablename__ for model in version.WATCHED} | {"lab_version"}
    assert read and read <= watched, read - watched


def test_the_kept_portfolio_is_a_fresh_one_until_a_write(engine, session):
    start_pilot(session)
    log_rows(engine, observation_rows(periods=4))
    kept.forget()
    with db.reading(engine) as reader:
        first = kept.portfolio(reader)
        assert kept.portfolio(reader) is first
        assert list(map(asdict, first.rows)) == list(map(asdict, portfolio.build(reader)))
        assert kept.portfolio(reader, date(2030, 1, 1)) is not first  # another day
    with db.writing(engine) as write:
        evidence.add_spend(write, pilot_key="x-care-1h", spent_on=date(2026, 1, 9),
                           amount=5.0, description="Desk", actor=ACTOR)
    with db.reading(engine) as reader:
        again = kept.portfolio(reader)
        assert again is not first
        assert list(map(asdict, again.rows)) == list(map(asdict, portfolio.build(reader)))
        assert again.rows[0].spend == 5.0


def test_an_emptied_database_starts_a_new_epoch(engine, session):
    start_pilot(session)
    with db.reading(engine) as reader:
        epoch = version.current(reader)[0]
    with Session(engine) as raw:
        raw.exec(LabVersion.__table__.delete())
        raw.commit()
    with db.reading(engine) as reader:
        assert version.current(reader) is None
        kept.portfolio(reader)  # nothing to key on: built, not kept
    with db.writing(engine) as write:
        evidence.add_spend(write, pilot_key="x-care-1h", spent_on=date(2026, 1, 9),
                           amount=5.0, description="Desk", actor=ACTOR)
    with db.reading(engine) as reader:
        assert version.current(reader)[0] != epoch and version.current(reader)[1] == 1
