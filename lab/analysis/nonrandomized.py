"""Diff-in-diff and baseline pilots as rows of looks (STATISTICS §6).

Each (pilot, metric) becomes a series of oriented per-period gaps dₜ in time order
(pilot − control, or the pilot level alone for a baseline). A look of the primary is
each logged during-period; every metric's estimate at a look uses the periods up to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.analysis.looks import STATS, period_length
from lab.stats import did, gates
from lab.stats.moments import arm_level

CELLS = ["n_p", "t_p", "q_p", "n_c", "t_c", "q_c"]


def period_gaps(frame: pd.DataFrame, metrics: pd.DataFrame, plans: pd.DataFrame):
    """Return one row per (pilot, metric, phase, period) with the gap and its variance."""
    wide = (frame.set_index(["pilot", "metric", "phase", "period", "arm"])[STATS]
            .unstack("arm"))
    cells = {}
    for arm, suffix in (("pilot", "p"), ("control", "c")):
        for stat, short in zip(STATS, "ntq", strict=True):
            key = (stat, arm)
            cells[f"{short}_{suffix}"] = wide.get(key, np.nan)
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


def did_looks(series: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Return (pilot, look, period, information_fraction, final) for each during period."""
    primary = series.merge(plans[["pilot", "primary"]], left_on=["pilot", "metric"],
                           right_on=["pilot", "primary"])
    looks = primary.loc[primary["during"], ["pilot", "period"]].drop_duplicates()
    looks = looks.sort_values(["pilot", "period"]).reset_index(drop=True)
    looks["look"] = looks.groupby("pilot").cumcount()
    looks = looks.merge(plans, on="pilot", how="left")
    length = looks["pilot"].map(period_length(looks))
    fraction = (looks["look"] + 1) / looks["planned_periods"]
    reaches_end = looks["period"] + length - pd.Timedelta(days=1) >= looks["end"]
    looks["final"] = (fraction >= 1) | reaches_end
    looks["information_fraction"] = np.where(looks["final"], 1.0, np.minimum(fraction, 1.0))
    looks["period_length"] = length
    first_final = looks["look"].where(looks["final"]).groupby(looks["pilot"]).transform("min")
    return looks[~(looks["look"] > first_final)].reset_index(drop=True)


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


def did_rows(series: pd.DataFrame, looks: pd.DataFrame, metrics: pd.DataFrame):
    """Return one row per (pilot, metric, look) with estimate, se and the data gate."""
    keys, m = _matrices(series)
    rows = looks.merge(metrics, on="pilot").merge(
        keys.reset_index().rename(columns={"index": "series"}), on=["pilot", "metric"],
        how="left")
    rows = rows.sort_values(["pilot", "look", "order"]).reset_index(drop=True)
    has = rows["series"].notna().to_numpy()
    s = rows["series"].fillna(0).astype(int).to_numpy()
    mask = m["present"][s] & (m["period"][s] <= rows["period"].to_numpy()[:, None]) & has[:, None]
    during = m["during"][s]
    estimate, se, fallback = did.gap_effect(m["gap"][s], m["gap_var"][s], during, mask)
    # Identical gaps in every period leave the error undefined rather than zero.
    rows["estimate"], rows["se"], rows["fallback"] = estimate, np.where(se > 0, se, np.nan), \
        fallback
    rows["enough"] = _enough(rows, m, s, mask, during)
    baseline = (rows["design"] == "baseline").to_numpy()
    pilot_during = np.where(mask & during, m["n_p"][s], 0).sum(1)
    pilot_before = np.where(mask & ~during, m["n_p"][s], 0).sum(1)
    rows["n_during"] = pilot_during
    rows["n_pilot"] = np.where(baseline, pilot_during, pilot_during + pilot_before)
    rows["n_control"] = np.where(baseline, pilot_before,
                                 np.where(mask, m["n_c"][s], 0).sum(1))
    return rows, (m, s)


def _enough(rows, m, s, mask, during) -> np.ndarray:
    """Each arm (pilot alone for a baseline) needs enough data in each phase."""
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


def pretrends(series: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Return per pilot the slope of the primary's gap over the before periods, with se."""
    primary = series.merge(plans[["pilot", "primary"]], left_on=["pilot", "metric"],
                           right_on=["pilot", "primary"])
    before = primary[~primary["during"]]
    if before.empty:
        return pd.DataFrame(columns=["pilot", "slope", "slope_se"])
    keys, m = _matrices(before)
    slope, se = did.pretrend(m["gap"], m["present"])
    return keys.assign(slope=slope, slope_se=se)[["pilot", "slope", "slope_se"]]
