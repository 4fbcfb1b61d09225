"""The one place answers come from: pilots in the database -> recommendations.

The web pages, the API, the CLI, the notebooks and the reports all call
recommend_pilots, so they can never disagree.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlmodel import Session, col, select

from lab.analysis.aggregate import period_summaries
from lab.analysis.recommend import recommend_portfolio
from lab.analysis.recommendation import Recommendation
from lab.models import Pilot


def recommend_pilots(session: Session, keys: list[str] | None = None,
                     as_of: date | None = None) -> dict[str, Recommendation]:
    """Return the recommendation of every pilot past draft, or of those keys, by key.

    Drafts are left out (they have no data), so `.get(key)` is None for one; an unknown
    key raises LookupError. The summaries are aggregated in SQL and the statistics run
    over the whole portfolio in one pass.
    """
    pilots = _pilots(session, keys)
    if not pilots:
        return {}
    with _cyclic_gc_paused():
        summaries = period_summaries(session, [pilot.key for pilot in pilots])
        found = recommend_portfolio([pilot.plan for pilot in pilots], summaries, as_of)
    return {pilot.key: found[pilot.key] for pilot in pilots}


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a portfolio is checked.

    Checking 1,000 pilots allocates hundreds of thousands of short-lived tuples and
    floats, none in reference cycles (reference counting frees them); each allocation
    burst would otherwise set off full passes over the whole heap, about a sixth of the
    check's time. Only the caller that paused the collector resumes it, so concurrent
    requests in a threaded server leave it running as it was.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _pilots(session: Session, keys: list[str] | None) -> list[Pilot]:
    """Return the pilots to check, in key order."""
    query = select(Pilot).where(Pilot.status != "draft").order_by(col(Pilot.key))
    if keys is None:
        return list(session.exec(query))
    keys = list(keys)
    known = set(session.exec(select(Pilot.key).where(col(Pilot.key).in_(keys))))
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise LookupError(f"no pilot '{unknown[0]}'")
    return list(session.exec(query.where(col(Pilot.key).in_(keys))))
