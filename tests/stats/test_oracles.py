"""Published values the statistics must reproduce (STATISTICS §8)."""

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import brentq

from lab.stats import planning
from lab.stats.exact import fisher_two_sided
from lab.stats.fixed import fixed_test, welch_test
from lab.stats.multiplicity import bh_q_values, bonferroni, holm
from lab.stats.sequential import obf_boundaries, obf_spending
from lab.stats.summaries import MeanSummary


def test_sleep_t_test_from_summaries():
    result = welch_test(10, 0.75, 1.789010, 10, 2.33, 2.002249)[0]
    assert result.estimate == pytest.approx(-1.58)
    assert result.p_value == pytest.approx(0.07939, abs=1e-4)
    assert result.ci_low == pytest.approx(-3.3654832, abs=1e-4)
    assert result.ci_high == pytest.approx(0.2054832, abs=1e-4)
    scipy_t = stats.ttest_ind_from_stats(0.75, 1.789010, 10, 2.33, 2.002249, 10,
                                         equal_var=False)
    assert scipy_t.statistic == pytest.approx(-1.8608, abs=1e-4)
    se = np.sqrt(1.789010**2 / 10 + 2.002249**2 / 10)
    df = se**4 / ((1.789010**2 / 10) ** 2 / 9 + (2.002249**2 / 10) ** 2 / 9)
    assert df == pytest.approx(17.776, abs=1e-3)
    assert result.ci_high - result.estimate == pytest.approx(stats.t.isf(0.025, df) * se)


def test_sleep_t_test_through_summaries_and_orientation():
    result = fixed_test(MeanSummary(10, 0.75, 1.789010), MeanSummary(10, 2.33, 2.002249),
                        direction="decrease")
    assert result.estimate == pytest.approx(1.58)
    assert (result.ci_low, result.ci_high) == pytest.approx((-0.2054832, 3.3654832), abs=1e-4)


def test_power_t_test():
    assert planning.mean_power(1.0, 1.0, 20) == pytest.approx(0.8689528, abs=1e-4)
    assert planning.mean_sample_size(1.0, 1.0, power=0.9) == pytest.approx(22.02110, abs=1e-4)


def test_power_prop_test():
    assert planning.proportion_sample_size(0.5, 0.25, power=0.9) == pytest.approx(76.7, abs=0.05)


def test_fisher_exact():
    assert stats.fisher_exact([[3, 1], [1, 3]], alternative="greater").pvalue == \
        pytest.approx(0.2429, abs=1e-4)
    # R: fisher.test(matrix(c(3,1,1,3), 2))$p.value = 0.4857
    assert fisher_two_sided([3], [4], [1], [4])[0] == pytest.approx(0.4857, abs=1e-4)


BH_P = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
        0.4262, 0.5719, 0.6528, 0.7590, 1.000]


def test_benjamini_hochberg_and_bonferroni():
    rejected, q = bh_q_values(BH_P)
    assert rejected.sum() == 4
    assert bonferroni(BH_P)[0].sum() == 3
    assert np.all(np.diff(q) >= -1e-12)
    assert holm(BH_P)[0].sum() == 3


def test_multiplicity_keeps_missing_p_values_missing():
    rejected, q = bh_q_values([0.01, np.nan, 0.04])
    assert np.isnan(q[1]) and not rejected[1]


# gsDesign, sfLDOF, k = 5, two-sided α = 0.05 (STATISTICS §3).
PUBLISHED = [4.8769, 3.3569, 2.6803, 2.2898, 2.0310]


def test_lan_demets_obrien_fleming_k5():
    bounds = obf_boundaries(0.05, [0.2, 0.4, 0.6, 0.8, 1.0])
    # The second published value is gsDesign's own grid rounding: the exact boundary,
    # checked below with scipy's bivariate normal, is 3.35701 (1.1e-4 away).
    assert bounds == pytest.approx(PUBLISHED, abs=1.5e-4)
    assert bounds[[0, 2, 3, 4]] == pytest.approx(np.array(PUBLISHED)[[0, 2, 3, 4]], abs=1e-4)


def test_second_boundary_against_bivariate_normal():
    t1, t2 = 0.2, 0.4
    c1 = stats.norm.isf(obf_spending(0.05, t1) / 2)
    r = np.sqrt(t1 / t2)
    mvn = stats.multivariate_normal([0, 0], [[1, r], [r, 1]])

    def excess(c2):
        inside = mvn.cdf([c1, c2], lower_limit=[-c1, -c2])
        return (1 - obf_spending(0.05, t1)) - inside - (obf_spending(0.05, t2)
                                                         - obf_spending(0.05, t1))

    exact = brentq(excess, 2, 5, xtol=1e-10)
    assert obf_boundaries(0.05, [t1, t2])[1] == pytest.approx(exact, abs=1e-5)
    assert obf_boundaries(0.05, [0.2, 0.4, 0.6, 0.8, 1.0])[1] == pytest.approx(exact, abs=1e-5)
