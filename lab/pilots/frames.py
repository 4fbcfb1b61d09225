"""Tidy tables of the registry and the evidence, for the notebook API and the reports.

Each function takes a session and returns a pandas DataFrame whose columns and dtypes
are fixed by a schema below, whatever the data: an empty database gives an empty frame
with the same columns, so notebook code written against the demo keeps working.

The exports (lab.portfolio.exports) read the same functions with two more arguments:
`stamped` adds the column that says when each row was last written (the *_STAMPED
schemas), and `window` narrows the query in SQL (a filter, a page in primary-key
order) before any row is read into Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from enum import StrEnum

import pandas as pd
from sqlalchemy import Select, func
from sqlmodel import Session, col, select

from lab.errors import NotFound
from lab.models import (
    Channel,
    Decision,
    Hypothesis,
    Metric,
    Note,
    Observation,
    Pilot,
    Segment,
    Spend,
    TeamMember,
)
from lab.pilots.reads import spend_totals
from lab.vocabulary import (
    TERMINAL,
    Analysis,
    Arm,
    Design,
    Direction,
    Kind,
    NoteKind,
    Outcome,
    Phase,
    Process,
    Role,
    Status,
    values,
)


def category(allowed: type[StrEnum] | Iterable[str]) -> pd.CategoricalDtype:
    """Return the categorical dtype of a vocabulary enum (or of some of its values)."""
    return pd.CategoricalDtype(values(allowed) if isinstance(allowed, type)
                               else [str(value) for value in allowed])


TEXT, INT, FLOAT, DATE, STAMP = "string", "Int64", "Float64", "datetime64[ns]", "utc"

HYPOTHESES = {"key": TEXT, "statement": TEXT, "process": category(Process),
              "expected_benefit": TEXT, "sponsors": TEXT, "owner": TEXT, "pilots": INT,
              "created_at": STAMP}
PILOTS = {"key": TEXT, "title": TEXT, "hypothesis": TEXT, "iteration": INT, "parent": TEXT,
          "channel": TEXT, "segment": TEXT, "design": category(Design),
          "analysis": category(Analysis), "status": category(Status), "allocation": FLOAT,
          "alpha": FLOAT, "power": FLOAT, "planned_sample": INT, "planned_periods": INT,
          "start": DATE, "end": DATE, "budget": FLOAT, "spend": FLOAT, "currency": TEXT,
          "owner": TEXT, "team": TEXT, "started_at": STAMP}
METRICS = {"pilot": TEXT, "key": TEXT, "label": TEXT, "kind": category(Kind),
           "role": category(Role), "direction": category(Direction),
           "minimum_effect": FLOAT, "margin": FLOAT, "baseline": FLOAT}
OBSERVATIONS = {"pilot": TEXT, "metric": TEXT, "arm": category(Arm),
                "phase": category(Phase), "period": DATE, "successes": INT, "trials": INT,
                "n": INT, "mean": FLOAT, "sd": FLOAT, "events": INT, "exposure": FLOAT}
NOTES = {"pilot": TEXT, "kind": category(NoteKind), "noted_on": DATE, "source": TEXT,
         "text": TEXT, "recorded_by": TEXT}
SPEND = {"pilot": TEXT, "spent_on": DATE, "amount": FLOAT, "description": TEXT,
         "recorded_by": TEXT}
DECISIONS = {"pilot": TEXT, "outcome": category(TERMINAL), "recommended": category(Outcome),
             "rationale": TEXT, "decided_by": TEXT, "decided_at": STAMP}
# With the time each row was last written (a metric's: its pilot's, whose plan holds it).
PILOTS_STAMPED = {**PILOTS, "updated_at": STAMP}
METRICS_STAMPED = {**METRICS, "updated_at": STAMP}
OBSERVATIONS_STAMPED = {**OBSERVATIONS, "recorded_at": STAMP}
NOTES_STAMPED = {**NOTES, "created_at": STAMP}
SPEND_STAMPED = {**SPEND, "created_at": STAMP}

# A reader's query narrowed in SQL (WHERE, ORDER BY, LIMIT, OFFSET) before it runs.
Window = Callable[[Select], Select]


def _run(session: Session, query: Select, window: Window | None):
    return session.exec(window(query) if window is not None else query)


def typed(records: list[dict], schema: dict[str, object]) -> pd.DataFrame:
    """Build a frame with exactly the schema's columns, in order, with its dtypes."""
    frame = pd.DataFrame.from_records(records, columns=list(schema))
    return pd.DataFrame({name: _cast(frame[name], dtype) for name, dtype in schema.items()},
                        index=pd.RangeIndex(len(frame)))


def _cast(series: pd.Series, dtype: object) -> pd.Series:
    if dtype == DATE:
        return pd.to_datetime(series.astype(object), errors="coerce").astype(DATE)
    if dtype == STAMP:
        # SQLite hands back naive datetimes; the models store them in UTC.
        return pd.to_datetime(series.astype(object), utc=True).astype("datetime64[ns, UTC]")
    return series.astype(object).astype(dtype)


def pilot_ids(session: Session, pilots: str | Iterable[str] | None) -> dict[int, str]:
    """Return id → key of these pilots (all when None); raise NotFound for unknown keys."""
    query = select(Pilot.id, Pilot.key).order_by(col(Pilot.key))
    if pilots is None:
        return dict(session.exec(query).all())
    wanted = [pilots] if isinstance(pilots, str) else list(pilots)
    found = dict(session.exec(query.where(col(Pilot.key).in_(wanted))).all())
    missing = sorted(set(wanted) - set(found.values()))
    if missing:
        raise NotFound(f"no pilot {', '.join(repr(key) for key in missing)}")
    return found


