"""The demo's programme: approvals, a scored backlog, initiatives elsewhere, a decision.

The examples' hypotheses are scored as their teams would have before piloting them, and
three ideas wait on the backlog with no pilot yet, so the ranking, the filters and the
"Register a pilot for it" link have something to show. One example, the insurer's
lapse call-back, ran in the spring and is signed off with a published learning card and
feedback, so the learnings library and the programme figures are not empty.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from lab.analysis import pipeline
from lab.models import Note, Pilot
from lab.pilots import approval, backlog, initiatives, learnings, stances

APPROVER = "manager@lab.example"  # the demo manager: on no example's team
NOTES = {
    "x-care-1h": "Complaint desk staffing covered by the service budget; check the "
                 "cost-per-contact guardrail every look.",
    "forum-codesign": "Forum moderation agreed with compliance; go.",
    "callback-at-risk": "Retention call-backs only to customers who consented to calls.",
    "community-support": "Approved on condition that the smart-plug owners see no change.",
    "linkedin-wealth": "Wealth-desk capacity confirmed for twelve weeks.",
    "lapse-callback": "Calls only to policyholders who gave a phone number for service.",
}


def approve_examples(session: Session, keys: list[str]) -> None:
    """Approve each example's plan as registered, as the demo manager would."""
    for key in keys:
        approval.approve(session, pilot_key=key, approver=APPROVER,
                         note=NOTES.get(key, "Plan read and approved."))


# hypothesis -> (function that benefits, expected value, unit, impact, fit, effort, confidence)
SCORED = {
    "fast-social-care": ("service", 2.0, "points of 90-day churn", 5, 5, 2, 4),
    "public-complaint-callback": ("service", 1.5, "points of 90-day churn", 4, 4, 3, 3),
    "forum-codesign": ("product", 10.0, "points of feature adoption", 3, 5, 3, 3),
    "peer-support-community": ("service", 4.0, "calls per thousand owner-weeks", 3, 3, 2, 4),
    "linkedin-advisory": ("sales", 0.5, "points of advice bookings", 2, 3, 4, 2),
    "round-up-saving": ("product", 5.0, "EUR of weekly deposits per customer", 3, 4, 3, 3),
    "lapse-callback": ("sales", 5.0, "points of policies in force", 4, 4, 2, 4),
}
IDEAS = [
    {"hypothesis": {
        "key": "x-complaint-status", "process": "service", "owner": "ana@bank.example",
        "statement": "Telling complainants on X where their case stands, unasked, stops "
                     "repeat complaints",
        "expected_benefit": "Repeat complaints on X fall by a fifth",
        "sponsors": ["service", "it"]},
     "function": "service", "expected_value": 20.0, "expected_unit": "% fewer repeats",
     "impact": 4, "fit": 4, "effort": 2, "confidence": 3},
    {"hypothesis": {
        "key": "forum-beta-panel", "process": "product-co-creation",
        "owner": "sara@bank.example",
        "statement": "A standing beta panel from the customer forum finds usability faults "
                     "before release",
        "expected_benefit": "Support tickets in a release's first month fall by 15%",
        "sponsors": ["product"]},
     "function": "product", "expected_value": 15.0, "expected_unit": "% fewer tickets",
     "impact": 3, "fit": 4, "effort": 3, "confidence": 2},
    {"hypothesis": {
        "key": "retention-callback-renewal", "process": "retention",
        "owner": "omar@bank.example",
        "statement": "An insurer's call-back a month before renewal keeps policyholders "
                     "who compared prices online",
        "expected_benefit": "Renewal rate of price-comparing policyholders rises 3 points",
        "sponsors": ["sales", "service"]},
     "function": "sales", "expected_value": 3.0, "expected_unit": "points of renewals",
     "impact": 4, "fit": 3, "effort": 4},  # confidence not yet scored: ranks last
]


def score_backlog(session: Session, actor: str) -> None:
    """Score the examples' hypotheses and put the unpiloted ideas on the backlog."""
    for key, (function, value, unit, *scores) in SCORED.items():
        backlog.score(session, key=key, actor=actor, scores={
            "function": function, "expected_value": value, "expected_unit": unit,
            **dict(zip(backlog.BACKLOG_SCORES, scores, strict=True))})
    for idea in IDEAS:
        backlog.add(session, entry=idea, actor=actor)


# Initiatives running elsewhere in the bank and its insurance arm: one on the X channel
# the complaint desk pilot uses (the overlap warning), one that the lab may adopt.
INITIATIVES = [
    {"key": "branch-complaints-x", "name": "Branch network answers local complaints on X",
     "function": "service", "channel": "x", "process": "service",
     "start_date": "2026-03-02", "status": "running",
     "measures": "complaints closed within two working days",
     "contact": "lea.branches@bank.example"},
    {"key": "forum-ideas-board", "name": "Product team's ideas board on the customer forum",
     "function": "product", "channel": "customer-forum", "process": "voice-of-the-customer",
     "start_date": "2026-01-12", "end_date": "2026-12-18", "status": "running",
     "measures": "ideas submitted and votes per month", "contact": "noor.product@bank.example"},
    {"key": "insurer-renewal-calls", "name": "Insurer's call-back before a policy renews",
     "function": "sales", "segment": "price-comparers", "process": "retention",
     "start_date": "2026-09-01", "status": "planned",
     "measures": "renewal rate of called policyholders",
     "contact": "jon.insurance@bank.example"},
]


def register_initiatives(session: Session, actor: str) -> None:
    """Register the initiatives the lab knows of outside it."""
    for spec in INITIATIVES:
        initiatives.register(session, spec=spec, actor=actor)


# The decided example: how the demo manager signed it off, and what the card says.
DECIDED = {
    "lapse-callback": {
        "outcome": "scale_up", "decided_at": datetime(2026, 5, 6, 14, 0, tzinfo=UTC),
        "rationale": "Roll out to every lapsing policyholder from June; the retention team "
                     "takes the calls within its current hours.",
        "card": {
            "learned": "A call soon after a cancelled direct debit keeps about one policy in "
                       "eleven that would have lapsed, without annoying people: half of the "
                       "lapses were a changed bank account, not a decision to leave.",
            "next_step": "Scale up to every lapsing policyholder; try the same call a month "
                         "before renewal for price-comparers (on the backlog).",
            "tags": "retention, call-back, insurance"},
        "supporting": "changed bank account",  # the note a member marks as supporting
        "feedback": ("viewer@lab.example", "Branches hear the same: many lapses are a new "
                                           "bank account. Could the call offer to update it?"),
    },
}


def decide_examples(session: Session, keys: list[str]) -> None:
    """Sign off the decided examples, write and publish their cards, and leave feedback.

    The demo manager signs (on no team, and neither owner nor registrant); the decision
    is dated when it was taken in the story, after the pilot's planned end.
    """
    for key in keys:
        story = DECIDED.get(key)
        if story is None:
            continue
        for note in session.exec(select(Note).join(Pilot).where(Pilot.key == key)):
            if story["supporting"] in note.text:
                stances.mark(session, note_id=note.id, stance="supports",
                             actor="member@lab.example")
        pipeline.sign_off(session, pilot_key=key, outcome=story["outcome"],
                          rationale=story["rationale"], decided_by=APPROVER,
                          decided_at=story["decided_at"])
        learnings.save(session, pilot_key=key, edit=story["card"], actor=APPROVER)
        card = learnings.publish(session, pilot_key=key, actor=APPROVER)
        card.published_at = story["decided_at"]
        session.add(card)
        author, text = story["feedback"]
        learnings.add_feedback(session, pilot_key=key, author=author, text=text)
