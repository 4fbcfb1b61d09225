"""The backlog of hypotheses: each scored on impact, fit, effort and confidence, ranked.

A hypothesis joins the backlog before any pilot tests it (`add`), or is scored later
(`score`), including one a registered pilot brought. The priority is the weighted mean
of the four scores, effort counted the other way round (less effort is better), on a
0-100 scale; the weights are the lab's setting (LAB_BACKLOG_WEIGHTS). Scores can be
revised at any time: every change is audited with its values before and after.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, ValidationError
from sqlmodel import Session, select

from lab.config import BACKLOG_SCORES
from lab.errors import Conflict
from lab.models import BacklogEntry, Hypothesis
from lab.models.base import utcnow
from lab.pilots import audit
from lab.pilots.find import find_hypothesis, get_hypothesis
from lab.pilots.plans import HypothesisSpec, PreregistrationError
from lab.pilots.validation import Strict, describe_errors
from lab.vocabulary import Function

Score = Annotated[int, Field(ge=1, le=5)]
BANDS = (("high", 70.0), ("medium", 40.0), ("low", 0.0))  # lowest priority each band holds
ENTRY_FIELDS = ("function", "expected_value", "expected_unit", *BACKLOG_SCORES)


class Scores(Strict):
    """What a backlog entry says beside its hypothesis; every field may be left out."""

    function: Function | None = None
    expected_value: float | None = Field(default=None, allow_inf_nan=False,
                                         ge=-1e12, le=1e12)
    expected_unit: Annotated[str, StringConstraints(strip_whitespace=True,
                                                    max_length=60)] = ""
    impact: Score | None = None
    fit: Score | None = None
    effort: Score | None = None
    confidence: Score | None = None


class NewEntry(Scores):
    """A hypothesis written for the backlog, with its scores."""

    hypothesis: HypothesisSpec


def _valid(model: type[Strict], data: Any, source: str) -> Any:
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise PreregistrationError(source, describe_errors(error, data)) from None


def add(session: Session, *, entry: NewEntry | dict, actor: str) -> BacklogEntry:
    """Put a new hypothesis on the backlog with its scores; audited."""
    entry = _valid(NewEntry, entry, "backlog")
    spec = entry.hypothesis
    if find_hypothesis(session, spec.key) is not None:
        raise Conflict(f"hypothesis '{spec.key}' already exists: score it instead",
                       [("hypothesis.key", "already exists")])
    values = spec.model_dump(mode="json", exclude={"key"})
    hypothesis = Hypothesis(key=spec.key, **values)
    session.add(hypothesis)
    session.flush()
    audit.record(session, actor=actor, action="create", object_type="hypothesis",
                 object_key=spec.key, after=values)
    return _write(session, hypothesis, Scores(**entry.model_dump(exclude={"hypothesis"})),
                  actor, fields=entry.model_fields_set - {"hypothesis"})


def score(session: Session, *, key: str, scores: Scores | dict, actor: str) -> BacklogEntry:
    """Set the fields given of a hypothesis's backlog entry (others are kept); audited."""
    scores = _valid(Scores, scores, "scores")
    hypothesis = get_hypothesis(session, key)
    return _write(session, hypothesis, scores, actor, fields=scores.model_fields_set)


def _write(session: Session, hypothesis: Hypothesis, scores: Scores, actor: str,
           fields: set[str]) -> BacklogEntry:
    row = entry_of(session, hypothesis.id)
    before = _values(row) if row else None
    if row is None:
        # A new entry needs the function that would benefit: the sponsors' first, if unsaid.
        row = BacklogEntry(hypothesis_id=hypothesis.id, updated_by=actor,
                           function=hypothesis.sponsors[0] if hypothesis.sponsors
                           else str(Function.marketing))
    for name in fields:
        value = getattr(scores, name)
        if name == "function" and value is None:
            continue  # the benefiting function can change, never be emptied
        setattr(row, name, str(value) if name == "function" else value)
    row.updated_by, row.updated_at = actor, utcnow()
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="score", object_type="hypothesis",
                 object_key=hypothesis.key, before=before, after=_values(row))
    return row


def entry_of(session: Session, hypothesis_id: int) -> BacklogEntry | None:
    """Return the hypothesis's backlog entry, if it has one."""
    return session.exec(select(BacklogEntry)
                        .where(BacklogEntry.hypothesis_id == hypothesis_id)).first()


def _values(row: BacklogEntry) -> dict:
    return {name: getattr(row, name) for name in ENTRY_FIELDS}


def priority(row: BacklogEntry | None, weights: dict[str, float]) -> float | None:
    """Return the entry's priority, 0 to 100, or None until every weighted score is set."""
    if row is None:
        return None
    total = weighed = 0.0
    for name, weight in weights.items():
        if not weight:
            continue
        value = getattr(row, name)
        if value is None:
            return None
        # Each score 1..5 becomes 0..1; effort the other way round: less effort is better.
        share = (value - 1) / 4
        total += weight * (1 - share if name == "effort" else share)
        weighed += weight
    return round(100 * total / weighed, 1)


def band(value: float | None) -> str:
    """Name the priority's band (high, medium, low), or 'unscored'."""
    if value is None:
        return "unscored"
    return next(name for name, least in BANDS if value >= least)
