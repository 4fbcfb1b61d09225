"""The rule at its edges (issue 12): rare and all-or-none outcomes, missing rows, no data."""

import datetime as dt

import numpy as np
import pytest

import lab
from lab.pilots.plans import load
from tests.factories import START, mean_rows, plan, proportion_rows

KEY = "x-care-1h"
CHURN = [{"key": "churn-90d", "kind": "proportion", "role": "primary",
          "direction": "decrease", "minimum_effect": 0.02}]


@pytest.mark.parametrize(("direction", "outcome"), [("decrease", "scale_up"),
                                                    ("increase", "withdraw")])
def test_all_or_none_outcomes_decide(direction, outcome):
    """0% against 20% at 4,800 per arm (p ≈ 1e-263) is decided, whichever way is better."""
    metrics = [{**CHURN[0], "direction": direction}]
    rows = proportion_rows(KEY, "churn-90d", range(12), 400, 0.0, 0.20)
    result = lab.check(plan(metrics=metrics, planned_sample=4800), rows)
    assert result.final and result.outcome == outcome
    # It is clear long before the end: the first decisive look comes early.
    first = next(i for i, look in enumerate(result.looks) if look.outcome != "continue")
    assert first <= 2


def test_a_rare_guardrail_can_be_shown_safe():
    """The shipped call-back plan, which works, with opt-outs at 0.2% in both arms."""
    spec = load("experiments/callback-at-risk.toml").model_dump(mode="json")
    rng = np.random.default_rng(12)
    decided = 0
    for run in range(40):
        key = f"callback-{run}"
        spec["pilot"]["key"] = key
        rows = []
        for week in range(12):
            period = (spec_start(spec) + dt.timedelta(weeks=week)).isoformat()
            for arm, retained in (("pilot", 0.76), ("control", 0.70)):
                rows += [{"pilot": key, "metric": "retained-90d", "arm": arm,
                          "period": period, "successes": int(rng.binomial(250, retained)),
                          "trials": 250},
                         {"pilot": key, "metric": "opt-out-requests", "arm": arm,
                          "period": period, "successes": int(rng.binomial(250, 0.002)),
                          "trials": 250}]
        result = lab.check(spec, rows)
        assert result.outcome != "continue" or not result.final
        decided += result.outcome != "continue"
    assert decided >= 36


def spec_start(spec) -> dt.date:
    return dt.date.fromisoformat(spec["pilot"]["start"])


def test_the_planned_end_never_says_the_answer_stays_open():
    rows = proportion_rows(KEY, "churn-90d", range(12), 400, 0.19, 0.20)
    result = lab.check(plan(metrics=CHURN, planned_sample=4800), rows)
    assert result.final and result.outcome != "continue"
    assert not any("stays open" in reason for reason in result.reasons)


def test_a_primary_without_rows_yet_continues_with_a_note():
    metrics = CHURN + [{"key": "cost", "kind": "mean", "role": "guardrail",
                        "direction": "decrease", "margin": 1.5}]
    rows = mean_rows(KEY, "cost", range(3), 400, 10.0, 10.0)
    result = lab.check(plan(metrics=metrics), rows)
    assert result.outcome == "continue" and result.looks == []
    assert "No observations of churn-90d yet" in result.reasons[0]
    assert result.notes == ["cost has rows, but a look is the period of a primary row: "
                            "nothing is read until churn-90d is logged"]


def test_a_missing_control_row_is_left_out_and_named():
    rows = proportion_rows(KEY, "churn-90d", range(6), 400, 0.20, 0.20)
    missing = (START + dt.timedelta(weeks=3)).isoformat()
    rows = [r for r in rows if not (r["arm"] == "control" and r["period"] == missing)]
    result = lab.check(plan(metrics=CHURN, planned_sample=4800), rows)
    assert result.srm_p_value > 0.5  # matched periods: 2,000 against 2,000
    assert result.metrics[0].n_pilot == result.metrics[0].n_control == 2000
    assert [look.period.isoformat() for look in result.looks].count(missing) == 0
    assert any(f"no control row for {missing}" in note for note in result.notes)


@pytest.mark.parametrize("analysis", ["sequential", "always-valid", "fixed"])
def test_the_p_value_agrees_with_the_interval_shown(analysis):
    """No contradictory significance: p < alpha exactly when the interval excludes 0."""
    rng = np.random.default_rng(3)
    specs, rows = [], []
    for i in range(60):
        key = f"p-{i}"
        specs.append(plan(key=key, analysis=analysis, planned_sample=2400))
        weeks = range(int(rng.integers(1, 13)))
        rows += proportion_rows(key, "churn-90d", weeks, 200, 0.18 + rng.normal(0, 0.02),
                                0.20, exact=False, seed=int(rng.integers(1 << 30)))
        rows += mean_rows(key, "cost-per-contact", weeks, 200, 10 + rng.normal(0, 0.3), 10.0)
    checked = 0
    for answer in lab.check_portfolio(specs, rows).values():
        for metric in answer.metrics:
            if metric.p_value is None or not np.isfinite(metric.p_value):
                continue
            excludes = metric.ci_low > 0 or metric.ci_high < 0
            assert (metric.p_value < 0.05) == excludes, (answer.pilot, metric)
            checked += 1
    assert checked > 60


def test_a_last_look_adding_little_information_reads_the_right_boundary():
    """Weekly volume 9% above plan: the planned sample is reached 0.08% short of week 12,
    and the final look adds that 0.08% (its boundary read 3.80-4.34 instead of ~2.1)."""
    weekly = round(4800 / 12 * 1.09)
    rows = proportion_rows(KEY, "churn-90d", range(12), weekly, 0.17, 0.20)
    result = lab.check(plan(metrics=CHURN, planned_sample=4800), rows)
    fractions = [look.information_fraction for look in result.looks]
    assert fractions[-2] > 0.999 and fractions[-1] == 1.0
    assert 2.0 < result.looks[-1].boundary < 2.2
    assert result.outcome == "scale_up" and result.final
