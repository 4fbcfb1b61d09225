"""The web portfolio, the portfolio report and the notebook frame say the same numbers."""

from __future__ import annotations

import csv
import io
import math
from datetime import date, timedelta

import pandas as pd
import pytest

import lab
from lab import db
from lab.pilots import evidence
from lab.pilots.observations import record_observations
from lab.reports.document import Table
from lab.reports.portfolio import COLUMNS, portfolio_document
from lab.words import MISSING, Effect, judged, money, outcome_word
from tests.factories import ACTOR, register_pilot, start_pilot

PAID, MEAN, FREE, DRAFT = "prop-paid", "mean-paid", "prop-free", "prop-draft"
SPENT = {PAID: 6000.0, MEAN: 5000.0}  # FREE has a measured effect but no spend recorded


def proportion_metric() -> dict:
    return {"key": "activated", "kind": "proportion", "role": "primary",
            "direction": "increase", "minimum_effect": 0.02}


def mean_metric() -> dict:
    return {"key": "minutes-saved", "kind": "mean", "role": "primary",
            "direction": "increase", "minimum_effect": 0.5}


def rows_of(key: str, metric: str, pilot: dict, control: dict) -> list[dict]:
    """Return six weekly periods of one metric for both arms."""
    return [{"pilot": key, "metric": metric, "arm": arm, "phase": "during",
             "period": (date(2026, 1, 5) + timedelta(weeks=week)).isoformat(), **values}
            for week in range(6)
            for arm, values in (("pilot", pilot), ("control", control))]


@pytest.fixture
def lab_of_four(app, session) -> str:
    """Three running pilots with clear effects (proportion paid for, mean paid for,
    proportion with no spend) and a draft; return the database URL."""
    for key, metric, channel in ((PAID, proportion_metric(), "x"),
                                 (MEAN, mean_metric(), "facebook"),
                                 (FREE, proportion_metric(), "instagram")):
        start_pilot(session, key=key, pilot={"channel": channel}, metrics=[metric])
    register_pilot(session, key=DRAFT, pilot={"channel": "tiktok"},
                   metrics=[proportion_metric()])
    rows = (rows_of(PAID, "activated", {"successes": 300, "trials": 1000},
                    {"successes": 200, "trials": 1000})
            + rows_of(FREE, "activated", {"successes": 290, "trials": 1000},
                      {"successes": 200, "trials": 1000})
            + rows_of(MEAN, "minutes-saved", {"n": 500, "mean": 12.0, "sd": 3.0},
                      {"n": 500, "mean": 10.0, "sd": 3.0}))
    record_observations(session, rows=rows, actor=ACTOR)
    for key, amount in SPENT.items():
        evidence.add_spend(session, pilot_key=key, spent_on=date(2026, 1, 20), amount=amount,
                           description="Desk staff", actor=ACTOR)
    session.commit()
    return app.config["DATABASE_URL"]


def web_rows(client) -> dict[str, dict]:
    """Return the web portfolio's rows as its CSV export gives them, by pilot."""
    response = client.get("/portfolio.csv")
    assert response.status_code == 200
    return {row["pilot"]: row for row in csv.DictReader(io.StringIO(response.text))}


def report_rows(url: str) -> dict[str, dict]:
    """Return the portfolio report's summary table, by pilot."""
    with db.reading(db.engine_for(url)) as session:
        document = portfolio_document(session)
    table = next(block for block in document.blocks
                 if isinstance(block, Table) and block.columns == COLUMNS)
    return {cells[0]: dict(zip(COLUMNS, cells, strict=True)) for cells in table.rows}


def number(cell: str) -> float:
    return float(cell) if cell else math.nan


def test_web_report_and_notebook_show_the_same_portfolio(lab_of_four, signed_in):
    client = signed_in("analyst")
    web, report = web_rows(client), report_rows(lab_of_four)
    with lab.connect(lab_of_four) as reader:
        frame = reader.recommendations().set_index("pilot")
    assert sorted(frame.index) == sorted([PAID, MEAN, FREE])
    assert sorted(web) == sorted(report) == sorted([PAID, MEAN, FREE, DRAFT])
    for key, row in frame.iterrows():
        shown, line = web[key], report[key]
        estimate, low, high, q, spend = (number(shown[name]) for name in (
            "estimate", "ci_low", "ci_high", "q_value", "spend"))
        assert row["outcome"] == shown["recommendation"]
        assert line["Recommendation"] == outcome_word(row["outcome"])
        # The CSV writes each float exactly (repr), so every number must be the same one.
        assert (row["estimate"], row["ci_low"], row["ci_high"]) == (estimate, low, high)
        assert line["Primary effect"] == judged(Effect(
            row["metric"], row["kind"], row["direction"], estimate, low, high))
        assert row["q_value"] == q
        assert row["spend"] == spend == SPENT.get(key, 0.0)
        assert line["Spend / budget"] == f"{money(spend)} / {money(25000, 'EUR')}"
        cost = number(shown["cost_per_outcome"])
        assert (math.isnan(cost) and pd.isna(row["cost_per_incremental"])
                or row["cost_per_incremental"] == cost)
        assert line["Per extra outcome"] == money(cost, "EUR")
    assert report[DRAFT]["Recommendation"] == outcome_word(None)
    assert web[DRAFT]["recommendation"] == "" and web[DRAFT]["cost_per_outcome"] == ""


def test_cost_per_outcome_only_for_counted_outcomes_that_were_paid_for(lab_of_four,
                                                                        signed_in):
    client = signed_in("analyst")
    web, report = web_rows(client), report_rows(lab_of_four)
    with lab.connect(lab_of_four) as reader:
        frame = reader.recommendations().set_index("pilot")
    paid = frame.loc[PAID]
    assert paid["ci_low"] > 0 and frame.loc[MEAN, "ci_low"] > 0 and frame.loc[FREE, "ci_low"] > 0
    expected = SPENT[PAID] / (paid["estimate"] * paid["n_pilot"])
    assert number(web[PAID]["cost_per_outcome"]) == pytest.approx(expected)
    assert report[PAID]["Per extra outcome"] == money(expected, "EUR")
    # A mean counts no outcomes, and no spend recorded is no cost known: nothing is shown.
    for key in (MEAN, FREE):
        assert web[key]["cost_per_outcome"] == ""
        assert report[key]["Per extra outcome"] == MISSING
        assert pd.isna(frame.loc[key, "cost_per_incremental"])
    assert pd.isna(frame.loc[MEAN, "incremental"])
    assert frame.loc[FREE, "incremental"] == pytest.approx(
        frame.loc[FREE, "estimate"] * frame.loc[FREE, "n_pilot"])
    page = client.get("/").get_data(as_text=True)
    assert page.count("per extra outcome") == 1
    assert f"{money(expected, 'EUR')} per extra outcome" in page
