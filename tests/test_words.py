"""Words for people: every number, effect, outcome and status written one way."""

from __future__ import annotations

import math
from datetime import date, datetime

import pandas as pd
import pytest

from lab import words
from lab.vocabulary import Analysis, Design, Kind, Outcome, Status
from lab.web.templating import FILTERS

MISSING_VALUES = [None, math.nan, pd.NA, "not a number"]


@pytest.mark.parametrize(("value", "currency", "shown"), [
    (12500, "EUR", "12,500 EUR"), (4.63, "EUR", "5 EUR"), (0.0, "EUR", "0 EUR"),
    (1234.5, "", "1,234"), (None, "EUR", "–"), (math.inf, "EUR", "–"),
])
def test_money_has_separators_no_cents_and_one_missing_mark(value, currency, shown):
    assert words.money(value, currency) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (3480.0, "3,480"), (12, "12"), (0.04817, "0.0482"), (1234.5, "1,234"), (12.5, "12.50"),
    (None, "–"), (math.nan, "–"),
])
def test_counts_read_as_people_write_them(value, shown):
    assert words.count(value) == shown


@pytest.mark.parametrize(("value", "shown"), [
    (0.0004, "<0.001"), (0.001, "0.001"), (0.01634, "0.016"), (0.05, "0.05"),
    (0.5, "0.5"), (None, "–"),
])
def test_p_and_q_values_share_one_format(value, shown):
    assert words.p_value(value) == words.q_value(value) == shown


def test_p_text_says_the_p_value_as_a_sentence_does():
    assert words.p_text(0.016) == "p = 0.016"
    assert words.p_text(0.0001) == "p < 0.001"


@pytest.mark.parametrize(("value", "kind", "shown"), [
    (0.024, "proportion", "+2.4 points"), (-0.0051, "proportion", "-0.5 points"),
    (-1.5, "mean", "-1.50"), (0.0004, "rate", "+0.0004"), (0.0, "mean", "+0.00"),
    (None, "mean", "–"), (math.nan, "proportion", "–"),
])
def test_effects_are_signed_and_in_points_for_proportions(value, kind, shown):
    assert words.effect(value, kind) == shown


def test_an_interval_follows_its_effect_without_repeating_the_unit():
    assert words.interval(0.011, 0.037, Kind.proportion) == "(+1.1 to +3.7)"
    assert words.interval(-40.0, 1.0, Kind.mean) == "(-40.00 to +1.00)"
    assert words.interval(0.01, None, Kind.proportion) == "(+1.0 to –)"
    assert words.interval(None, math.nan, Kind.rate) == "(no interval)"


def test_lift_is_a_signed_share_with_its_interval_when_given():
    assert words.lift(0.081, 0.02, 0.146) == "+8.1% (+2.0% to +14.6%)"
    assert words.lift(0.081, 0.02, 0.146, sep="\n") == "+8.1%\n(+2.0% to +14.6%)"
    assert words.lift(1.893) == "+189.3%"
    assert words.lift(None, 0.1, 0.2) == "–"
    assert words.percent(0.2449) == "24%"


@pytest.mark.parametrize(("value", "day", "when"), [
    (date(2026, 1, 5), "2026-01-05", "2026-01-05"),
    (datetime(2026, 1, 5, 10, 50, 30), "2026-01-05", "2026-01-05 10:50"),
    (pd.Timestamp("2026-01-05 10:50", tz="UTC"), "2026-01-05", "2026-01-05 10:50"),
    ("2027-01-18", "2027-01-18", "2027-01-18"),
    (pd.NaT, "–", "–"), (None, "–", "–"), ("soon", "–", "–"),
])
def test_one_date_format_and_one_moment_format(value, day, when):
    assert (words.day(value), words.when(value)) == (day, when)


@pytest.mark.parametrize("missing", MISSING_VALUES)
def test_every_missing_value_is_written_with_the_one_mark(missing):
    for write in (words.money, words.count, words.p_value, words.q_value, words.percent,
                  words.lift, words.day, words.when):
        assert write(missing) == words.MISSING
    assert words.effect(missing, Kind.proportion) == words.MISSING


@pytest.mark.parametrize(("enum", "table"), [
    (Outcome, words.OUTCOME_WORDS), (Status, words.STATUS_WORDS),
    (Design, words.DESIGN_WORDS), (Analysis, words.ANALYSIS_WORDS),
    (Kind, words.VALUE_LABELS),
])
def test_every_value_of_the_vocabulary_has_its_own_words(enum, table):
    assert set(table) == set(enum)
    assert len(set(table.values())) == len(enum)  # no two values read alike


def test_outcomes_and_statuses_read_as_words_not_codes():
    assert words.outcome_word("continue") == "Keep collecting data"
    assert words.outcome_word(None) == "Not checked"
    assert words.headline("scale_up") == "Recommendation: scale up"
    assert words.headline("continue", final=True) == (
        "Recommendation: keep collecting data (final look)")
    assert words.status_word("scaled_up") == "Scaled up"
    assert words.design_words("baseline").startswith("baseline: ")
    assert words.analysis_words("fixed") == "fixed horizon: one look at the planned end"


def test_metric_names_prefer_the_label():
    assert words.metric_name({"key": "churn-90d", "label": "Churn"}) == "Churn"
    assert words.metric_name({"key": "churn-90d", "label": None}) == "churn-90d"


def test_the_pages_write_through_lab_words_only():
    assert {write.__module__.rpartition(".")[0] for write in FILTERS.values()} == {"lab.words"}


def test_tiny_effects_keep_significant_digits_and_zero_has_no_sign():
    # Issue 12 item 8: "rose by 0.0 points (−0.0 to 0.0) … worth scaling was 0 points".
    tiny = words.Effect("churn", Kind.proportion, "increase", 0.00004, -0.00001, 0.00009,
                        threshold=0.000001)
    assert words.change(tiny) == "churn rose by 0.004 points (-0.001 to 0.009)"
    assert words.worth(tiny) == "the smallest rise worth scaling was 0.0001 points"
    zero = words.Effect("churn", Kind.proportion, "decrease", -0.0, -0.0, 0.0, threshold=0.02)
    assert words.change(zero) == "churn rose by 0.0 points (0.0 to 0.0)"
    assert words.effect(-0.0, Kind.proportion) == "+0.0 points"
    assert words.effect(-0.0, Kind.mean) == "+0.00"
    assert words.number(-0.0) == "0.00"
    assert words.points(0.0012) == "0.1" and words.points(-0.00094) == "-0.094"
    for value in (-0.0, -1e-12, 1e-12, -0.00049):
        assert not words.points(value).startswith("-0.0 ") and words.points(value) != "-0.0"
