"""What every table shares: UTC timestamps and value lists enforced by the database."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime
from sqlmodel import Field, SQLModel

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


def one_of(column: str, values: list[str], name: str) -> CheckConstraint:
    """Constrain a text column to a fixed list of values, in the database itself."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=name)


PROCESSES = ["acquisition", "onboarding", "development", "retention", "win-back",
             "service", "product-co-creation", "voice-of-the-customer"]
DESIGNS = ["holdout", "diff-in-diff", "baseline"]
ANALYSES = ["sequential", "always-valid", "fixed"]
KINDS = ["proportion", "mean", "rate"]
ROLES = ["primary", "guardrail", "secondary"]
DIRECTIONS = ["increase", "decrease"]
ARMS = ["pilot", "control"]
PHASES = ["before", "during"]
STATUSES = ["draft", "running", "scaled_up", "revised", "withdrawn"]
TERMINAL = ["scaled_up", "revised", "withdrawn"]
OUTCOMES = ["scale_up", "revise", "withdraw", "continue"]
NOTE_KINDS = ["customer-voice", "frontline-voice", "focus-group", "observation", "risk"]
USER_ROLES = ["viewer", "member", "analyst", "manager", "admin"]
FUNCTIONS = ["marketing", "sales", "service", "it", "compliance", "product", "analytics",
             "management"]
