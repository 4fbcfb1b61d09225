"""Stored recommendations: every write refreshes them, and they equal a fresh computation."""

from __future__ import annotations

import json
import random
import threading
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

import lab.portfolio.stored  # noqa: F401 (the refresher the app and the CLI install)
from lab import db, demo, portfolio
from lab.analysis import pipeline
from lab.analysis.result import Recommendation
from lab.models import Observation, Pilot, StoredRecommendation
from lab.pilots import lifecycle, registry, stored
from lab.pilots.observations import ObservationError, record_observations
from lab.pilots.reads import data_version, data_versions
from tests.factories import ACTOR, MANAGER, log_rows, make_spec, observation_rows, start_pilot


def fresh(session: Session) -> dict[str, dict]:
    """Every pilot's answer computed now, through JSON as the stored ones are."""
    return {key: json.loads(json.dumps(recommendation.to_dict()))
            for key, recommendation in pipeline.recommend_pilots(session).items()}


def assert_stored_is_fresh(engine) -> None:
    with db.reading(engine) as session:
        assert stored.missing(session) == []  # the writes stored them: no read had to
        now = fresh(session)
        assert stored.documents(session) == now
        assert stored.documents(session, full=False) == {
            key: stored.summary_of(document) for key, document in now.items()}
        kept = stored.inputs_of(session)
        ids = list(kept)
        assert kept == data_versions(session, ids)
        assert all(kept[i] == data_version(session, i) for i in ids)


