"""What every table shares: UTC timestamps and value lists enforced by the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime
from sqlmodel import Field, SQLModel

from lab import vocabulary
from lab.vocabulary import (
    Analysis,
    Arm,
    Design,
    Direction,
    Function,
    Kind,
    NoteKind,
    Outcome,
    Phase,
    Process,
    Role,
    Status,
    UserRole,
    values,
)

# Deterministic constraint names, so migrations can name what they alter on both
# engines (SQLite batch mode recreates tables and needs the names). Check constraints
# are named explicitly where they are declared.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """Return a stored timestamp with its UTC zone, which SQLite does not keep."""
    # Every timestamp is written in UTC, so a naive one read back is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def timestamp(**kwargs) -> datetime:
    """Declare a timezone-aware timestamp column that defaults to now."""
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kwargs)


def one_of(column: str, allowed: Iterable[str], name: str) -> CheckConstraint:
    """Constrain a text column to a vocabulary's values, in the database itself."""
    listed = ", ".join(f"'{value}'" for value in map(str, allowed))
    return CheckConstraint(f"{column} IN ({listed})", name=name)


# The vocabulary as plain lists, as the reports' categories read them.
PROCESSES = values(Process)
DESIGNS = values(Design)
ANALYSES = values(Analysis)
KINDS = values(Kind)
ROLES = values(Role)
DIRECTIONS = values(Direction)
ARMS = values(Arm)
PHASES = values(Phase)
STATUSES = values(Status)
TERMINAL = [str(status) for status in vocabulary.TERMINAL]
OUTCOMES = values(Outcome)
NOTE_KINDS = values(NoteKind)
USER_ROLES = values(UserRole)
FUNCTIONS = values(Function)
