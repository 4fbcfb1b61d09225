"""Planning formulas (STATISTICS §7) against statsmodels and the normal model."""

import math

import pytest
from scipy import stats
from statsmodels.stats import rates as sm_rates

from lab.stats import planning


def test_rate_sample_gives_the_power_statsmodels_computes():
    n = planning.rate_sample_size(0.5, 0.2, power=0.8)
    power = sm_rates.power_poisson_ratio_2indep(0.7, 0.5, n, nobs_ratio=1, exposure=1,
                                                value=1, alpha=0.05,
                                                alternative="two-sided",
                                                method_var="alt").power
    assert power == pytest.approx(0.8, abs=0.01)


def test_guardrail_sample_gives_its_share_of_power():
    variance, margin, guardrails = 4.0, 0.5, 3
    n = planning.guardrail_sample_size(variance, margin, power=0.8, guardrails=guardrails)
    # The decision reads the lower end of a two-sided 95% interval: one-sided at 2.5%.
    power = stats.norm.cdf(margin / math.sqrt(2 * variance / n) - stats.norm.isf(0.025))
    assert power == pytest.approx(1 - 0.2 / (guardrails + 1))


@pytest.mark.parametrize(("kind", "kwargs"), [
    ("proportion", {"baseline": 0.3}), ("mean", {"sd": 2.0}), ("rate", {"baseline": 0.4}),
])
def test_minimum_detectable_effect_inverts_the_sample_size(kind, kwargs):
    effect = 0.05 if kind != "mean" else 0.4
    n = planning.sample_size(kind, effect, **kwargs)
    assert planning.minimum_detectable_effect(kind, n, **kwargs) == pytest.approx(effect,
                                                                                rel=1e-5)


def test_plan_inflates_for_the_analysis_and_counts_weeks():
    fixed = planning.plan("proportion", 0.05, baseline=0.3, analysis="fixed")
    sequential = planning.plan("proportion", 0.05, baseline=0.3, weekly_volume=400)
    always = planning.plan("proportion", 0.05, baseline=0.3, analysis="always-valid")
    assert fixed.sample_per_arm == math.ceil(fixed.fixed_sample)
    assert sequential.sample_per_arm == math.ceil(fixed.fixed_sample * 1.03)
    assert always.sample_per_arm == math.ceil(fixed.fixed_sample * 1.8)
    assert sequential.weeks == math.ceil(sequential.sample_per_arm / 200)


def test_guardrails_can_drive_the_plan():
    plan = planning.plan("mean", 1.0, sd=4.0, guardrail_margins=((16.0, 0.5),) * 2)
    assert plan.guardrail_sample > plan.fixed_sample
    assert plan.sample_per_arm == math.ceil(plan.guardrail_sample * 1.03) or \
        plan.sample_per_arm >= plan.guardrail_sample


@pytest.mark.parametrize(("call", "message"), [
    (lambda: planning.sample_size("proportion", 0.5, baseline=0.7), "leaves"),
    (lambda: planning.sample_size("mean", 1.0), "sd"),
    (lambda: planning.sample_size("rate", 0.1), "baseline"),
    (lambda: planning.sample_size("proportion", -0.1, baseline=0.3), "minimum_effect"),
    (lambda: planning.plan("proportion", 0.1, baseline=0.3, analysis="bayes"), "analysis"),
    (lambda: planning.weeks_needed(100, 0), "weekly volume"),
])
def test_bad_plans_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
