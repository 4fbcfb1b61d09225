"""Fired stand-by rules: recorded once at every refresh where one holds, and acted on.

The refresh that stores a pilot's answer (`lab.portfolio.stored`, inside the write
transaction) hands it here. Each rule of the plan that holds at the answer's last look
and has not fired before is recorded (`standby_firing`, append-only, one row per rule)
and audited as done by "stand-by rule"; a `pause` rule moves a running pilot to paused
in the same transaction. That move is itself a change of the pilot, so the commit hook
refreshes it once more: the rule has fired by then, nothing new is recorded, and the
loop ends (tests/db/test_standby.py holds it to that).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from sqlmodel import Session, col, select

from lab import words
from lab.models import Pilot, StandbyFiring
from lab.pilots import audit, lifecycle
from lab.pilots.plans import Preregistration, parse
from lab.pilots.standby import OWNER, StandbyRule, evaluate
from lab.vocabulary import StandbyAction, Status

ACTOR = "stand-by rule"  # who the audit log says fired a rule and paused a pilot
WATCHED = (Status.running, Status.paused)  # a closed pilot's rules are done


def fire(session: Session, documents: Mapping[int, dict]) -> list[StandbyFiring]:
    """Record the rules that newly hold in these answers (by pilot id); act on them."""
    pilots = [pilot for pilot in session.exec(select(Pilot).where(
        col(Pilot.id).in_(list(documents)), col(Pilot.status).in_(WATCHED)))
        if pilot.plan.get("standby")]
    if not pilots:
        return []
    fired = _fired_rules(session, [pilot.id for pilot in pilots])
    recorded = []
    for pilot in pilots:
        plan = parse(pilot.plan, f"pilot {pilot.key}")
        for firing in evaluate(documents[pilot.id], plan.standby):
            if (pilot.id, firing.rule) in fired:
                continue
            rule = plan.standby[firing.rule]
            row = StandbyFiring(pilot_id=pilot.id, rule=firing.rule, metric=rule.metric,
                                reads=rule.when.value, side=rule.side,
                                threshold=firing.threshold, value=firing.value,
                                look=firing.look, period=date.fromisoformat(firing.period),
                                action=rule.action.value)
            session.add(row)
            session.flush()
            audit.record(session, actor=ACTOR, action="standby_fired", object_type="pilot",
                         object_key=pilot.key, after=describe(row, plan))
            if rule.action is StandbyAction.pause and pilot.status == Status.running:
                lifecycle.transition(session, pilot=pilot, to=Status.paused, actor=ACTOR)
            recorded.append(row)
    return recorded


def _fired_rules(session: Session, pilot_ids: list[int]) -> set[tuple[int, int]]:
    return set(session.exec(select(StandbyFiring.pilot_id, StandbyFiring.rule)
                            .where(col(StandbyFiring.pilot_id).in_(pilot_ids))).all())


def describe(row: StandbyFiring, plan: Preregistration) -> dict:
    """Return a fired rule as the pages, the API, the audit log and the notices show it."""
    rule: StandbyRule = plan.standby[row.rule]
    name = _name(plan, row.metric)
    return {"rule": row.rule, "metric": row.metric, "when": row.reads, "side": row.side,
            "threshold": row.threshold, "value": row.value, "look": row.look,
            "period": str(row.period), "action": row.action,
            "fired_at": row.fired_at.isoformat() if row.fired_at else None,
            "notify": recipients(rule, plan),
            "rule_words": words.standby_rule(name, row.reads, row.side, row.threshold,
                                             row.action, rule.from_look),
            "words": words.standby_fired(name, row.reads, row.side, row.threshold, row.value,
                                         row.look, str(row.period), row.action)}


def recipients(rule: StandbyRule, plan: Preregistration) -> list[str]:
    """Return whom a rule names to tell (the owner, the people holding a role), once each."""
    people: list[str] = []
    for role in rule.notify or [OWNER]:
        people += [person for person in plan.people(role) if person not in people]
    return people


def by_pilot(session: Session, pilot_ids: Iterable[int] | None = None) -> dict[int, list[dict]]:
    """Return each pilot's fired rules, described, in the order they fired."""
    query = (select(StandbyFiring, Pilot.plan)
             .join(Pilot, col(Pilot.id) == StandbyFiring.pilot_id)
             .order_by(col(StandbyFiring.id)))
    if pilot_ids is not None:
        query = query.where(col(StandbyFiring.pilot_id).in_(list(pilot_ids)))
    found: dict[int, list[dict]] = {}
    plans: dict[int, Preregistration] = {}
    for row, plan in session.exec(query):
        if row.pilot_id not in plans:
            plans[row.pilot_id] = parse(plan)
        found.setdefault(row.pilot_id, []).append(describe(row, plans[row.pilot_id]))
    return found


def proposes_withdrawal(fired: Iterable[Mapping]) -> bool:
    """Tell whether a fired rule proposes withdrawing the pilot (a manager signs it off)."""
    return any(entry["action"] == StandbyAction.propose_withdrawal for entry in fired)


def rule_sentences(plan: Mapping) -> list[str]:
    """Say each of a stored plan's stand-by rules, in plan order."""
    if not plan.get("standby"):
        return []
    spec = parse(plan)
    return [words.standby_rule(_name(spec, rule.metric), rule.when.value, rule.side,
                               rule.threshold, rule.action.value, rule.from_look)
            for rule in spec.standby]


def _name(plan: Preregistration, key: str) -> str:
    try:
        return plan.metric(key).name
    except KeyError:
        return key
