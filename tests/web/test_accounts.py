"""lab.accounts and `lab user`: scrypt hashes, roles, throttling, hashed tokens, demo users."""

from __future__ import annotations

import hashlib

import pytest
from sqlmodel import select

from lab import accounts, db
from lab.cli.users import user_group
from lab.demo.users import create_demo_users
from lab.models import ApiToken, LoginThrottle, User
from lab.pilots import audit
from tests.web.conftest import PASSWORD


def add(session, email="ana@bank.example", role="member", password=PASSWORD):
    user = accounts.add_user(session, email=email, password=password, role=role, actor="test")
    session.commit()
    return user


THROTTLE = accounts.Throttle(account=3, address=10, window_seconds=300, secret="test")


def login(session, email, password, address="10.0.0.1", throttle=THROTTLE, browser=None):
    result = accounts.authenticate(session, email=email, password=password, address=address,
                                   throttle=throttle, browser=browser)
    session.commit()
    return result


def test_passwords_are_stored_as_scrypt_hashes(session):
    user = add(session, email=" Ana@Bank.Example ")
    assert user.email == "ana@bank.example"
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


@pytest.mark.parametrize(("changes", "message"), [
    ({"email": "not-an-email"}, "email: 'not-an-email' is not an email address"),
    ({"role": "owner"}, "role: must be one of viewer, member, analyst, manager, admin"),
    ({"password": "short"}, "password: must be at least 10 characters"),
    ({"password": " " * 10}, "password: must not be blank"),
    ({"password": "qwertyuiop"}, "password: is one of the 10,000 most common passwords"),
    ({"password": "Password123"}, "password: is one of the 10,000 most common passwords"),
    ({"password": "ana@bank.example"}, "password: must not be an e-mail address"),
    ({"password": " ANA@BANK.EXAMPLE "}, "password: must not be an e-mail address"),
    ({"password": "someone@else.example"}, "password: must not be an e-mail address"),
    ({"password": "ana.bank.account", "email": "ana.bank.account@bank.example"},
     "password: must not be an e-mail address or the account's name"),
])
def test_bad_accounts_are_refused_with_the_field_named(session, changes, message):
    with pytest.raises(accounts.AccountError, match=message):
        add(session, **changes)
    assert session.exec(select(User)).all() == []


def test_an_email_is_used_once(session):
    add(session)
    with pytest.raises(accounts.AccountError, match="already exists"):
        add(session, email="ANA@bank.example")


def test_roles_are_ordered_each_including_those_below():
    assert accounts.role_at_least("manager", "analyst")
    assert accounts.role_at_least("admin", "manager")
    assert not accounts.role_at_least("analyst", "manager")
    assert not accounts.role_at_least("nobody", "viewer")


def test_a_wrong_password_and_an_unknown_user_get_the_same_refusal(session):
    add(session)
    wrong = login(session, "ana@bank.example", "wrong password")
    unknown = login(session, "nobody@bank.example", PASSWORD)
    assert wrong == unknown == accounts.LoginResult(None)
    actions = [event.action for event in audit.events(session)]
    assert actions.count("login.failed") == 2


def test_an_unknown_user_is_checked_against_a_hash_as_slowly_as_a_wrong_password(
        session, monkeypatch):
    add(session)
    derived = []
    real = hashlib.scrypt
    # Count the key derivations (the slow part) while still doing them.
    monkeypatch.setattr(hashlib, "scrypt", lambda *args, **kwargs: derived.append(1)
                        or real(*args, **kwargs))
    login(session, "ana@bank.example", "wrong password")
    wrong, derived[:] = len(derived), []
    login(session, "nobody@bank.example", PASSWORD)
    login(session, "nobody@bank.example", PASSWORD)  # the dummy hash is made only once
    assert wrong == 1 and len(derived) in (2, 3)


