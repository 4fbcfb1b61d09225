"""The laboratory as a programme: what happens to a plan before its pilot starts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, DateTime, UniqueConstraint, event
from sqlmodel import Field, SQLModel

from lab.config import BACKLOG_SCORES
from lab.models.base import one_of, timestamp
from lab.models.governance import _refuse_change
from lab.vocabulary import Function, InitiativeStatus, Process, Stance

# The four scores of a backlog entry, each 1 (least) to 5 (most).
SCORES = BACKLOG_SCORES


def _score_range(name: str) -> CheckConstraint:
    return CheckConstraint(f"{name} IS NULL OR ({name} >= 1 AND {name} <= 5)",
                           name=f"ck_backlog_entry_{name}")


class BacklogEntry(SQLModel, table=True):
    """A hypothesis on the backlog: who benefits, by how much, and how it scores.

    One per hypothesis, kept beside it (not in its columns) because the hypothesis's
    wording is locked once a pilot tests it, while its scores may be revised any time.
    A score left empty is not yet scored; the entry ranks after the scored ones.
    """

    __tablename__ = "backlog_entry"
    __table_args__ = (one_of("function", Function, "ck_backlog_entry_function"),
                      *(_score_range(name) for name in SCORES))

    id: int | None = Field(default=None, primary_key=True)
    hypothesis_id: int = Field(foreign_key="hypothesis.id", unique=True)
    function: str = Field(max_length=40)  # the function that would benefit most
    expected_value: float | None = None  # the quantified expected benefit
    expected_unit: str = Field(default="", max_length=60)  # "points of churn", "EUR a year"
    impact: int | None = None  # customer impact
    fit: int | None = None  # strategic fit
    effort: int | None = None  # cost or effort: higher is worse
    confidence: int | None = None
    updated_by: str = Field(max_length=254)
    updated_at: datetime = timestamp()


class PlanApproval(SQLModel, table=True):
    """A manager's approval of one exact version of a draft's plan (four eyes).

    The hash names the plan as it will be locked at the start, so a plan edited after its
    approval is no longer approved: it needs a new row. Rows are history: never changed.
    """

    __tablename__ = "plan_approval"
    __table_args__ = (UniqueConstraint("pilot_id", "plan_hash",
                                       name="uq_plan_approval_pilot_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    pilot_id: int = Field(foreign_key="pilot.id", index=True)
    plan_hash: str = Field(max_length=64)  # sha256 hex of the plan's canonical JSON
    approved_by: str = Field(max_length=254)
    note: str = ""
    approved_at: datetime = timestamp()


event.listen(PlanApproval, "before_update", _refuse_change)
event.listen(PlanApproval, "before_delete", _refuse_change)


class LearningCard(SQLModel, table=True):
    """What a decision taught: believed, observed, learned, and what we do next.

    One per signed-off decision, drafted from its recommendation and edited by its
    signer. Published, it is readable by the wider company, who leave feedback.
    """

    __tablename__ = "learning_card"

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(foreign_key="decision.id", unique=True)
    believed: str
    observed: str
    learned: str
    next_step: str
    tags: str = Field(default="", max_length=200)  # comma-separated, lower case
    published_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    published_by: str | None = Field(default=None, max_length=254)
    updated_by: str = Field(max_length=254)
    updated_at: datetime = timestamp()


class LearningFeedback(SQLModel, table=True):
    """A reader's feedback on a published learning card; never changed."""

    __tablename__ = "learning_feedback"

    id: int | None = Field(default=None, primary_key=True)
    card_id: int = Field(foreign_key="learning_card.id", index=True)
    author: str = Field(max_length=254)
    text: str
    created_at: datetime = timestamp()


event.listen(LearningFeedback, "before_update", _refuse_change)
event.listen(LearningFeedback, "before_delete", _refuse_change)


class Initiative(SQLModel, table=True):
    """A social-CRM initiative running elsewhere in the company, outside the lab.

    Registered so the lab sees where the company already tests (the coverage map), warns
    when one shares a running pilot's scope, and can adopt one into a hypothesis.
    """

    __table_args__ = (
        one_of("function", Function, "ck_initiative_function"),
        one_of("process", Process, "ck_initiative_process"),
        one_of("status", InitiativeStatus, "ck_initiative_status"),
        CheckConstraint("channel IS NOT NULL OR segment IS NOT NULL",
                        name="ck_initiative_scope"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date",
                        name="ck_initiative_dates"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=80)
    name: str = Field(max_length=200)
    function: str = Field(max_length=40)  # the owning function
    channel: str | None = Field(default=None, max_length=80)  # as the catalogue names it
    segment: str | None = Field(default=None, max_length=80)
    process: str = Field(max_length=40)
    start_date: date
    end_date: date | None = None
    status: str = Field(max_length=20)
    measures: str = ""  # what they measure
    contact: str = Field(max_length=254)
    adopted_as: str | None = Field(default=None, max_length=80)  # the hypothesis key
    recorded_by: str = Field(max_length=254)
    updated_at: datetime = timestamp()


class NoteStance(SQLModel, table=True):
    """A note marked as supporting or contradicting its pilot's hypothesis.

    Kept beside the note (which is evidence as recorded, never reworded): the team's
    reading of it may change, and unmarking removes the row. Every change is audited.
    """

    __tablename__ = "note_stance"
    __table_args__ = (one_of("stance", Stance, "ck_note_stance_stance"),)

    id: int | None = Field(default=None, primary_key=True)
    note_id: int = Field(foreign_key="note.id", unique=True, ondelete="CASCADE")
    stance: str = Field(max_length=20)
    marked_by: str = Field(max_length=254)
    marked_at: datetime = timestamp()
