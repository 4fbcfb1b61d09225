"""Sign-in throttling: per account, per address, sparing the rightful user's own browser."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import Session, select, update

from lab import accounts, db
from lab.models import AuditEvent, LoginThrottle
from lab.models.base import utcnow
from lab.pilots import audit
from tests.web.conftest import PASSWORD, csrf_token, sign_in, write
from tests.web.test_accounts import add, login

THROTTLE = accounts.Throttle(account=3, address=20, window_seconds=300, secret="test")
WRONG = "not the password"


def test_guesses_at_one_account_are_slowed_from_every_address(session):
    add(session)
    for number in range(3):
        assert not login(session, "ana@bank.example", WRONG, address=f"10.0.0.{number}").throttled
    paused = login(session, "ana@bank.example", PASSWORD, address="10.9.9.9")
    assert paused.throttled and paused.user is None and 0 < paused.retry_after <= 300
    assert audit.events(session, action="login.throttled")


def test_the_rightful_users_own_browser_is_never_held_back(session):
    user = add(session)
    mine = accounts.KnownBrowser(user.id, "my-laptop")
    for _ in range(10):  # someone else, from the same address, guessing
        login(session, "ana@bank.example", WRONG)
    assert login(session, "ana@bank.example", PASSWORD).throttled
    assert login(session, "ana@bank.example", PASSWORD, browser=mine).user == user


def test_a_browser_known_to_another_account_counts_as_a_stranger(session):
    add(session)
    other = add(session, email="raj@bank.example")
    theirs = accounts.KnownBrowser(other.id, "raj-laptop")
    for _ in range(3):
        login(session, "ana@bank.example", WRONG, browser=theirs)
    assert login(session, "ana@bank.example", PASSWORD, browser=theirs).throttled


def test_many_accounts_tried_once_from_one_address_are_throttled(session):
    refused = [login(session, f"user{n}@bank.example", WRONG, throttle=THROTTLE)
               for n in range(30)]
    assert [result.throttled for result in refused] == [False] * 20 + [True] * 10
    assert not login(session, "user0@bank.example", WRONG, address="10.0.0.2",
                     throttle=THROTTLE).throttled  # another address is not affected


def test_successful_sign_ins_do_not_use_up_the_addresss_allowance(session):
    people = [add(session, email=f"user{n}@bank.example") for n in range(3)]
    small = accounts.Throttle(account=3, address=2, window_seconds=300, secret="test")
    for _ in range(4):
        for person in people:
            assert login(session, person.email, PASSWORD, throttle=small).user == person


def test_counts_start_again_when_the_window_has_passed(session):
    add(session)
    for _ in range(4):
        login(session, "ana@bank.example", WRONG)
    assert login(session, "ana@bank.example", PASSWORD).throttled
    session.exec(update(LoginThrottle).values(since=utcnow() - timedelta(seconds=301)))
    session.commit()
    assert login(session, "ana@bank.example", PASSWORD).user is not None


def test_unknown_emails_are_throttled_alike_but_their_text_is_not_kept(session):
    typed = "MySecretPassw0rd"  # a password typed in the email box
    results = [login(session, typed, WRONG, address=f"10.0.1.{n}") for n in range(4)]
    assert [result.throttled for result in results] == [False, False, False, True]
    kept = [str(row) for row in session.exec(select(LoginThrottle))]
    kept += [str(event.model_dump()) for event in session.exec(select(AuditEvent))]
    assert not any(typed.lower() in text.lower() for text in kept)
    assert {event.actor for event in audit.events(session)} == {accounts.UNKNOWN}


def test_a_known_accounts_failures_keep_its_email(session):
    add(session)
    login(session, "ana@bank.example", WRONG)
    [event] = audit.events(session, action="login.failed")
    assert (event.actor, event.object_key) == ("ana@bank.example", "ana@bank.example")


def test_simultaneous_guesses_get_no_more_checks_than_the_limit(engine, session):
    add(session)
    start = threading.Barrier(20)
    outcomes: list[bool] = []

    def guess():
        start.wait()
        with db.writing(engine) as attempt:
            result = accounts.authenticate(attempt, email="ana@bank.example", password=WRONG,
                                           address="10.0.0.1", throttle=THROTTLE)
        outcomes.append(result.throttled)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * 3 + [True] * 17
    with Session(engine) as fresh:
        assert len(audit.events(fresh, action="login.failed")) == 3


def test_the_sign_in_page_remembers_the_browser_that_signed_in(app, client, people):
    app.config["LOGIN_ATTEMPTS"] = 2
    assert sign_in(client, people["member"]).status_code == 302  # this browser is known now
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    stranger = app.test_client()
    for _ in range(3):
        sign_in(stranger, people["member"], WRONG)
    assert sign_in(stranger, people["member"]).status_code == 429
    assert sign_in(client, people["member"]).status_code == 302


def test_a_forged_browser_cookie_counts_for_nothing(app, client, people):
    app.config["LOGIN_ATTEMPTS"] = 2
    user_id = write(app, lambda s: accounts.find_user(s, people["member"]).id)
    client.set_cookie("lab-browser", f'[{user_id}, "forged"].bad-signature')
    for _ in range(2):
        sign_in(client, people["member"], WRONG)
    assert sign_in(client, people["member"], PASSWORD).status_code == 429
