"""The sentences that explain a verdict: each reason code in a manager's words."""

import pytest

from lab.words import Effect, reasons


def churn(low, high, estimate=None):
    estimate = (low + high) / 2 if estimate is None else estimate
    return Effect("churn", "proportion", "decrease", estimate, low, high, 0.02)


def cost(low, high):
    return Effect("cost per contact", "mean", "decrease", (low + high) / 2, low, high, 1.5)


def test_the_example_sentence():
    said = reasons.explain("effective", churn(0.011, 0.037, 0.024), [cost(-1.0, 0.5)])
    assert said == ("churn fell by 2.4 points (1.1 to 3.7); the smallest drop worth scaling "
                    "was 2 points; cost per contact did not rise by more than the 1.50 allowed")


@pytest.mark.parametrize(("code", "primary", "guard", "words"), [
    ("worse", (-0.05, -0.01), (-1, 1), "doing worse than the control"),
    ("futile", (-0.01, 0.015), (-1, 1), "ruled out"),
    ("harm_no_benefit", (-0.01, 0.05), (-3, -2), "shows no clear benefit"),
    ("harm", (0.01, 0.05), (-3, -2), "rises by more than the 1.50 allowed"),
    ("too_small", (0.005, 0.015), (-1, 1), "smaller than the 2 points worth scaling"),
    ("guardrail_unproven", (0.01, 0.05), (-2, 1), "could be shown not to rise"),
    ("inconclusive", (-0.01, 0.05), (-1, 1), "without a clear answer"),
    ("open", (-0.01, 0.05), (-1, 1), "no clear answer yet"),
])
def test_every_code_has_its_sentence(code, primary, guard, words):
    assert words in reasons.explain(code, churn(*primary), [cost(*guard)])


def test_gates_say_why_they_stopped_the_look():
    assert reasons.gate("not_enough_data", churn(0, 1), ["not enough data yet for churn"],
                        float("nan"), None) == ["Not enough data yet for churn."]
    [srm] = reasons.gate("sample_ratio_mismatch", churn(0, 1), [], 1e-5, None)
    assert "split between arms is not what was planned" in srm and "p = 1e-05" in srm
    assert reasons.gate("waiting", churn(0.01, 0.03), [], float("nan"), None)[0].startswith(
        "This pilot is analysed once, at its end")


def test_the_data_requirement_names_the_gate_thresholds():
    assert reasons.requirement("proportion") == "at least 30 successes and 30 failures"
    assert reasons.requirement("mean") == "at least 30 units"
    assert reasons.requirement("rate") == "at least 20 events"


def test_each_design_states_its_evidence():
    assert reasons.evidence("holdout").startswith("evidence: randomized")
    assert "comparison scope" in reasons.evidence("diff-in-diff")
    assert reasons.evidence("baseline").startswith("weak evidence: before/after only")


@pytest.mark.parametrize(("state", "words"), [
    ("unchecked", "parallel trends could not be checked: 2 before-periods logged, at least 3 "
                  "needed (and about 14 to see a drift"),
    ("weak", "but the check could miss a drift of 0.8 points per period, enough to create "
             "the minimum effect on its own: parallel trends are not confirmed (about 14 "
             "before-periods would be needed)"),
    ("parallel", "no clear drift before the pilot over 2 before-periods (gap changing by "
                 "0.1 points per period, -0.2 to 0.4); a drift large enough"),
])
def test_the_trend_check_says_what_it_could_tell(state, words):
    said = reasons.trend(state, "proportion", "diff-in-diff", 2, 0.001, -0.002, 0.004, 0.008,
                         14.0)
    assert said.startswith(words) if state == "unchecked" else words in said


def test_a_trend_check_needing_more_than_two_years_says_so():
    said = reasons.trend("weak", "mean", "baseline", 8, 0.1, -0.2, 0.4, 0.5, float("nan"))
    assert "level changing by" in said and "(more than 104 before-periods" in said


def test_the_trend_notes_give_the_numbers_only_when_the_check_was_not_conclusive():
    assert reasons.trend_note("parallel", "mean", 8, 0.1, 0.2, float("nan")) is None
    assert reasons.trend_note("clear", "mean", 8, 0.1, 0.2, float("nan")) is None
    weak = reasons.trend_note("weak", "mean", 8, 0.5, 0.2, 30.0)
    assert "finds a drift of 0.5 per period with the planned power" in weak
    assert "about 30 before-periods" in weak
