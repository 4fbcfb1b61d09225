"""`check()` end to end: every design and analysis, every outcome, gates and errors."""

import datetime as dt
import json
import math

import numpy as np
import pytest

from lab.analysis.pipeline import check
from lab.analysis.result import METRIC_KEYS, LookResult
from lab.pilots.plans import PreregistrationError
from tests.factories import mean_rows, plan, proportion_rows, rate_rows

KEY = "x-care-1h"
WEEKS = range(12)


def holdout(p_pilot=0.16, p_control=0.20, cost_pilot=10.0, cost_control=10.0, trials=400,
            cost_sd=2.0, weeks=WEEKS, trials_control=None):
    return (proportion_rows(KEY, "churn-90d", weeks, trials, p_pilot, p_control,
                            trials_control=trials_control)
            + mean_rows(KEY, "cost-per-contact", weeks, trials, cost_pilot, cost_control,
                        sd=cost_sd))


def outcome_of(observations, **spec):
    result = check(plan(**spec), observations)
    assert result.looks[-1].outcome == result.outcome
    return result


@pytest.mark.parametrize("analysis", ["sequential", "always-valid", "fixed"])
def test_a_clear_win_scales_up_in_every_analysis(analysis):
    result = outcome_of(holdout(), analysis=analysis)
    assert result.outcome == "scale_up" and result.final
    assert result.reasons[0].startswith("Churn fell by 4.0 points (")
    primary = result.metrics[0]
    assert primary.ci_low > 0 and primary.estimate == pytest.approx(0.04)
    assert primary.lift == pytest.approx(0.16 / 0.20 - 1)


@pytest.mark.parametrize(("observations", "spec", "outcome", "words"), [
    (holdout(0.25, 0.20), {}, "withdraw", "doing worse than the control"),
    (holdout(0.20, 0.20, trials=3000), {"planned_sample": 36000}, "withdraw", "ruled out"),
    (holdout(0.20, 0.20, trials=100, cost_pilot=14.0), {"planned_sample": 1200}, "withdraw",
     "shows no clear benefit"),
    (holdout(cost_pilot=14.0), {}, "revise", "rises by more than the 1.50 allowed"),
    (holdout(0.19, 0.20, trials=20000), {"planned_sample": 240000}, "revise",
     "smaller than the 2 points worth scaling"),
    (holdout(cost_sd=60.0), {}, "revise", "could be shown not to rise"),
    (holdout(0.19, 0.20, trials=100), {"planned_sample": 1200}, "revise",
     "without a clear answer"),
])
def test_every_withdraw_and_revise_reason(observations, spec, outcome, words):
    result = outcome_of(observations, **spec)
    assert result.outcome == outcome
    assert words in result.reasons[0]


def test_inconclusive_so_far_continues_with_sample_and_date():
    result = outcome_of(holdout(weeks=range(4)))
    assert result.outcome == "continue" and not result.final
    assert result.information_fraction == pytest.approx(1 / 3)
    assert result.needed_sample == 4800 - 1600
    # 1,600 per arm in 28 days; 3,200 more take 56 days after the week of 2026-01-26.
    assert result.projected_date == dt.date(2026, 3, 30)
    assert "About 3,200 more units per arm are needed" in result.reasons[-1]
    assert result.metrics[0].ci_low < 0 < result.metrics[0].ci_high


def test_sample_ratio_mismatch_revises():
    result = outcome_of(holdout(trials=300, trials_control=400))
    assert result.outcome == "revise"
    assert "split between arms is not what was planned" in result.reasons[0]
    assert result.srm_p_value < 0.001


def test_not_enough_data_continues_but_still_reports_metrics():
    result = outcome_of(holdout(trials=25, weeks=range(1)))
    assert result.outcome == "continue"
    assert result.reasons[0] == ("Not enough data yet for cost per contact: each arm needs "
                                 "at least 30 units.")
    assert result.metrics[0].estimate == pytest.approx(0.05, abs=0.05)
    assert result.needed_sample > 0


def test_fixed_analysis_waits_for_the_end():
    result = outcome_of(holdout(weeks=range(6)), analysis="fixed")
    assert result.outcome == "continue"
    assert "analysed once, at its end" in result.reasons[0]
    assert all(look.outcome == "continue" for look in result.looks)


def test_always_valid_without_a_planned_sample_uses_the_end_date():
    result = outcome_of(holdout(weeks=range(6)), analysis="always-valid", planned_sample=None)
    assert result.outcome in ("scale_up", "continue")
    assert not result.final
    assert "always-valid" in result.metrics[0].method


def test_the_end_date_makes_a_look_final():
    result = outcome_of(holdout(trials=100), planned_sample=100000)
    assert result.final and result.information_fraction == 1.0
    assert result.outcome != "continue"


