"""The stored answers, read with SQLAlchemy Core alone: what `lab check` needs to start fast.

`lab.pilots.stored` writes the answers and keeps them current (it needs the ORM and the
models); reading them needs neither, so the reads live here and `lab.pilots.stored`
re-exports them. The tables are named by the few columns read, as lightweight
expressions of SQLAlchemy Core: importing `lab.models` (SQLModel, pydantic and the ORM)
would cost `lab check` more start-up than everything else it does
(tests/test_startup.py; tests/db/test_stored.py holds these names to the models).
"""

from __future__ import annotations

import json

from sqlalchemy import column, select, table

from lab.vocabulary import Status

STORED = table("stored_recommendation", column("pilot_id"), column("document"),
               column("summary"))
PILOT = table("pilot", column("id"), column("key"), column("status"))


def documents(connection, keys: list[str] | None = None, *,
              full: bool = True) -> dict[str, dict]:
    """Return the stored `to_dict()` of every pilot that has one (or of these keys), by key.

    In pilot key order; ``full=False`` gives the summaries (no look histories). Only
    the JSON is decoded: no analysis runs, so this is all a read costs, whatever the
    number of observation rows. ``connection`` is a Connection or a Session.
    """
    return {key: json.loads(text) for key, text in texts(connection, keys, full=full).items()}


def texts(connection, keys: list[str] | None = None, *, full: bool = True) -> dict[str, str]:
    """Return the stored answers as their JSON text, undecoded, as `documents` reads them."""
    column = STORED.c.document if full else STORED.c.summary
    query = (select(PILOT.c.key, column).join(STORED, STORED.c.pilot_id == PILOT.c.id)
             .order_by(PILOT.c.key))
    if keys is not None:
        query = query.where(PILOT.c.key.in_(keys))
    return dict(connection.execute(query).all())


def missing(connection, keys: list[str] | None = None) -> list[int]:
    """Return the ids of the pilots past draft (or of these keys) with no stored answer."""
    query = (select(PILOT.c.id).outerjoin(STORED, STORED.c.pilot_id == PILOT.c.id)
             .where(STORED.c.pilot_id.is_(None), PILOT.c.status != str(Status.draft))
             .order_by(PILOT.c.id))
    if keys is not None:
        query = query.where(PILOT.c.key.in_(keys))
    return list(connection.execute(query).scalars())


def known_keys(connection, keys: list[str]) -> set[str]:
    """Return which of these keys name a pilot."""
    return set(connection.execute(select(PILOT.c.key).where(PILOT.c.key.in_(keys)))
               .scalars())
