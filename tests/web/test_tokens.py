"""API tokens: read or write scope, an expiry, and an end when their owner loses the right."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import update

from lab import accounts
from lab.models import ApiToken, User
from lab.models.base import utcnow
from tests.web.conftest import post_form, write
from tests.web.test_accounts import add

API = "/api/v1"
NOTE = {"kind": "risk", "noted_on": "2026-02-01", "source": "desk", "text": "Queue"}


def make_token(app, email, **options) -> str:
    def create(session):
        return accounts.create_token(session, user=accounts.find_user(session, email),
                                     name="script", **options)[1]
    return write(app, create)


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_reads_only_unless_given_the_write_scope(app, client, people, running):
    reader = make_token(app, people["analyst"])
    assert client.get(f"{API}/pilots", headers=bearer(reader)).status_code == 200
    refused = client.post(f"{API}/pilots/x-care-1h/notes", json=NOTE, headers=bearer(reader))
    assert refused.status_code == 403 and "only read" in refused.json["message"]
    writer = make_token(app, people["analyst"], scope="write")
    assert client.post(f"{API}/pilots/x-care-1h/notes", json=NOTE,
                       headers=bearer(writer)).status_code == 201


def test_a_token_expires(app, client, people):
    secret = make_token(app, people["analyst"], days=1)
    assert client.get(f"{API}/pilots", headers=bearer(secret)).status_code == 200
    write(app, lambda s: s.exec(update(ApiToken).values(expires_at=utcnow() - timedelta(1))))
    response = client.get(f"{API}/pilots", headers=bearer(secret))
    assert response.status_code == 401 and "expired" in response.json["message"]


def test_tokens_are_made_with_a_scope_and_a_life_in_days(session):
    analyst = add(session, "a@lab.example", "analyst")
    token, _ = accounts.create_token(session, user=analyst, name="script")
    assert token.scope == "read"
    assert timedelta(days=89) < token.expires_at - utcnow() <= timedelta(days=90)
    with pytest.raises(accounts.AccountError, match="scope: must be one of read, write"):
        accounts.create_token(session, user=analyst, name="x", scope="admin")
    for days in (0, 366, "soon"):
        with pytest.raises(accounts.AccountError, match="days: a token lasts 1 to 365 days"):
            accounts.create_token(session, user=analyst, name="x", days=days)


def test_the_api_and_the_account_page_make_tokens_with_scope_and_expiry(app, client, people,
                                                                        signed_in):
    writer = make_token(app, people["analyst"], scope="write")
    made = client.post(f"{API}/tokens", json={"name": "nightly", "scope": "write", "days": 7},
                       headers=bearer(writer))
    assert made.status_code == 201 and made.json["scope"] == "write"
    assert made.json["expires_at"] > made.json["created_at"]
    page = post_form(signed_in("analyst"), "/account/tokens",
                     {"name": "weekly", "scope": "read", "days": "400"})
    assert page.status_code == 422 and "1 to 365 days" in page.get_data(as_text=True)


@pytest.mark.parametrize(("role", "works"), [("manager", True), ("analyst", True),
                                             ("member", False), ("viewer", False)])
def test_tokens_end_when_their_owner_drops_below_analyst(session, role, works):
    owner = add(session, "m@lab.example", "manager")
    _, secret = accounts.create_token(session, user=owner, name="script")
    accounts.set_role(session, email=owner.email, role=role, actor="admin@lab.example")
    session.commit()
    assert (accounts.user_for_token(session, secret) is not None) == works
    accounts.set_role(session, email=owner.email, role="manager", actor="admin@lab.example")
    session.commit()
    # A token ended by a demotion stays ended: promotion back does not revive it.
    assert (accounts.user_for_token(session, secret) is not None) == works


def test_a_disabled_owner_ends_their_tokens(session):
    owner = add(session, "a@lab.example", "analyst")
    _, secret = accounts.create_token(session, user=owner, name="script")
    accounts.disable(session, email=owner.email, actor="admin@lab.example")
    session.commit()
    assert accounts.tokens_of(session, owner.id) == []


def test_a_token_whose_owner_lost_the_role_some_other_way_stops(session):
    owner = add(session, "a@lab.example", "analyst")
    _, secret = accounts.create_token(session, user=owner, name="script")
    session.exec(update(User).values(role="member"))  # not through set_role
    session.commit()
    assert accounts.user_for_token(session, secret) is None
