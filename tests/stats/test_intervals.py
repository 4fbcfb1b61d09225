"""Small-count intervals at any critical value, against statsmodels and scipy."""

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.rates import confint_poisson_2indep

from lab.stats import intervals


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [
    (6, 7, 2, 7), (0, 4800, 960, 4800), (40, 400, 48, 400), (0, 10, 0, 12), (3, 3, 1, 5)])
@pytest.mark.parametrize("alpha", [0.05, 0.001])
def test_newcombe_matches_statsmodels(x1, n1, x2, n2, alpha):
    low, high = intervals.newcombe(x1, n1, x2, n2, intervals.critical(alpha))
    expected = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", alpha=alpha)
    assert (low[0], high[0]) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(("y1", "e1", "y2", "e2"), [
    (3, 100.0, 9, 120.0), (0, 100.0, 0, 120.0), (250, 2000.0, 160, 2000.0), (1, 3.5, 0, 2.0)])
def test_poisson_mover_matches_statsmodels(y1, e1, y2, e2):
    low, high = intervals.poisson_mover(y1, e1, y2, e2, intervals.critical(0.05))
    expected = confint_poisson_2indep(y1, e1, y2, e2, method="mover", compare="diff")
    assert (low[0], high[0]) == pytest.approx(expected, abs=1e-12)


def test_welch_at_z_is_the_t_interval_with_welch_df():
    n1, m1, v1, n2, m2, v2 = 10, 0.75, 1.789010**2, 10, 2.33, 2.002249**2
    low, high = intervals.welch(n1, m1, v1, n2, m2, v2, intervals.critical(0.05))
    # R: t.test(extra ~ group, data = sleep) -> [-3.3654832, 0.2054832]
    assert (low[0], high[0]) == pytest.approx((-3.3654832, 0.2054832), abs=1e-6)
    p = intervals.welch_p_value(n1, m1, v1, n2, m2, v2)[0]
    assert p == pytest.approx(stats.ttest_ind_from_stats(m1, np.sqrt(v1), n1, m2, np.sqrt(v2),
                                                         n2, equal_var=False).pvalue)


def test_rare_and_all_or_none_counts_keep_a_finite_interval():
    low, high = intervals.newcombe(0, 4800, 0, 4800, 5.0)
    assert low[0] < 0 < high[0] and np.isfinite([low[0], high[0]]).all()
    low, high = intervals.newcombe(0, 4800, 960, 4800, 5.0)
    assert high[0] < -0.15  # 0% against 20%: clearly apart even at a strict look


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), [(6, 7, 2, 7), (40, 400, 55, 400),
                                                    (3, 20, 0, 20)])
def test_the_p_value_and_the_interval_agree(x1, n1, x2, n2):
    """The p-value is the level at which the interval reaches 0: never a contradiction."""
    estimate = x1 / n1 - x2 / n2
    p = intervals.p_value_at_zero(intervals.newcombe, estimate, x1, n1, x2, n2)[0]
    for alpha in (p * 0.98, p * 1.02):
        low, high = intervals.newcombe(x1, n1, x2, n2, intervals.critical(alpha))
        assert (low[0] > 0 or high[0] < 0) == (alpha > p)


def test_the_small_sample_example_of_the_audit():
    """6/7 against 2/7: the interval 0.058 to 0.806 excludes 0, so p is below 0.05 (the
    Fisher p-value beside it said 0.103)."""
    low, high = intervals.newcombe(6, 7, 2, 7, intervals.critical(0.05))
    assert (low[0], high[0]) == pytest.approx((0.058, 0.806), abs=5e-4)
    assert intervals.p_value_at_zero(intervals.newcombe, 4 / 7, 6, 7, 2, 7)[0] < 0.05
