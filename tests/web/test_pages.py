"""The pages people read: portfolio, hypothesis and pilot pages, charts, errors."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from lab import db
from lab.analysis.pipeline import recommend_pilots
from lab.pilots import evidence
from lab.pilots.observations import record_observations
from lab.words import outcome_word
from tests.factories import observation_rows, register_pilot
from tests.web.conftest import write


def recommendation(app, key="x-care-1h") -> dict:
    with app.app_context(), db.reading(db.engine()) as session:
        return recommend_pilots(session, [key])[key].to_dict()


def shown_keys(html: str) -> list[str]:
    return re.findall(r'<div class="small muted mono">([a-z0-9.-]+)', html)


@pytest.fixture
def portfolio(app, session, running):
    """The running x-care-1h plus a draft on LinkedIn for the wealth segment."""
    register_pilot(session, key="li-advisory", hypothesis={
        "key": "li-wealth", "statement": "Advisory on LinkedIn grows wealth assets",
        "process": "development"}, pilot={"channel": "linkedin", "segment": "wealth",
                                          "title": "LinkedIn advisory"})
    write(app, lambda s: evidence.add_spend(s, pilot_key="x-care-1h",
                                            spent_on=date(2026, 1, 20), amount=8200.0,
                                            description="Desk staff", actor="test"))
    return ["li-advisory", "x-care-1h"]


def test_the_portfolio_shows_every_pilot_with_its_standing(app, signed_in, portfolio):
    html = signed_in("viewer").get("/").get_data(as_text=True)
    assert sorted(shown_keys(html)) == portfolio
    expected = recommendation(app)
    assert outcome_word(expected["outcome"]) in html
    assert "8,200 / 25,000 EUR" in html  # spend against budget
    assert "not checked" in html  # the draft has no recommendation
    assert "Answering complaints on X within one hour" in html
    assert 'src="/portfolio/effects.svg' in html


@pytest.mark.parametrize(("query", "keys"), [
    ("status=draft", ["li-advisory"]),
    ("status=running", ["x-care-1h"]),
    ("channel=linkedin", ["li-advisory"]),
    ("segment=wealth", ["li-advisory"]),
    ("process=retention", ["x-care-1h"]),
    ("outcome=none", ["li-advisory"]),
    ("channel=nowhere", []),
])
def test_the_portfolio_filters(signed_in, portfolio, query, keys):
    html = signed_in("viewer").get(f"/?{query}").get_data(as_text=True)
    assert shown_keys(html) == keys


def test_the_portfolio_filters_by_recommendation(app, signed_in, portfolio):
    outcome = recommendation(app)["outcome"]
    html = signed_in("viewer").get(f"/?outcome={outcome}").get_data(as_text=True)
    assert shown_keys(html) == ["x-care-1h"]


def test_the_portfolio_sorts(signed_in, portfolio):
    client = signed_in("viewer")
    assert shown_keys(client.get("/?sort=key").get_data(as_text=True)) == portfolio
    assert shown_keys(client.get("/?sort=key&order=desc").get_data(as_text=True)) == \
        portfolio[::-1]
    assert shown_keys(client.get("/?sort=status").get_data(as_text=True)) == [
        "x-care-1h", "li-advisory"]


def test_the_csv_export_defuses_formulas(app, session, signed_in, running):
    register_pilot(session, key="evil", hypothesis={"key": "evil", "statement": "@SUM(A1:A9)"},
                   pilot={"title": '=HYPERLINK("http://evil.example","x")', "channel": "x"})
    response = signed_in("analyst").get("/portfolio.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = {row["pilot"]: row for row in csv.DictReader(io.StringIO(response.get_data(
        as_text=True)))}
    assert rows["evil"]["title"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows["evil"]["statement"] == "'@SUM(A1:A9)"
    assert rows["x-care-1h"]["recommendation"] == recommendation(app)["outcome"]
    assert float(rows["x-care-1h"]["budget"]) == 25000.0


def test_the_csv_export_follows_the_filters(signed_in, portfolio):
    response = signed_in("analyst").get("/portfolio.csv?status=draft")
    assert [row["pilot"] for row in csv.DictReader(io.StringIO(response.get_data(
        as_text=True)))] == ["li-advisory"]


def test_the_pilot_page_shows_plan_recommendation_charts_and_evidence(app, signed_in,
                                                                      running):
    write(app, lambda s: evidence.add_note(
        s, pilot_key="x-care-1h", kind="customer-voice",
        noted_on=date(2026, 2, 1), source="X thread",
        text="Quick answer, thanks", actor="test"))
    html = signed_in("viewer").get("/pilots/x-care-1h").get_data(as_text=True)
    expected = recommendation(app)
    for reason in expected["reasons"]:
        assert str(reason).replace("'", "&#39;") in html
    for metric in ("churn-90d", "cost-per-contact", "complaints"):
        assert f"/pilots/x-care-1h/charts/{metric}/looks.svg" in html
        assert f"/pilots/x-care-1h/charts/{metric}/periods.svg" in html
    assert "Quick answer, thanks" in html
    assert "Ana" in html and "service" in html  # the team
    assert "Sign off a decision" not in html  # viewers cannot


def test_a_manager_who_is_not_the_owner_is_offered_the_sign_off(signed_in, running):
    html = signed_in("manager").get("/pilots/x-care-1h").get_data(as_text=True)
    assert 'href="/pilots/x-care-1h/sign-off"' in html


def test_the_hypothesis_pages_list_their_pilots(signed_in, portfolio):
    client = signed_in("viewer")
    listing = client.get("/hypotheses").get_data(as_text=True)
    assert "fast-social-care" in listing and "li-wealth" in listing
    page = client.get("/hypotheses/fast-social-care").get_data(as_text=True)
    assert "x-care-1h" in page and "li-advisory" not in page
    assert ">open<" in page


@pytest.mark.parametrize(("chart", "signature"), [("looks.svg", b"<svg"),
                                                  ("periods.png", b"\x89PNG")])
def test_charts_are_images_cached_until_the_data_change(app, signed_in, running, chart,
                                                        signature):
    client = signed_in("viewer")
    path = f"/pilots/x-care-1h/charts/churn-90d/{chart}"
    first = client.get(path)
    assert first.status_code == 200 and signature in first.data[:300]
    etag = first.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    rows = observation_rows(periods=7)[-6:]  # a seventh week
    write(app, lambda s: record_observations(s, rows=rows, actor="test"))
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_unknown_charts_and_metrics_are_404(signed_in, running):
    client = signed_in("viewer")
    assert client.get("/pilots/x-care-1h/charts/nope/looks.svg").status_code == 404
    assert client.get("/pilots/x-care-1h/charts/churn-90d/pie.svg").status_code == 404
    assert client.get("/pilots/x-care-1h/charts/churn-90d/looks.gif").status_code == 404


def test_errors_answer_html_or_json_by_accept(signed_in):
    client = signed_in("viewer")
    page = client.get("/pilots/nope")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "no pilot &#39;nope&#39;" in page.get_data(as_text=True)
    data = client.get("/pilots/nope", headers={"Accept": "application/json"})
    assert data.status_code == 404 and data.json["message"] == "no pilot 'nope'"


def test_a_crash_shows_no_traceback(app, signed_in, monkeypatch):
    def crash(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("lab.web.pages.kept.portfolio", crash)
    monkeypatch.setattr("lab.web.api.reads.pilot_rows", crash)
    client = signed_in("viewer")
    for path, mimetype in (("/", "text/html"), ("/api/v1/pilots", "application/json")):
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 500 and response.mimetype == mimetype
        assert "secret internals" not in body and "Traceback" not in body
        assert "Something went wrong on our side" in body


def test_the_pilot_page_shows_the_notes_of_a_non_randomized_design(app, session, signed_in):
    from tests.factories import start_pilot

    start_pilot(session, pilot={"design": "baseline", "planned_periods": 6})
    rows = (observation_rows(periods=2, start=date(2025, 12, 22), arms=("pilot",),
                             phase="before")
            + observation_rows(periods=4, arms=("pilot",)))
    write(app, lambda s: record_observations(s, rows=rows, actor="test"))
    html = signed_in("viewer").get("/pilots/x-care-1h").get_data(as_text=True)
    notes = recommendation(app)["notes"]
    assert any(note.startswith("parallel trends not checked") for note in notes)
    for note in notes:
        assert (note[:1].upper() + note[1:]).replace("'", "&#39;") in html
