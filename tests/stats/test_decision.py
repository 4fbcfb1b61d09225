"""The decision rule (STATISTICS §4) against a plain transcription of its text."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.stats.decision import REASONS, rule


def written_rule(low, high, delta, guards, margins, final) -> str:
    """STATISTICS §4 as written, one look at a time: the oracle for `rule`."""
    if any(math.isnan(x) for x in (low, high)):
        return "open"
    harm = any(g_high < -m for (_, g_high), m in zip(guards, margins, strict=True))
    proven = all(g_low > -m for (g_low, _), m in zip(guards, margins, strict=True))
    if high < 0:
        return "worse"
    if high < delta and low <= 0:
        return "futile"
    if harm and low <= 0:
        return "harm_no_benefit"
    if low > 0 and harm:
        return "harm"
    if low > 0 and high < delta:
        return "too_small"
    if final and low > 0 and not proven:
        return "guardrail_unproven"
    if final and low <= 0 < delta <= high:
        return "inconclusive"
    if low > 0 and high >= delta and proven:
        return "effective"
    return "open"


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
    ((np.nan, np.nan), (-1, 1), False, "open"),
])
def test_every_branch(primary, guard, final, code):
    found = rule([primary[0]], [primary[1]], 0.02, [[guard[0]]], [[guard[1]]], [1.5], final)
    assert found[0] == code
    assert code in REASONS


intervals = st.tuples(st.floats(-1, 1), st.floats(0, 1)).map(lambda p: (p[0], p[0] + p[1]))


@settings(max_examples=500, deadline=None)
@given(intervals, st.lists(intervals, max_size=3), st.floats(0.01, 0.5),
       st.floats(0.01, 0.5), st.booleans())
def test_the_arrays_follow_the_written_rule(primary, guards, delta, margin, final):
    low, high = primary
    found = rule([low], [high], delta, [[g[0] for g in guards]], [[g[1] for g in guards]],
                 [margin] * len(guards), final)
    assert found[0] == written_rule(low, high, delta, guards, [margin] * len(guards), final)


def test_at_the_final_look_every_finite_interval_decides():
    grid = np.linspace(-0.1, 0.1, 21)
    for low in grid:
        for high in grid[grid >= low]:
            assert REASONS[rule([low], [high], 0.02, final=True)[0]] != "continue"
