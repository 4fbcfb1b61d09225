"""The decision rule (STATISTICS §4) and the sentences a manager reads."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.stats.decision import REASONS, decide, rule
from lab.stats.wording import Effect


def churn(low, high, estimate=None):
    estimate = (low + high) / 2 if estimate is None else estimate
    return Effect("churn", "proportion", "decrease", estimate, low, high, 0.02)


def cost(low, high):
    return Effect("cost per contact", "mean", "decrease", (low + high) / 2, low, high, 1.5)


def test_the_example_sentence():
    decision = decide(churn(0.011, 0.037, 0.024), [cost(-1.0, 0.5)])
    assert decision.outcome == "scale_up"
    assert decision.reasons == ["Churn fell by 2.4 points (1.1 to 3.7); the smallest drop "
                                "worth scaling was 2 points; cost per contact did not rise "
                                "by more than the 1.50 allowed."]


@pytest.mark.parametrize(("primary", "guard", "final", "code"), [
    ((-0.05, -0.01), (-1, 1), False, "worse"),
    ((-0.01, 0.015), (-1, 1), False, "futile"),
    ((-0.01, 0.05), (-3, -2), False, "harm_no_benefit"),
    ((0.01, 0.05), (-3, -2), False, "harm"),
    ((0.005, 0.015), (-1, 1), False, "too_small"),
    ((0.01, 0.05), (-2, 1), True, "guardrail_unproven"),
    ((-0.01, 0.05), (-1, 1), True, "inconclusive"),
    ((0.01, 0.05), (-1, 1), False, "effective"),
    ((-0.01, 0.05), (-1, 1), False, "open"),
    ((0.01, 0.05), (-2, 1), False, "open"),
])
def test_every_branch(primary, guard, final, code):
    decision = decide(churn(*primary), [cost(*guard)], final=final)
    assert decision.code == code
    assert decision.outcome == REASONS[code]
    assert decision.reasons and decision.reasons[0].endswith(".")


def test_gates_come_first():
    assert decide(churn(0.01, 0.05), short_of_data=["not enough data yet"]).outcome == \
        "continue"
    srm = decide(churn(0.01, 0.05), srm_p_value=1e-5)
    assert srm.outcome == "revise" and "split between arms" in srm.reasons[0]
    assert decide(churn(0.01, 0.05), pretrend="already drifting").outcome == "revise"


def test_nan_intervals_keep_collecting():
    assert decide(churn(np.nan, np.nan), final=False).outcome == "continue"


intervals = st.tuples(st.floats(-1, 1), st.floats(0, 1)).map(lambda p: (p[0], p[0] + p[1]))


@settings(max_examples=200, deadline=None)
@given(intervals, st.lists(intervals, max_size=3), st.booleans())
def test_rule_is_deterministic_and_mirrors_direction(primary, guards, final):
    low, high = primary
    g_low = [[g[0] for g in guards]]
    g_high = [[g[1] for g in guards]]
    first = rule([low], [high], 0.2, g_low, g_high, 0.3, final)
    assert first[0] == rule([low], [high], 0.2, g_low, g_high, 0.3, final)[0]
    up = decide(Effect("m", "mean", "increase", (low + high) / 2, low, high, 0.2),
                [Effect("g", "mean", "increase", 0, a, b, 0.3) for a, b in guards], final=final)
    down = decide(Effect("m", "mean", "decrease", (low + high) / 2, low, high, 0.2),
                  [Effect("g", "mean", "decrease", 0, a, b, 0.3) for a, b in guards],
                  final=final)
    assert up.outcome == down.outcome == REASONS[first[0]]
    if final:
        assert up.outcome != "continue"
