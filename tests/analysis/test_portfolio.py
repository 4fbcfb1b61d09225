"""The portfolio in one pass: the same answers as one pilot at a time."""

import numpy as np
import pytest

from lab.analysis.pipeline import recommend_portfolio
from lab.stats.multiplicity import bh_q_values
from tests.factories import portfolio


@pytest.fixture(scope="module")
def synthetic():
    return portfolio(pilots=1000, weeks=26, seed=0)


def test_the_portfolio_agrees_with_one_pilot_at_a_time(synthetic):
    specs, frame = synthetic
    together = recommend_portfolio(specs[:40], frame)
    for spec in specs[:40:7]:
        alone = recommend_portfolio([spec], frame)[spec["pilot"]["key"]]
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
