"""Notices on the web: each user chooses theirs; admins see what was sent and what failed."""

from __future__ import annotations

from lab import db
from lab.models import Notice
from lab.notify import events
from tests.web.conftest import post_form, write


def chosen(app, email: str) -> list[str]:
    with app.app_context(), db.reading(db.engine()) as session:
        return [kind for kind in ("outcome_changed", "decision_overdue", "digest")
                if email in events.subscribers(session, kind)]


def test_a_user_ticks_the_notices_they_want_and_untick_them(app, signed_in, people):
    client = signed_in("viewer")
    page = client.get("/account").get_data(as_text=True)
    assert 'name="kinds" value="outcome_changed"' in page and " checked" not in page
    reply = post_form(client, "/account/notices", {"kinds": ["outcome_changed", "digest"]})
    assert reply.status_code == 302
    assert chosen(app, people["viewer"]) == ["outcome_changed", "digest"]
    assert 'value="digest" checked' in client.get("/account").get_data(as_text=True)
    post_form(client, "/account/notices", {"kinds": ["decision_overdue"]})
    assert chosen(app, people["viewer"]) == ["decision_overdue"]


def test_an_unknown_kind_is_refused_and_nothing_changes(app, signed_in, people):
    client = signed_in("member")
    reply = post_form(client, "/account/notices", {"kinds": ["everything"]})
    assert reply.status_code == 422
    assert chosen(app, people["member"]) == []


def test_admins_see_failed_deliveries_first(app, signed_in, running):
    def store(session):
        session.add(Notice(key="decision_overdue:x-care-1h", kind="decision_overdue",
                           pilot="x-care-1h", payload={}, emails_sent=1,
                           webhook_attempts=3, webhook_error="HTTP 500 from the webhook"))
        session.add(Notice(key="outcome_changed:x-care-1h:1", kind="outcome_changed",
                           pilot="x-care-1h", payload={}, silent=True))
    write(app, store)
    page = signed_in("admin").get("/admin/notices").get_data(as_text=True)
    failed = page[page.index("Failed deliveries"):page.index("Delivered")]
    assert "failed</strong> after 3 attempts: HTTP 500 from the webhook" in failed
    assert "outcome_changed" not in page  # a silent baseline was never sent


def test_plans_awaiting_approval_are_offered_to_managers_only(app, signed_in, people):
    manager = signed_in("manager")
    assert 'value="plan_awaiting"' in manager.get("/account").get_data(as_text=True)
    assert post_form(manager, "/account/notices", {"kinds": ["plan_awaiting"]}).status_code \
        == 302
    with app.app_context(), db.reading(db.engine()) as session:
        assert events.subscribers(session, "plan_awaiting") == [people["manager"]]
    viewer = signed_in("viewer")
    assert 'value="plan_awaiting"' not in viewer.get("/account").get_data(as_text=True)
    refused = post_form(viewer, "/account/notices", {"kinds": ["plan_awaiting", "digest"]})
    assert refused.status_code == 422
    assert "plan_awaiting is for managers" in refused.get_data(as_text=True)
    assert chosen(app, people["viewer"]) == []
