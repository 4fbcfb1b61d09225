"""Computing the stored recommendations: on each write, on a read that finds none, in bulk.

The storage and the bookkeeping of which pilots a write changed live in
`lab.pilots.stored`; this module adds the one thing that layer cannot do, running the
analysis, and installs it as the refresher every commit runs (importing this module is
enough: `lab.portfolio` imports it, and so does everything that reads a portfolio).

Memory stays bounded by the batch, not by the rows: a refresh reads the period
summaries of at most BATCH pilots at a time (one row per pilot, metric, arm and period,
aggregated in SQL), so a full refresh of 5 M observation rows holds one batch's summary
rows at once (78,000 for 500 pilots of 156 rows), never the whole table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from lab import db
from lab.analysis.pipeline import cyclic_gc_paused, recommend_pilots
from lab.models import Pilot
from lab.pilots import firings, stored
from lab.pilots.reads import data_versions
from lab.vocabulary import Status

log = logging.getLogger(__name__)
# Pilots per refresh step: ~500 × 3 metrics × 26 weeks × 2 arms summary rows. Each step
# has a fixed cost (the queries, pandas' and numpy's per-call overheads, one boundary
# solve per node count): on 1,000 pilots 500 ran 3% fewer instructions than 250 (valgrind;
# CPU times under load were too noisy to tell), for some 70 MB more at the peak (1,000 at
# once: ~200 MB more, past the 400 MB target).
BATCH = 500


def refresh(session: Session, pilot_ids: list[int] | None = None, *,
            progress: Callable[[int], None] | None = None) -> int:
    """Recompute and store the answers of these pilots (default: all), in batches.

    Runs in the caller's write transaction. Drafts and unknown ids lose any stored
    answer. Returns how many answers were stored.
    """
    if pilot_ids is None:
        pilot_ids = list(session.exec(select(Pilot.id).order_by(col(Pilot.id))))
    done = 0
    for start in range(0, len(pilot_ids), BATCH):
        batch = sorted(pilot_ids[start:start + BATCH])
        # Paused for the whole batch, not only its analysis: the answers' dicts (a
        # thousand pilots' look histories) set off full collections too, ~8% of a refresh.
        with cyclic_gc_paused():
            done += _refresh_batch(session, batch)
        if progress is not None:
            progress(len(batch))
    return done


def _refresh_batch(session: Session, pilot_ids: list[int]) -> int:
    stored.lock(session, pilot_ids)
    # Read after the lock: on PostgreSQL this statement sees every earlier refresher's rows.
    pilots = dict(session.exec(select(Pilot.key, Pilot.id).where(
        col(Pilot.id).in_(pilot_ids), Pilot.status != Status.draft)).all())
    stored.forget(session, set(pilot_ids) - set(pilots.values()))
    if not pilots:
        return 0
    found = recommend_pilots(session, sorted(pilots))
    inputs = data_versions(session, list(pilots.values()))
    answers = {}
    for key, recommendation in found.items():
        document = recommendation.to_dict()
        answers[pilots[key]] = (document["outcome"], document, inputs[pilots[key]])
    stored.save(session, answers)
    # Every refresh reads the stand-by rules against the answer it stored.
    firings.fire(session, {pilot_id: document for pilot_id, (_, document, _) in answers.items()})
    return len(answers)


def fill(session: Session, keys: list[str] | None = None) -> dict[str, dict]:
    """Compute the answers a read found missing (after an upgrade, or a bare-layer write).

    A reading session cannot write, so the answers are stored by a write transaction
    of their own (when the database lets one in at once) and returned as computed,
    which is what that transaction committed. Returns {} when nothing is missing.
    """
    ids = stored.missing(session, keys)
    if not ids:
        return {}
    bind = session.get_bind()
    if bind.get_execution_options().get("lab_write"):
        refresh(session, ids)  # already a write transaction: store in it
        return stored.documents(session, _keys(session, ids))
    try:
        with db.writing(bind.execution_options(lab_wait=1)) as writer:
            refresh(writer, ids)
            return stored.documents(writer, _keys(writer, ids))
    except (db.DatabaseBusy, SQLAlchemyError):
        # Another write holds the lock, or this connection may only read (a notebook's
        # read-only role): answer from a computation, store nothing.
        found = recommend_pilots(session, _keys(session, ids))
        return {key: recommendation.to_dict() for key, recommendation in found.items()}


def _keys(session: Session, ids: list[int]) -> list[str]:
    return list(session.exec(select(Pilot.key).where(col(Pilot.id).in_(ids))))


def _refresh_touched(session: Session, pilot_ids: list[int]) -> None:
    """Refresh before a commit; an analysis that fails must not block the write.

    A database error goes up (the write fails whole, as it should). Anything else is
    the analysis failing on this data: the pilots' stored answers are deleted instead,
    so a read computes them and reports that failure where it used to, on the page.
    """
    try:
        refresh(session, pilot_ids)
    except SQLAlchemyError:
        raise
    except Exception:
        log.exception("could not refresh the recommendations of pilots %s", pilot_ids)
        stored.forget(session, pilot_ids)


stored.install(_refresh_touched)
