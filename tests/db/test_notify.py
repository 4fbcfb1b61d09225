"""Notices: a real SMTP server (aiosmtpd) and a real HTTP receiver hear each event once."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, timedelta

import pytest
from sqlmodel import select

from lab import accounts, db
from lab.cli.notify import digest_command, notify_group
from lab.models import Notice
from lab.notify import delivery, digest, events
from tests.db.conftest import SECRET, settings_for
from tests.factories import (
    log_rows,
    observation_rows,
    standby_spec,
    start_pilot,
    start_plan,
    week_rows,
)

BEFORE_END = date(2026, 1, 20)


def strong_effect_rows() -> list[dict]:
    """Ten more weeks in which the pilot arm churns half as much: the rule says scale up."""
    rows = []
    for week in range(2, 12):
        period = (date(2026, 1, 5) + timedelta(weeks=week)).isoformat()
        for arm, churned in (("pilot", 300), ("control", 600)):
            rows += [{"pilot": "x-care-1h", "metric": "churn-90d", "arm": arm,
                      "period": period, "successes": churned, "trials": 3000},
                     {"pilot": "x-care-1h", "metric": "cost-per-contact", "arm": arm,
                      "period": period, "n": 3000, "mean": 12.5, "sd": 3.25},
                     {"pilot": "x-care-1h", "metric": "complaints", "arm": arm,
                      "period": period, "events": 30, "exposure": 1000.0}]
    return rows


def run(engine, settings, today):
    with db.reading(engine) as session:
        found = events.detect(session, settings.base_url, today)
    with db.writing(engine) as session:
        events.record(session, found)
    return delivery.deliver(engine, settings, sleep=lambda seconds: None)


@pytest.fixture
def subscribed(engine, session):
    start_pilot(session)
    log_rows(engine, observation_rows(periods=2))
    with db.writing(engine) as writing:
        accounts.add_user(writing, email="mia@bank.example", password="x" * 12,
                          role="manager", actor="test")
        events.subscribe(writing, email="mia@bank.example",
                         kinds=["outcome_changed", "decision_overdue", "digest"])
    return engine


def test_an_outcome_change_and_an_overdue_decision_each_send_one_email_and_one_webhook(
        subscribed, smtp, receiver):
    engine, settings = subscribed, settings_for(smtp, receiver)
    first = run(engine, settings, BEFORE_END)  # 'continue': the baseline, told to nobody
    assert (first.emails, first.webhooks, smtp.messages, receiver["calls"]) == (0, 0, [], [])
    log_rows(engine, strong_effect_rows())
    second = run(engine, settings, BEFORE_END)
    assert (second.emails, second.webhooks, second.failures) == (2, 2, 0)
    subjects = sorted(message["Subject"] for _, message in smtp.messages)
    assert subjects == ["One-hour reply desk on X: a decision is due",
                        "One-hour reply desk on X: the recommendation is now scale up"]
    assert all(to == ["mia@bank.example"] for to, _ in smtp.messages)
    html = next(message for _, message in smtp.messages
                if "scale up" in message["Subject"]).get_body(("html",)).get_content()
    assert "Recommendation: scale up" in html
    assert 'href="https://lab.bank.example/pilots/x-care-1h"' in html
    events_sent = []
    for headers, body in receiver["bodies"]:
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Lab-Signature"], expected)
        events_sent.append(json.loads(body)["event"])
    assert sorted(events_sent) == ["decision_overdue", "outcome_changed"]
    third = run(engine, settings, BEFORE_END)  # nothing new: nothing sent again
    assert (third.emails, third.webhooks, len(smtp.messages), len(receiver["calls"])) == \
        (0, 0, 2, 2)


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(subscribed, smtp,
                                                                      receiver):
    engine, settings = subscribed, settings_for(smtp, receiver)
    run(engine, settings, BEFORE_END)
    log_rows(engine, strong_effect_rows())
    receiver["fail"] = 2
    waits = []
    with db.reading(engine) as session:
        found = events.detect(session, settings.base_url, BEFORE_END)
    with db.writing(engine) as session:
        events.record(session, found)
    with db.reading(engine) as session:
        notice = next(n for n in session.exec(select(Notice))
                      if n.kind == "outcome_changed" and not n.silent)
    attempts, error = delivery.post_webhook(settings, notice, sleep=waits.append)
    assert (attempts, error, waits) == (3, None, [0.001, 0.002])
    assert len(receiver["calls"]) == 3 and len(receiver["bodies"]) == 1


def test_a_receiver_that_keeps_failing_is_shown_to_admins_and_retried_next_run(
        subscribed, smtp, receiver, runner):
    engine, settings = subscribed, settings_for(smtp, receiver)
    run(engine, settings, BEFORE_END)
    log_rows(engine, strong_effect_rows())
    receiver["fail"] = 100
    failed = run(engine, settings, BEFORE_END)
    assert (failed.webhooks, failed.failures, failed.emails) == (0, 2, 2)
    listed = runner.invoke(notify_group, ["failures"])
    assert "outcome_changed:x-care-1h:2: webhook (3 attempts): HTTP 500 from the webhook" \
        in listed.output
    receiver["fail"] = 0
    again = run(engine, settings, BEFORE_END)
    assert (again.webhooks, again.emails) == (2, 0)  # the e-mails went the first time
    assert "no failed deliveries" in runner.invoke(notify_group, ["failures"]).output


def test_a_notice_stored_meanwhile_by_another_run_is_not_stored_twice(subscribed, smtp,
                                                                     receiver):
    engine, settings = subscribed, settings_for(smtp, receiver)
    with db.reading(engine) as session:
        first = events.detect(session, settings.base_url)
        second = events.detect(session, settings.base_url)  # a second job, at once
    with db.writing(engine) as session:
        assert len(events.record(session, first)) == 2  # the baseline and the overdue
    with db.writing(engine) as session:
        assert events.record(session, second) == []
    assert delivery.deliver(engine, settings, sleep=lambda s: None).webhooks == 1


def test_only_subscribers_hear_and_the_choice_can_be_undone(subscribed, smtp, receiver):
    engine = subscribed
    with db.writing(engine) as session:
        assert events.subscribe(session, email="mia@bank.example", kinds=["outcome_changed"],
                                on=False) == ["decision_overdue", "digest"]
        with pytest.raises(Exception, match="no notice kind nonsense"):
            events.subscribe(session, email="mia@bank.example", kinds=["nonsense"])
    settings = settings_for(smtp, receiver, webhook_url=None)
    run(engine, settings, BEFORE_END)
    log_rows(engine, strong_effect_rows())
    run(engine, settings, BEFORE_END)
    assert [message["Subject"] for _, message in smtp.messages] == [
        "One-hour reply desk on X: a decision is due"]


def test_the_digest_is_html_with_the_recommendation_words_and_links(subscribed, smtp,
                                                                   receiver):
    engine, settings = subscribed, settings_for(smtp, receiver)
    run(engine, settings, BEFORE_END)
    log_rows(engine, strong_effect_rows())
    run(engine, settings, BEFORE_END)
    with db.reading(engine) as session:
        subject, text, html = digest.compose(session, settings.base_url, today=date.today())
    assert subject.startswith("Pilot portfolio, week of ")
    assert "One-hour reply desk on X: Recommendation: scale up (final look) (was keep " \
        "collecting data)" in text
    assert '<a href="https://lab.bank.example/pilots/x-care-1h">One-hour reply desk on X</a>' \
        in html


def test_lab_digest_sends_one_message_and_refuses_without_smtp(subscribed, smtp, runner,
                                                              monkeypatch):
    monkeypatch.delenv("LAB_SMTP_HOST", raising=False)
    assert runner.invoke(digest_command, []).exit_code == 1
    monkeypatch.setenv("LAB_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LAB_SMTP_PORT", str(smtp.port))
    monkeypatch.setenv("LAB_SMTP_STARTTLS", "false")
    result = runner.invoke(digest_command, [])
    assert result.exit_code == 0, result.output
    assert "digest sent to 1 people" in result.output
    assert len(smtp.messages) == 1
    assert smtp.messages[0][1].get_body(("html",)) is not None


def test_lab_notify_send_reports_what_it_sent_and_fails_on_a_failed_delivery(
        subscribed, smtp, receiver, runner, monkeypatch):
    assert runner.invoke(notify_group, ["send"]).exit_code == 1  # nothing configured
    for name, value in (("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", str(smtp.port)),
                        ("SMTP_STARTTLS", "false"), ("WEBHOOK_URL", receiver["url"]),
                        ("WEBHOOK_SECRET", SECRET), ("WEBHOOK_BACKOFF_MS", "1")):
        monkeypatch.setenv(f"LAB_{name}", value)
    first = runner.invoke(notify_group, ["send"])
    assert first.exit_code == 0, first.output
    # Today is past the pilot's planned end: its decision is overdue at once.
    assert "1 new notices; 1 e-mails and 1 webhooks sent" in first.output
    log_rows(subscribed, strong_effect_rows())
    receiver["fail"] = 100
    second = runner.invoke(notify_group, ["send"])
    assert second.exit_code == 1
    assert "1 new notices; 1 e-mails and 0 webhooks sent; 1 failed" in second.output
    monkeypatch.delenv("LAB_WEBHOOK_SECRET")
    unsigned = runner.invoke(notify_group, ["send"])
    assert unsigned.exit_code == 1 and "webhooks are always signed" in unsigned.output
    monkeypatch.setenv("LAB_WEBHOOK_SECRET", "short")
    bad = runner.invoke(notify_group, ["send"])
    assert bad.exit_code == 1 and "LAB_WEBHOOK_SECRET must be" in bad.output
    assert "short" not in bad.output  # a secret is never echoed


def test_a_fired_stand_by_rule_sends_one_email_and_one_signed_webhook(engine, session, smtp,
                                                                     receiver):
    rule = {"metric": "complaints", "above": 0.03, "action": "pause",
            "notify": ["owner", "responsible"]}
    start_plan(session, standby_spec([rule], {"ana@bank.example": "accountable",
                                              "raj@bank.example": "responsible"}))
    with db.writing(engine) as writing:
        accounts.add_user(writing, email="mia@bank.example", password="x" * 12,
                          role="manager", actor="test")
        events.subscribe(writing, email="mia@bank.example", kinds=["standby_fired"])
    settings = settings_for(smtp, receiver)
    log_rows(engine, week_rows(0, 20))
    run(engine, settings, BEFORE_END)  # the outcome's baseline, silent; nothing fired yet
    assert smtp.messages == [] and receiver["calls"] == []
    log_rows(engine, week_rows(1, 60))  # fires, and pauses the pilot
    sent = run(engine, settings, BEFORE_END)
    assert (sent.emails, sent.webhooks, sent.failures) == (1, 1, 0)
    [(to, message)] = smtp.messages
    assert to == ["ana@bank.example", "mia@bank.example", "raj@bank.example"]
    assert message["Subject"] == "One-hour reply desk on X: a stand-by rule fired"
    said = message.get_body(("plain",)).get_content()
    assert "Stand-by rule fired at look 2" in said and "the pilot was paused" in said
    [(headers, body)] = receiver["bodies"]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Lab-Signature"], expected)
    payload = json.loads(body)
    assert (payload["event"], payload["id"], payload["look"], payload["action"]) == (
        "standby_fired", "standby_fired:x-care-1h:0", 2, "pause")
    again = run(engine, settings, BEFORE_END)  # fired once: told once
    assert (again.emails, again.webhooks, len(smtp.messages), len(receiver["calls"])) == \
        (0, 0, 1, 1)
