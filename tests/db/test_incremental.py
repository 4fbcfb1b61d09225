"""lab export --since for observations, pilots and metrics: what was written since, and
a correction again; the stamps on SQLite and PostgreSQL, and the migration's backfill."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
from sqlalchemy import event, text
from sqlmodel import Session, select

from lab import db, migrations
from lab.models import Observation, Pilot
from lab.models.base import aware
from lab.pilots import evidence, registry
from lab.pilots.observations import record_observations
from lab.portfolio.exports import export, page, table_frame
from tests.factories import (
    ACTOR,
    log_rows,
    make_spec,
    observation_rows,
    register_pilot,
    start_pilot,
)


def now() -> datetime:
    return datetime.now(UTC)


def since(engine, moment: datetime) -> dict[str, pd.DataFrame]:
    with db.reading(engine) as session:
        return {name: table_frame(session, name, since=moment)
                for name in ("observations", "pilots", "metrics")}


def test_a_corrected_observation_is_exported_again_and_nothing_else(session, engine):
    start_pilot(session)
    log_rows(engine, observation_rows())
    before = now()
    assert [len(frame) for frame in since(engine, before).values()] == [0, 0, 0]
    log_rows(engine, observation_rows())  # sent again, unchanged: not written, not stamped
    assert len(since(engine, before)["observations"]) == 0
    row = {**observation_rows(periods=1)[0], "successes": 41}
    with db.writing(engine) as writing:
        result = record_observations(writing, rows=[row], actor=ACTOR, correct=True)
    assert result.corrected == 1
    found = since(engine, before)["observations"]
    assert len(found) == 1
    assert (found["pilot"][0], found["metric"][0], found["arm"][0], found["successes"][0]) == \
        ("x-care-1h", "churn-90d", "pilot", 41)
    assert found["recorded_at"][0] >= pd.Timestamp(before)
    assert str(found["recorded_at"].dtype) == "datetime64[ns, UTC]"


def test_new_rows_come_with_their_time_and_the_boundary_is_included(session, engine):
    start_pilot(session)
    log_rows(engine, observation_rows(periods=2))
    with db.reading(engine) as reading:
        stamps = reading.exec(select(Observation.recorded_at)).all()
    assert len(set(stamps)) == 1  # one import, one time
    stamp = aware(stamps[0])
    assert abs(now() - stamp) < timedelta(minutes=1)
    # At or after: a row written exactly at `since` is in, one a microsecond earlier is not.
    assert len(since(engine, stamp)["observations"]) == 12
    assert len(since(engine, stamp + timedelta(microseconds=1))["observations"]) == 0
    # A since in another time zone means the same moment.
    elsewhere = stamp.astimezone(timezone(timedelta(hours=2)))
    assert len(since(engine, elsewhere)["observations"]) == 12


def test_an_edited_plan_exports_its_pilot_and_metrics_and_spend_its_pilot(session, engine):
    register_pilot(session)
    register_pilot(session, key="x-care-2h", hypothesis={"key": "faster-care"})
    before = now()
    registry.register(session, spec=make_spec(pilot={"budget": 30000}), actor=ACTOR)
    session.commit()
    found = since(engine, before)
    assert list(found["pilots"]["key"]) == ["x-care-1h"]
    assert found["pilots"]["budget"][0] == 30000
    assert set(found["metrics"]["pilot"]) == {"x-care-1h"} and len(found["metrics"]) == 3
    assert (found["metrics"]["updated_at"] >= pd.Timestamp(before)).all()
    later = now()
    evidence.add_spend(session, pilot_key="x-care-2h", spent_on=date(2026, 1, 10), amount=5,
                       description="ads", actor=ACTOR)
    session.commit()
    found = since(engine, later)
    assert list(found["pilots"]["key"]) == ["x-care-2h"] and found["pilots"]["spend"][0] == 5
    assert len(found["metrics"]) == 0  # spend is no change of plan


def test_the_manifest_says_since_is_at_or_after_for_the_incremental_tables(session, engine,
                                                                           tmp_path):
    start_pilot(session)
    with db.reading(engine) as reading:
        written = {item.table: item for item in export(reading, tmp_path, format="csv",
                                                        since=now())}
    assert not written["observations"].whole and not written["metrics"].whole
    assert (tmp_path / "observations.csv").read_text().startswith(
        "pilot,metric,arm,phase,period,successes,trials,n,mean,sd,events,exposure,recorded_at")


def test_pages_are_cut_in_sql_in_id_order(session, engine):
    start_pilot(session)
    log_rows(engine, observation_rows(periods=4))
    statements = []

    def seen(connection, cursor, statement, parameters, context, many):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with db.reading(engine) as reading:
            first, total = page(reading, "observations", limit=5, offset=0)
            last, _ = page(reading, "observations", limit=5, offset=20)
            past, again = page(reading, "observations", limit=5, offset=24)
            one, alone = page(reading, "observations", limit=5, pilot="x-care-1h",
                              since=now() - timedelta(hours=1))
            none, nobody = page(reading, "observations", limit=5, pilot="nope")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert (len(first), len(last), len(past), total, again) == (5, 4, 0, 24, 24)
    assert (len(one), alone, len(none), nobody) == (5, 24, 0, 0)
    reads = [text for text in statements if "FROM observation JOIN metric" in text]
    assert len(reads) == 5 and all("LIMIT" in text and "ORDER BY observation.id" in text
                                   for text in reads)
    assert any("recorded_at >=" in text for text in reads)
    with db.reading(engine) as reading:
        ids = reading.exec(select(Observation.id).order_by(Observation.id)).all()
        rows = reading.exec(select(Observation.period, Observation.arm)
                            .order_by(Observation.id).offset(20)).all()
    assert len(ids) == 24
    assert sorted(zip(last["period"].dt.date, last["arm"], strict=True)) == sorted(rows)


def test_the_migration_stamps_rows_stored_before_it(blank_url):
    migrations.upgrade(blank_url)
    engine = db.engine_for(blank_url)
    with Session(engine, expire_on_commit=False) as session:
        start_pilot(session)
    log_rows(engine, observation_rows(periods=1))
    migrations.downgrade(blank_url, "0009")
    with engine.connect() as connection:
        assert "recorded_at" not in list(connection.execute(
            text("SELECT * FROM observation")).keys())
    upgraded = now()
    migrations.upgrade(blank_url)
    with db.reading(engine) as reading:
        stamps = [aware(stamp) for stamp in reading.exec(select(Observation.recorded_at))]
        assert reading.exec(select(Pilot)).one().key == "x-care-1h"
    assert len(stamps) == 6 and all(stamp >= upgraded - timedelta(seconds=1)
                                    for stamp in stamps)
    engine.dispose()


def test_a_pilot_written_exactly_at_since_is_in_and_its_metrics_too(session, engine):
    pilot = start_pilot(session)
    with db.reading(engine) as reading:
        stamp = aware(reading.exec(select(Pilot.updated_at).where(Pilot.id == pilot.id)).one())
    found = since(engine, stamp)
    assert list(found["pilots"]["key"]) == [pilot.key]
    assert len(found["metrics"]) == len(make_spec()["metrics"])
    later = since(engine, stamp + timedelta(microseconds=1))
    assert len(later["pilots"]) == 0 and len(later["metrics"]) == 0
