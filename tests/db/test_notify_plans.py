"""Plans awaiting approval, told once per version; racing senders send each notice once.

A real SMTP server (aiosmtpd) and a real HTTP receiver (tests/db/conftest.py), on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time

import pytest
from sqlmodel import select

from lab import accounts, db
from lab.cli.notify import notify_group
from lab.errors import Invalid
from lab.models import Notice, Pilot, User
from lab.notify import delivery, events
from lab.pilots import approval, registry
from tests.db.conftest import SECRET, settings_for
from tests.factories import (
    ACTOR,
    log_rows,
    make_spec,
    observation_rows,
    register_pilot,
    start_pilot,
)

BOSS = "mia@bank.example"


def add_user(engine, email: str, role: str, kinds: list[str]) -> None:
    with db.writing(engine) as session:
        accounts.add_user(session, email=email, password="x" * 12, role=role, actor="test")
        if kinds:
            events.subscribe(session, email=email, kinds=kinds)


@pytest.fixture
def draft(engine, session):
    """A draft awaiting approval; a manager and another manager who chose nothing."""
    register_pilot(session)
    add_user(engine, BOSS, "manager", ["plan_awaiting"])
    add_user(engine, "raj@bank.example", "manager", ["outcome_changed"])
    return engine


def configure(monkeypatch, smtp, receiver) -> None:
    for name, value in (("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", str(smtp.port)),
                        ("SMTP_STARTTLS", "false"), ("WEBHOOK_URL", receiver["url"]),
                        ("WEBHOOK_SECRET", SECRET), ("WEBHOOK_BACKOFF_MS", "1"),
                        ("BASE_URL", "https://lab.bank.example")):
        monkeypatch.setenv(f"LAB_{name}", value)


def send(runner) -> str:
    result = runner.invoke(notify_group, ["send"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_plan_awaiting_approval_sends_one_email_and_one_webhook_per_version(
        draft, app, runner, smtp, receiver, monkeypatch):
    app.config["APPROVAL"] = True
    configure(monkeypatch, smtp, receiver)
    assert "1 new notices; 1 e-mails and 1 webhooks sent" in send(runner)
    for _ in range(3):  # a scheduled job runs again and again: nothing more
        assert "0 new notices; 0 e-mails and 0 webhooks sent" in send(runner)
    assert len(smtp.messages) == 1 and len(receiver["calls"]) == 1
    to, message = smtp.messages[0]
    assert to == [BOSS]  # raj chose other notices
    assert message["Subject"] == "One-hour reply desk on X: the plan awaits your approval"
    assert "awaits approval: a manager outside the pilot must approve it" in \
        message.get_body(("plain",)).get_content()
    assert 'href="https://lab.bank.example/approvals"' in \
        message.get_body(("html",)).get_content()
    headers, body = receiver["bodies"][0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Lab-Signature"], expected)
    sent = json.loads(body)
    with db.reading(draft) as session:
        pilot = session.exec(select(Pilot)).one()
        first = approval.plan_hash(pilot.plan)
    assert (sent["event"], sent["pilot"], sent["plan_hash"], sent["status"]) == (
        "plan_awaiting", "x-care-1h", first, "awaiting")
    assert sent["id"] == f"plan_awaiting:x-care-1h:{first}"

    with db.writing(draft) as session:  # approved: nothing awaits
        approval.approve(session, pilot_key="x-care-1h", approver=BOSS)
    assert "0 new notices" in send(runner)
    with db.writing(draft) as session:  # the plan changes after the approval: a new version
        registry.register(session, spec=make_spec(pilot={"budget": 30000}), actor=ACTOR)
    assert "1 new notices; 1 e-mails and 1 webhooks sent" in send(runner)
    assert "0 new notices; 0 e-mails and 0 webhooks sent" in send(runner)
    assert len(smtp.messages) == 2 and len(receiver["bodies"]) == 2
    again = json.loads(receiver["bodies"][1][1])
    assert again["status"] == "stale" and again["plan_hash"] != first
    assert f"changed after {BOSS} approved it" in again["words"]


def test_without_approval_before_start_no_plan_awaits(draft, smtp, receiver):
    settings = settings_for(smtp, receiver)
    with db.reading(draft) as session:
        assert events.detect(session, settings.base_url, approval_required=False) == []
        assert [n.kind for n in events.detect(session, settings.base_url)] == ["plan_awaiting"]


def test_only_managers_choose_and_hear_of_plans_awaiting(draft, smtp, receiver):
    with db.writing(draft) as session:
        accounts.add_user(session, email="kim@bank.example", password="x" * 12,
                          role="member", actor="test")
    with db.writing(draft) as session, pytest.raises(Invalid, match="kinds: plan_awaiting "
                                                     "is for managers.*is member"):
        events.subscribe(session, email="kim@bank.example", kinds=["plan_awaiting"])
    with db.writing(draft) as session:  # a manager who became a viewer hears no more
        session.exec(select(User).where(User.email == BOSS)).one().role = "viewer"
    with db.reading(draft) as session:
        assert events.subscribers(session, "plan_awaiting") == []


def test_two_racing_senders_send_each_notice_once_without_an_error(engine, session, smtp,
                                                                    receiver):
    start_pilot(session)  # past its planned end: a decision is overdue
    start_pilot(session, key="x-care-2h", hypothesis={"key": "faster-care"})
    register_pilot(session, key="x-care-3h", hypothesis={"key": "fastest-care"})
    log_rows(engine, observation_rows(periods=2) + observation_rows("x-care-2h", periods=2))
    add_user(engine, BOSS, "manager", ["decision_overdue", "plan_awaiting"])
    settings = settings_for(smtp, receiver)
    receiver["delay"] = 0.05  # each POST takes a while: the two runs overlap throughout
    with db.reading(engine) as reading:
        found = [events.detect(reading, settings.base_url) for _ in range(2)]
    together, errors, results = threading.Barrier(2), [], []
    stored_first = threading.Event()

    def sender(notices, first: bool):
        try:
            if not first:
                stored_first.wait(10)
            with db.writing(engine) as writing:
                # The second run stores while the first has stored and not yet committed:
                # on PostgreSQL its insert waits for the first and then meets the same keys.
                events.record(writing, notices)
                if first:
                    stored_first.set()
                    time.sleep(0.5)
            together.wait()
            results.append(delivery.deliver(engine, settings, sleep=lambda seconds: None))
        except Exception as error:  # noqa: BLE001 - the test reports any
            errors.append(error)
            stored_first.set()
            together.abort()

    threads = [threading.Thread(target=sender, args=(notices, index == 0))
               for index, notices in enumerate(found)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with db.reading(engine) as reading:
        notices = list(reading.exec(select(Notice).where(Notice.silent == False)))  # noqa: E712
    keys = sorted(notice.key for notice in notices)
    plan = next(notice for notice in notices if notice.kind == "plan_awaiting")
    assert keys == ["decision_overdue:x-care-1h", "decision_overdue:x-care-2h",
                    f"plan_awaiting:x-care-3h:{plan.payload['plan_hash']}"]
    assert sorted(json.loads(body)["id"] for _, body in receiver["bodies"]) == keys
    assert len(smtp.messages) == 3 and len(receiver["calls"]) == 3
    assert sum(result.emails for result in results) == 3
    assert sum(result.webhooks for result in results) == 3
    assert all(notice.emails_sent == 1 and notice.claimed_until is None
               for notice in notices)


def test_a_lease_left_by_a_run_that_died_expires_and_the_next_run_sends(engine, session,
                                                                        smtp, receiver):
    register_pilot(session)
    add_user(engine, BOSS, "manager", ["plan_awaiting"])
    settings = settings_for(smtp, receiver)
    with db.reading(engine) as reading:
        found = events.detect(reading, settings.base_url)
    with db.writing(engine) as writing:
        events.record(writing, found)
        notice = writing.exec(select(Notice)).one()
        notice.claimed_until = delivery.datetime.now(delivery.UTC) + delivery.timedelta(
            minutes=5)  # another run holds it
    assert delivery.deliver(engine, settings).emails == 0
    with db.writing(engine) as writing:
        writing.exec(select(Notice)).one().claimed_until = delivery.datetime.now(
            delivery.UTC) - delivery.timedelta(seconds=1)  # it died: the lease ran out
    assert (delivery.deliver(engine, settings).emails, len(smtp.messages)) == (1, 1)
