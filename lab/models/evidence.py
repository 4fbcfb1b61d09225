"""What a running pilot accumulates: observations, spend and qualitative notes."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from lab.models.base import ARMS, NOTE_KINDS, PHASES, one_of, timestamp

# Which value columns each metric kind fills; the others stay NULL.
VALUE_COLUMNS = {
    "proportion": ("successes", "trials"),
    "mean": ("n", "mean", "sd"),
    "rate": ("events", "exposure"),
}


class Observation(SQLModel, table=True):
    """The aggregate of one metric, for one arm, phase and period."""

    __table_args__ = (
        # The natural key, unique; it also covers the GROUP BY of the checks.
        Index("uq_observation_key", "pilot_id", "metric_id", "arm", "phase", "period",
              unique=True),
        one_of("arm", ARMS, "ck_observation_arm"),
        one_of("phase", PHASES, "ck_observation_phase"),
        CheckConstraint("successes IS NULL OR (successes >= 0 AND successes <= trials)",
                        name="ck_observation_successes"),
        CheckConstraint("trials IS NULL OR trials >= 0", name="ck_observation_trials"),
        CheckConstraint("n IS NULL OR n >= 1", name="ck_observation_n"),
        CheckConstraint("sd IS NULL OR sd >= 0", name="ck_observation_sd"),
        CheckConstraint("events IS NULL OR events >= 0", name="ck_observation_events"),
        CheckConstraint("exposure IS NULL OR exposure > 0", name="ck_observation_exposure"),
    )

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", ondelete="CASCADE")
    metric_id: int = Field(foreign_key="metric.id", index=True, ondelete="CASCADE")
    arm: str = Field(max_length=10)
    phase: str = Field(default="during", max_length=10)
    period: date
    successes: int | None = None
    trials: int | None = None
    n: int | None = None
    mean: float | None = None
    sd: float | None = None
    events: int | None = None
    exposure: float | None = None


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

    __table_args__ = (one_of("kind", NOTE_KINDS, "ck_note_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    noted_on: date
    source: str = Field(max_length=200)  # who said or saw it
    text: str
    recorded_by: str = Field(max_length=254)
    created_at: datetime = timestamp()
