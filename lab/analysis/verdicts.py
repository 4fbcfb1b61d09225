"""What the rule says at every look of every pilot, in one numpy pass (STATISTICS §4)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.stats import gates
from lab.stats.decision import REASONS, rule


def guardrail_matrix(rows: pd.DataFrame, primary: pd.DataFrame, column: str, fill: float):
    """Return a (looks, G) matrix of a guardrail column aligned with ``primary`` rows."""
    guard = rows[rows["role"] == "guardrail"]
    if guard.empty:
        return np.full((len(primary), 1), fill)
    slot = guard.groupby(["pilot", "look"]).cumcount().to_numpy()
    position = pd.MultiIndex.from_frame(primary[["pilot", "look"]])
    where = position.get_indexer(pd.MultiIndex.from_frame(guard[["pilot", "look"]]))
    matrix = np.full((len(primary), slot.max() + 1), fill)
    keep = where >= 0
    matrix[where[keep], slot[keep]] = guard[column].to_numpy(dtype=float)[keep]
    return matrix


def look_verdicts(rows: pd.DataFrame, pretrend: pd.Series) -> pd.DataFrame:
    """Return the primary rows with srm_p_value, enough_all, code and outcome per look."""
    primary = rows[rows["role"] == "primary"].reset_index(drop=True)
    # Missing guardrails behave as passed (+inf interval), an absent gate as passed.
    low = guardrail_matrix(rows, primary, "ci_low", np.inf)
    high = guardrail_matrix(rows, primary, "ci_high", np.inf)
    margin = guardrail_matrix(rows, primary, "threshold", 0.0)
    guard_enough = guardrail_matrix(rows, primary, "enough", 1.0).astype(bool)
    primary["code"] = rule(primary["ci_low"], primary["ci_high"], primary["threshold"],
                           low, high, margin, primary["final"].to_numpy(dtype=bool))
    primary["enough_all"] = primary["enough"].to_numpy(dtype=bool) & guard_enough.all(1)
    primary["srm_p_value"] = srm(primary)
    flagged = pretrend.index[pretrend.to_numpy(dtype=bool)] if len(pretrend) else []
    primary["pretrend"] = primary["pilot"].isin(flagged).to_numpy()
    outcome = primary["code"].map(REASONS).to_numpy(dtype=object)
    waiting = (primary["analysis"] == "fixed") & ~primary["final"].astype(bool)
    outcome = np.where(waiting, "continue", outcome)
    outcome = np.where(primary["pretrend"], "revise", outcome)
    outcome = np.where(primary["srm_p_value"] < gates.SRM_THRESHOLD, "revise", outcome)
    primary["outcome"] = np.where(primary["enough_all"], outcome, "continue")
    return primary


def srm(primary: pd.DataFrame) -> np.ndarray:
    """Return the split check for holdout primaries counted in units (not exposure)."""
    holdout = (primary["design"] == "holdout") & (primary["kind"] != "rate")
    p = gates.srm_p_value(primary["n_pilot"], primary["n_control"], primary["allocation"])
    return np.where(holdout.to_numpy(), p, np.nan)
