"""The inputs of the decision, pinned: the data gate, the information fraction, the
always-valid tuning of guardrails, and the sequential boundary the product reads."""

import math

import numpy as np
import pytest
from scipy.special import ndtri

import lab
from lab.stats import always_valid, gates, intervals, sequential
from tests.factories import mean_rows, plan, proportion_rows, rate_rows

KEY = "x-care-1h"
CHURN = [{"key": "churn-90d", "kind": "proportion", "role": "primary",
          "direction": "decrease", "minimum_effect": 0.02}]
COST = [{"key": "cost", "kind": "mean", "role": "primary", "direction": "decrease",
         "minimum_effect": 0.5}]


@pytest.mark.parametrize(("kind", "n", "total", "enough"), [
    ("proportion", 60, 30, True), ("proportion", 59, 29, False),
    ("proportion", 59, 30, False), ("proportion", 1000, 29, False),
    ("mean", 30, 300.0, True), ("mean", 29, 290.0, False),
    ("rate", 500.0, 20, True), ("rate", 500.0, 19, False),
])
def test_the_enough_data_gate_thresholds(kind, n, total, enough):
    assert bool(gates.enough_data(kind, n, total)) is enough


@pytest.mark.parametrize(("units", "gated"), [(30, False), (29, True)])
def test_a_mean_waits_for_thirty_units_per_arm_before_the_final_look(units, gated):
    rows = [{"pilot": KEY, "metric": "cost", "arm": arm, "period": "2026-01-05", "n": units,
             "mean": 10.0, "sd": 2.0} for arm in ("pilot", "control")]
    result = lab.check(plan(metrics=COST, planned_sample=100000), rows)
    assert (result.reasons[0].startswith("Not enough data yet")) is gated


def test_at_the_final_look_no_data_gate_holds_the_pilot():
    rows = [{"pilot": KEY, "metric": "cost", "arm": arm, "period": "2026-01-05", "n": 12,
             "mean": mean, "sd": 2.0} for arm, mean in (("pilot", 7.0), ("control", 10.0))]
    result = lab.check(plan(metrics=COST, planned_sample=12), rows)
    assert result.final and result.outcome == "scale_up"


def test_the_information_fraction_counts_the_planned_total_of_both_arms():
    # A quarter of the scope in the pilot arm: 1,000 planned there means 4,000 in all.
    rows = proportion_rows(KEY, "churn-90d", range(1), 250, 0.2, 0.2, trials_control=750)
    result = lab.check(plan(metrics=CHURN, planned_sample=1000, allocation=0.25), rows)
    assert result.information_fraction == pytest.approx(1000 / 4000)
    assert result.srm_p_value == pytest.approx(1.0)  # 1:3 is the planned split


def test_the_split_check_reads_the_planned_allocation():
    rows = proportion_rows(KEY, "churn-90d", range(1), 500, 0.2, 0.2)
    result = lab.check(plan(metrics=CHURN, planned_sample=1000, allocation=0.25), rows)
    assert result.srm_p_value < 1e-10
    assert result.outcome == "revise"


@pytest.mark.parametrize("guardrails", [1, 3])
def test_an_always_valid_guardrail_is_tuned_for_its_share_of_the_power(guardrails):
    """Without a planned sample, τ² comes from the margin at power 1 − β/(G+1) (§5, §7)."""
    metrics = CHURN + [{"key": f"cost-{i}", "kind": "mean", "role": "guardrail",
                        "direction": "decrease", "margin": 1.5} for i in range(guardrails)]
    rows = proportion_rows(KEY, "churn-90d", range(6), 400, 0.16, 0.20)
    for i in range(guardrails):
        rows += mean_rows(KEY, f"cost-{i}", range(6), 400, 10.0, 10.0, sd=2.0)
    result = lab.check(plan(metrics=metrics, planned_sample=None, analysis="always-valid"),
                       rows)
    guard = result.metrics[1]
    pooled = 6 * 399 * 2.0**2 / 2399  # six weeks of 400 units with sd 2, equal means
    variance = 2 * pooled / 2400
    beta = 0.2 / (guardrails + 1)
    planned = (1.5 / (-ndtri(0.025) - ndtri(beta))) ** 2
    tau2 = always_valid.mixing_variance(0.05, planned)
    multiple = always_valid.half_width(variance, tau2, 0.05) / np.sqrt(variance)
    low, high = intervals.welch(2400, 10.0, pooled, 2400, 10.0, pooled, multiple)
    assert (guard.ci_high - guard.ci_low) / 2 == pytest.approx(high[0], rel=1e-9)


def test_a_sequential_look_reads_the_obrien_fleming_boundary():
    rows = proportion_rows(KEY, "churn-90d", range(4), 400, 0.17, 0.20)
    result = lab.check(plan(metrics=CHURN, planned_sample=4800), rows)
    fractions = [look.information_fraction for look in result.looks]
    bounds = sequential.obf_boundaries(0.05, fractions)
    assert [look.boundary for look in result.looks] == pytest.approx(list(bounds))
    assert bounds[0] > 4  # the first of twelve looks is read very strictly
    last = result.looks[-1]
    half = (last.ci_high - last.ci_low) / 2
    se = np.sqrt(2 * 0.2 * 0.8 / 1600)  # near the Wald se of the last look
    assert half == pytest.approx(bounds[-1] * se, rel=0.05)


def test_no_events_yet_is_no_reason_to_wait():
    metrics = [{"key": "complaints", "kind": "rate", "role": "primary",
                "direction": "decrease", "minimum_effect": 0.01}]
    rows = rate_rows(KEY, "complaints", range(1), 200.0, 0.0, 0.0)
    result = lab.check(plan(metrics=metrics, planned_sample=24000), rows)
    assert result.outcome == "continue"
    assert result.reasons[0].startswith("No clear answer yet")
    assert math.isfinite(result.metrics[0].ci_low)
