"""Computing the stored recommendations: on each write, on a read that finds none, in bulk.

The storage and the bookkeeping of which pilots a write changed live in
`lab.pilots.stored`; this module adds the one thing that layer cannot do, running the
analysis, and installs it as the refresher every commit runs (importing this module is
enough: `lab.portfolio` imports it, and so does everything that reads a portfolio).

Memory stays bounded by the batch, not by the rows: a refresh reads the period
summaries of at most BATCH pilots at a time (one row per pilot, metric, arm and period,
aggregated in SQL), so a full refresh of 5 M observation rows holds one batch's summary
rows at once (78,000 for 500 pilots of 156 rows), never the whole table.

A large refresh (`lab refresh`, a big `lab import`) uses every core: the parent reads
each batch's inputs and stores its answers, all in its one transaction, and the
engine's part of each batch (parsing the plans, framing the summaries, the statistics,
encoding the answers) runs in a forked worker (`lab.forked`) while the parent reads the
next. The answers are those a refresh in place stores, to the byte (the same code on
the same inputs; tests/db/test_forked_refresh.py holds it to that).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import orjson
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from lab import config, db, forked
from lab.analysis.pipeline import (
    Inputs,
    cyclic_gc_paused,
    read_inputs,
    recommend_pilots,
    recommend_portfolio,
)
from lab.models import Pilot
from lab.pilots import firings, stored
from lab.pilots.reads import data_versions
from lab.stats import sequential
from lab.vocabulary import Status

log = logging.getLogger(__name__)
# Pilots per refresh step: ~500 × 3 metrics × 26 weeks × 2 arms summary rows. Each step
# has a fixed cost (the queries, pandas' and numpy's per-call overheads, one boundary
# solve per node count): on 1,000 pilots 500 ran 3% fewer instructions than 250 (valgrind;
# CPU times under load were too noisy to tell), for some 70 MB more at the peak (1,000 at
# once: ~200 MB more, past the 400 MB target).
BATCH = 500


# A refresh of this many pilots or more computes its batches in forked workers, smaller
# ones (a write's few pilots) in place. Each worker solves the boundaries its parent did
# not know yet (a new process knows none), and a fork costs ~5 ms: from a cold boundary
# cache, 400 pilots took 0.60 s forked against 0.63 s in place, 200 took 0.37 against
# 0.34 s, 1,000 took 1.2–1.3 against 1.6–1.7 s (2 cores).
FORK_FROM = 400


@dataclass
class _Batch:
    """One refresh step's pilots, read inside the transaction: the engine's inputs."""

    ids: dict[str, int]  # by key, drafts left out
    inputs: Inputs | None  # let go once decoded
    asked: int  # how many pilots the step was given, drafts and unknown ids counted


def refresh(session: Session, pilot_ids: list[int] | None = None, *,
            progress: Callable[[int], None] | None = None, workers: int | None = None) -> int:
    """Recompute and store the answers of these pilots (default: all), in batches.

    Runs in the caller's write transaction. Drafts and unknown ids lose any stored
    answer. Returns how many answers were stored. `workers` (default LAB_REFRESH_WORKERS,
    0 meaning one per core) is how many batches compute at once, each in a forked child
    (`lab.forked`), when there are at least FORK_FROM pilots and this process may fork.
    """
    if pilot_ids is None:
        pilot_ids = list(session.exec(select(Pilot.id).order_by(col(Pilot.id))))
    workers = _workers(len(pilot_ids), workers)
    # Forked, the batches are smaller, so that each worker has one to start on and the
    # parent's reads of the next overlap the workers' computing.
    size = BATCH if workers == 1 else min(BATCH, -(-len(pilot_ids) // (2 * workers)))
    batches = [sorted(pilot_ids[start:start + size])
               for start in range(0, len(pilot_ids), size)]
    report = progress or _unreported
    if workers == 1:
        return sum(_refresh_here(session, batch, report) for batch in batches)
    return _refresh_forked(session, batches, workers, report)


def _unreported(_pilots: int) -> None:
    """Where nobody asked for progress."""


def _workers(pilots: int, asked: int | None) -> int:
    """Return how many batches to compute at once: 1 unless forking pays and is safe.

    Asked for none, a refresh forks from FORK_FROM pilots, LAB_REFRESH_WORKERS of them.
    """
    if asked is None:
        if pilots < FORK_FROM:
            return 1
        asked = config.load().refresh_workers
    workers = min(asked or forked.cores(), pilots)
    return workers if workers > 1 and forked.usable() else 1


def _refresh_here(session: Session, pilot_ids: list[int],
                  progress: Callable[[int], None]) -> int:
    # Paused for the whole batch, not only its analysis: the answers' dicts (a
    # thousand pilots' look histories) set off full collections too, ~8% of a refresh.
    with cyclic_gc_paused():
        batch = _read(session, pilot_ids)
        done = 0 if batch is None else _store(session, batch.ids, _answers(batch))
    progress(len(pilot_ids))
    return done


def _refresh_forked(session: Session, batches: list[list[int]], workers: int,
                    progress: Callable[[int], None]) -> int:
    """Read each batch here, compute it in a forked child, store its answers here.

    At most `workers` children compute at once; the parent reads the next batch while
    they do. Batches are stored in the order they were read, so the locks, the writes
    and the stand-by firings happen as in place, batch after batch.
    """
    # Only the ids stay here once a worker has the batch: its inputs are the worker's
    # now, so the parent holds one batch's summary rows at a time, as in place.
    running: deque[tuple[dict[str, int], int, forked.Child, dict[int, str]]] = deque()
    done = 0

    def store_oldest() -> int:
        ids, asked, child, versions = running.popleft()
        answers, solved = child.result()
        sequential.remember(solved)  # later children start with them
        with cyclic_gc_paused():
            stored_count = _store(session, ids, answers, versions)
        progress(asked)
        return stored_count

    try:
        for pilot_ids in batches:
            with cyclic_gc_paused():
                batch = _read(session, pilot_ids)
            if batch is None:
                progress(len(pilot_ids))
                continue
            child = forked.Child(_answers_and_boundaries, batch)
            # The inputs' versions are read while the worker computes (a scan of the
            # batch's rows: 1 s of a million-row import's refresh). Nothing changes
            # them before this batch is stored: the stand-by rules an earlier batch
            # fires pause only that batch's pilots.
            versions = data_versions(session, list(batch.ids.values()))
            running.append((batch.ids, batch.asked, child, versions))
            del batch, child
            if len(running) >= workers:
                done += store_oldest()
        while running:
            done += store_oldest()
    finally:
        for _, _, child, _ in running:
            child.cancel()
    return done


def _read(session: Session, pilot_ids: list[int]) -> _Batch | None:
    """Lock these pilots, forget the drafts' answers, read the rest's inputs (or None)."""
    stored.lock(session, pilot_ids)
    # Read after the lock: on PostgreSQL this statement sees every earlier refresher's rows.
    pilots = dict(session.exec(select(Pilot.key, Pilot.id).where(
        col(Pilot.id).in_(pilot_ids), Pilot.status != Status.draft)).all())
    stored.forget(session, set(pilot_ids) - set(pilots.values()))
    if not pilots:
        return None
    # An import that just wrote all these pilots' rows hands them over (stored.give).
    return _Batch(pilots, read_inputs(session, sorted(pilots), stored.given(session)),
                  len(pilot_ids))


def _answers(batch: _Batch) -> dict[str, tuple[str, str, str]]:
    """Compute the batch's answers as stored: (outcome, JSON, summary JSON) by pilot key."""
    plans, summaries = batch.inputs.decoded()
    # Framed, the rows as read are not needed again: a batch of long pilots (400 × 417
    # weekly looks) held both through the statistics and peaked at 1 GB, not 0.6.
    batch.inputs = None
    found = recommend_portfolio(plans, summaries)
    answers = {}
    for key, recommendation in found.items():
        document = recommendation.to_dict()
        answers[key] = (document["outcome"], *stored.encode(document))
    return answers