def test_a_successful_login_clears_the_accounts_failures(session):
    add(session)
    login(session, "ana@bank.example", "wrong password")
    assert login(session, "ana@bank.example", PASSWORD).user is not None
    counts = {row.key: row.attempts for row in session.exec(select(LoginThrottle))}
    assert counts == {"address:10.0.0.1": 1}  # the failure; the success was taken back


def test_a_disabled_account_cannot_sign_in(session):
    add(session)
    accounts.disable(session, email="ana@bank.example", actor="admin@lab.example")
    session.commit()
    assert login(session, "ana@bank.example", PASSWORD).user is None


def test_role_change_and_disable_end_sessions(session):
    user = add(session)
    before = user.session_version
    accounts.set_role(session, email=user.email, role="manager", actor="admin")
    accounts.disable(session, email=user.email, actor="admin")
    session.commit()
    assert user.session_version == before + 2
    assert [event.action for event in audit.events(session, object_key=user.email)] == [
        "user.add", "user.role", "user.disable"]


def test_a_new_password_is_checked_as_carefully_as_a_first_one(session):
    user = add(session)
    for weak in ("1234567890", "          ", user.email):
        with pytest.raises(accounts.AccountError, match="password: "):
            accounts.change_password(session, user=user, current=PASSWORD, new=weak)


def test_changing_a_password_needs_the_current_one(session):
    user = add(session)
    with pytest.raises(accounts.AccountError, match="current_password: is not right"):
        accounts.change_password(session, user=user, current="guess guess", new="a new long one")
    accounts.change_password(session, user=user, current=PASSWORD, new="a new long one")
    session.commit()
    assert login(session, user.email, "a new long one").user is not None


def test_tokens_are_stored_as_sha256_and_only_for_analysts_up(session):
    member, analyst = add(session, "m@lab.example", "member"), add(session, "a@lab.example",
                                                                   "analyst")
    with pytest.raises(accounts.AccountError, match="only analysts"):
        accounts.create_token(session, user=member, name="script")
    token, secret = accounts.create_token(session, user=analyst, name="script")
    session.commit()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {row.token_hash for row in session.exec(select(ApiToken))}
    assert accounts.user_for_token(session, secret)[0].email == "a@lab.example"
    assert accounts.user_for_token(session, secret + "x") is None


def test_a_revoked_token_or_a_disabled_owner_stops_the_token(session):
    analyst = add(session, "a@lab.example", "analyst")
    first, first_secret = accounts.create_token(session, user=analyst, name="one")
    _, second_secret = accounts.create_token(session, user=analyst, name="two")
    other = add(session, "b@lab.example", "analyst")
    with pytest.raises(LookupError):
        accounts.revoke_token(session, user=other, token_id=first.id)
    accounts.revoke_token(session, user=analyst, token_id=first.id)
    session.commit()
    assert accounts.user_for_token(session, first_secret) is None
    assert accounts.user_for_token(session, second_secret) is not None
    accounts.disable(session, email=analyst.email, actor="admin")
    session.commit()
    assert accounts.user_for_token(session, second_secret) is None


def test_demo_users_have_one_account_per_role(session):
    credentials = create_demo_users(session)
    session.commit()
    assert [role for _, _, role in credentials] == list(accounts.ROLES)
    for email, password, role in credentials:
        assert login(session, email, password).user.role == role
    assert create_demo_users(session) == credentials  # idempotent


def test_cli_adds_a_user_with_the_password_from_the_environment(app, runner, session,
                                                                monkeypatch):
    monkeypatch.setenv("LAB_PASSWORD", PASSWORD)
    result = runner.invoke(user_group, ["add", "Raj@Bank.example", "--role", "analyst"])
    assert result.exit_code == 0, result.output
    assert "Added raj@bank.example as analyst." in result.output
    assert login(session, "raj@bank.example", PASSWORD).user.role == "analyst"


