"""Sign-in throttling: attempts counted per account, per client address, per known browser.

An attempt first counts itself under each of its keys, one upsert per key that adds one
and returns the new count, and goes ahead only while every count is within its limit.
Because the count is taken and raised in the same statement, simultaneous guesses get
consecutive counts and no more than the limit reach the password check, on SQLite and on
PostgreSQL alike. A successful sign-in clears its account's (or browser's) count and
takes its own attempt back from the address's. A count starts again once its window
has passed.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from lab.models import LoginThrottle
from lab.models.base import utcnow

THROTTLE = LoginThrottle.__table__


@dataclass(frozen=True)
class Throttle:
    """How sign-ins are throttled: limits per window, and the key that blinds unknown emails."""

    account: int  # failed sign-ins per account from browsers it has not signed in from
    address: int  # failed sign-ins per client address, across accounts
    window_seconds: int
    secret: str  # an unknown email is counted under a keyed hash of it, never its text


@dataclass(frozen=True)
class KnownBrowser:
    """A browser that has signed in to an account before, as its signed cookie says."""

    user_id: int
    browser: str  # the random name the cookie gave that browser


def keys_for(user_id: int | None, email: str, address: str, browser: KnownBrowser | None,
             throttle: Throttle) -> dict[str, int]:
    """Return the keys a sign-in attempt counts under, each with its limit."""
    if user_id is not None and browser is not None and browser.user_id == user_id:
        # The rightful user's own browser: others' guesses never hold it back.
        return {f"browser:{browser.browser}": throttle.account}
    # An email that names no account is counted all the same, so that throttling does
    # not tell which accounts exist, but under a keyed hash rather than what was typed.
    account = email if user_id is not None else "#" + hmac.new(
        throttle.secret.encode(), email.encode(), hashlib.sha256).hexdigest()[:40]
    return {f"account:{account}": throttle.account, f"address:{address}": throttle.address}


def _upsert(session: Session):
    """Return the INSERT of this session's dialect, which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(THROTTLE)


def count(session: Session, key: str, window_seconds: int) -> tuple[int, int]:
    """Count one attempt under a key; return the attempts in its window and the seconds left."""
    now = utcnow()
    expired = THROTTLE.c.since < now - timedelta(seconds=window_seconds)
    statement = _upsert(session).values(key=key, attempts=1, since=now)
    statement = statement.on_conflict_do_update(
        index_elements=[THROTTLE.c.key],
        set_={"attempts": case((expired, 1), else_=THROTTLE.c.attempts + 1),
              "since": case((expired, now), else_=THROTTLE.c.since)},
    ).returning(THROTTLE.c.attempts, THROTTLE.c.since)
    attempts, since = session.execute(statement).one()
    since = since if since.tzinfo else since.replace(tzinfo=UTC)  # SQLite drops the zone
    left = since + timedelta(seconds=window_seconds) - now
    return attempts, max(1, int(left.total_seconds()))


def attempt(session: Session, limits: dict[str, int], window_seconds: int) -> int:
    """Count an attempt under every key; return 0 to go ahead, else the seconds to wait."""
    waits = []
    for key, limit in sorted(limits.items()):  # one order everywhere: no lock cycles
        attempts, left = count(session, key, window_seconds)
        if attempts > limit:
            waits.append(left)
    return max(waits, default=0)


def clear(session: Session, key: str) -> None:
    """Forget a key's attempts."""
    session.execute(delete(THROTTLE).where(THROTTLE.c.key == key))


def take_back(session: Session, key: str) -> None:
    """Uncount one attempt under a key (a success, which is no failure)."""
    session.execute(update(THROTTLE).where(THROTTLE.c.key == key, THROTTLE.c.attempts > 0)
                    .values(attempts=THROTTLE.c.attempts - 1))


def forget_expired(session: Session, window_seconds: int) -> None:
    """Delete the counts whose window has passed, so the table stays small.

    Call it after `attempt`: it skips rows other sign-ins hold (PostgreSQL) and so never
    waits, which keeps it out of any lock cycle.
    """
    cutoff = datetime.now(UTC) - timedelta(seconds=window_seconds)
    stale = select(THROTTLE.c.key).where(THROTTLE.c.since < cutoff) \
        .with_for_update(skip_locked=True)
    session.execute(delete(THROTTLE).where(THROTTLE.c.key.in_(stale.scalar_subquery())))
