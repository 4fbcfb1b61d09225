"""The fixed-horizon tests against scipy/statsmodels, and their properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats import rates as sm_rates

from lab.stats.exact import binomial_two_sided
from lab.stats.fixed import fixed_test, proportion_test, rate_test, welch_test
from lab.stats.lift import rate_ratio_exact, relative_lift
from lab.stats.summaries import MeanSummary, ProportionSummary, RateSummary

RNG = np.random.default_rng(20260105)


def test_newcombe_interval_and_score_p_match_statsmodels():
    n1, n2 = RNG.integers(40, 3000, 300), RNG.integers(40, 3000, 300)
    x1 = RNG.binomial(n1, RNG.uniform(0.1, 0.9, 300))
    x2 = RNG.binomial(n2, RNG.uniform(0.1, 0.9, 300))
    ours = proportion_test(x1, n1, x2, n2, alpha=0.1)
    for i in range(300):
        low, high = sm_proportion.confint_proportions_2indep(
            x1[i], n1[i], x2[i], n2[i], method="newcomb", alpha=0.1)
        assert (ours.ci_low[i], ours.ci_high[i]) == pytest.approx((low, high), abs=1e-10)
        if not ours.notes[i]:
            reference = sm_proportion.test_proportions_2indep(
                x1[i], n1[i], x2[i], n2[i], method="score")
            assert ours.p_value[i] == pytest.approx(reference.pvalue, rel=1e-8, abs=1e-14)


def test_small_tables_use_fisher_exact():
    result = proportion_test([3], [12], [1], [12])
    assert result.p_value[0] == pytest.approx(stats.fisher_exact([[3, 9], [1, 11]]).pvalue)
    assert "Fisher" in result.notes[0]


def test_welch_matches_scipy():
    n1, n2 = RNG.integers(2, 500, 300), RNG.integers(2, 500, 300)
    m1, m2 = RNG.normal(0, 3, 300), RNG.normal(0, 3, 300)
    s1, s2 = RNG.uniform(0.1, 5, 300), RNG.uniform(0.1, 5, 300)
    ours = welch_test(n1, m1, s1, n2, m2, s2)
    reference = stats.ttest_ind_from_stats(m1, s1, n1, m2, s2, n2, equal_var=False)
    assert ours.p_value == pytest.approx(reference.pvalue, rel=1e-9)


def test_rate_exact_conditional_p_matches_statsmodels():
    for _ in range(150):
        e1, e2 = RNG.uniform(5, 500, 2)
        y1, y2 = RNG.poisson(e1 * RNG.uniform(0.05, 2)), RNG.poisson(e2 * RNG.uniform(0.05, 2))
        if y1 == 0 or y2 == 0:
            continue  # statsmodels warns dividing by a zero rate; our test needs no ratio
        ours = rate_test([y1], [e1], [y2], [e2])[0]
        reference = sm_rates.test_poisson_2indep(y1, e1, y2, e2, method="exact-cond")
        assert ours.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-15)
        assert ours.estimate == pytest.approx(y1 / e1 - y2 / e2)


def test_binomial_two_sided_matches_scipy():
    n = RNG.integers(1, 400, 2000)
    p = RNG.uniform(0.01, 0.99, 2000)
    k = RNG.binomial(n, RNG.uniform(0, 1, 2000))
    reference = [stats.binomtest(int(a), int(b), c).pvalue for a, b, c in zip(k, n, p,
                                                                               strict=True)]
    assert binomial_two_sided(k, n, p) == pytest.approx(reference, rel=1e-12, abs=1e-15)


def test_rate_ratio_exact_interval_is_clopper_pearson_transformed():
    for y1, e1, y2, e2 in [(12, 100.0, 20, 150.0), (3, 10.0, 40, 80.0), (50, 900.0, 30, 400.0)]:
        lift, low, high = rate_ratio_exact(y1, e1, y2, e2, 0.05)
        ci = stats.binomtest(y1, y1 + y2).proportion_ci(method="exact")
        scale = e2 / e1
        assert lift + 1 == pytest.approx(y1 / e1 / (y2 / e2))
        assert low + 1 == pytest.approx(ci.low / (1 - ci.low) * scale, rel=1e-9)
        assert high + 1 == pytest.approx(ci.high / (1 - ci.high) * scale, rel=1e-9)


def test_log_ratio_lift_matches_katz_formula():
    pilot, control = (200.0, 50.0, np.nan), (200.0, 40.0, np.nan)
    lift, low, high = relative_lift("proportion", pilot, control, 1.959964)
    se = np.sqrt((1 - 0.25) / 50 + (1 - 0.2) / 40)
    assert lift == pytest.approx(0.25)
    assert (low, high) == pytest.approx((1.25 * np.exp(-1.959964 * se) - 1,
                                         1.25 * np.exp(1.959964 * se) - 1))
    assert low < lift < high and (high - lift) > (lift - low)  # never symmetric


def test_degenerate_data_give_nan_and_a_note():
    flat = welch_test([10], [5.0], [0.0], [10], [5.0], [0.0])
    assert np.isnan(flat.ci_low[0]) and "no variation" in flat.notes[0]
    empty = proportion_test([0], [0], [5], [50])
    assert np.isnan(empty.estimate[0]) and "no trials" in empty.notes[0]
    # Every unit succeeded: the score test is 0/0, Fisher's exact test is defined (p = 1).
    all_success = proportion_test([50], [50], [60], [60])
    assert all_success.p_value[0] == 1.0 and "Fisher" in all_success.notes[0]
    no_exact = proportion_test([50], [50], [60], [60], exact=False)
    assert np.isnan(no_exact.p_value[0]) and "succeeded" in no_exact.notes[0]
    no_events = rate_test([0], [10.0], [0], [12.0])
    assert np.isnan(no_events.p_value[0]) and "no events" in no_events.notes[0]


def test_mixed_kinds_are_refused():
    with pytest.raises(ValueError, match="cannot compare"):
        fixed_test(ProportionSummary(3, 10), RateSummary(3, 10.0))


counts = st.integers(min_value=1, max_value=400)


@st.composite
def proportion_pair(draw):
    n1, n2 = draw(counts), draw(counts)
    return (ProportionSummary(draw(st.integers(0, n1)), n1),
            ProportionSummary(draw(st.integers(0, n2)), n2))


@st.composite
def mean_pair(draw):
    def one():
        return MeanSummary(draw(st.integers(2, 300)),
                           draw(st.floats(-50, 50, allow_nan=False)),
                           draw(st.floats(0.01, 20, allow_nan=False)))
    return one(), one()


@st.composite
def rate_pair(draw):
    def one():
        return RateSummary(draw(st.integers(0, 300)), draw(st.floats(1, 500, allow_nan=False)))
    return one(), one()


pairs = st.one_of(proportion_pair(), mean_pair(), rate_pair())


@settings(max_examples=150, deadline=None)
@given(pairs)
def test_swapping_arms_flips_the_sign(pair):
    pilot, control = pair
    forward, backward = fixed_test(pilot, control), fixed_test(control, pilot)
    assert forward.estimate == pytest.approx(-backward.estimate, abs=1e-12)
    if np.isfinite(forward.ci_low):
        assert forward.ci_low == pytest.approx(-backward.ci_high, abs=1e-9)
    assert forward.p_value == pytest.approx(backward.p_value, abs=1e-9, nan_ok=True)


@settings(max_examples=150, deadline=None)
@given(pairs)
def test_a_decrease_metric_mirrors_an_increase_one(pair):
    pilot, control = pair
    up, down = fixed_test(pilot, control, direction="increase"), \
        fixed_test(pilot, control, direction="decrease")
    assert down.estimate == pytest.approx(-up.estimate, abs=1e-12)
    assert (down.ci_low, down.ci_high) == pytest.approx((-up.ci_high, -up.ci_low), nan_ok=True)


@settings(max_examples=150, deadline=None)
@given(pairs)
def test_the_interval_contains_the_estimate(pair):
    result = fixed_test(*pair)
    if np.isfinite(result.ci_low):
        assert result.ci_low <= result.estimate + 1e-12 <= result.ci_high + 2e-12


@settings(max_examples=150, deadline=None)
@given(pairs, st.integers(2, 10))
def test_more_data_never_widens_the_interval(pair, factor):
    pilot, control = pair
    bigger = tuple(_scaled(s, factor) for s in pair)
    small, large = fixed_test(pilot, control), fixed_test(*bigger)
    if np.isfinite(small.ci_low) and np.isfinite(large.ci_low):
        assert large.estimate == pytest.approx(small.estimate, abs=1e-9)
        assert large.ci_high - large.ci_low <= small.ci_high - small.ci_low + 1e-12


def _scaled(summary, factor):
    if isinstance(summary, ProportionSummary):
        return ProportionSummary(summary.successes * factor, summary.trials * factor)
    if isinstance(summary, MeanSummary):
        return MeanSummary(summary.n * factor, summary.mean, summary.sd)
    return RateSummary(summary.events * factor, summary.exposure * factor)


@settings(max_examples=50, deadline=None)
@given(pairs)
def test_results_are_deterministic(pair):
    assert fixed_test(*pair).to_dict() == fixed_test(*pair).to_dict()
