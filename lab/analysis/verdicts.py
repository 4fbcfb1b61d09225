"""What the rule says at every look of every pilot, every gate applied once (STATISTICS §4).

Gates first, in this order, then the rule: not enough data before the final look
(continue), the split between arms not as planned (revise), a clear pre-trend (revise),
a fixed-horizon pilot before its end (continue). At the final look the pilot is always
decided: no data gate holds it, and an answer the rule leaves open (an interval that
could not be computed) is inconclusive (revise). Each look gets one code; the outcome
follows from the code.
The recommendation is the verdict at the last look, and its reasons explain that code.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lab.analysis.looks import Looks
from lab.analysis.nonrandomized import Pretrends
from lab.stats import gates
from lab.stats.decision import REASONS, rule

# Gate code → outcome; the rule's own codes follow REASONS.
GATES = {"not_enough_data": "continue", "sample_ratio_mismatch": "revise",
         "pretrend": "revise", "waiting": "continue"}
OUTCOME_OF = {**GATES, **REASONS}


@dataclass(frozen=True)
class Verdicts:
    """One entry per look of each pilot: its primary row, code, outcome and split check."""

    row: np.ndarray  # the primary's position in the look table
    code: np.ndarray
    outcome: np.ndarray
    srm_p_value: np.ndarray  # NaN where the split is not checked


def verdicts(table: Looks, pretrends: Pretrends) -> Verdicts:
    """Return the verdict at every look of every pilot in the table."""
    primary = np.flatnonzero(table.role == "primary")
    low, high, margin, guard_enough = _guardrails(table, primary)
    code = rule(table.ci_low[primary], table.ci_high[primary], table.threshold[primary],
                low, high, margin, table.final[primary].astype(bool))
    srm = _split_check(table, primary)
    clear = set(pretrends.pilot[pretrends.clear.astype(bool)])
    trend = np.isin(table.pilot[primary], list(clear))
    final = table.final[primary].astype(bool)
    waiting = (table.analysis[primary] == "fixed") & ~final
    enough = table.enough[primary].astype(bool) & guard_enough.all(axis=1)
    # At the final look every gate but the design's own checks gives way: the pilot has
    # ended and must be decided on what it has, and an answer still open is inconclusive.
    code = np.where(final & (code == "open"), "inconclusive", code)
    code = np.select([~enough & ~final, srm < gates.SRM_THRESHOLD, trend, waiting],
                     ["not_enough_data", "sample_ratio_mismatch", "pretrend", "waiting"],
                     default=code).astype(object)
    outcome = np.array([OUTCOME_OF[c] for c in code], dtype=object)
    return Verdicts(primary, code, outcome, srm)


def _guardrails(table: Looks, primary: np.ndarray):
    """Return (low, high, margin, enough) matrices of shape (looks, G) for each primary.

    A pilot with fewer guardrails than the widest gets passed entries: an interval of
    +inf, a margin of 0 and enough data.
    """
    guard = np.flatnonzero(table.role == "guardrail")
    shape = (primary.size, 1)
    if not guard.size:
        return (np.full(shape, np.inf), np.full(shape, np.inf), np.zeros(shape),
                np.ones(shape, dtype=bool))
    # Rows are sorted by pilot and look: number each (pilot, look) group in that order.
    starts = np.ones(len(table), dtype=bool)
    starts[1:] = (table.pilot[1:] != table.pilot[:-1]) | (table.look[1:] != table.look[:-1])
    group = np.cumsum(starts) - 1
    owner = np.searchsorted(group[primary], group[guard])
    slot = np.zeros(guard.size, dtype=int)
    for i in range(1, guard.size):
        slot[i] = slot[i - 1] + 1 if owner[i] == owner[i - 1] else 0
    width = slot.max() + 1
    out = []
    for values, fill in ((table.ci_low, np.inf), (table.ci_high, np.inf),
                         (table.threshold, 0.0), (table.enough, 1.0)):
        matrix = np.full((primary.size, width), fill, dtype=float)
        matrix[owner, slot] = values[guard].astype(float)
        out.append(matrix)
    return out[0], out[1], out[2], out[3].astype(bool)


def _split_check(table: Looks, primary: np.ndarray) -> np.ndarray:
    """Return the split check of holdout primaries counted in units (not exposure).

    At each look, the running minimum over the pilot's looks so far of the always-valid
    split p-value: a split checked every week still raises a false alarm in fewer than
    one pilot in a thousand.
    """
    checked = (table.design[primary] == "holdout") & (table.kind[primary] != "rate")
    p = gates.srm_always_valid_p(table.n_pilot[primary], table.n_control[primary],
                                 table.allocation[primary].astype(float))
    p = pd.Series(np.where(np.isnan(p), 1.0, p)).groupby(table.pilot[primary]).cummin()
    return np.where(checked, p.to_numpy(), np.nan)
