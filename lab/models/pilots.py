"""Hypotheses, pilots, their teams and metrics: the registry of plans."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, DateTime, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from lab.models.base import one_of, timestamp, utcnow
from lab.vocabulary import Analysis, Design, Direction, Function, Kind, Process, Role, Status


class Hypothesis(SQLModel, table=True):
    __table_args__ = (one_of("process", Process, "ck_hypothesis_process"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=80)
    statement: str
    process: str = Field(max_length=40)
    expected_benefit: str
    sponsors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    owner: str = Field(max_length=254)
    created_at: datetime = timestamp()


class Pilot(SQLModel, table=True):
    __table_args__ = (
        one_of("design", Design, "ck_pilot_design"),
        one_of("analysis", Analysis, "ck_pilot_analysis"),
        one_of("status", Status, "ck_pilot_status"),
        CheckConstraint("channel_id IS NOT NULL OR segment_id IS NOT NULL",
                        name="ck_pilot_scope"),
        CheckConstraint("allocation > 0 AND allocation < 1", name="ck_pilot_allocation"),
        CheckConstraint("alpha > 0 AND alpha < 0.5", name="ck_pilot_alpha"),
        CheckConstraint("power > 0.5 AND power < 1", name="ck_pilot_power"),
        CheckConstraint("iteration >= 1", name="ck_pilot_iteration"),
        CheckConstraint("planned_sample IS NULL OR planned_sample > 0",
                        name="ck_pilot_planned_sample"),
        CheckConstraint("budget >= 0", name="ck_pilot_budget"),
        CheckConstraint("end_date >= start_date", name="ck_pilot_dates"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=80)
    hypothesis_id: int = Field(foreign_key="hypothesis.id", index=True)
    # Unique: a revised pilot has exactly one next iteration.
    parent_id: int | None = Field(default=None, foreign_key="pilot.id", unique=True)
    iteration: int = 1
    title: str
    channel_id: int | None = Field(default=None, foreign_key="channel.id", index=True)
    segment_id: int | None = Field(default=None, foreign_key="segment.id", index=True)
    design: str = Field(max_length=20)
    analysis: str = Field(max_length=20)
    allocation: float
    alpha: float
    power: float
    planned_sample: int | None = None
    planned_periods: int | None = None
    start_date: date
    end_date: date
    budget: float = 0
    currency: str = Field(default="EUR", max_length=3)
    status: str = Field(default="draft", max_length=20, index=True)
    # The whole validated pre-registration, as the lock compares and the checks read it.
    plan: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    owner: str = Field(max_length=254)
    started_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    # Pauses: the day the current one began, and the whole days of those ended. The
    # planned end moves later by the days paused (docs/STATISTICS.md, "Pauses").
    paused_on: date | None = None
    paused_days: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = timestamp()
    # Any change of the row moves it (onupdate), which `lab export --since` reads; the
    # plan's metrics and team are written with it.
    updated_at: datetime = timestamp(sa_column_kwargs={"onupdate": utcnow})


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"
    __table_args__ = (one_of("function", Function, "ck_team_member_function"),)

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    function: str = Field(max_length=40)


class Metric(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("pilot_id", "key", name="uq_metric_pilot_key"),
        # Target of the observation's (pilot_id, metric_id) foreign key, which makes the
        # database refuse an observation whose metric belongs to another pilot.
        UniqueConstraint("pilot_id", "id", name="uq_metric_pilot_id"),
        one_of("kind", Kind, "ck_metric_kind"),
        one_of("role", Role, "ck_metric_role"),
        one_of("direction", Direction, "ck_metric_direction"),
        CheckConstraint("role <> 'primary' OR minimum_effect > 0", name="ck_metric_primary"),
        CheckConstraint("role <> 'guardrail' OR margin > 0", name="ck_metric_guardrail"),
        # At most one primary per pilot, enforced by the database on both engines.
        Index("uq_metric_one_primary", "pilot_id", unique=True,
              sqlite_where=text("role = 'primary'"),
              postgresql_where=text("role = 'primary'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True, ondelete="CASCADE")
    key: str = Field(max_length=80)
    label: str | None = Field(default=None, max_length=120)
    kind: str = Field(max_length=20)
    role: str = Field(max_length=20)
    direction: str = Field(max_length=20)
    minimum_effect: float | None = None
    margin: float | None = None
    baseline: float | None = None