def random_rows(rng: random.Random, pilot: str, periods: range) -> list[dict]:
    rows = []
    for week in periods:
        period = (date(2026, 1, 5) + timedelta(weeks=week)).isoformat()
        for arm in ("pilot", "control"):
            trials = rng.randint(200, 800)
            rows += [
                {"pilot": pilot, "metric": "churn-90d", "arm": arm, "period": period,
                 "successes": rng.randint(0, trials // 5), "trials": trials},
                {"pilot": pilot, "metric": "cost-per-contact", "arm": arm, "period": period,
                 "n": rng.randint(100, 400), "mean": round(rng.uniform(8, 16), 2),
                 "sd": round(rng.uniform(1, 5), 2)},
                {"pilot": pilot, "metric": "complaints", "arm": arm, "period": period,
                 "events": rng.randint(0, 80), "exposure": float(rng.randint(500, 2000))}]
    return rows


def test_a_randomized_portfolio_stays_equal_to_a_fresh_computation_through_its_writes(
        engine, session):
    rng = random.Random(20261201)
    keys = [f"p-{i}" for i in range(6)]
    samples = {key: rng.choice([800, 4800]) for key in keys}
    for i, key in enumerate(keys):
        if i < 5:
            start_pilot(session, key=key, pilot={"planned_sample": samples[key]})
        else:
            registry.register(session, spec=make_spec(key=key), actor=ACTOR)  # a draft
            session.commit()
    assert_stored_is_fresh(engine)  # started, no data yet
    logged = {key: 0 for key in keys[:5]}
    for step in range(12):
        key = rng.choice(keys[:5])
        weeks = range(logged[key], logged[key] + rng.randint(1, 4))
        log_rows(engine, random_rows(rng, key, weeks))
        logged[key] = weeks.stop
        if step % 4 == 3:  # a correction rewrites stored rows in place (raw SQL)
            with db.writing(engine) as write:
                record_observations(write, rows=random_rows(rng, key, range(1)), actor=ACTOR,
                                    correct=True, source="fix")
        assert_stored_is_fresh(engine)
    # A plan edit of a running pilot (its title) and a sign-off change the inputs' version.
    renamed = make_spec(key=keys[0], pilot={"title": "Renamed",
                                            "planned_sample": samples[keys[0]]})
    with db.writing(engine) as write:
        registry.register(write, spec=renamed, actor=ACTOR)
    with db.writing(engine) as write:
        pipeline.sign_off(write, pilot_key=keys[1], outcome="withdraw", rationale="enough",
                          decided_by=MANAGER)
    with db.writing(engine) as write:
        lifecycle.start(write, pilot_key=keys[5], actor=ACTOR)
    assert_stored_is_fresh(engine)
    with db.reading(engine) as read:
        answers = portfolio.recommendations(read)
        assert sorted(answers) == sorted(keys)
        rebuilt = Recommendation.from_dict(answers[keys[2]])
        assert rebuilt.to_dict() == answers[keys[2]]


def test_a_refused_import_leaves_the_stored_answer_as_it_was(engine, session):
    start_pilot(session)
    log_rows(engine, observation_rows(periods=3))
    with db.reading(engine) as read:
        before = stored.documents(read)
    bad = observation_rows(periods=4)[-6:]
    bad[-1]["trials"] = -1
    with pytest.raises(ObservationError), db.writing(engine) as write:
        record_observations(write, rows=bad, actor=ACTOR, source="bad")
    with db.reading(engine) as read:
        assert stored.documents(read) == before
    assert_stored_is_fresh(engine)


def test_a_read_computes_and_stores_an_answer_found_missing(engine, session):
    start_pilot(session)
    log_rows(engine, observation_rows(periods=3))
    with db.writing(engine) as write:  # as after an upgrade: the table is empty
        write.execute(StoredRecommendation.__table__.delete())
    with db.reading(engine) as read:
        assert stored.missing(read) != []
        answers = portfolio.recommendations(read)
        assert answers == fresh(read)
    assert_stored_is_fresh(engine)


def test_lab_refresh_rebuilds_and_verify_finds_drift(engine, session, runner):
    start_pilot(session)
    log_rows(engine, observation_rows(periods=3))
    with db.writing(engine) as write:  # drift no write path makes: a hand-edited row
        write.execute(StoredRecommendation.__table__.update().values(document='{"x": 1}'))
    verified = runner.invoke(args=["refresh", "--verify"])
    assert verified.exit_code == 1 and "x-care-1h" in verified.output
    assert "run lab refresh" in verified.output
    done = runner.invoke(args=["refresh"])
    assert done.exit_code == 0, done.output
    assert "refreshed 1 stored recommendation" in done.output
    assert runner.invoke(args=["refresh", "--verify"]).exit_code == 0
    assert_stored_is_fresh(engine)
    checked = runner.invoke(args=["check", "--json", "--refresh", "x-care-1h"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["pilot"] == "x-care-1h"
    unknown = runner.invoke(args=["check", "nope"])
    assert unknown.exit_code == 1 and "no pilot 'nope'" in unknown.output


def test_the_demo_portfolio_is_stored_as_freshly_computed(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    demo.build(url)
    assert_stored_is_fresh(db.engine_for(url))
    db.engine_for(url).dispose()


def test_concurrent_writers_leave_one_correct_answer_and_readers_never_see_a_stale_one(
        engine, session):
    """Writers of one pilot (imports of their own weeks, plan edits) run at once with
    readers; each reader checks, in one snapshot, that the stored answer was computed
    from exactly the data it sees."""
    start_pilot(session)
    pilot_id = session.exec(select(Pilot.id)).one()
    rng = random.Random(7)
    batches = [random_rows(rng, "x-care-1h", range(week, week + 1)) for week in range(8)]
    errors: list[BaseException] = []
    seen: list[int] = []
    done = threading.Event()

    def write(rows):
        try:
            log_rows(engine, rows)
        except BaseException as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)

    def rename(title):
        try:
            with db.writing(engine) as writer:
                registry.register(writer, spec=make_spec(pilot={"title": title}), actor=ACTOR)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    def read():
        try:
            while not done.is_set():
                with Session(engine) as reader:
                    if engine.dialect.name == "postgresql":  # one snapshot for both reads
                        reader.connection(execution_options={"isolation_level":
                                                             "REPEATABLE READ"})
                    kept = stored.inputs_of(reader).get(pilot_id)
                    if kept is not None:
                        assert kept == data_version(reader, pilot_id)
                        seen.append(pilot_id)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(rows,)) for rows in batches]
    writers += [threading.Thread(target=rename, args=(f"Title {i}",)) for i in range(3)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in readers:
        thread.join()
    assert errors == []
    assert seen  # the readers did read stored answers while the writers ran
    assert_stored_is_fresh(engine)
    with db.reading(engine) as read_session:  # every writer's rows are in the one answer
        assert len(read_session.exec(select(Observation.id)).all()) == 8 * 2 * 3
        assert stored.inputs_of(read_session)[pilot_id] == data_version(read_session, pilot_id)


def test_two_refreshes_of_one_pilot_at_once_end_with_the_answer_of_both_writes(
        engine, session):
    """The race the per-pilot lock exists for: T1 has refreshed but not committed when T2
    refreshes. Without the lock T2 computes without T1's row, waits on T1's stored row,
    then overwrites it with an answer that misses that row."""
    from lab.models import Metric
    from lab.portfolio.stored import refresh

    pilot = start_pilot(session)
    log_rows(engine, observation_rows(periods=2, metrics=("churn-90d",)))
    metric_id = session.exec(select(Metric.id).where(Metric.key == "churn-90d")).one()

    def row(week: int, arm: str) -> Observation:
        return Observation(pilot_id=pilot.id, metric_id=metric_id, arm=arm,
                           period=date(2026, 1, 5) + timedelta(weeks=week),
                           successes=30 + week, trials=400)

    writing = engine.execution_options(lab_write=True, lab_wait=30)
    first = Session(writing)
    first.add_all([row(2, "pilot"), row(2, "control")])
    first.flush()
    refresh(first, [pilot.id])  # T1 holds its refreshed answer, uncommitted
    errors = []

    def second():
        try:
            with Session(writing) as other:
                other.add_all([row(3, "pilot"), row(3, "control")])
                other.commit()
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1.0)  # T2 now waits (for the lock, or on SQLite for BEGIN)
    assert thread.is_alive()
    first.commit()
    first.close()
    thread.join()
    assert errors == []
    assert_stored_is_fresh(engine)
    with db.reading(engine) as read:
        assert len(stored.documents(read)["x-care-1h"]["looks"]) == 4


def test_the_stored_answers_cannot_depend_on_the_date_they_were_computed():
    """Nothing needs refreshing when the date moves: the engine never asks the clock.

    A final look is reached by a logged period that reaches the planned end, and the
    projected date counts from the last logged period; what does move with the date
    (days left, overdue, burn rate) is worked out at read time in lab.portfolio.
    """
    from tests.test_homes import called, modules

    engine = {**modules("analysis"), **modules("stats")}
    engine.update({path: tree for path, tree in modules("pilots").items()
                   if path.endswith(("summaries.py", "plans.py"))})
    asking = [path for path, tree in engine.items()
              if {"today", "now", "utcnow", "time"} & called(tree)]
    assert asking == []


def test_an_analysis_that_fails_does_not_block_the_write(engine, session, monkeypatch):
    start_pilot(session)
    log_rows(engine, observation_rows(periods=2))

    def broken(*_args, **_kwargs):
        raise ValueError("the analysis failed on this data")
    monkeypatch.setattr(lab.portfolio.stored, "recommend_portfolio", broken)
    assert log_rows(engine, observation_rows(periods=3)[-6:]).inserted == 6
    with db.reading(engine) as read:
        assert stored.missing(read) != []  # deleted, so no read sees the answer of old data
    monkeypatch.undo()
    with db.reading(engine) as read:
        assert portfolio.recommendations(read) == fresh(read)


def test_the_core_reads_name_tables_and_columns_the_models_have():
    # lab check reads the stored answers without the models (lab.pilots.answers).
    from lab.models import Pilot, StoredRecommendation
    from lab.pilots import answers

    for light, model in ((answers.STORED, StoredRecommendation), (answers.PILOT, Pilot)):
        assert light.name == model.__tablename__
        assert set(light.c.keys()) <= set(model.__table__.c.keys())