def test_cli_changes_roles_and_disables(app, runner, session):
    add(session)
    result = runner.invoke(user_group, ["role", "ana@bank.example", "manager"])
    assert result.exit_code == 0 and "is now manager" in result.output
    result = runner.invoke(user_group, ["disable", "ana@bank.example"])
    assert result.exit_code == 0 and "is disabled" in result.output
    session.expire_all()
    user = accounts.find_user(session, "ana@bank.example")
    assert (user.role, user.active) == ("manager", False)


def test_cli_refusals_name_the_problem(app, runner, monkeypatch):
    monkeypatch.delenv("LAB_PASSWORD", raising=False)
    result = runner.invoke(user_group, ["add", "x@lab.example"])
    assert result.exit_code != 0 and "set LAB_PASSWORD" in result.output
    monkeypatch.setenv("LAB_PASSWORD", "short")
    result = runner.invoke(user_group, ["add", "x@lab.example"])
    assert result.exit_code == 1 and "at least 10 characters" in result.output
    result = runner.invoke(user_group, ["role", "nobody@lab.example", "admin"])
    assert result.exit_code == 1 and "no user 'nobody@lab.example'" in result.output


@pytest.mark.parametrize("change", ["demote", "disable"])
def test_the_last_active_admin_keeps_the_role(session, change):
    admin = add(session, "root@lab.example", "admin")
    add(session, "old@lab.example", "admin")
    accounts.disable(session, email="old@lab.example", actor="root@lab.example")
    session.commit()  # a disabled admin is no admin to fall back on

    def act(email, actor):
        if change == "demote":
            return accounts.set_role(session, email=email, role="manager", actor=actor)
        return accounts.disable(session, email=email, actor=actor)

    for actor in (admin.email, "someone (cli)"):
        with pytest.raises(accounts.AccountError, match="root@lab.example is the last active "
                                                       "admin"):
            act(admin.email, actor)
    session.rollback()
    add(session, "second@lab.example", "admin")
    act(admin.email, admin.email)  # with another admin it may go
    session.commit()
    with pytest.raises(accounts.AccountError, match="second@lab.example is the last"):
        act("second@lab.example", "second@lab.example")


def test_two_admins_demoting_each_other_at_once_leave_one(engine, session):
    import threading

    add(session, "a@lab.example", "admin")
    add(session, "b@lab.example", "admin")
    start, outcomes = threading.Barrier(2), []

    def demote(email, actor):
        start.wait()
        try:
            with db.writing(engine) as change:
                accounts.set_role(change, email=email, role="viewer", actor=actor)
            outcomes.append("done")
        except accounts.AccountError:
            outcomes.append("refused")

    threads = [threading.Thread(target=demote, args=pair) for pair in
               (("a@lab.example", "b@lab.example"), ("b@lab.example", "a@lab.example"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "refused"]
    session.expire_all()
    assert [user.email for user in session.exec(select(User).where(User.role == "admin"))] \
        in (["a@lab.example"], ["b@lab.example"])


def test_the_command_line_refuses_to_disable_the_last_admin(app, runner, session):
    add(session, "root@lab.example", "admin")
    result = runner.invoke(user_group, ["disable", "root@lab.example"])
    assert result.exit_code == 1 and "last active admin" in result.output
    session.expire_all()
    assert accounts.find_user(session, "root@lab.example").active


@pytest.mark.parametrize(("path", "data"), [("role", {"role": "viewer"}), ("disable", {})])
def test_the_only_admin_cannot_demote_or_disable_itself_on_the_admin_page(app, signed_in,
                                                                         people, path, data):
    from tests.web.conftest import post_form, write

    admin = signed_in("admin")
    user_id = write(app, lambda s: accounts.find_user(s, people["admin"]).id)
    response = post_form(admin, f"/admin/users/{user_id}/{path}", data)
    assert response.status_code == 422
    assert "is the last active admin" in response.get_data(as_text=True)
    assert admin.get("/admin/users").status_code == 200  # still an admin, still signed in
