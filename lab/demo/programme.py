"""The demo's programme: each example's plan approved by the demo manager before it starts."""

from __future__ import annotations

from sqlmodel import Session

from lab.pilots import approval

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
