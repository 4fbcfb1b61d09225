"""The learnings library: every decision's card, searchable by text and filtered.

Text search is each database's own: SQLite's FTS5 index `learning_fts` (migration 0005,
porter-stemmed, every word must match) and PostgreSQL's full-text search over the same
fields (`websearch_to_tsquery`, english). Filters: process, channel, segment, outcome,
tag, and published only (what a viewer sees).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, text
from sqlmodel import Session, col, select

from lab.models import (
    Channel,
    Decision,
    Hypothesis,
    LearningCard,
    LearningFeedback,
    Pilot,
    Segment,
)
from lab.pilots.frames import INT, STAMP, TEXT, category, typed
from lab.vocabulary import TERMINAL, Process

FILTERS = ("process", "channel", "segment", "outcome", "tag")
QUERY_LENGTH = 200
WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class LearningRow:
    """One card in the library, with what it is about."""

    card: LearningCard
    pilot: Pilot
    hypothesis: Hypothesis
    decision: Decision
    channel: str | None
    segment: str | None
    feedback: int

    @property
    def tags(self) -> list[str]:
        return [tag for tag in self.card.tags.split(",") if tag]


def rows(session: Session, *, query: str = "", filters: dict[str, str] | None = None,
         published_only: bool = False) -> list[LearningRow]:
    """Return the matching cards, newest decision first."""
    filters = {name: value for name, value in (filters or {}).items() if value}
    statement = (select(LearningCard, Pilot, Hypothesis, Decision, Channel.name, Segment.name)
                 .join(Decision, col(LearningCard.decision_id) == Decision.id)
                 .join(Pilot, col(Decision.pilot_id) == Pilot.id)
                 .join(Hypothesis, col(Pilot.hypothesis_id) == Hypothesis.id)
                 .join(Channel, col(Pilot.channel_id) == Channel.id, isouter=True)
                 .join(Segment, col(Pilot.segment_id) == Segment.id, isouter=True)
                 .order_by(col(Decision.decided_at).desc(), col(LearningCard.id).desc()))
    if published_only:
        statement = statement.where(col(LearningCard.published_at).is_not(None))
    for name, column in (("process", Hypothesis.process), ("channel", Channel.name),
                         ("segment", Segment.name), ("outcome", Decision.outcome)):
        if name in filters:
            statement = statement.where(column == filters[name])
    words = WORD.findall(query or "")
    if words:
        statement = statement.where(col(LearningCard.id).in_(_matching(session, words)))
    found = list(session.exec(statement))
    counts = dict(session.exec(select(LearningFeedback.card_id, func.count())
                               .group_by(col(LearningFeedback.card_id))).all())
    listed = [LearningRow(card, pilot, hypothesis, decision, channel, segment,
                          counts.get(card.id, 0))
              for card, pilot, hypothesis, decision, channel, segment in found]
    if "tag" in filters:
        listed = [row for row in listed if filters["tag"].lower() in row.tags]
    return listed


def _matching(session: Session, words: list[str]):
    """Return a subquery of the ids of cards containing every word."""
    if session.get_bind().dialect.name == "sqlite":
        # Each word quoted, so FTS5 reads no operator in what a person typed.
        phrase = " ".join('"' + word.replace('"', "") + '"' for word in words)
        return text("SELECT rowid FROM learning_fts WHERE learning_fts MATCH :phrase") \
            .bindparams(phrase=phrase)
    document = func.to_tsvector("english", func.concat_ws(
        " ", LearningCard.believed, LearningCard.observed, LearningCard.learned,
        LearningCard.next_step, func.replace(LearningCard.tags, ",", " ")))
    return select(LearningCard.id).where(
        document.bool_op("@@")(func.plainto_tsquery("english", " ".join(words))))


def filter_problems(query: str, filters: dict[str, str]) -> list[tuple[str, str]]:
    """Name each search input that cannot be used: too long, or an unknown value."""
    problems = []
    if len(query or "") > QUERY_LENGTH:
        problems.append(("q", f"must be at most {QUERY_LENGTH} characters"))
    if filters.get("process") and filters["process"] not in [str(p) for p in Process]:
        problems.append(("process", f"must be one of {', '.join(map(str, Process))}"))
    if filters.get("outcome") and filters["outcome"] not in TERMINAL:
        problems.append(("outcome", f"must be one of {', '.join(map(str, TERMINAL))}"))
    return problems


LEARNINGS = {"pilot": TEXT, "hypothesis": TEXT, "process": category(Process),
             "channel": TEXT, "segment": TEXT, "outcome": category(TERMINAL),
             "decided_by": TEXT, "decided_at": STAMP, "believed": TEXT, "observed": TEXT,
             "learned": TEXT, "next_step": TEXT, "tags": TEXT, "published_at": STAMP,
             "feedback": INT}


def learnings_frame(listed: list[LearningRow]) -> pd.DataFrame:
    """Return the cards as a typed frame, one row each."""
    return typed([{"pilot": row.pilot.key, "hypothesis": row.hypothesis.key,
                   "process": row.hypothesis.process, "channel": row.channel,
                   "segment": row.segment, "outcome": row.decision.outcome,
                   "decided_by": row.decision.decided_by,
                   "decided_at": row.decision.decided_at, "believed": row.card.believed,
                   "observed": row.card.observed, "learned": row.card.learned,
                   "next_step": row.card.next_step, "tags": row.card.tags,
                   "published_at": row.card.published_at, "feedback": row.feedback}
                  for row in listed], LEARNINGS)
