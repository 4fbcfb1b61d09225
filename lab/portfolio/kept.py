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

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from lab.caching import SharedLRU
from lab.pilots import version
from lab.portfolio.rows import PortfolioRow, build


@dataclass
class Portfolio:
    """The rows of one version of the portfolio, and what has been worked out from them."""

    rows: tuple[PortfolioRow, ...]
    # A page's selections and counts, the programme figures, each row's HTML: pure
    # functions of the rows. Room for every row twice and 64 other things.
    _derived: SharedLRU[Hashable, Any] = field(init=False)

    def __post_init__(self) -> None:
        self._derived = SharedLRU(64 + 2 * len(self.rows))

    def derived(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """Return make(), worked out once for these rows (`key` names what it is)."""
        found = self._derived.get(key)
        if found is None:
            found = make()
            self._derived.put(key, found)
        return found


# A few versions per process: the current one, and the one a slow request still reads.
_kept: SharedLRU[tuple, Portfolio] = SharedLRU(4)


def portfolio(session: Session, today: date | None = None) -> Portfolio:
    """Return the portfolio of `build(session, today)`, kept from a read of the same version."""
    today = today or date.today()
    # Read before the rows: on PostgreSQL (READ COMMITTED) a write committed in between
    # makes the rows newer than the version they are kept under, never older.
    found = version.current(session)
    if found is None:  # a database made without the migrations: nothing to key on
        return Portfolio(tuple(build(session, today)))
    key = (session.get_bind().url.render_as_string(hide_password=True), *found, today)
    kept = _kept.get(key)
    if kept is None:
        kept = Portfolio(tuple(build(session, today)))
        _kept.put(key, kept)
    return kept


def rows(session: Session, today: date | None = None) -> tuple[PortfolioRow, ...]:
    """Return `build(session, today)`, kept from an earlier read of the same version."""
    return portfolio(session, today).rows


def forget() -> None:
    """Drop every kept portfolio (the tests' and benchmarks' cold start)."""
    _kept.clear()
