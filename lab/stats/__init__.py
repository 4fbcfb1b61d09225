"""Pure statistics for lab: summaries, tests, intervals, boundaries, power, decisions.

Imports only numpy, scipy and statsmodels (a test checks it), so notebooks, the CLI and
the web can all use it without the database or the web stack.
"""

from lab.stats.always_valid import always_valid_p, confidence_sequence, mixing_variance
from lab.stats.decision import REASONS, rule
from lab.stats.fixed import fixed_test, fixed_tests, proportion_test, rate_test, welch_test
from lab.stats.multiplicity import bh_q_values, bonferroni, holm
from lab.stats.planning import minimum_detectable_effect, plan, sample_size
from lab.stats.results import Result, Results
from lab.stats.sequential import obf_boundaries, obf_boundaries_many, repeated_interval
from lab.stats.summaries import MeanSummary, ProportionSummary, RateSummary

__all__ = [
    "MeanSummary", "REASONS", "ProportionSummary", "RateSummary", "Result", "Results",
    "always_valid_p", "bh_q_values", "bonferroni", "confidence_sequence",
    "fixed_test", "fixed_tests", "holm", "minimum_detectable_effect", "mixing_variance",
    "obf_boundaries", "obf_boundaries_many", "plan", "proportion_test", "rate_test",
    "repeated_interval", "rule", "sample_size", "welch_test",
]
