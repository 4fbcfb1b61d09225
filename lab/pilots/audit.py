"""The append-only audit log: who did what to which object, when, before and after."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select

from lab.models import AuditEvent
from lab.models.governance import AppendOnlyError

__all__ = ["AppendOnlyError", "events", "jsonable", "record"]


def jsonable(value: Any) -> Any:
    """Return the value as plain JSON types: dates as ISO text, NaN as None."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def record(session: Session, *, actor: str, action: str, object_type: str,
           object_key: str, before: Any = None, after: Any = None) -> AuditEvent:
    """Append one audit event to the session (the caller's transaction commits it)."""
    audit_event = AuditEvent(actor=actor, action=action, object_type=object_type,
                             object_key=str(object_key), before=jsonable(before),
                             after=jsonable(after))
    session.add(audit_event)
    session.flush()
    return audit_event


def events(session: Session, *, object_key: str | None = None,
           action: str | None = None) -> list[AuditEvent]:
    """Return audit events in the order they happened, optionally filtered."""
    query = select(AuditEvent).order_by(col(AuditEvent.id))
    if object_key is not None:
        query = query.where(AuditEvent.object_key == object_key)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(session.exec(query))

