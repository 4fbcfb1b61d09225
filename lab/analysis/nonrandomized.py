"""Diff-in-diff and baseline pilots as looks (STATISTICS §6).

Each (pilot, metric) becomes a series of oriented per-period gaps dₜ in time order
(pilot − control, or the pilot level alone for a baseline). A look of the primary is
each logged during-period; every metric's estimate at a look uses the periods up to it.
The information fraction is the during-periods logged over the planned periods.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lab.analysis import looks as shared
from lab.analysis.looks import Looks
from lab.stats import did, gates
from lab.stats.moments import arm_level

STATS = ["n", "total", "total_sq"]
CELLS = ["n_p", "t_p", "q_p", "n_c", "t_c", "q_c"]


@dataclass(frozen=True)
class Pretrends:
    """The slope of each pilot's primary gap over its before-periods (parallel trends)."""

    pilot: np.ndarray
    slope: np.ndarray  # per period, in the metric's unit; NaN with too few periods
    se: np.ndarray
    critical: np.ndarray  # z₁₋α/₂ of the pilot's alpha
    clear: np.ndarray  # bool: the slope's interval excludes zero

    def of(self, pilot: str) -> int | None:
        """Return the position of a pilot's trend, or None when it has none."""
        found = np.flatnonzero(self.pilot == pilot)
        return int(found[0]) if found.size else None


def looks(summaries: pd.DataFrame, plans: pd.DataFrame,
          metrics: pd.DataFrame) -> tuple[Looks, Pretrends]:
    """Return the look table and the pre-trends of the non-randomized pilots."""
    chosen = plans[plans["design"] != "holdout"]
    data = summaries[summaries["pilot"].isin(chosen["pilot"])]
    none = Pretrends(*(np.empty(0) for _ in range(5)))
    if chosen.empty or data.empty:
        return Looks.empty(), none
    series = _period_gaps(data, metrics, chosen)
    scheduled = _scheduled_looks(series, chosen)
    if scheduled.empty:
        return Looks.empty(), none
    scheduled["boundary"] = shared.boundaries(scheduled)
    rows = _rows_at_looks(series, scheduled, metrics[metrics["pilot"].isin(chosen["pilot"])])
    table = shared.read_intervals(Looks.from_frame(rows), shared.normal_fixed)
    return table, _pretrends(series, chosen)


def _period_gaps(frame: pd.DataFrame, metrics: pd.DataFrame, plans: pd.DataFrame):
    """Return one row per (pilot, metric, phase, period) with the gap and its variance."""
    wide = (frame.set_index(["pilot", "metric", "phase", "period", "arm"])[STATS]
            .unstack("arm"))
    cells = {}
    for arm, suffix in (("pilot", "p"), ("control", "c")):
        for stat, short in zip(STATS, "ntq", strict=True):
            cells[f"{short}_{suffix}"] = wide.get((stat, arm), np.nan)
    series = pd.DataFrame(cells, index=wide.index).reset_index()
    series = series.merge(metrics, on=["pilot", "metric"]).merge(
        plans[["pilot", "design"]], on="pilot")
    series["gap"], series["gap_var"] = np.nan, np.nan
    for kind, part in series.groupby("kind", sort=False):
        level_p, var_p = arm_level(kind, part["n_p"].fillna(0), part["t_p"].fillna(0),
                                   part["q_p"].fillna(0))
        level_c, var_c = arm_level(kind, part["n_c"].fillna(0), part["t_c"].fillna(0),
                                   part["q_c"].fillna(0))
        baseline = (part["design"] == "baseline").to_numpy()
        gap = np.where(baseline, level_p, level_p - level_c)
        series.loc[part.index, "gap"] = part["sign"].to_numpy() * gap
        series.loc[part.index, "gap_var"] = np.where(baseline, var_p, var_p + var_c)
    series["during"] = series["phase"] == "during"
    series[CELLS] = series[CELLS].fillna(0.0)
    return series[np.isfinite(series["gap"])].sort_values(
        ["pilot", "metric", "period", "phase"]).reset_index(drop=True)


