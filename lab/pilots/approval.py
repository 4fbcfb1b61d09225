"""Approval before start (four eyes): a manager outside the pilot approves its exact plan.

The approval names the plan by a hash of its canonical JSON, the plan the start will
lock, so any edit after the approval leaves the pilot unapproved until it is approved
again. The approver is a manager (or admin) who is not the pilot's owner, not anyone who
registered or edited its plan, and not a member of its team. A lab may turn the rule off
(LAB_APPROVAL=false); the edges pass that setting to lifecycle.start.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lab.errors import Conflict, Forbidden, Invalid
from lab.models import AuditEvent, Pilot, PlanApproval, TeamMember, User
from lab.pilots import audit
from lab.pilots.find import get_pilot
from lab.vocabulary import UserRole, values

APPROVER_ROLES = tuple(values(UserRole)[values(UserRole).index("manager"):])
NOTE_LENGTH = 2000
# The audit actions that wrote a pilot's plan: whoever did either is its registrant.
WRITES = ("create", "update")


class ApprovalError(Invalid):
    """An approval that cannot be recorded; str() says why."""


class SelfApproval(Forbidden, ApprovalError):
    """The approver is the pilot's owner, registrant or a team member (four eyes)."""


class NotApproved(Conflict):
    """A start refused because the plan as it stands has no approval."""


@dataclass(frozen=True)
class ApprovalState:
    """Where a plan stands: approved as it is, approved in an older version, or not at all."""

    plan_hash: str
    current: PlanApproval | None  # the approval of the plan as it is now
    earlier: list[PlanApproval]  # approvals of versions the plan has since left

    @property
    def status(self) -> str:
        """Return 'approved', 'stale' (an older version was approved) or 'awaiting'."""
        if self.current is not None:
            return "approved"
        return "stale" if self.earlier else "awaiting"


