"""Looks: cumulative data through each logged period of the primary metric (§3).

For a holdout every metric is pooled over the periods up to each look of the primary
(period ≤ the look's period). The look at/after the planned sample, or whose period
reaches the planned end date, is final; later looks are not used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STATS = ["n", "total", "total_sq"]
ARM_COLUMNS = ["n_p", "t_p", "q_p", "n_c", "t_c", "q_c"]
DEFAULT_PERIOD = pd.Timedelta(days=7)


def normalise(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the period summaries with periods as datetime64 and numbers as floats."""
    frame = frame.copy()
    frame["period"] = pd.to_datetime(frame["period"])
    for column in STATS:
        frame[column] = frame[column].astype(float)
    return frame


def cumulative_by_arm(frame: pd.DataFrame) -> pd.DataFrame:
    """Return per (pilot, metric, period) the arm sums pooled over all periods so far."""
    wide = (frame.set_index(["pilot", "metric", "period", "arm"])[STATS]
            .unstack("arm").fillna(0.0))
    columns = {}
    for arm, suffix in (("pilot", "p"), ("control", "c")):
        for stat, short in zip(STATS, "ntq", strict=True):
            columns[f"{short}_{suffix}"] = (wide[(stat, arm)] if (stat, arm) in wide
                                            else pd.Series(0.0, index=wide.index))
    wide = pd.DataFrame(columns).sort_index()
    return wide.groupby(level=[0, 1]).cumsum().reset_index()


def look_periods(cumulative: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Return (pilot, look, period) for each logged period of each pilot's primary."""
    primary = cumulative.merge(plans[["pilot", "primary"]], left_on=["pilot", "metric"],
                               right_on=["pilot", "primary"])
    looks = primary[["pilot", "period"]].sort_values(["pilot", "period"])
    looks["look"] = looks.groupby("pilot").cumcount()
    return looks.reset_index(drop=True)


def period_length(looks: pd.DataFrame) -> pd.Series:
    """Return each pilot's period length: the median gap between looks, 7 days if one."""
    gaps = looks.groupby("pilot")["period"].diff()
    median = gaps.groupby(looks["pilot"]).median()
    return median.fillna(DEFAULT_PERIOD).where(median > pd.Timedelta(0), DEFAULT_PERIOD)


def expand(looks: pd.DataFrame, metrics: pd.DataFrame, cumulative: pd.DataFrame):
    """Return one row per (pilot, metric, look) with each metric pooled up to the look."""
    rows = looks.merge(metrics, on="pilot").sort_values("period", kind="stable")
    right = cumulative.sort_values("period", kind="stable")
    rows = pd.merge_asof(rows, right, on="period", by=["pilot", "metric"],
                         direction="backward")
    rows[ARM_COLUMNS] = rows[ARM_COLUMNS].fillna(0.0)
    return rows.sort_values(["pilot", "look", "order"]).reset_index(drop=True)


def schedule(looks: pd.DataFrame, plans: pd.DataFrame, units: pd.Series) -> pd.DataFrame:
    """Add information fraction and final flag per look; drop looks after the final one.

    ``units`` is n_pilot + n_control of the primary at each look (aligned with looks).
    Without a planned sample the fraction is calendar time through the look's period.
    """
    looks = looks.merge(plans, on="pilot", how="left")
    length = looks["pilot"].map(period_length(looks))
    reaches_end = looks["period"] + length - pd.Timedelta(days=1) >= looks["end"]
    planned_total = looks["planned_sample"] / looks["allocation"]
    by_units = units.to_numpy() / planned_total.to_numpy()
    span = (looks["end"] - looks["start"]).dt.days + 1
    by_calendar = ((looks["period"] + length - looks["start"]).dt.days / span).to_numpy()
    fraction = np.where(np.isfinite(by_units), by_units, by_calendar)
    looks["final"] = (fraction >= 1) | reaches_end.to_numpy()
    looks["information_fraction"] = np.clip(fraction, 1e-6, 1.0)
    looks.loc[looks["final"], "information_fraction"] = 1.0
    looks["information_fraction"] = looks.groupby("pilot")["information_fraction"].cummax()
    looks["period_length"] = length
    first_final = looks["look"].where(looks["final"]).groupby(looks["pilot"]).transform("min")
    return looks[~(looks["look"] > first_final)].reset_index(drop=True)
