"""A member and a manager in a real Chromium against a real server, start to sign-off."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from lab.pilots.observations import record_observations
from lab.web.serve import in_thread, stop
from tests.factories import make_spec, observation_rows, register_pilot, start_pilot, write_csv
from tests.web.conftest import PASSWORD, write

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]


@pytest.fixture
def server(app, people):
    """Serve the app on a free port of 127.0.0.1 in a background thread."""
    found, base = in_thread(app)
    yield base
    stop(found)


@pytest.fixture
def browser(server):
    """Launch Debian's Chromium headless (Playwright may not download browsers here).

    It needs the server, so it closes first and its open connections cannot keep the
    server's request threads waiting when the server stops.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


# Pilots that began eight weeks ago (on a Monday) and run six weeks more, so the pages
# look as they would in the middle of a lab's quarter.
START = date.today() - timedelta(weeks=8, days=date.today().weekday())
DATES = {"start": START.isoformat(), "end": (START + timedelta(weeks=14)).isoformat()}


@pytest.fixture
def neighbours(app, session):
    """Other pilots, so the portfolio looks like a lab's: one running with data, a draft."""
    start_pilot(session, key="wa-onboarding", hypothesis={
        "key": "whatsapp-onboarding", "process": "onboarding",
        "statement": "A WhatsApp buddy in the first month keeps new customers active",
        "expected_benefit": "First-month activity rises by 3 points"},
        pilot={"channel": "whatsapp", "title": "WhatsApp onboarding buddy", **DATES})
    write(app, lambda s: record_observations(
        s, rows=observation_rows("wa-onboarding", periods=5, start=START), actor="test"))
    register_pilot(session, key="li-advisory", hypothesis={
        "key": "linkedin-wealth", "process": "development",
        "statement": "Advisory on LinkedIn grows the wealth segment's assets"},
        pilot={"channel": "linkedin", "segment": "wealth", "title": "LinkedIn advisory",
               "start": (START + timedelta(weeks=10)).isoformat(),
               "end": (START + timedelta(weeks=26)).isoformat(), "budget": 40000})


def page_for(browser, errors: list[str]):
    """Open a page that records console errors (a resource answering 4xx or 5xx is one)."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.on("console", lambda message: errors.append(f"console: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(f"page: {error}"))
    return page


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def fill_plan(page, spec: dict) -> None:
    """Type a plan into the registration form, field by field, as a person would."""
    hypothesis, pilot = spec["hypothesis"], spec["pilot"]
    for name in ("key", "statement", "expected_benefit"):
        page.fill(f"#hypothesis-{name}", hypothesis[name])
    page.select_option("#hypothesis-process", hypothesis["process"])
    for sponsor in hypothesis["sponsors"]:
        page.check(f"input[name='hypothesis-sponsors'][value='{sponsor}']")
    for name in ("key", "title", "channel", "start", "end", "budget", "planned_sample"):
        page.fill(f"#pilot-{name}", str(pilot[name]))
    page.select_option("#pilot-design", pilot["design"])
    for i, member in enumerate(pilot["team"]):
        page.fill(f"#pilot-team-{i}-name", member["name"])
        page.select_option(f"#pilot-team-{i}-function", member["function"])
    for i, metric in enumerate(spec["metrics"]):
        page.fill(f"#metrics-{i}-key", metric["key"])
        for name in ("kind", "role", "direction"):
            page.select_option(f"#metrics-{i}-{name}", metric[name])
        for name in ("minimum_effect", "margin"):
            if name in metric:
                page.fill(f"#metrics-{i}-{name}", str(metric[name]))


def charts_drawn(page) -> bool:
    return page.evaluate("""() => [...document.querySelectorAll('figure.chart img')]
        .every(img => img.complete && img.naturalWidth > 0)""")


def test_member_registers_starts_uploads_and_manager_signs_off(app, server, browser,
                                                              neighbours, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    errors: list[str] = []
    member = page_for(browser, errors)
    sign_in(member, server, "member@lab.example")
    member.click("text=Register a pilot")
    fill_plan(member, make_spec(pilot=DATES))
    member.click("button[type=submit] >> text=Register the pilot")
    member.wait_for_url(f"{server}/pilots/x-care-1h")
    assert "Registered: x-care-1h" in member.inner_text(".flashes")

    member.click("text=Start pilot")
    assert "is running" in member.inner_text(".flashes")
    member.click(".page-head .actions >> text=Upload CSV")
    upload = write_csv(tmp_path / "weeks.csv", observation_rows(periods=8, start=START))
    member.set_input_files("#file", str(upload))
    member.click("button[type=submit] >> text=Upload")
    member.wait_for_url(f"{server}/pilots/x-care-1h")
    assert "48 rows: 48 inserted" in member.inner_text(".flashes")
    assert "Recommendation" in member.inner_text("#recommendation")
    member.wait_for_load_state("networkidle")
    assert member.locator("figure.chart img").count() == 6 and charts_drawn(member)
    member.screenshot(path=str(ARTIFACTS / "pilot.png"), full_page=True)
    assert (ARTIFACTS / "pilot.png").stat().st_size > 50_000
    member.click("text=Sign out")

    manager = page_for(browser, errors)
    sign_in(manager, server, "manager@lab.example")
    manager.wait_for_load_state("networkidle")
    assert charts_drawn(manager)
    manager.screenshot(path=str(ARTIFACTS / "portfolio.png"), full_page=True)
    assert (ARTIFACTS / "portfolio.png").stat().st_size > 50_000
    manager.click("text=One-hour reply desk on X")
    manager.click("text=Sign off a decision")
    manager.select_option("#outcome", "revise")
    manager.fill("#rationale", "Replies are fast, but templates need work first")
    manager.click("button[type=submit] >> text=Sign off")
    manager.wait_for_url(f"{server}/pilots/x-care-1h")
    assert "Signed off: revise" in manager.inner_text(".flashes")
    assert "x-care-1h-i2" in manager.inner_text("#team")
    assert errors == []


def test_the_pages_work_without_javascript(app, server, browser, neighbours):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server, "viewer@lab.example")
    page.click("text=WhatsApp onboarding buddy")
    assert "Recommendation" in page.inner_text("#recommendation")
    context.close()