def plan_hash(plan: dict) -> str:
    """Return the sha256 of the plan's canonical JSON: the version an approval names."""
    text = json.dumps(plan, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def state(session: Session, pilot: Pilot) -> ApprovalState:
    """Return the pilot's approval state for its plan as it stands."""
    digest = plan_hash(pilot.plan)
    rows = list(session.exec(select(PlanApproval).where(PlanApproval.pilot_id == pilot.id)
                             .order_by(col(PlanApproval.id))))
    current = next((row for row in rows if row.plan_hash == digest), None)
    return ApprovalState(digest, current, [row for row in rows if row.plan_hash != digest])


def queue(session: Session) -> list[tuple[Pilot, ApprovalState]]:
    """Return every draft with its approval state, oldest first: the approval queue."""
    drafts = session.exec(select(Pilot).where(Pilot.status == "draft")
                          .order_by(col(Pilot.created_at), col(Pilot.id)))
    return [(pilot, state(session, pilot)) for pilot in drafts]


def refusal(session: Session, pilot: Pilot, email: str) -> str | None:
    """Say why this person may not approve the pilot's plan, or None when they may."""
    found = _refused(session, pilot, email)
    return found[1] if found else None


def _refused(session: Session, pilot: Pilot,
             email: str) -> tuple[type[ApprovalError], str] | None:
    """Return the error and reason refusing this approver, or None."""
    email = (email or "").strip().lower()
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not user.active or user.role not in APPROVER_ROLES:
        return ApprovalError, (f"{email or 'nobody'} is not an active manager: only "
                               "managers approve plans")
    if pilot.status != "draft":
        return ApprovalError, (f"pilot '{pilot.key}' is {pilot.status}: only a draft's "
                               "plan is approved")
    outside = "someone outside the pilot must approve it"
    if email == pilot.owner.strip().lower():
        return SelfApproval, f"{email} owns pilot '{pilot.key}': {outside}"
    if email in registrants(session, pilot):
        return SelfApproval, (f"{email} registered or edited the plan of pilot "
                              f"'{pilot.key}': {outside}")
    if _in_team(session, pilot, user):
        return SelfApproval, f"{email} is on the team of pilot '{pilot.key}': {outside}"
    held = _roles_held(pilot, user) & ACCOUNTABLE_ROLES
    if held:
        return SelfApproval, (f"{email} is {' and '.join(sorted(held))} in the roles of pilot "
                              f"'{pilot.key}': {outside}")
    return None


def registrants(session: Session, pilot: Pilot) -> set[str]:
    """Return who registered or edited the pilot's plan, as the audit log names them."""
    actors = session.exec(select(AuditEvent.actor).where(
        AuditEvent.object_type == "pilot", AuditEvent.object_key == pilot.key,
        col(AuditEvent.action).in_(WRITES)))
    return {actor.strip().lower() for actor in actors}


# Who does the pilot's work or answers for it is inside it; whoever is only consulted or
# informed stands outside and may approve.
ACCOUNTABLE_ROLES = {"responsible", "accountable"}


def _roles_held(pilot: Pilot, user: User) -> set[str]:
    """Return the roles the plan's `[roles]` give this user, by e-mail or by name."""
    own = {user.email.casefold(), user.name.strip().casefold()} - {""}
    held: set[str] = set()
    for person, roles in ((pilot.plan or {}).get("roles") or {}).items():
        if person.strip().casefold() in own:
            held |= {roles} if isinstance(roles, str) else set(roles)
    return held


def _in_team(session: Session, pilot: Pilot, user: User) -> bool:
    """Tell whether the user is on the team: the team lists names, so match the account's
    name, or the part of its email before the @ (ana@bank.example is "Ana")."""
    names = {name.strip().casefold() for name in session.exec(
        select(TeamMember.name).where(TeamMember.pilot_id == pilot.id))}
    own = {user.name.strip().casefold(), user.email.split("@")[0].casefold()} - {""}
    return bool(names & own)


def approve(session: Session, *, pilot_key: str, approver: str, note: str = "",
            expected_hash: str | None = None) -> PlanApproval:
    """Approve the draft's plan as it stands now, as this manager; audited.

    `expected_hash` is the version the approver read: if the plan changed since, the
    approval is refused rather than given to a plan nobody approving has seen.
    """
    pilot = get_pilot(session, pilot_key)
    session.refresh(pilot, with_for_update=True)
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        raise ApprovalError(f"note: must be at most {NOTE_LENGTH} characters",
                            [("note", f"must be at most {NOTE_LENGTH} characters")])
    refused = _refused(session, pilot, approver)
    if refused:
        error, reason = refused
        raise error(reason, [("approver", reason)])
    found = state(session, pilot)
    if expected_hash is not None and expected_hash != found.plan_hash:
        raise NotApproved(f"the plan of pilot '{pilot.key}' changed since it was read: read "
                          "it again before approving", [("plan_hash", "not the current plan")])
    if found.current is not None:
        raise Conflict(f"pilot '{pilot.key}' is already approved as it stands, by "
                       f"{found.current.approved_by}", [("pilot", "already approved")])
    row = PlanApproval(pilot_id=pilot.id, plan_hash=found.plan_hash,
                       approved_by=approver.strip().lower(), note=note)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"pilot '{pilot.key}' was approved by someone else a moment ago") \
            from None
    audit.record(session, actor=row.approved_by, action="approve", object_type="pilot",
                 object_key=pilot.key, after={"plan_hash": row.plan_hash, "note": note})
    return row


def require(session: Session, pilot: Pilot) -> None:
    """Refuse to start a pilot whose plan, as it stands, has no approval."""
    found = state(session, pilot)
    if found.current is not None:
        return
    if found.earlier:
        raise NotApproved(f"pilot '{pilot.key}' cannot start: its plan changed after "
                          f"{found.earlier[-1].approved_by} approved it; a manager must "
                          "approve the new version")
    raise NotApproved(f"pilot '{pilot.key}' cannot start: a manager outside the pilot must "
                      "approve its plan first (the approval queue)")

