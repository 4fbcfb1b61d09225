"""Comparison-scopes pilots as looks: one treated scope, 2–20 scopes running as usual.

Each (pilot, metric) becomes a matrix of oriented per-period levels, the pilot arm (the
treated scope) first and then each comparison scope's control rows, on the periods where
every scope is logged. The synthetic-control weights are fitted once, on the
before-periods, and every scope is fitted the same way as a placebo
(`lab.stats.synthetic`). A look is each logged during-period of the primary: the
estimate is the treated scope's mean gap over the during-periods so far, its scale the
before-fit's RMSPE/√k, and the interval estimate ± c·scale, with c the placebo quantile
at the level the look's analysis allows (the sequential boundary, the always-valid
width or the fixed z, carried to their two-sided tail probability). The interval
excludes 0 exactly when the treated scope's statistic beats enough placebos; with J
comparisons no look can do that below a level of 1/(J + 1), which the plan's
feasibility says beforehand (`lab.pilots.feasibility`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import ndtr

from lab.analysis import looks as shared
from lab.analysis.looks import Looks
from lab.stats import gates, synthetic
from lab.stats.moments import arm_level, pooled_from, pooled_squares
from lab.words import reasons

DESIGN = "comparison-scopes"
CELLS = ["n_p", "t_p", "q_p", "n_c", "t_c", "q_c"]


def looks(summaries: pd.DataFrame, plans: pd.DataFrame,
          metrics: pd.DataFrame) -> tuple[Looks, dict[str, list[str]]]:
    """Return the look table of the comparison-scopes pilots and what their fit says.

    The second value maps each pilot to sentences on its before-period fit and on the
    smallest p-value its comparisons allow (for the reasons).
    """
    chosen = plans[plans["design"] == DESIGN]
    data = summaries[summaries["pilot"].isin(chosen["pilot"])]
    if chosen.empty or data.empty:
        return Looks.empty(), {}
    scheduled = _scheduled_looks(data, chosen)
    if scheduled.empty:
        return Looks.empty(), {}
    scheduled["boundary"] = shared.boundaries(scheduled)
    rows, placebos, said = [], [], {}
    by_series = dict(iter(data.groupby(["pilot", "metric"], sort=False)))
    by_pilot = dict(iter(metrics.groupby("pilot", sort=False)))
    by_key = chosen.set_index("pilot")
    for pilot, at in scheduled.groupby("pilot", sort=False):
        plan = by_key.loc[pilot]
        for metric in by_pilot[pilot].to_dict("records"):
            found, stats = _metric_rows(by_series.get((pilot, metric["metric"]),
                                                      data.iloc[:0]), at, metric, plan)
            rows.append(found)
            placebos += stats
            if metric["role"] == "primary":
                said[pilot] = _fit_sentences(found, plan, metric)
    frame = pd.concat(rows, ignore_index=True)
    order = frame.sort_values(["pilot", "look", "order"]).index.to_numpy()
    frame = frame.loc[order].reset_index(drop=True)
    table = shared.read_intervals(Looks.from_frame(frame), shared.normal_fixed)
    return _on_placebo_scale(table, [placebos[i] for i in order]), said


def _on_placebo_scale(table: Looks, placebos: list[np.ndarray]) -> Looks:
    """Replace each row's normal critical value by the placebo quantile at its level."""
    level = 2 * ndtr(-table.critical.astype(float))
    critical = np.array([float(synthetic.placebo_critical(s, lv)) if s.size else np.nan
                         for s, lv in zip(placebos, level, strict=True)])
    with np.errstate(invalid="ignore"):
        half = np.where(np.isinf(critical), np.inf, critical * table.se)
    return table.replace(critical=critical, ci_low=table.estimate - half,
                         ci_high=table.estimate + half)


