"""The text table of `lab check` and `lab demo`, written with lab.words."""

from lab.analysis.pipeline import check
from lab.cli.table import format_table
from tests.factories import mean_rows, plan, proportion_rows


def won():
    observations = (proportion_rows("x-care-1h", "churn-90d", range(12), 400, 0.16, 0.20)
                    + mean_rows("x-care-1h", "cost-per-contact", range(12), 400, 10.0, 10.0))
    return check(plan(), observations)


def test_table_shows_pilot_status_recommendation_effect_and_reasons():
    result = won()
    text = format_table([result], width=200)
    header, rule, *lines = text.splitlines()
    assert header.split()[:3] == ["pilot", "status", "recommendation"]
    assert lines[0].startswith("x-care-1h  running  Scale up (Randomized)")
    assert "Better: churn-90d down 4.0 points (2.4 to 5.6)" in lines[0]
    assert result.reasons[0].startswith(lines[0].split("(2.4 to 5.6)  ", 1)[1])
    assert format_table({"x": result}, width=200) == text


def test_table_wraps_to_the_terminal_between_words():
    text = format_table([won()], width=100)
    assert all(len(line) <= 100 for line in text.splitlines())
    assert "the 1.50 allowed." in text  # the last words of the reason, on a later line


def test_table_shows_the_signed_decision_in_the_status_column():
    line = format_table([won()], standing={"x-care-1h": "scaled up"}, width=200).splitlines()[2]
    assert line.startswith("x-care-1h  scaled up  Scale up")


def test_table_without_data_says_so_in_the_pages_words():
    line = format_table([check(plan(), [])], width=200).splitlines()[2]
    assert line.startswith("x-care-1h  running  Keep collecting data (Randomized)  "
                           "no estimate yet")


def test_a_narrow_terminal_narrows_columns_no_further_than_their_longest_word():
    text = format_table([won()], width=40)
    assert "x-care-1h" in text and "churn-90d" in text and "(Randomized)" in text
