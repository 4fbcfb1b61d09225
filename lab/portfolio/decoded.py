"""The stored summaries, each decoded once per process for the stamp the database gives it.

After a write the portfolio is built again (`lab.portfolio.kept`), and decoding every
pilot's JSON summary is most of that: ten thousand of them take a second. A stored
answer is rewritten whole with a new `computed_at` and the `inputs` it was computed
from, so (pilot, computed_at, inputs) names one summary for good: each read fetches
those stamps (small columns, before the document in the row), and fetches and decodes
only the summaries this process has not seen yet. The database still decides what is
current; the memory only saves decoding the same text twice.

The decoded summaries are shared: whoever reads them must not change them (the rows
copy what they add to, `with_thresholds`).
"""

from __future__ import annotations

import json

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from lab.caching import SharedLRU
from lab.models import Pilot, StoredRecommendation

CHUNK = 500  # ids per IN list
_decoded: SharedLRU[tuple, dict] = SharedLRU(20_000)  # a portfolio's worth, and more


def summaries(session: Session) -> dict[str, dict]:
    """Return every stored summary, by pilot key in key order (`stored.documents`' form)."""
    # The connection, not the ORM session: plain rows, and the time as the database
    # writes it (no timestamp parsed ten thousand times).
    connection = session.connection()
    stamps = connection.execute(
        select(Pilot.key, StoredRecommendation.pilot_id, _text(StoredRecommendation.computed_at),
               StoredRecommendation.inputs)
        .join(StoredRecommendation, col(StoredRecommendation.pilot_id) == Pilot.id)
        .order_by(col(Pilot.key))).all()
    named = {key: (pilot_id, at, inputs) for key, pilot_id, at, inputs in stamps}
    found = _decoded.get_many(named.values())
    wanted = [stamp[0] for stamp in named.values() if stamp not in found]
    fresh: dict[int, dict] = {}
    for start in range(0, len(wanted), CHUNK):
        for pilot_id, at, inputs, text in connection.execute(
                select(StoredRecommendation.pilot_id, _text(StoredRecommendation.computed_at),
                       StoredRecommendation.inputs, StoredRecommendation.summary)
                .where(col(StoredRecommendation.pilot_id).in_(wanted[start:start + CHUNK]))):
            fresh[pilot_id] = json.loads(text)
            _decoded.put((pilot_id, at, inputs), fresh[pilot_id])
    # On PostgreSQL (READ COMMITTED) a row rewritten between the two statements comes
    # back newer than its stamp: the newer answer is read, as any statement would.
    return {key: found[stamp] if stamp in found else fresh[stamp[0]]
            for key, stamp in named.items() if stamp in found or stamp[0] in fresh}


def _text(column):
    return cast(column, String)