def _scheduled_looks(data: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (pilot, look): each during-period of the primary, scheduled."""
    primary = data.merge(plans[["pilot", "primary"]], left_on=["pilot", "metric"],
                         right_on=["pilot", "primary"])
    periods = primary.loc[(primary["phase"] == "during") & (primary["arm"] == "pilot"),
                          ["pilot", "period"]].drop_duplicates()
    periods = periods.sort_values(["pilot", "period"]).reset_index(drop=True)
    periods["look"] = periods.groupby("pilot").cumcount()
    periods = periods.merge(plans, on="pilot", how="left")
    fraction = ((periods["look"] + 1) / periods["planned_periods"]).to_numpy()
    return shared.schedule(periods, fraction)


def levels(rows: pd.DataFrame, kind: str, sign: float, comparisons) -> pd.DataFrame:
    """Return the oriented levels, one row per scope (treated first), one column per slot.

    A slot is a (period, phase); only slots where every scope is logged are kept, so
    the weights and the placebos all read the same periods.
    """
    units = ["", *comparisons]
    unit = pd.Series(np.where(rows["arm"] == "pilot", "", rows["scope"].astype(str)))
    code = unit.map({name: i for i, name in enumerate(units)}).to_numpy()
    level, _ = arm_level(kind, rows["n"], rows["total"], rows["total_sq"])
    keys = pd.MultiIndex.from_arrays([rows["period"].to_numpy(),
                                      (rows["phase"] == "during").to_numpy()],
                                     names=["period", "during"])
    slot, columns = pd.factorize(keys, sort=True)
    matrix = np.full((len(units), len(columns)), np.nan)
    known = ~np.isnan(code.astype(float))
    matrix[code[known].astype(int), slot[known]] = sign * level[known]
    wide = pd.DataFrame(matrix, index=units, columns=pd.MultiIndex.from_tuples(
        list(columns), names=["period", "during"]))
    return wide.loc[:, np.isfinite(matrix).all(axis=0)]


def _metric_rows(rows: pd.DataFrame, at: pd.DataFrame, metric, plan):
    """Return one metric's rows at every look of its pilot, and their placebo statistics."""
    comparisons = list(plan["comparisons"])
    kind = metric["kind"]
    wide = levels(rows, kind, metric["sign"], comparisons) if len(rows) else pd.DataFrame()
    slots = wide.columns.to_frame(index=False) if len(wide.columns) else pd.DataFrame(
        {"period": pd.Series(dtype="datetime64[ns]"), "during": pd.Series(dtype=bool)})
    before = ~slots["during"].to_numpy(dtype=bool)
    fit, mde = None, math.nan
    if before.sum() >= 2 and len(wide):
        fit = synthetic.placebo_fits(wide.to_numpy(float), before)
        if metric["role"] == "primary":
            mde = _placebo_mde(wide.to_numpy(float)[:, before], plan)
    out, placebos = [], []
    cells = _Cells(rows)
    for look in at.to_dict("records"):
        upto = cells.period <= np.datetime64(look["period"])
        during = slots["during"].to_numpy(bool) & (slots["period"] <= look["period"]).to_numpy()
        if fit is not None and during.any():
            effect, scale, stats = synthetic.studentised(fit, during)
            estimate, se = float(effect[0]), float(scale[0])
            placebo_p = synthetic.placebo_p_value(stats)
            placebos.append(stats[1:])
        else:
            estimate, se, placebo_p = math.nan, math.nan, math.nan
            placebos.append(np.empty(0))
        out.append({**look, **cells.sums(upto), "metric": metric["metric"],
                    "order": metric["order"], "role": metric["role"], "kind": kind,
                    "direction": metric["direction"], "threshold": metric["threshold"],
                    "estimate": estimate, "se": se if se > 0 else math.nan,
                    "df": math.inf, "fallback": False, "planned_variance": math.nan,
                    "enough": cells.enough(kind, upto), "placebo_p": placebo_p,
                    "fit": math.nan if fit is None else float(fit.rmspe[0]),
                    "fit_rank": math.nan if fit is None else _fit_rank(fit),
                    "weights": None if fit is None else dict(zip(
                        comparisons, fit.weights[0, 1:], strict=True)),
                    "before_periods": int(before.sum()), "mde": mde,
                    "critical": math.nan, "ci_low": math.nan, "ci_high": math.nan})
    return pd.DataFrame(out), placebos


def _pooled(n: np.ndarray, total: np.ndarray, squares: np.ndarray) -> float:
    """Return the squared deviations of the rows pooled about their common mean.

    Each row's ``total_sq`` is about its own period's mean, so pooling adds the spread
    between the periods (`lab.stats.moments.pooled_squares`).
    """
    if not len(n):
        return 0.0
    centre = total[0] / n[0] if n[0] > 0 else 0.0
    within, moved = pooled_squares(n, total, squares, centre)
    return float(pooled_from(n.sum(), within.sum(), moved.sum()))


def _placebo_mde(before: np.ndarray, plan) -> float:
    """Return the effect placebo runs on the before-periods say the design detects."""
    looks = int(plan["planned_periods"])
    level = synthetic.lenient_level(float(plan["alpha"]), plan["analysis"], looks)
    return synthetic.placebo_mde(before, looks, level, float(plan["power"]))


def _fit_rank(fit) -> int:
    """Count the scopes whose before-period fit is at least as close as the treated one."""
    return int(np.count_nonzero(fit.rmspe <= fit.rmspe[0]))


class _Cells:
    """One metric's rows as arrays, summed up to each look without pandas in the loop."""

    def __init__(self, rows: pd.DataFrame):
        self.period = rows["period"].to_numpy(dtype="datetime64[ns]")
        self.pilot = (rows["arm"] == "pilot").to_numpy()
        self.during = (rows["phase"] == "during").to_numpy()
        self.n, self.total = rows["n"].to_numpy(float), rows["total"].to_numpy(float)
        self.total_sq = np.nan_to_num(rows["total_sq"].to_numpy(float))
        self.spread = bool(rows["total_sq"].notna().any())  # a mean: its SS pool

    def sums(self, upto: np.ndarray) -> dict:
        """Return the during-period sums of each arm (comparisons pooled), and unit counts."""
        out = {}
        for arm, suffix in ((self.pilot, "p"), (~self.pilot, "c")):
            chosen = upto & self.during & arm
            n, total = self.n[chosen], self.total[chosen]
            out[f"n_{suffix}"], out[f"t_{suffix}"] = float(n.sum()), float(total.sum())
            out[f"q_{suffix}"] = (_pooled(n, total, self.total_sq[chosen]) if self.spread
                                  else 0.0)
        out["n_pilot"] = float(self.n[upto & self.pilot].sum())
        out["n_control"] = float(self.n[upto & ~self.pilot].sum())
        return out

    def enough(self, kind: str, upto: np.ndarray) -> bool:
        """The treated scope, and the comparisons pooled, need enough data in each phase."""
        for phase in (self.during, ~self.during):
            for arm in (self.pilot, ~self.pilot):
                chosen = upto & phase & arm
                if not bool(gates.enough_data(kind, self.n[chosen].sum(),
                                              self.total[chosen].sum())):
                    return False
        return True


def _fit_sentences(found: pd.DataFrame, plan, metric) -> list[str]:
    """Say how well the comparisons matched before, and what their number allows."""
    last = found.iloc[-1]
    level = synthetic.lenient_level(float(plan["alpha"]), plan["analysis"],
                                    int(plan["planned_periods"]))
    return reasons.scope_fit(metric["kind"], int(last["before_periods"]), float(last["fit"]),
                             last["fit_rank"], len(plan["comparisons"]), last["weights"],
                             level, plan["analysis"], float(last["placebo_p"]),
                             float(last["mde"]), float(metric["threshold"]))
