"""The stored summaries, each decoded once per process for the stamp the database gives it.

After a write the portfolio is built again (`lab.portfolio.kept`), and decoding every
pilot's JSON summary is most of that: ten thousand of them take a second. A stored
answer is rewritten whole with a new `computed_at` and the `inputs` it was computed
from, so (pilot, computed_at, inputs) names one summary for good: each read fetches
those stamps (small columns, before the document in the row), and fetches and decodes
only the summaries this process has not seen yet. The database still decides what is
current; the memory only saves decoding the same text twice.

What is kept is the summary as the rows hold it, its plan's thresholds added
(`with_thresholds`), under the stamp and those thresholds: the rows share it rather
than each holding a copy beside the decoded original, so a summary's memory is held
once per pilot, not twice (the portfolio read's memory grows with the pilots by this).

The summaries are shared: whoever reads them must not change them (the rows copy the
outer dict to add the q-value).
"""

from __future__ import annotations

import json
import sys

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from lab.caching import SharedLRU
from lab.models import Pilot, StoredRecommendation
from lab.portfolio.measures import THRESHOLDS, with_thresholds

CHUNK = 500  # ids per IN list
_decoded: SharedLRU[tuple, dict] = SharedLRU(20_000)  # a portfolio's worth, and more


def summaries(session: Session, planned: dict[int, list[dict]]) -> dict[str, dict]:
    """Return every stored summary with its plan's thresholds, by pilot key in key order.

    `planned` is `lab.pilots.reads.planned_metrics`; each summary is
    `with_thresholds(summary, {"metrics": planned[pilot_id]})`.
    """
    # The connection, not the ORM session: plain rows, and the time as the database
    # writes it (no timestamp parsed ten thousand times).
    connection = session.connection()
    stamps = connection.execute(
        select(Pilot.key, StoredRecommendation.pilot_id, _text(StoredRecommendation.computed_at),
               StoredRecommendation.inputs)
        .join(StoredRecommendation, col(StoredRecommendation.pilot_id) == Pilot.id)
        .order_by(col(Pilot.key))).all()
    named = {key: (pilot_id, at, inputs, _thresholds(planned.get(pilot_id, [])))
             for key, pilot_id, at, inputs in stamps}
    found = _decoded.get_many(named.values())
    wanted = {stamp[0]: stamp[3] for stamp in named.values() if stamp not in found}
    ids = list(wanted)
    fresh: dict[int, dict] = {}
    for start in range(0, len(ids), CHUNK):
        for pilot_id, at, inputs, text in connection.execute(
                select(StoredRecommendation.pilot_id, _text(StoredRecommendation.computed_at),
                       StoredRecommendation.inputs, StoredRecommendation.summary)
                .where(col(StoredRecommendation.pilot_id).in_(ids[start:start + CHUNK]))):
            fresh[pilot_id] = with_thresholds(_shared(json.loads(text)),
                                              {"metrics": planned.get(pilot_id, [])})
            _decoded.put((pilot_id, at, inputs, wanted[pilot_id]), fresh[pilot_id])
    # On PostgreSQL (READ COMMITTED) a row rewritten between the two statements comes
    # back newer than its stamp: the newer answer is read, as any statement would.
    return {key: found[stamp] if stamp in found else fresh[stamp[0]]
            for key, stamp in named.items() if stamp in found or stamp[0] in fresh}


def _thresholds(metrics: list[dict]) -> tuple:
    # Everything of the plan `with_thresholds` reads: a changed label or minimum effect
    # is another key, so the kept summary always carries the plan's current thresholds.
    return tuple((metric.get("key"), *(metric.get(name) for name in THRESHOLDS))
                 for metric in metrics)


def _shared(value):
    """Return the decoded value with its text shared with the other summaries'.

    Every summary repeats the same words (a metric's key, role and kind, the sentence
    naming its method), and the portfolio holds one summary per pilot: interned, each
    word is held once for all of them, not once per pilot (a third of a summary's
    memory). Interned text is dropped with its last summary.
    """
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        return {sys.intern(key): _shared(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shared(item) for item in value]
    return value


def _text(column):
    return cast(column, String)
