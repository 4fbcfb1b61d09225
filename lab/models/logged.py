"""What a running pilot accumulates: observations, spend and qualitative notes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKeyConstraint, Index
from sqlmodel import Field, SQLModel

from lab.kinds import KIND_VALUES, VALUE_COLUMNS, ValueColumn
from lab.models.base import one_of, timestamp
from lab.vocabulary import Arm, NoteKind, Phase


def _filled(kind: str) -> str:
    """Return SQL that holds when exactly this kind's value columns are filled."""
    return " AND ".join(
        f"{column} IS {'NOT ' if column in VALUE_COLUMNS[kind] else ''}NULL"
        for columns in VALUE_COLUMNS.values() for column in columns)


# Exactly one kind's columns per row: a row can never mix proportion and mean values.
_ONE_KIND = " OR ".join(f"({_filled(kind)})" for kind in VALUE_COLUMNS)


def _bounded(column: ValueColumn) -> CheckConstraint | None:
    """Return the CHECK of a value column's signs, or None if it has none.

    The database keeps the signs (no negative count, sd or exposure) and successes
    within trials. The magnitudes (`most`, and a negative `least` such as the mean's)
    are kept by every entrance, which all read `lab.kinds`: the full check, the fast
    path, the API schema and the summaries' frame.
    """
    name = column.name
    least = column.least if column.least is not None and column.least >= 0 else None
    bounds = ((">=", least), (">", column.above), ("<=", column.at_most))
    rules = [f"{name} {sign} {bound}" for sign, bound in bounds if bound is not None]
    if not rules:
        return None
    rule = rules[0] if len(rules) == 1 else f"({' AND '.join(rules)})"
    return CheckConstraint(f"{name} IS NULL OR {rule}", name=f"ck_observation_{name}")


_BOUNDS = tuple(check for columns in KIND_VALUES.values() for column in columns
                if (check := _bounded(column)) is not None)


class Observation(SQLModel, table=True):
    """The aggregate of one metric, for one arm, phase and period."""

    __table_args__ = (
        # The natural key, unique; it also covers the GROUP BY of the checks.
        Index("uq_observation_key", "pilot_id", "metric_id", "arm", "phase", "period",
              "scope", unique=True),
        one_of("arm", Arm, "ck_observation_arm"),
        one_of("phase", Phase, "ck_observation_phase"),
        *_BOUNDS,
        CheckConstraint(_ONE_KIND, name="ck_observation_kind"),
        ForeignKeyConstraint(["pilot_id", "metric_id"], ["metric.pilot_id", "metric.id"],
                             name="fk_observation_metric", ondelete="CASCADE"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", ondelete="CASCADE")
    metric_id: int  # with pilot_id, a foreign key to the metric (see above)
    arm: str = Field(max_length=10)
    phase: str = Field(default="during", max_length=10)
    period: date
    # The comparison scope of a control row of a comparison-scopes pilot, else "".
    scope: str = Field(default="", max_length=80, sa_column_kwargs={"server_default": ""})
    # Counts are 64-bit: weekly impressions or contacts can pass two billion.
    successes: int | None = Field(default=None, sa_type=BigInteger)
    trials: int | None = Field(default=None, sa_type=BigInteger)
    n: int | None = Field(default=None, sa_type=BigInteger)
    mean: float | None = None
    sd: float | None = None
    events: int | None = Field(default=None, sa_type=BigInteger)
    exposure: float | None = None
    # When the row was last written, inserted or corrected (the store sets it): what
    # `lab export --since` and the tables API's `since` compare.
    recorded_at: datetime = timestamp(index=True)


class Spend(SQLModel, table=True):
    """One dated cost entry against a pilot's budget."""

    __table_args__ = (CheckConstraint("amount >= 0", name="ck_spend_amount"),)

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True, ondelete="CASCADE")
    spent_on: date
    amount: float
    description: str = Field(max_length=500)
    recorded_by: str = Field(max_length=254)
    created_at: datetime = timestamp()


class Note(SQLModel, table=True):
    """Qualitative evidence: the voice of customers and frontline staff, risks."""

    __table_args__ = (one_of("kind", NoteKind, "ck_note_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    noted_on: date
    source: str = Field(max_length=200)  # who said or saw it
    text: str
    recorded_by: str = Field(max_length=254)
    created_at: datetime = timestamp()
