"""What every journey step checks: no sideways scrolling, no serious axe finding, a shot."""

from __future__ import annotations

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
WIDTHS = {"desktop": 1366, "phone": 390}
SERIOUS = ("serious", "critical")


def axe_findings(page) -> list[str]:
    """Run axe-core (shipped inside axe-playwright-python) and return serious findings."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(node["target"][0] for node in v["nodes"][:3])
            for v in results.response["violations"] if v["impact"] in SERIOUS]


def overflow(page) -> int:
    """Return how many pixels the page is wider than its window (0: no sideways scroll)."""
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


def check_step(page, name: str, width: str, problems: list[str]) -> None:
    """Check the page as it stands and keep a full-page screenshot of it."""
    page.wait_for_load_state("networkidle")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    extra = overflow(page)
    if extra > 0:
        problems.append(f"{name} at {width}: {extra}px wider than the window")
    problems.extend(f"{name} at {width}: {finding}" for finding in axe_findings(page))