def did_observations(design_gap=0.05, before=range(-4, 0), during=range(8), trend=0.0,
                     trials=2000, seed=1):
    rng = np.random.default_rng(seed)
    rows = []
    for week in list(before) + list(during):
        phase = "before" if week < 0 else "during"
        level = 0.20 + trend * week - (design_gap if phase == "during" else 0.0)
        rows += proportion_rows(KEY, "churn-90d", [week], trials, level, 0.21, phase=phase,
                                exact=False, seed=int(rng.integers(1 << 30)))
        rows += mean_rows(KEY, "cost-per-contact", [week], 400, 10.0 + rng.normal(0, 0.05),
                          10.0 + rng.normal(0, 0.05), phase=phase)
    return rows


@pytest.mark.parametrize("design", ["diff-in-diff", "baseline"])
@pytest.mark.parametrize("analysis", ["sequential", "always-valid", "fixed"])
def test_non_randomized_designs(design, analysis):
    result = outcome_of(did_observations(), design=design, analysis=analysis,
                        planned_periods=8)
    assert result.final
    assert result.outcome == "scale_up"
    assert result.metrics[0].lift is None or result.metrics[0].to_dict()["lift"] is None
    evidence = "Weak evidence: before/after only" if design == "baseline" else \
        "Evidence: a comparison scope (diff-in-diff)"
    assert result.reasons[-1].startswith(evidence)
    # The baseline has no control: its estimate is the pilot's own change, also 5 points.
    assert result.metrics[0].estimate == pytest.approx(0.05, abs=0.012)


@pytest.mark.parametrize("seed", range(1, 6))
def test_a_pre_trend_sends_the_pilot_back(seed):
    # 1.5 points a week against weekly noise of 1.3 points: clear over 8 before-weeks.
    result = outcome_of(did_observations(trend=0.015, before=range(-8, 0), seed=seed),
                        design="diff-in-diff", planned_periods=8)
    assert result.outcome == "revise"
    assert "already drifting apart" in result.reasons[0]


def test_too_few_before_periods_leave_the_trend_unchecked_and_say_how_many():
    result = outcome_of(did_observations(before=range(-2, 0), during=range(3)),
                        design="diff-in-diff", planned_periods=8)
    assert any(r.startswith("Parallel trends could not be checked: 2 before-periods logged, "
                            "at least 3 needed (and about ") for r in result.reasons)
    assert any(n.startswith("parallel trends not checked") for n in result.notes)
    assert "period-to-period noise, t with" in result.metrics[0].method
    assert not result.final
    assert result.information_fraction == pytest.approx((1 / 2 + 1 / 8) / (1 / 2 + 1 / 3))


def test_one_period_in_each_phase_falls_back_to_the_sampling_variances_and_says_so():
    result = outcome_of(did_observations(before=range(-1, 0), during=range(1)),
                        design="diff-in-diff", planned_periods=8)
    assert any("noise could not be estimated" in n for n in result.notes)
    assert "sampling variances alone" in result.metrics[0].method


def test_rate_primary():
    metrics = [{"key": "complaints", "kind": "rate", "role": "primary",
                "direction": "decrease", "minimum_effect": 0.01}]
    observations = rate_rows(KEY, "complaints", WEEKS, 2000.0, 0.05, 0.08)
    result = outcome_of(observations, metrics=metrics, planned_sample=24000, analysis="fixed")
    assert result.outcome == "scale_up"
    assert result.srm_p_value is None
    assert "MOVER score interval" in result.metrics[0].method
    assert result.metrics[0].lift == pytest.approx(0.05 / 0.08 - 1)


def test_no_observations_yet():
    result = check(plan(), [])
    assert result.outcome == "continue" and result.looks == []
    assert [m.key for m in result.metrics] == ["churn-90d", "cost-per-contact"]


def test_to_dict_has_exactly_the_documented_keys_and_round_trips():
    result = check(plan(), holdout(weeks=range(5)))
    data = result.to_dict()
    assert tuple(data) == ("pilot", "outcome", "reasons", "design", "analysis", "evidence",
                           "final",
                           "information_fraction", "srm_p_value", "needed_sample",
                           "projected_date", "metrics", "looks", "notes", "metric_looks")
    assert all(tuple(m) == METRIC_KEYS for m in data["metrics"])
    assert all(set(look) == {"period", "information_fraction", "boundary", "estimate",
                             "ci_low", "ci_high", "outcome"} for look in data["looks"])
    assert json.loads(json.dumps(data, allow_nan=False)) == data
    assert data["projected_date"] == result.projected_date.isoformat()


def test_degenerate_data_are_reported_as_none_with_a_note():
    observations = holdout() + []
    for row in observations:
        if row["metric"] == "cost-per-contact":
            row["sd"] = 0.0
    result = check(plan(), observations)
    data = result.to_dict()
    assert data["metrics"][1]["ci_low"] is None
    assert any("cost per contact: no interval" in note for note in result.notes)
    # An undefined guardrail interval proves nothing: the pilot cannot scale up on it.
    assert result.outcome == "revise" and "could be shown not to rise" in result.reasons[0]
    json.dumps(data, allow_nan=False)


def test_results_are_deterministic():
    assert check(plan(), holdout()).to_dict() == check(plan(), holdout()).to_dict()


