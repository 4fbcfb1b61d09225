"""The programme's journey: approve → start, then decide → learning card → publish →
a viewer's feedback, at desk and phone width."""

from __future__ import annotations

import pytest

from tests.browser.journeys import WIDTHS, check_step
from tests.browser.test_journey import (
    START,
    browser,  # noqa: F401 - fixtures used by name
    page_for,
    server,  # noqa: F401
    sign_in,
)
from tests.factories import observation_rows, register_pilot
from tests.web.conftest import write

pytestmark = pytest.mark.browser
KEY = "x-care-1h"


@pytest.fixture
def draft(app, session):
    """Approval on (the lab's default) and x-care-1h registered as a draft."""
    app.config["APPROVAL"] = True
    register_pilot(session, pilot={"start": START.isoformat(),
                                   "end": START.replace(year=START.year + 1).isoformat()})
    return KEY


@pytest.mark.parametrize("width", WIDTHS)
def test_approve_start_decide_write_the_card_publish_and_hear_back(
        app, server, browser, draft, width):  # noqa: F811
    from lab.pilots.observations import record_observations

    errors: list[str] = []
    problems: list[str] = []
    size = {"width": WIDTHS[width], "height": 900}

    member = page_for(browser, errors)
    member.set_viewport_size(size)
    sign_in(member, server, "member@lab.example")
    member.goto(f"{server}/pilots/{KEY}")
    assert "Awaiting approval" in member.inner_text("#approval")
    member.click("text=Start pilot (locks the plan)")
    assert "must approve its plan first" in member.inner_text(".flashes")
    errors.clear()  # the browser logs that refused start's 409, as it should

    manager = browser.new_page(viewport=size)
    sign_in(manager, server, "manager@lab.example")
    manager.click("nav >> text=Approvals")
    check_step(manager, "programme-1-queue", width, problems)
    manager.fill(f"#note-{KEY}", "Staffing agreed with the service desk")
    manager.click(f"#approval-{KEY} >> button[type=submit]")
    assert "Approved: the plan of pilot x-care-1h" in manager.inner_text(".flashes")

    member.goto(f"{server}/pilots/{KEY}")
    assert "Approved by manager@lab.example" in member.inner_text("#approval")
    member.click("text=Start pilot (locks the plan)")
    member.wait_for_url(f"{server}/pilots/{KEY}")
    assert "is running" in member.inner_text(".flashes")
    write(app, lambda s: record_observations(
        s, rows=observation_rows(periods=8, start=START), actor="test"))

    manager.goto(f"{server}/pilots/{KEY}/sign-off")
    manager.select_option("#outcome", "withdraw")
    manager.fill("#rationale", "The desk cannot be staffed at this cost")
    manager.click("button[type=submit] >> text=Sign off")
    manager.wait_for_url(f"{server}/pilots/{KEY}")
    manager.click(".flashes >> text=read and edit it")  # the sign-off links to the card
    manager.wait_for_url(f"{server}/learnings/{KEY}")
    card = manager.inner_text("#learning-card")
    assert "Answering complaints on X" in card and "cannot be staffed" in card
    manager.fill("#c-learned", "Speed pleases complainants, but a one-hour desk costs more "
                               "than the churn it saves")
    manager.fill("#c-tags", "speed, staffing")
    manager.click("text=Save the card")
    assert "Learning card saved" in manager.inner_text(".flashes")
    check_step(manager, "programme-2-card", width, problems)
    manager.click("text=Publish for the company")
    assert "Published" in manager.inner_text(".flashes")

    viewer = browser.new_page(viewport=size)
    sign_in(viewer, server, "viewer@lab.example")
    viewer.click("nav >> text=Learnings")
    viewer.fill("#q", "staffing")
    viewer.click("button[type=submit] >> text=Search")
    check_step(viewer, "programme-3-library", width, problems)
    viewer.click("text=One-hour reply desk on X")
    viewer.fill("#feedback-text", "Branches see the same trade-off with walk-in complaints")
    viewer.click("text=Send feedback")
    assert "the team sees your feedback" in viewer.inner_text(".flashes")
    manager.reload()
    assert "walk-in complaints" in manager.inner_text("#feedback")
    assert problems == []
    assert errors == []
