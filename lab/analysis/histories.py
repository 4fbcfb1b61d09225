"""The look histories: every pilot's primary and other metrics at each of its looks.

A Recommendation carries, besides the answer at its last look, the primary's interval
and verdict at every look (`looks`) and each other metric's interval at those looks
with the pilot's verdict (`metric_looks`). They are made here for the whole table at
once, in one pass over whole columns, not row by row per pilot: a thousand pilots'
histories are some eighty thousand looks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.analysis.looks import Looks
from lab.analysis.result import LookResult
from lab.analysis.verdicts import Verdicts


def histories(table: Looks, verdicts: Verdicts
              ) -> tuple[list[LookResult], dict[str, dict[str, list[LookResult]]]]:
    """Return the primary's LookResult at each verdict, and each pilot's other metrics'.

    The first list is in the verdicts' order (the primary's interval at that look and
    its verdict). The second is {pilot: {metric: [LookResult, …]}}: a metric other than
    the primary, at each look its pilot has a verdict for, with that verdict, in the
    table's order.
    """
    if not len(table):
        return [], {}
    history = _look_list(table, verdicts.row, verdicts.outcome.tolist())
    # (pilot, look) as one integer, and the verdict read at it (the last, as a dict keeps).
    pilot = pd.factorize(table.pilot)[0].astype(np.int64)
    key = pilot * (int(table.look.max()) + 1) + table.look.astype(np.int64)
    said = dict(zip(key[verdicts.row].tolist(), verdicts.outcome.tolist(), strict=True))
    outcome = [said.get(k) for k in key.tolist()]
    chosen = np.flatnonzero(np.array([o is not None for o in outcome], dtype=bool)
                            & (table.role != "primary"))
    others: dict[str, dict[str, list[LookResult]]] = {}
    looks = _look_list(table, chosen, [outcome[r] for r in chosen])
    for pilot_key, metric, look in zip(table.pilot[chosen].tolist(),
                                       table.metric[chosen].tolist(), looks, strict=True):
        others.setdefault(pilot_key, {}).setdefault(metric, []).append(look)
    return history, others


def _look_list(table: Looks, rows: np.ndarray, outcomes: list[str]) -> list[LookResult]:
    """Return the LookResult of each of these rows, with its outcome (numbers as floats)."""
    rows = np.asarray(rows, dtype=np.int64)
    columns = [list(pd.DatetimeIndex(table.period[rows]).date)]
    columns += [np.asarray(getattr(table, name)[rows], dtype=float).tolist()
                for name in ("information_fraction", "critical", "estimate", "ci_low",
                             "ci_high")]
    return list(map(LookResult, *columns, outcomes))
