"""CSV cells a spreadsheet opens as data, never as formulas; numbers as people read them."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from lab.web.export import safe_cell, to_csv
from lab.web.portfolio import PortfolioRow
from lab.web.templating import number


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"])
def test_text_that_could_be_a_formula_gets_a_quote(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(("value", "written"), [
    ("plain", "plain"), ("a=b", "a=b"), (None, ""), (True, "true"), (3, "3"),
    (-0.25, "-0.25"), (float("nan"), ""),
])
def test_other_values_are_written_as_they_are(value, written):
    assert safe_cell(value) == written


def test_to_csv_defuses_every_cell_and_quotes_as_csv_needs():
    text = to_csv(["a", "b"], [["=cmd|' /C calc'!A0", 'say "hi", then go']])
    assert list(csv.reader(io.StringIO(text))) == [
        ["a", "b"], ["'=cmd|' /C calc'!A0", 'say "hi", then go']]


def row(**primary) -> PortfolioRow:
    return PortfolioRow(key="p", title="t", hypothesis="h", statement="s", process="service",
                        channel="x", segment=None, scope="x", status="running", owner="o",
                        iteration=1, start=date(2026, 1, 1), end=date(2026, 2, 1),
                        budget=1000.0, currency="EUR", spend=600.0, days_left=3,
                        primary={"kind": "proportion", "n_pilot": 1000, **primary})


def test_cost_per_outcome_only_once_the_effect_is_clearly_positive():
    assert row(estimate=0.03, ci_low=0.01).cost_per_outcome == pytest.approx(600 / 30)
    assert row(estimate=0.03, ci_low=-0.01).cost_per_outcome is None
    assert row(estimate=None, ci_low=None).cost_per_outcome is None
    assert row(estimate=0.03, ci_low=0.01, kind="mean").cost_per_outcome is None


@pytest.mark.parametrize(("value", "shown"), [
    (3480.0, "3,480"), (12, "12"), (0.04817, "0.0482"), (None, "–"), (float("nan"), "–"),
    (1234.5, "1,234"),
])
def test_numbers_read_as_people_write_them(value, shown):
    assert number(value) == shown
