"""A manager's job at desk and phone width: portfolio → pilot → decision brief → sign-off."""

from __future__ import annotations

import pypdf
import pytest

from lab.pilots import evidence
from tests.browser.journeys import WIDTHS, check_step
from tests.browser.test_journey import (
    START,
    browser,  # noqa: F401 - fixtures used by name
    charts_drawn,
    neighbours,  # noqa: F401
    page_for,
    server,  # noqa: F401
    sign_in,
)
from tests.factories import observation_rows, start_pilot
from tests.web.conftest import write

pytestmark = pytest.mark.browser


@pytest.fixture
def ready(app, session, neighbours):  # noqa: F811
    """x-care-1h with twelve weeks of data and spend past its budget."""
    from lab.pilots.observations import record_observations

    start_pilot(session, pilot={"start": START.isoformat(),
                                "end": (START.replace(year=START.year + 1)).isoformat()})
    write(app, lambda s: record_observations(
        s, rows=observation_rows(periods=8, start=START), actor="test"))
    write(app, lambda s: evidence.add_spend(s, pilot_key="x-care-1h", actor="test",
                                            spent_on=START, amount=30000.0,
                                            description="Desk and agents"))
    return "x-care-1h"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_manager_reads_the_portfolio_the_pilot_and_the_brief_then_signs(
        app, server, browser, ready, width):  # noqa: F811
    errors: list[str] = []
    problems: list[str] = []
    page = page_for(browser, errors)
    page.set_viewport_size({"width": WIDTHS[width], "height": 900})
    sign_in(page, server, "manager@lab.example")
    assert charts_drawn(page)
    text = page.inner_text("main")
    assert "Over budget" in text and "Randomized" in text
    check_step(page, "manager-1-portfolio", width, problems)

    page.click("text=One-hour reply desk on X")
    assert "x-care-1h" in page.inner_text(".page-head")
    assert "Over budget" in page.inner_text("#plan")
    check_step(page, "manager-2-pilot", width, problems)

    page.click("text=Sign off a decision")
    brief = page.inner_text("main")
    for part in ("Primary and guardrails", "Overlaps", "Spend", "Evidence"):
        assert part in brief
    check_step(page, "manager-3-brief", width, problems)

    page.select_option("#outcome", "withdraw")
    page.fill("#rationale", "Over budget and the desk cannot be staffed")
    page.click("button[type=submit] >> text=Sign off")
    page.wait_for_url(f"{server}/pilots/x-care-1h")
    assert "Signed off: withdraw" in page.inner_text(".flashes")
    check_step(page, "manager-4-signed", width, problems)
    signed = page.request.get(f"{server}/pilots/x-care-1h/signed-brief.pdf")
    assert signed.ok and signed.body().startswith(b"%PDF")
    assert "Decision brief" in pypdf.PdfReader(__import__("io").BytesIO(signed.body())) \
        .pages[0].extract_text()
    assert problems == []
    assert errors == []
