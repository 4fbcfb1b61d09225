"""The portfolio's rows kept between requests, per lab version read from the database.

Building the rows reads and decodes every pilot's stored answer: tens of milliseconds
for a thousand pilots, ten times that for ten thousand. The web reads the portfolio on
every page, so each process keeps the rows it built under the key of the data they
were built from: the database, the lab's version (`lab.pilots.version`, read in the
same snapshot before the rows are) and the day (days left and overdue change with it).
Every request reads the version afresh, so a write committed by any process on any
host is seen by the next read everywhere; nothing is trusted to one process's memory,
only remembered by it.

The rows are shared by the requests that find them: whoever reads them must not change
them (the pages, the CSV export and the chart only read).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from lab.caching import SharedLRU
from lab.pilots import version
from lab.portfolio.rows import PortfolioRow, build

# A few versions per process: the current one, and the one a slow request still reads.
_kept: SharedLRU[tuple, tuple[PortfolioRow, ...]] = SharedLRU(4)


def rows(session: Session, today: date | None = None) -> tuple[PortfolioRow, ...]:
    """Return `build(session, today)`, kept from an earlier read of the same version."""
    today = today or date.today()
    # Read before the rows: on PostgreSQL (READ COMMITTED) a write committed in between
    # makes the rows newer than the version they are kept under, never older.
    found = version.current(session)
    if found is None:  # no write yet since the upgrade: nothing to key on
        return tuple(build(session, today))
    key = (session.get_bind().url.render_as_string(hide_password=True), *found, today)
    kept = _kept.get(key)
    if kept is None:
        kept = tuple(build(session, today))
        _kept.put(key, kept)
    return kept


def forget() -> None:
    """Drop every kept portfolio (the tests' and benchmarks' cold start)."""
    _kept.clear()
