"""What a manager reads: better or worse, evidence, lifts with their direction, flukes."""

from __future__ import annotations

from datetime import date

import pytest

from lab.portfolio import standing
from lab.words import Effect, evidence_word, flukes, judged, relative


@pytest.mark.parametrize(("effect", "said"), [
    # A guardrail that got worse on a lower-is-better metric: oriented −4.1 points.
    (Effect("opt-outs", "proportion", "decrease", -0.041, -0.052, -0.031),
     "Worse: opt-outs up 4.1 points (3.1 to 5.2)"),
    (Effect("churn", "proportion", "decrease", 0.027, 0.014, 0.040),
     "Better: churn down 2.7 points (1.4 to 4.0)"),
    (Effect("cost", "mean", "decrease", -0.30, -0.50, -0.10), "Worse: cost up 0.3 (0.1 to 0.5)"),
    (Effect("activation", "proportion", "increase", 0.074, -0.062, 0.209),
     "Not clear yet: activation up 7.4 points (-6.2 to 20.9), could be better or worse"),
])
def test_every_effect_says_whether_it_is_better_or_worse(effect, said):
    assert judged(effect) == said


def test_a_lift_says_its_direction_and_whether_that_is_good():
    assert relative(1.89, "decrease") == "189% higher than control (worse)"
    assert relative(-0.24, "decrease") == "24% lower than control (better)"
    assert relative(0.08, "increase") == "8% higher than control (better)"


def test_evidence_has_a_managers_words():
    assert evidence_word("randomized") == "Randomized"
    assert evidence_word("comparison") == "Comparison scopes"
    assert evidence_word("before-after") == "Before/after only — weak evidence"


def test_q_values_read_as_advice():
    assert flukes(0.028) == "about 3 in 100 wins this strong could be flukes"
    assert flukes(0.0004) == "fewer than 1 in 100 wins this strong could be flukes"


@pytest.mark.parametrize(("low", "high", "status"), [
    (-0.005, 0.01, "safe"), (-0.05, -0.03, "harmed"), (-0.02, 0.01, "unclear")])
def test_a_guardrail_stands_against_its_margin(low, high, status):
    assert standing.guardrail_status({"ci_low": low, "ci_high": high, "margin": 0.01}) == status


def test_burn_rate_and_projected_cost_follow_the_spend_so_far():
    start, end, today = date(2026, 1, 5), date(2026, 3, 30), date(2026, 2, 2)
    assert standing.burn_rate(8000, start, end, today) == pytest.approx(2000)
    # Eight more weeks at 2,000 a week.
    assert standing.projected_cost(8000, "running", start, end, today) == pytest.approx(
        8000 + 2000 * 56 / 7)
    assert standing.projected_cost(8000, "scaled_up", start, end, today) == 8000


def test_a_decision_is_overdue_past_the_end_or_once_the_final_look_answers():
    end = date(2026, 3, 30)
    assert standing.overdue_days("running", "continue", False, end, date(2026, 4, 9)) == 10
    assert standing.overdue_days("running", "scale_up", True, end, date(2026, 3, 1)) == 0
    assert standing.overdue_days("running", "continue", False, end, date(2026, 3, 1)) is None
    assert standing.overdue_days("scaled_up", "scale_up", True, end, date(2026, 4, 9)) is None


class Row:
    def __init__(self, status, budget, spend=0.0, currency="EUR"):
        self.status, self.budget, self.spend, self.currency = status, budget, spend, currency


def test_a_drafted_iteration_budget_is_not_counted_as_committed():
    rows = [Row("revised", 40000, 30000), Row("draft", 40000), Row("running", 12000, 15000),
            Row("running", 5000, 100, currency="USD")]
    totals = standing.money_totals(rows, "EUR")
    assert totals == {"spend": 45000, "budget": 52000, "drafts": 40000, "over": 1, "other": 1}


def test_the_cost_per_outcome_interval_runs_from_the_largest_effect_to_the_smallest():
    primary = {"kind": "proportion", "ci_low": 0.01, "ci_high": 0.04, "n_pilot": 1000}
    assert standing.cost_interval(primary, 4000) == pytest.approx((100.0, 400.0))
    assert standing.cost_interval({**primary, "ci_low": -0.01}, 4000) is None
