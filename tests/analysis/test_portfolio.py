"""The portfolio in one pass: same answers as one pilot at a time, and fast."""

import time

import numpy as np
import pytest

from lab.analysis.recommend import recommend, recommend_portfolio
from lab.stats.fixed import proportion_test, welch_test
from lab.stats.multiplicity import bh_q_values
from lab.stats.sequential import clear_cache
from tests.analysis.builders import portfolio


@pytest.fixture(scope="module")
def synthetic():
    return portfolio(pilots=1000, weeks=26, seed=0)


def test_the_portfolio_agrees_with_one_pilot_at_a_time(synthetic):
    specs, frame = synthetic
    together = recommend_portfolio(specs[:40], frame)
    for spec in specs[:40:7]:
        alone = recommend(spec, frame)
        assert alone.to_dict() == together[spec["pilot"]["key"]].to_dict()


def test_every_recommendation_matches_its_last_look(synthetic):
    specs, frame = synthetic
    answers = recommend_portfolio(specs, frame)
    assert len(answers) == len(specs)
    for answer in answers.values():
        assert answer.looks[-1].outcome == answer.outcome
        assert len(answer.metrics) == 3
    outcomes = {a.outcome for a in answers.values()}
    assert {"scale_up", "withdraw"} <= outcomes
    q = bh_q_values([a.primary.p_value for a in answers.values()])[1]
    assert np.all((q >= 0) & (q <= 1))


def test_a_thousand_pilots_are_checked_quickly(synthetic):
    specs, frame = synthetic
    recommend_portfolio(specs[:5], frame)  # import and first-call costs are not the point
    cold, warm = [], []
    for _ in range(2):  # the better of two runs: other jobs may share the machine
        clear_cache()
        started = time.perf_counter()
        recommend_portfolio(specs, frame)
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        recommend_portfolio(specs, frame)
        warm.append(time.perf_counter() - started)
    cold, warm = min(cold), min(warm)
    # Measured about 1.1 s cold (boundaries computed) and 0.7 s warm on two cores; the
    # bound leaves room for a loaded CI machine.
    assert cold < 4.0 and warm < 3.0


def test_one_comparison_costs_well_under_275_microseconds():
    rng = np.random.default_rng(0)
    size = 100_000
    n = rng.integers(50, 5000, (2, size)).astype(float)
    started = time.perf_counter()
    welch_test(n[0], rng.normal(10, 1, size), rng.uniform(1, 3, size), n[1],
               rng.normal(10, 1, size), rng.uniform(1, 3, size))
    proportion_test(rng.binomial(n[0].astype(int), 0.3), n[0],
                    rng.binomial(n[1].astype(int), 0.3), n[1])
    per_comparison = (time.perf_counter() - started) / (2 * size)
    assert per_comparison < 20e-6
