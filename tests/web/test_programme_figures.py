"""The programme figures on the portfolio page, in the API, the report and the notebook."""

from __future__ import annotations

from lab import db
from lab.pilots import decisions
from lab.reports import portfolio as report
from tests.web.conftest import write

API = "/api/v1"


def test_the_portfolio_page_and_the_api_show_the_quarters(app, signed_in, running):
    page = signed_in("viewer").get("/").get_data(as_text=True)
    assert "Programme figures" in page and "2026-Q1" in page and "All quarters" in page
    quarters = signed_in("analyst").get(f"{API}/programme/figures").get_json()["quarters"]
    assert [q["quarter"] for q in quarters] == ["2026-Q1", "all"]
    assert quarters[0]["started"] == 1 and quarters[0]["decided"] == 0
    assert quarters[0]["win_rate"] is None and quarters[0]["extra_outcomes"] is None


def test_a_decision_moves_the_figures_in_the_api_report_and_notebook(app, signed_in, people,
                                                                   running, engine):
    from lab.notebook import Lab

    write(app, lambda s: decisions.sign_off(
        s, pilot_key="x-care-1h", outcome="withdraw", rationale="too costly",
        decided_by=people["manager"], recommendation={"outcome": "continue"}))
    [q1, total] = signed_in("viewer").get(f"{API}/programme/figures").get_json()["quarters"]
    assert (q1["decided"], q1["share_decided"], q1["win_rate"]) == (1, 1.0, 0.0)
    assert q1["median_weeks"] is not None
    with app.app_context(), db.reading(db.engine()) as session:
        blocks = report.programme_blocks(report.build(session))
    assert blocks[0].text == "Programme figures"
    assert blocks[-1].rows[0][:4] == ["2026-Q1", "1", "1 (100%)", "0%"]
    frame = Lab(engine).programme_figures()
    assert frame["quarter"].tolist() == ["2026-Q1", "all"]
    assert frame["win_rate"].tolist() == [0.0, 0.0]
