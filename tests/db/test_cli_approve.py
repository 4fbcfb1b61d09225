"""`lab approve`: the approving manager proves who they are with their password."""

from __future__ import annotations

import pytest
from sqlmodel import select

from lab import accounts
from lab.models import AuditEvent, PlanApproval
from tests.factories import register_pilot
from tests.web.conftest import write

PASSWORD = "a long manager password"
BOSS = "boss@bank.example"


@pytest.fixture
def draft(app, session):
    app.config["APPROVAL"] = True
    for email, role in ((BOSS, "manager"), ("ana@bank.example", "manager"),
                        ("kim@bank.example", "member")):
        write(app, lambda s, e=email, r=role: accounts.add_user(
            s, email=e, password=PASSWORD, role=r, actor="test"))
    return register_pilot(session)


def approvals(session) -> list[PlanApproval]:
    session.rollback()
    return list(session.exec(select(PlanApproval)))


def test_start_is_refused_until_a_manager_approves_with_their_password(runner, session, draft,
                                                                       monkeypatch):
    refused = runner.invoke(args=["start", "x-care-1h"])
    assert refused.exit_code == 1 and "must approve its plan first" in refused.output
    monkeypatch.setenv("LAB_PASSWORD", PASSWORD)
    done = runner.invoke(args=["approve", "x-care-1h", "--by", BOSS, "--note", "go"])
    assert done.exit_code == 0, done.output
    assert f"approved by {BOSS}" in done.output
    [row] = approvals(session)
    assert row.approved_by == BOSS and row.note == "go"
    listed = runner.invoke(args=["approve", "--list"])
    assert "x-care-1h\tapproved by boss@bank.example" in listed.output
    started = runner.invoke(args=["start", "x-care-1h"])
    assert started.exit_code == 0, started.output


def test_a_wrong_password_approves_nothing_and_is_counted(runner, session, draft,
                                                          monkeypatch):
    monkeypatch.setenv("LAB_PASSWORD", "not the password at all")
    result = runner.invoke(args=["approve", "x-care-1h", "--by", BOSS])
    assert result.exit_code == 1 and f"wrong password for {BOSS}" in result.output
    assert approvals(session) == []
    failed = session.exec(select(AuditEvent).where(AuditEvent.action == "login.failed")).all()
    assert [event.actor for event in failed] == [BOSS]


def test_without_a_terminal_or_lab_password_it_says_what_to_set(runner, session, draft,
                                                                monkeypatch):
    monkeypatch.delenv("LAB_PASSWORD", raising=False)
    result = runner.invoke(args=["approve", "x-care-1h", "--by", BOSS])
    assert result.exit_code == 2 and "set LAB_PASSWORD" in result.output
    assert approvals(session) == []


@pytest.mark.parametrize(("who", "reason"), [
    ("ana@bank.example", "owns pilot 'x-care-1h'"),
    ("kim@bank.example", "not an active manager"),
])
def test_the_owner_and_non_managers_cannot_approve(runner, session, draft, monkeypatch,
                                                   who, reason):
    monkeypatch.setenv("LAB_PASSWORD", PASSWORD)
    result = runner.invoke(args=["approve", "x-care-1h", "--by", who])
    assert result.exit_code == 1 and reason in result.output
    assert approvals(session) == []


def test_approve_needs_by_and_an_existing_pilot(runner, session, draft, monkeypatch):
    assert "--by EMAIL" in runner.invoke(args=["approve", "x-care-1h"]).output
    monkeypatch.setenv("LAB_PASSWORD", PASSWORD)
    result = runner.invoke(args=["approve", "nope", "--by", BOSS])
    assert result.exit_code == 1 and "no pilot 'nope'" in result.output
