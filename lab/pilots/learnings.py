"""Learning cards: what each decision taught, drafted from its recommendation.

Every signed-off decision carries one card — what we believed, what we observed, what we
learned, what we do next — drafted from the hypothesis, the recommendation and the
decision, then edited by the manager who signed the decision (nobody else writes it).
Published, the card is readable by everyone signed in (the wider company, viewers
included), who leave feedback the team sees. Every change is audited.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints, ValidationError
from sqlmodel import Session, col, select

from lab.errors import Conflict, Forbidden, Invalid, NotFound
from lab.models import Decision, Hypothesis, LearningCard, LearningFeedback, Pilot
from lab.models.base import utcnow
from lab.pilots import audit
from lab.pilots.find import get_pilot, next_iteration_of
from lab.pilots.plans import PreregistrationError
from lab.pilots.validation import Strict, describe_errors
from lab.words import judged_metric, outcome_word, status_word

CardText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=5000)]
# Words, digits, spaces, hyphens and underscores, separated by commas.
Tags = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=200,
                                        pattern=r"^[\w ,-]*$")]
FEEDBACK_LENGTH = 5000
TEXTS = ("believed", "observed", "learned", "next_step")
NEXT = {"scaled_up": "Roll it out beyond the pilot's scope and keep watching the guardrails.",
        "revised": "Run the next iteration, {next}, with the changes this one showed.",
        "withdrawn": "Stop it, and tell the sponsors why before anyone tries it again."}


class CardEdit(Strict):
    """The fields of a card its signer may change; a field left out is kept."""

    believed: CardText | None = None
    observed: CardText | None = None
    learned: CardText | None = None
    next_step: CardText | None = None
    tags: Tags | None = None


class NotTheSigner(Forbidden):
    """Someone other than the decision's signer tried to edit or publish its card."""


def decision_for(session: Session, pilot_key: str) -> tuple[Pilot, Decision]:
    """Return the pilot and its decision, or raise NotFound: only decisions have cards."""
    pilot = get_pilot(session, pilot_key)
    decision = session.exec(select(Decision).where(Decision.pilot_id == pilot.id)).first()
    if decision is None:
        raise NotFound(f"pilot '{pilot_key}' has no signed-off decision, so no learning card")
    return pilot, decision


def draft(session: Session, pilot: Pilot, decision: Decision) -> dict[str, str]:
    """Draft the four texts from the hypothesis, the recommendation and the decision."""
    hypothesis = session.get(Hypothesis, pilot.hypothesis_id)
    recommendation = decision.recommendation or {}
    metrics = recommendation.get("metrics") or []
    seen = [judged_metric(metric) for metric in metrics if metric.get("role") == "primary"]
    seen += [judged_metric(metric) for metric in metrics if metric.get("role") == "guardrail"]
    observed = "; ".join(seen) or "No metric had an estimate when it was decided"
    reasons = recommendation.get("reasons") or []
    said = f"{outcome_word(decision.recommended)} was recommended"
    learned = decision.rationale or (reasons[0] if reasons else said)
    following = next_iteration_of(session, pilot.id) or "a new iteration"
    return {"believed": f"{hypothesis.statement}. Expected: {hypothesis.expected_benefit}.",
            "observed": f"{observed}. {said}; decided: {status_word(decision.outcome).lower()}.",
            "learned": learned,
            "next_step": NEXT.get(decision.outcome, "").format(next=following)}


def create_draft(session: Session, pilot: Pilot, decision: Decision) -> LearningCard:
    """Give a decision just signed its card, drafted (`decisions.sign_off` calls this)."""
    card = LearningCard(decision_id=decision.id, updated_by=decision.decided_by,
                        **draft(session, pilot, decision))
    session.add(card)
    session.flush()
    return card


def card_of(session: Session, pilot_key: str) -> LearningCard | None:
    """Return the pilot's learning card if it was written, else None."""
    _, decision = decision_for(session, pilot_key)
    return session.exec(select(LearningCard)
                        .where(LearningCard.decision_id == decision.id)).first()


def _may_write(decision: Decision, actor: str) -> None:
    if actor.strip().lower() != decision.decided_by.strip().lower():
        reason = (f"only {decision.decided_by}, who signed the decision, writes its "
                  "learning card")
        raise NotTheSigner(reason, [("card", reason)])


def save(session: Session, *, pilot_key: str, edit: CardEdit | dict,
         actor: str) -> LearningCard:
    """Write the card (the draft first, if it was never saved), as its signer; audited."""
    if not isinstance(edit, CardEdit):
        try:
            edit = CardEdit.model_validate(edit)
        except ValidationError as error:
            raise PreregistrationError("learning card", describe_errors(error, edit)) \
                from None
    pilot, decision = decision_for(session, pilot_key)
    _may_write(decision, actor)
    card = card_of(session, pilot_key)
    before = _values(card) if card else None
    if card is None:  # a decision signed before cards existed
        card = create_draft(session, pilot, decision)
    for name in edit.model_fields_set:
        value = getattr(edit, name)
        if value is not None:
            setattr(card, name, _tags(value) if name == "tags" else value)
    card.updated_by, card.updated_at = actor, utcnow()
    session.add(card)
    session.flush()
    audit.record(session, actor=actor, action="learning.save", object_type="pilot",
                 object_key=pilot.key, before=before, after=_values(card))
    return card


def _tags(text: str) -> str:
    """Keep tags lower case, one comma between them, each once."""
    tags = dict.fromkeys(tag.strip() for tag in text.lower().split(",") if tag.strip())
    return ",".join(tags)


def _values(card: LearningCard) -> dict:
    return {name: getattr(card, name) for name in (*TEXTS, "tags")}


def publish(session: Session, *, pilot_key: str, actor: str) -> LearningCard:
    """Publish the card for the wider company (saving the draft first if needed)."""
    card = card_of(session, pilot_key) or save(session, pilot_key=pilot_key, edit={},
                                               actor=actor)
    _, decision = decision_for(session, pilot_key)
    _may_write(decision, actor)
    if card.published_at is not None:
        raise Conflict(f"the learning card of '{pilot_key}' is already published")
    card.published_at, card.published_by = utcnow(), actor
    session.add(card)
    session.flush()
    audit.record(session, actor=actor, action="learning.publish", object_type="pilot",
                 object_key=pilot_key)
    return card


def add_feedback(session: Session, *, pilot_key: str, author: str,
                 text: str) -> LearningFeedback:
    """Leave feedback on a published card (anyone signed in, viewers too); audited."""
    text = (text or "").strip()
    if not text or len(text) > FEEDBACK_LENGTH:
        reason = f"must be 1 to {FEEDBACK_LENGTH} characters"
        raise Invalid(f"text: {reason}", [("text", reason)])
    card = card_of(session, pilot_key)
    if card is None or card.published_at is None:
        raise NotFound(f"the learning card of '{pilot_key}' is not published")
    feedback = LearningFeedback(card_id=card.id, author=author, text=text)
    session.add(feedback)
    session.flush()
    audit.record(session, actor=author, action="learning.feedback", object_type="pilot",
                 object_key=pilot_key, after={"text": text})
    return feedback


def feedback_on(session: Session, card: LearningCard) -> list[LearningFeedback]:
    """Return a card's feedback, oldest first."""
    return list(session.exec(select(LearningFeedback)
                             .where(LearningFeedback.card_id == card.id)
                             .order_by(col(LearningFeedback.id))))
