"""What happened that people should hear of: outcome changes, overdue decisions, and
stand-by rules that fired, and plans awaiting a manager's approval.

Each event becomes one Notice with a unique key; a key already stored is not an event
again, which is what makes `lab notify` safe to run every few minutes, and two at once
(the insert skips a key another run stored meanwhile). An outcome is a change only
against a known one: the first time a pilot's recommendation is seen, its outcome is
recorded silently, as the baseline. A plan awaits approval once per version: its key
holds the plan's hash, so an edit after an approval asks the managers again.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from lab import words
from lab.accounts import get_user
from lab.errors import Invalid
from lab.models import Notice, NoticeSubscription, Pilot, User
from lab.pilots import approval
from lab.portfolio.rows import PortfolioRow, build
from lab.vocabulary import NoticeKind

# The kinds only managers may choose: what they alone can act on.
MANAGERS_ONLY = {str(NoticeKind.plan_awaiting)}


def detect(session: Session, base_url: str, today: date | None = None, *,
           approval_required: bool = True) -> list[Notice]:
    """Return the notices of what changed since the last run (in a read: checking the
    portfolio takes a while, and must not hold the write lock); record() stores them.
    Without approval before start (LAB_APPROVAL=false) no plan awaits approval."""
    known = set(session.exec(select(Notice.key)).all())
    last = _last_outcomes(session)
    base = base_url.rstrip("/")
    candidates: list[Notice | None] = []
    for row in build(session, today):
        if not row.checked:
            continue
        link = f"{base}/pilots/{row.key}"
        candidates += [_outcome(row, last.get(row.key), link), _overdue(row, link),
                       *_standby(row, link)]
    if approval_required:
        candidates += [_awaiting(pilot, found, base) for pilot, found in approval.queue(session)]
    found = []
    for notice in candidates:
        if notice is not None and notice.key not in known:
            known.add(notice.key)
            found.append(notice)
    return found


def record(session: Session, notices: list[Notice]) -> list[Notice]:
    """Store the notices no other run stored meanwhile; return those this call stored.

    INSERT ... ON CONFLICT (key) DO NOTHING: a run that detected the same event at the
    same time as another stores nothing and fails on nothing (on PostgreSQL the insert
    waits for the other transaction and then skips the key it committed).
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" \
        else sqlite.insert
    new = []
    for notice in notices:
        values = notice.model_dump(exclude={"id"})
        done = session.execute(insert(Notice).values(**values)
                               .on_conflict_do_nothing(index_elements=["key"])
                               .returning(col(Notice.id))).first()
        if done is not None:
            new.append(notice)
    return new


def _last_outcomes(session: Session) -> dict[str, tuple[str, int]]:
    """Return each pilot's last known outcome and how many outcome notices it has."""
    found: dict[str, tuple[str, int]] = {}
    query = (select(Notice.pilot, Notice.payload).where(Notice.kind == NoticeKind.outcome_changed)
             .order_by(col(Notice.id)))
    for pilot, payload in session.exec(query):
        found[pilot] = (payload["outcome"], found.get(pilot, ("", 0))[1] + 1)
    return found


def _outcome(row: PortfolioRow, last: tuple[str, int] | None, link: str) -> Notice | None:
    """Return the notice of an outcome change (a silent one at first sight), or None."""
    outcome = row.outcome
    if last is not None and last[0] == outcome:
        return None
    seen = last[1] if last else 0
    payload = {"pilot": row.key, "title": row.title, "outcome": outcome,
               "previous": last[0] if last else None, "words": words.headline(
                   outcome, final=row.final),
               "reasons": row.reasons[:3], "url": link}
    return Notice(key=f"{NoticeKind.outcome_changed}:{row.key}:{seen + 1}",
                  kind=NoticeKind.outcome_changed, pilot=row.key, payload=payload,
                  silent=last is None)


def _overdue(row: PortfolioRow, link: str) -> Notice | None:
    """Return the notice that a pilot's decision is due, once per pilot, or None."""
    days = row.overdue
    if days is None:
        return None
    payload = {"pilot": row.key, "title": row.title, "outcome": row.outcome,
               "days_overdue": days, "words": words.headline(row.outcome), "url": link}
    return Notice(key=f"{NoticeKind.decision_overdue}:{row.key}",
                  kind=NoticeKind.decision_overdue, pilot=row.key, payload=payload)


def _standby(row: PortfolioRow, link: str) -> list[Notice]:
    """Return one notice per fired stand-by rule of the pilot (each fires once)."""
    return [Notice(key=f"{NoticeKind.standby_fired}:{row.key}:{fired['rule']}",
                   kind=NoticeKind.standby_fired, pilot=row.key, payload={
                       "pilot": row.key, "title": row.title, "outcome": row.outcome,
                       **{name: fired[name] for name in (
                           "rule", "metric", "when", "side", "threshold", "value", "look",
                           "period", "action", "words", "rule_words")},
                       # The people the rule names, where the plan gives their e-mail.
                       "recipients": [person.lower() for person in fired["notify"]
                                      if "@" in person], "url": link})
            for fired in row.standby]


def _awaiting(pilot: Pilot, found: approval.ApprovalState, base: str) -> Notice | None:
    """Return the notice that this version of a draft's plan awaits approval, or None."""
    if found.status == "approved":
        return None
    earlier = found.earlier[-1].approved_by if found.earlier else None
    payload = {"pilot": pilot.key, "title": pilot.title, "owner": pilot.owner,
               "plan_hash": found.plan_hash, "status": found.status,
               "words": words.plan_awaiting(pilot.key, earlier), "url": f"{base}/approvals"}
    return Notice(key=f"{NoticeKind.plan_awaiting}:{pilot.key}:{found.plan_hash}",
                  kind=NoticeKind.plan_awaiting, pilot=pilot.key, payload=payload)


def subscribers(session: Session, kind: str) -> list[str]:
    """Return the e-mail addresses of the active users who chose to hear of this kind
    (a plan awaiting approval: its approvers, the managers, only)."""
    query = (select(User.email).join(NoticeSubscription,
                                     col(NoticeSubscription.user_id) == col(User.id))
             .where(NoticeSubscription.kind == kind, col(User.active).is_(True))
             .order_by(col(User.email)))
    if kind in MANAGERS_ONLY:
        query = query.where(col(User.role).in_(approval.APPROVER_ROLES))
    return list(session.exec(query).all())


def subscribe(session: Session, *, email: str, kinds: list[str], on: bool = True) -> list[str]:
    """Choose (or, with on=False, stop) the kinds of notice a user receives; return theirs."""
    user = get_user(session, email)
    wanted = set(kinds)
    unknown = sorted(wanted - {str(kind) for kind in NoticeKind})
    if unknown:
        raise Invalid(f"no notice kind {', '.join(unknown)} (the kinds are "
                      f"{', '.join(map(str, NoticeKind))})")
    have = {entry.kind: entry for entry in session.exec(
        select(NoticeSubscription).where(NoticeSubscription.user_id == user.id))}
    if on and user.role not in approval.APPROVER_ROLES and wanted & MANAGERS_ONLY:
        raise Invalid(f"kinds: {', '.join(sorted(wanted & MANAGERS_ONLY))} is for managers, "
                      f"who approve plans; {email} is {user.role}")
    for kind in wanted:
        if on and kind not in have:
            session.add(NoticeSubscription(user_id=user.id, kind=kind))
        elif not on and kind in have:
            session.delete(have[kind])
    session.flush()
    return sorted(session.exec(select(NoticeSubscription.kind)
                               .where(NoticeSubscription.user_id == user.id)).all())
