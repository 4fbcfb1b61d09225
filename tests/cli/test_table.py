"""The text table of `lab check` and `lab demo`, written with lab.words."""

from lab.analysis.pipeline import check
from lab.cli.table import format_table
from tests.analysis.builders import mean_rows, plan, proportion_rows


def test_table_shows_pilot_recommendation_effect_and_first_reason():
    observations = (proportion_rows("x-care-1h", "churn-90d", range(12), 400, 0.16, 0.20)
                    + mean_rows("x-care-1h", "cost-per-contact", range(12), 400, 10.0, 10.0))
    result = check(plan(), observations)
    text = format_table([result])
    header, rule, line = text.splitlines()
    assert header.split()[:2] == ["pilot", "recommendation"]
    assert line.startswith("x-care-1h  Scale up  ")
    assert "churn-90d fell by 4.0 points (" in line
    assert result.reasons[0] in line
    assert format_table({"x": result}) == text


def test_table_without_data_says_so_in_the_pages_words():
    line = format_table([check(plan(), [])]).splitlines()[2]
    assert line.startswith("x-care-1h  Keep collecting data  no estimate yet")
