"""A member's job at desk and phone width: register → start → log a week → upload → note → spend."""

from __future__ import annotations

import pytest

from tests.browser.journeys import WIDTHS, check_step
from tests.browser.test_journey import (
    DATES,
    START,
    browser,  # noqa: F401 - fixtures used by name
    fill_plan,
    neighbours,  # noqa: F401
    page_for,
    server,  # noqa: F401
    sign_in,
)
from tests.factories import make_spec

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", WIDTHS)
def test_a_member_registers_starts_logs_uploads_and_adds_evidence(
        app, server, browser, neighbours, width, tmp_path):  # noqa: F811
    errors: list[str] = []
    problems: list[str] = []
    page = page_for(browser, errors)
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    sign_in(page, server, "member@lab.example")
    page.goto(f"{server}/register")
    fill_plan(page, make_spec(pilot=DATES))
    check_step(page, "member-1-register", width, problems)
    page.click("button[type=submit] >> text=Register the pilot")
    page.wait_for_url(f"{server}/pilots/x-care-1h")
    page.click("text=Start pilot")
    assert "is running" in page.inner_text(".flashes")
    check_step(page, "member-2-started", width, problems)

    page.click("text=Log a week (all metrics and arms)")
    page.fill("#week-period", START.isoformat())
    page.fill("[id='churn-90d.pilot.successes']", "41")
    page.fill("[id='churn-90d.pilot.trials']", "400")
    page.fill("[id='churn-90d.control.successes']", "55")
    page.fill("[id='churn-90d.control.trials']", "410")
    page.fill("[id='cost-per-contact.pilot.n']", "400")
    page.fill("[id='cost-per-contact.pilot.mean']", "11.2")
    page.fill("[id='cost-per-contact.pilot.sd']", "3.1")
    page.fill("[id='cost-per-contact.control.n']", "410")
    page.fill("[id='cost-per-contact.control.mean']", "11.0")
    page.fill("[id='cost-per-contact.control.sd']", "3.0")
    check_step(page, "member-3-week", width, problems)
    page.click("button[type=submit] >> text=Log this week")
    page.wait_for_url(f"{server}/pilots/x-care-1h#log")
    assert "4 inserted" in page.inner_text(".flashes")

    bad = tmp_path / "semicolons.csv"
    bad.write_text("pilot;metric;arm;phase;period;successes;trials\n"
                   f"x-care-1h;churn-90d;pilot;during;{START};41;400\n")
    page.goto(f"{server}/observations/upload?pilot=x-care-1h")
    page.set_input_files("#file", str(bad))
    page.click("button[type=submit] >> text=Upload")
    assert "separated by semicolons" in page.inner_text(".problems")
    check_step(page, "member-4-upload-error", width, problems)
    assert [e for e in errors if "422" in e] == [errors.pop()]  # the refusal, and only it

    page.goto(f"{server}/pilots/x-care-1h")
    page.click("summary >> text=Add a note")
    page.select_option("#kind", "customer-voice")
    page.fill("#noted_on", START.isoformat())
    page.fill("#source", "Reply on X")
    page.fill("#text", "Didn't expect an answer this fast.")
    page.click("button[type=submit] >> text=Add note")
    assert "Note added" in page.inner_text(".flashes")

    page.click("summary >> text=Record spend")
    page.fill("#spent_on", START.isoformat())
    page.fill("#amount", "30000")
    page.fill("#description", "Desk set-up")
    page.click("button[type=submit] >> text=Record spend")
    assert "Over budget" in page.inner_text(".flashes")
    check_step(page, "member-5-spend", width, problems)
    assert problems == []
    assert errors == []
