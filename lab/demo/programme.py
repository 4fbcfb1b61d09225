"""The demo's programme: approvals, a scored backlog, and initiatives elsewhere.

The examples' hypotheses are scored as their teams would have before piloting them, and
three ideas wait on the backlog with no pilot yet, so the ranking, the filters and the
"Register a pilot for it" link have something to show.
"""

from __future__ import annotations

from sqlmodel import Session

from lab.pilots import approval, backlog, initiatives

APPROVER = "manager@lab.example"  # the demo manager: on no example's team
NOTES = {
    "x-care-1h": "Complaint desk staffing covered by the service budget; check the "
                 "cost-per-contact guardrail every look.",
    "forum-codesign": "Forum moderation agreed with compliance; go.",
    "callback-at-risk": "Retention call-backs only to customers who consented to calls.",
    "community-support": "Approved on condition that the smart-plug owners see no change.",
    "linkedin-wealth": "Wealth-desk capacity confirmed for twelve weeks.",
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
