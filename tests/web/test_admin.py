"""Administration pages: users and roles, catalogues, the audit log."""

from __future__ import annotations

from sqlmodel import select

from lab import accounts, db
from lab.models import Channel, Segment
from lab.pilots import audit
from tests.web.conftest import post_form, sign_in, write


def test_an_admin_adds_a_user_who_can_then_sign_in(app, signed_in):
    admin = signed_in("admin")
    response = post_form(admin, "/admin/users", {"email": "Raj@Bank.example", "name": "Raj",
                                                 "role": "analyst",
                                                 "password": "a long first password"})
    assert response.status_code == 302
    assert "raj@bank.example" in admin.get("/admin/users").get_data(as_text=True)
    assert sign_in(app.test_client(), "raj@bank.example", "a long first password"
                   ).status_code == 302


def test_a_bad_new_user_is_shown_at_its_field(signed_in):
    response = post_form(signed_in("admin"), "/admin/users", {
        "email": "raj@bank.example", "role": "analyst", "password": "short"})
    assert response.status_code == 422
    assert 'id="password-error">must be at least 10 characters' in response.get_data(
        as_text=True)


def test_a_role_change_ends_the_users_sessions(app, signed_in, people, running):
    member, admin = signed_in("member"), signed_in("admin")
    user_id = write(app, lambda s: accounts.find_user(s, people["member"]).id)
    assert post_form(admin, f"/admin/users/{user_id}/role", {"role": "manager"}
                     ).status_code == 302
    assert member.get("/").status_code == 302
    assert sign_in(member, people["member"]).status_code == 302
    assert member.get("/pilots/x-care-1h/sign-off").status_code == 200  # now a manager


def test_an_unknown_role_is_refused(app, signed_in, people):
    user_id = write(app, lambda s: accounts.find_user(s, people["member"]).id)
    response = post_form(signed_in("admin"), f"/admin/users/{user_id}/role", {"role": "boss"})
    assert response.status_code == 422
    assert "role: must be one of" in response.get_data(as_text=True)


def test_catalogue_entries_are_added_once_and_must_be_keys(app, signed_in):
    admin = signed_in("admin")
    assert post_form(admin, "/admin/catalogues", {"catalogue": "channel",
                                                  "name": "whatsapp"}).status_code == 302
    again = post_form(admin, "/admin/catalogues", {"catalogue": "channel", "name": "whatsapp"})
    assert again.status_code == 422 and "already in the channel catalogue" in again.get_data(
        as_text=True)
    bad = post_form(admin, "/admin/catalogues", {"catalogue": "segment",
                                                 "name": "Wealth Clients"})
    assert bad.status_code == 422
    with app.app_context(), db.reading(db.engine()) as session:
        assert [c.name for c in session.exec(select(Channel))] == ["whatsapp"]
        assert session.exec(select(Segment)).all() == []
        assert audit.events(session, action="channel.add")


def test_denials_are_in_the_audit_log_for_admins_to_read(app, signed_in):
    assert signed_in("viewer").get("/admin/users").status_code == 403
    with app.app_context(), db.reading(db.engine()) as session:
        [event] = audit.events(session, action="denied")
        assert (event.actor, event.object_key) == ("viewer@lab.example", "GET /admin/users")
    page = signed_in("admin").get("/admin/audit?action=denied").get_data(as_text=True)
    assert "GET /admin/users" in page
