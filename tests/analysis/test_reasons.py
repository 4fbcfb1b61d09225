"""The sentences that explain a verdict: each reason code in a manager's words."""

import pytest

from lab.analysis import reasons
from lab.words import Effect


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