def _scheduled_looks(series: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (pilot, look): each during-period of the primary, scheduled."""
    primary = series.merge(plans[["pilot", "primary"]], left_on=["pilot", "metric"],
                           right_on=["pilot", "primary"])
    periods = primary.loc[primary["during"], ["pilot", "period"]].drop_duplicates()
    periods = periods.sort_values(["pilot", "period"]).reset_index(drop=True)
    periods["look"] = periods.groupby("pilot").cumcount()
    periods = periods.merge(plans, on="pilot", how="left")
    fraction = ((periods["look"] + 1) / periods["planned_periods"]).to_numpy()
    return shared.schedule(periods, fraction)


def _matrices(series: pd.DataFrame):
    """Pad each (pilot, metric) series into rows of a (S, T) matrix."""
    keys = series[["pilot", "metric"]].drop_duplicates().reset_index(drop=True)
    code = pd.MultiIndex.from_frame(series[["pilot", "metric"]]).map(
        {tuple(k): i for i, k in enumerate(keys.itertuples(index=False))})
    code = np.asarray(code, dtype=int)
    position = series.groupby(["pilot", "metric"]).cumcount().to_numpy()
    shape = (len(keys), position.max() + 1 if len(series) else 0)
    out = {}
    for column in ["gap", "gap_var", "during", "period"] + CELLS:
        fill = np.datetime64("NaT") if column == "period" else (False if column == "during"
                                                                 else np.nan)
        values = series[column].to_numpy()
        matrix = np.full(shape, fill, dtype=values.dtype)
        matrix[code, position] = values
        out[column] = matrix
    out["present"] = np.zeros(shape, dtype=bool)
    out["present"][code, position] = True
    return keys, out


def _rows_at_looks(series: pd.DataFrame, scheduled: pd.DataFrame,
                   metrics: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (pilot, metric, look) with estimate, se and the data gate."""
    keys, m = _matrices(series)
    rows = scheduled.merge(metrics, on="pilot").merge(
        keys.reset_index().rename(columns={"index": "series"}), on=["pilot", "metric"],
        how="left")
    rows = rows.sort_values(["pilot", "look", "order"]).reset_index(drop=True)
    has = rows["series"].notna().to_numpy()
    s = rows["series"].fillna(0).astype(int).to_numpy()
    mask = m["present"][s] & (m["period"][s] <= rows["period"].to_numpy()[:, None]) & has[:, None]
    during = m["during"][s]
    estimate, se, fallback = did.gap_effect(m["gap"][s], m["gap_var"][s], during, mask)
    baseline = (rows["design"] == "baseline").to_numpy()
    # The cells hold the during-periods' sums; the units count both phases.
    sums = {cell: np.where(mask & during, m[cell][s], 0).sum(1) for cell in CELLS}
    pilot_before = np.where(mask & ~during, m["n_p"][s], 0).sum(1)
    control_all = np.where(mask, m["n_c"][s], 0).sum(1)
    # Identical gaps in every period leave the error undefined rather than zero.
    return rows.assign(
        **sums, estimate=estimate, se=np.where(se > 0, se, np.nan), fallback=fallback,
        enough=_enough(rows, m, s, mask, during), planned_variance=np.nan,
        n_pilot=np.where(baseline, sums["n_p"], sums["n_p"] + pilot_before),
        n_control=np.where(baseline, pilot_before, control_all),
        critical=np.nan, ci_low=np.nan, ci_high=np.nan)


def _enough(rows, m, s, mask, during) -> np.ndarray:
    """Each arm (the pilot alone for a baseline) needs enough data in each phase."""
    ok = np.ones(len(rows), dtype=bool)
    baseline = (rows["design"] == "baseline").to_numpy()
    kinds = rows["kind"].to_numpy()
    for phase in (during, ~during):
        for arm in ("p", "c"):
            n = np.where(mask & phase, m[f"n_{arm}"][s], 0).sum(1)
            total = np.where(mask & phase, m[f"t_{arm}"][s], 0).sum(1)
            cell = np.ones(len(rows), dtype=bool)
            for kind in np.unique(kinds):
                here = kinds == kind
                cell[here] = gates.enough_data(kind, n[here], total[here])
            ok &= cell | (baseline & (arm == "c"))
    return ok


def _pretrends(series: pd.DataFrame, plans: pd.DataFrame) -> Pretrends:
    """Return per pilot the slope of the primary's gap over the before periods, with se."""
    from scipy.special import ndtri

    primary = series.merge(plans[["pilot", "primary", "alpha"]],
                           left_on=["pilot", "metric"], right_on=["pilot", "primary"])
    before = primary[~primary["during"]]
    if before.empty:
        return Pretrends(*(np.empty(0) for _ in range(5)))
    keys, m = _matrices(before)
    slope, se = did.pretrend(m["gap"], m["present"])
    alpha = keys.merge(plans[["pilot", "alpha"]], on="pilot")["alpha"].to_numpy(dtype=float)
    critical = -ndtri(alpha / 2)
    return Pretrends(keys["pilot"].to_numpy(), slope, se, critical,
                     np.abs(slope) > critical * se)
