"""Approval before start (four eyes), in the domain: on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from lab.errors import Conflict, Forbidden, Invalid
from lab.models import PlanApproval, User
from lab.models.governance import AppendOnlyError
from lab.pilots import approval, audit, lifecycle, registry
from lab.pilots.find import get_pilot
from tests.factories import ACTOR, OWNER, make_spec, register_pilot

BOSS = "mia@bank.example"


def add_people(session: Session, **roles: str) -> None:
    """Add accounts by email -> role (no sign-in needed, so no password hash)."""
    for email, role in roles.items():
        session.add(User(email=email, role=role, password_hash="-"))
    session.commit()


@pytest.fixture
def draft(session):
    add_people(session, **{BOSS: "manager", OWNER: "manager", ACTOR: "admin",
                           "raj@bank.example": "manager", "kim@bank.example": "member",
                           "old@bank.example": "manager"})
    return register_pilot(session)


def start(session, key="x-care-1h", required=True):
    return lifecycle.start(session, pilot_key=key, actor=ACTOR, approval_required=required)


def test_an_unapproved_plan_does_not_start(session, draft):
    with pytest.raises(approval.NotApproved, match="must approve its plan first") as raised:
        start(session)
    assert raised.value.status == 409
    session.rollback()
    assert get_pilot(session, draft.key).status == "draft"


def test_a_manager_outside_the_pilot_approves_and_it_starts(session, draft):
    row = approval.approve(session, pilot_key=draft.key, approver=BOSS, note="budget fits")
    session.commit()
    assert row.plan_hash == approval.plan_hash(draft.plan) and len(row.plan_hash) == 64
    assert approval.state(session, draft).status == "approved"
    assert start(session).status == "running"
    event = audit.events(session, object_key=draft.key, action="approve")[0]
    assert event.actor == BOSS and event.after == {"plan_hash": row.plan_hash,
                                                   "note": "budget fits"}


def test_a_plan_changed_after_approval_needs_a_new_one(session, draft):
    approval.approve(session, pilot_key=draft.key, approver=BOSS)
    session.commit()
    registry.register(session, spec=make_spec(pilot={"budget": 30000}), actor=ACTOR)
    session.commit()
    pilot = get_pilot(session, draft.key)
    assert approval.state(session, pilot).status == "stale"
    with pytest.raises(approval.NotApproved, match=f"changed after {BOSS} approved it"):
        start(session)
    session.rollback()
    approval.approve(session, pilot_key=draft.key, approver=BOSS)
    session.commit()
    found = approval.state(session, pilot)
    assert found.status == "approved" and len(found.earlier) == 1
    assert start(session).status == "running"


@pytest.mark.parametrize(("who", "error", "reason"), [
    (OWNER, Forbidden, "owns pilot"),
    (ACTOR, Forbidden, "registered or edited the plan"),  # the registrant, though an admin
    ("raj@bank.example", Forbidden, "is on the team"),  # Raj is on the team
    ("kim@bank.example", Invalid, "not an active manager"),
    ("nobody@bank.example", Invalid, "not an active manager"),
])
def test_no_self_approval_and_only_managers(session, draft, who, error, reason):
    with pytest.raises(error, match=reason) as raised:
        approval.approve(session, pilot_key=draft.key, approver=who)
    assert raised.value.problems[0][0] == "approver"
    session.rollback()
    assert approval.state(session, draft).status == "awaiting"
    assert audit.events(session, object_key=draft.key, action="approve") == []


def test_a_disabled_manager_cannot_approve(session, draft):
    user = session.exec(select(User).where(User.email == "old@bank.example")).one()
    user.active = False
    session.add(user)
    session.commit()
    with pytest.raises(Invalid, match="not an active manager"):
        approval.approve(session, pilot_key=draft.key, approver="old@bank.example")


def test_approving_twice_or_a_running_pilot_is_refused(session, draft):
    approval.approve(session, pilot_key=draft.key, approver=BOSS)
    session.commit()
    with pytest.raises(Conflict, match="already approved"):
        approval.approve(session, pilot_key=draft.key, approver="old@bank.example")
    session.rollback()
    start(session)
    session.commit()
    with pytest.raises(Invalid, match="is running: only a draft"):
        approval.approve(session, pilot_key=draft.key, approver="old@bank.example")


def test_an_approval_of_a_version_the_approver_did_not_read_is_refused(session, draft):
    with pytest.raises(Conflict, match="changed since it was read"):
        approval.approve(session, pilot_key=draft.key, approver=BOSS, expected_hash="0" * 64)


def test_a_long_note_is_refused_naming_the_field(session, draft):
    with pytest.raises(Invalid) as raised:
        approval.approve(session, pilot_key=draft.key, approver=BOSS, note="x" * 2001)
    assert raised.value.problems[0][0] == "note"


def test_with_approval_off_a_draft_starts_as_before(session, draft):
    assert start(session, required=False).status == "running"


def test_the_hash_names_the_exact_plan():
    plan = make_spec()
    assert approval.plan_hash(plan) == approval.plan_hash(dict(reversed(plan.items())))
    changed = make_spec(pilot={"alpha": 0.04})
    assert approval.plan_hash(plan) != approval.plan_hash(changed)


def test_approvals_are_never_changed(session, draft):
    row = approval.approve(session, pilot_key=draft.key, approver=BOSS)
    session.commit()
    row.approved_by = "someone@else.example"
    session.add(row)
    with pytest.raises(AppendOnlyError):
        session.flush()
    session.rollback()
    assert session.get(PlanApproval, row.id).approved_by == BOSS


def test_the_queue_lists_drafts_with_their_state(session, draft):
    register_pilot(session, key="x-tone", pilot={"start": "2026-03-01", "end": "2026-05-01"})
    approval.approve(session, pilot_key=draft.key, approver=BOSS)
    session.commit()
    assert [(pilot.key, found.status) for pilot, found in approval.queue(session)] == [
        ("x-care-1h", "approved"), ("x-tone", "awaiting")]


def test_the_notebook_reads_approvals_and_the_queue_as_typed_frames(session, engine, draft):
    from lab.notebook import Lab

    approval.approve(session, pilot_key=draft.key, approver=BOSS, note="go")
    session.commit()
    registry.register(session, spec=make_spec(pilot={"budget": 30000}), actor=ACTOR)
    session.commit()
    lab = Lab(engine)
    given = lab.approvals()
    assert given[["pilot", "approved_by", "note"]].values.tolist() == [
        ["x-care-1h", BOSS, "go"]]
    assert given["current"].tolist() == [False]  # the plan changed after it
    assert str(given["approved_at"].dtype) == "datetime64[ns, UTC]"
    queue = lab.approval_queue()
    assert queue["approval"].tolist() == ["stale"]
    assert list(queue["approval"].cat.categories) == ["approved", "stale", "awaiting"]
    assert queue["approved_by"].isna().all()


def test_the_demo_approves_every_example_before_starting_it(tmp_path):
    from lab import db, demo

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    summary = demo.build(url)
    with db.reading(db.engine_for(url)) as session:
        rows = list(session.exec(select(PlanApproval)))
    assert len(rows) == len(summary.pilots) == len(list(demo.EXPERIMENTS.glob("*.toml")))
    assert {row.approved_by for row in rows} == {"manager@lab.example"}
    assert all(row.note for row in rows)
    db.engine_for(url).dispose()


@pytest.mark.parametrize(("held", "refused"), [
    ("accountable", True), (["responsible", "consulted"], True),
    ("consulted", False), ("informed", False)])
def test_who_the_roles_make_responsible_or_accountable_cannot_approve(session, held, refused):
    add_people(session, **{BOSS: "manager", OWNER: "manager", ACTOR: "admin",
                           "lena@bank.example": "manager"})
    roles = {"lena@bank.example": held}
    if held != "accountable":
        roles["raj@bank.example"] = "accountable"  # exactly one is accountable
    registry.register(session, spec={**make_spec(), "roles": roles}, actor=ACTOR)
    session.commit()
    draft = get_pilot(session, "x-care-1h")
    reason = approval.refusal(session, draft, "lena@bank.example")
    if refused:
        assert reason and "in the roles of pilot 'x-care-1h'" in reason
        with pytest.raises(approval.SelfApproval):
            approval.approve(session, pilot_key=draft.key, approver="lena@bank.example",
                             expected_hash=approval.plan_hash(draft.plan))
    else:
        assert reason is None