@pytest.mark.parametrize(("spec", "observations", "message"), [
    (plan(metrics=[]), [], "metrics"),
    (plan(), [{"pilot": "other", "metric": "churn-90d", "arm": "pilot", "period": "2026-01-05",
               "successes": 1, "trials": 2}], "not one of the pilots checked"),
    (plan(), [{"pilot": KEY, "metric": "nps", "arm": "pilot", "period": "2026-01-05",
               "successes": 1, "trials": 2}], "not a metric of pilot"),
    (plan(), [{"pilot": KEY, "metric": "churn-90d", "arm": "pilot", "period": "2026-01-05",
               "n": 3, "mean": 1, "sd": 1}], "needs successes, trials"),
    (plan(), [{"pilot": KEY, "metric": "churn-90d", "arm": "both", "period": "2026-01-05",
               "successes": 1, "trials": 2}], "'arm'"),
])
def test_bad_plans_and_observations_are_refused_clearly(spec, observations, message):
    with pytest.raises((ValueError, PreregistrationError), match=message):
        check(spec, observations)


def test_a_check_strong_enough_to_see_a_drift_that_matters_says_trends_are_parallel():
    result = outcome_of(did_observations(before=range(-8, 0), trials=400000),
                        design="diff-in-diff", planned_periods=8)
    assert any("a drift large enough to create the minimum effect would have shown" in r
               for r in result.reasons)
    assert not any(n.startswith("parallel trends") for n in result.notes)


def test_a_check_too_weak_for_the_drift_that_matters_does_not_pass_the_trend():
    result = outcome_of(did_observations(), design="diff-in-diff", planned_periods=8)
    said = next(r for r in result.reasons if r.startswith("No clear drift before the pilot"))
    assert "parallel trends are not confirmed" in said and "before-periods would be" in said
    assert any(n.startswith("parallel trends not confirmed: over 4 before-periods")
               for n in result.notes)


def test_a_non_randomized_pilot_without_any_variation_has_no_interval_and_says_why():
    rows = [row for week in range(-4, 8) for row in mean_rows(
        KEY, "cost-per-contact", [week], 400, 10.0, 10.0, sd=0.0,
        phase="before" if week < 0 else "during")]
    metrics = [{"key": "cost-per-contact", "kind": "mean", "role": "primary",
                "direction": "decrease", "minimum_effect": 1.0}]
    result = check(plan(design="diff-in-diff", planned_periods=8, metrics=metrics), rows)
    assert result.to_dict()["metrics"][0]["ci_low"] is None
    assert any("cost-per-contact: no interval (no variation" in n for n in result.notes)
    # The planned periods are all in: the pilot ends, inconclusive, rather than waiting.
    assert result.final and result.outcome == "revise"
    assert result.reasons[0].startswith("The pilot ended without a clear answer")


@pytest.mark.parametrize("numbers", [
    (0.5, 2.3, 0.01, -0.1, 0.12),  # plain floats, all finite: the fast path
    (0.5, math.nan, 0.01, -math.inf, math.inf),  # any non-finite: null, one by one
    *[tuple(math.nan if i == at else 0.5 for i in range(5)) for at in range(5)],
    (1e308, 1e308, 0.0, 0.0, 0.0),  # each finite though their sum is not
    (np.float64(0.5), np.float64(2.3), np.float32(0.25), np.int64(1), -0.0),  # not floats
])
def test_a_look_gives_plain_floats_or_none_as_finite_or_none_does(numbers):
    look = LookResult(dt.date(2026, 1, 5), *numbers, "continue")
    data = look.to_dict()
    names = ("information_fraction", "boundary", "estimate", "ci_low", "ci_high")
    expected = [None if not math.isfinite(float(x)) else float(x) + 0.0 for x in numbers]
    assert [data[name] for name in names] == expected
    assert all(data[name] is None or type(data[name]) is float for name in names)
    assert all(data[name] is None or math.copysign(1.0, data[name]) == math.copysign(
        1.0, float(x) + 0.0) for name, x in zip(names, numbers, strict=True))
    assert data["period"] == "2026-01-05" and data["outcome"] == "continue"
    assert LookResult.from_dict(data).to_dict() == data


def test_every_other_metric_has_its_interval_at_each_look_with_the_pilots_verdict():
    result = check(plan(), holdout(weeks=range(6)))
    primary = result.primary.key
    assert set(result.metric_looks) == {m.key for m in result.metrics} - {primary}
    for metric in result.metrics:
        if metric.key == primary:
            continue
        history = result.metric_looks[metric.key]
        assert [(h.period, h.outcome) for h in history] == [(look.period, look.outcome)
                                                            for look in result.looks]
        # The last look is the current one: the metric's own interval, not the primary's.
        assert (history[-1].estimate, history[-1].ci_low, history[-1].ci_high) == (
            metric.estimate, metric.ci_low, metric.ci_high)
        assert history[-1].estimate != result.looks[-1].estimate