def hypotheses(session: Session, *, window: Window | None = None) -> pd.DataFrame:
    """Return one row per hypothesis, with how many pilots test it."""
    counts = dict(session.exec(select(Pilot.hypothesis_id, func.count(col(Pilot.id)))
                               .group_by(col(Pilot.hypothesis_id))).all())
    rows = [{**_columns(hypothesis, HYPOTHESES), "sponsors": ", ".join(hypothesis.sponsors),
             "pilots": counts.get(hypothesis.id, 0)}
            for hypothesis in _run(session, select(Hypothesis).order_by(col(Hypothesis.key)),
                                   window)]
    return typed(rows, HYPOTHESES)


def pilots(session: Session, *, window: Window | None = None,
           stamped: bool = False) -> pd.DataFrame:
    """Return one row per pilot: plan, scope, status, team and spend so far."""
    schema = PILOTS_STAMPED if stamped else PILOTS
    names = {**_names(session, Channel, "channel"), **_names(session, Segment, "segment")}
    hypothesis_keys = dict(session.exec(select(Hypothesis.id, Hypothesis.key)).all())
    keys = dict(session.exec(select(Pilot.id, Pilot.key)).all())
    spend = spend_totals(session)
    teams = _teams(session)
    rows = [{**_columns(pilot, schema), "hypothesis": hypothesis_keys[pilot.hypothesis_id],
             "parent": keys.get(pilot.parent_id), "channel": names.get(("channel",
                                                                        pilot.channel_id)),
             "segment": names.get(("segment", pilot.segment_id)), "start": pilot.start_date,
             "end": pilot.end_date, "spend": float(spend.get(pilot.id) or 0.0),
             "team": teams.get(pilot.id, "")}
            for pilot in _run(session, select(Pilot).order_by(col(Pilot.key)), window)]
    return typed(rows, schema)


def metrics(session: Session, pilots: str | Iterable[str] | None = None, *,
            window: Window | None = None, stamped: bool = False) -> pd.DataFrame:
    """Return one row per metric of these pilots, in plan order."""
    ids, schema = pilot_ids(session, pilots), METRICS_STAMPED if stamped else METRICS
    query = (select(Metric, Pilot.updated_at).join(Pilot, col(Pilot.id) == col(Metric.pilot_id))
             .where(col(Metric.pilot_id).in_(list(ids)))
             .order_by(col(Metric.pilot_id), col(Metric.id)))
    rows = [{**_columns(metric, schema), "pilot": ids[metric.pilot_id],
             **({"updated_at": updated_at} if stamped else {})}
            for metric, updated_at in _run(session, query, window)]
    return typed(sorted(rows, key=lambda row: row["pilot"]), schema)


def observations(session: Session, pilots: str | Iterable[str] | None = None, *,
                 window: Window | None = None, stamped: bool = False) -> pd.DataFrame:
    """Return the logged observations with the CSV's columns, one row per natural key."""
    ids, schema = pilot_ids(session, pilots), OBSERVATIONS_STAMPED if stamped else OBSERVATIONS
    query = (select(Observation, Metric.key).join(Metric, col(Metric.id) ==
                                                  col(Observation.metric_id))
             .where(col(Observation.pilot_id).in_(list(ids))))
    rows = [{**_columns(observation, schema), "pilot": ids[observation.pilot_id],
             "metric": metric_key} for observation, metric_key in _run(session, query, window)]
    rows.sort(key=lambda row: tuple(str(row[name]) for name in list(OBSERVATIONS)[:5]))
    return typed(rows, schema)


def notes(session: Session, pilots: str | Iterable[str] | None = None, *,
          window: Window | None = None, stamped: bool = False) -> pd.DataFrame:
    """Return the qualitative notes of these pilots, oldest first."""
    return _evidence(session, Note, NOTES_STAMPED if stamped else NOTES, col(Note.noted_on),
                     pilots, window)


def spend(session: Session, pilots: str | Iterable[str] | None = None, *,
          window: Window | None = None, stamped: bool = False) -> pd.DataFrame:
    """Return the spend entries of these pilots, oldest first."""
    return _evidence(session, Spend, SPEND_STAMPED if stamped else SPEND,
                     col(Spend.spent_on), pilots, window)


def decisions(session: Session, pilots: str | Iterable[str] | None = None, *,
              window: Window | None = None, stamped: bool = False) -> pd.DataFrame:
    """Return the signed-off decisions of these pilots, oldest first (decided_at is the
    stamp: a decision is never edited)."""
    return _evidence(session, Decision, DECISIONS, col(Decision.decided_at), pilots, window)


def _evidence(session: Session, model: type, schema: dict, order, pilots,
              window: Window | None) -> pd.DataFrame:
    ids = pilot_ids(session, pilots)
    query = select(model).where(col(model.pilot_id).in_(list(ids))).order_by(order, col(model.id))
    rows = [{**_columns(entry, schema), "pilot": ids[entry.pilot_id]}
            for entry in _run(session, query, window)]
    return typed(rows, schema)


def _columns(row: object, schema: dict) -> dict:
    return {name: getattr(row, name) for name in schema if hasattr(row, name)}


def _names(session: Session, model: type, kind: str) -> dict[tuple[str, int], str]:
    return {(kind, entry_id): name
            for entry_id, name in session.exec(select(model.id, model.name)).all()}


def _teams(session: Session) -> dict[int, str]:
    members = defaultdict(list)
    for member in session.exec(select(TeamMember).order_by(col(TeamMember.id))):
        members[member.pilot_id].append(f"{member.name} ({member.function})")
    return {pilot_id: ", ".join(names) for pilot_id, names in members.items()}