def _answers_and_boundaries(batch: _Batch) -> tuple[dict[str, tuple[str, str, str]], dict]:
    """In a forked child: the answers, and the boundaries it solved (the parent keeps them)."""
    known = sequential.cached().keys()
    with cyclic_gc_paused():
        answers = _answers(batch)
    return answers, {key: value for key, value in sequential.cached().items()
                     if key not in known}


def _store(session: Session, ids: dict[str, int], answers: dict[str, tuple[str, str, str]],
           versions: dict[int, str] | None = None) -> int:
    """Store the batch's answers with the inputs they were computed from (`versions`, or
    read now); fire rules."""
    if versions is None:
        versions = data_versions(session, list(ids.values()))
    kept = {ids[key]: (*answer, versions[ids[key]])
            for key, answer in answers.items()}
    stored.save(session, kept)
    # Every refresh reads the stand-by rules against the answer it stored, as stored.
    firings.fire(session, _Decoded({pilot_id: text for pilot_id, (_, text, _, _)
                                    in kept.items()}))
    return len(kept)


class _Decoded(Mapping):
    """Stored answers by pilot id, each decoded when read: few pilots have stand-by rules."""

    def __init__(self, texts: dict[int, str]):
        self._texts = texts

    def __getitem__(self, pilot_id: int) -> dict:
        return orjson.loads(self._texts[pilot_id])

    def __iter__(self) -> Iterator[int]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)


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
