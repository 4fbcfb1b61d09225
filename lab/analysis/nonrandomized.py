"""Diff-in-diff and baseline pilots as looks (STATISTICS §6).

Each (pilot, metric) becomes a series of oriented per-period gaps dₜ on the pilot's
calendar of periods (pilot − control, or the pilot level alone for a baseline). A look of
the primary is each logged during-period; every metric's estimate at a look uses the
periods up to it, with the small-sample inference of `lab.stats.did`: its t degrees of
freedom carry every critical value (the sequential boundary, the always-valid width, the
fixed z) to the statistic's own distribution at the same tail probability. The
information fraction is `lab.stats.did.information_fraction`.

The parallel-trends check: the slope of the primary's gap over the before-periods, tested
with the same inference (two-sided at the pilot's alpha). A clear slope sends the pilot
back (revise). Otherwise the check says whether it could have seen a drift that matters:
one that, continued through the pilot, would on its own shift the estimate by the minimum
effect (`lab.stats.did_power.relevant_drift`). With fewer than 3 before-periods it cannot
be run, and with too weak a check it is not passed either: both say how many
before-periods would be needed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy.special import ndtri

from lab.analysis import looks as shared
from lab.analysis.looks import Looks
from lab.stats import did, did_power, gates
from lab.stats.moments import arm_level
from lab.words import reasons

STATS = ["n", "total", "total_sq"]
CELLS = ["n_p", "t_p", "q_p", "n_c", "t_c", "q_c"]
CLEAR, UNCHECKED, WEAK, PARALLEL = "clear", "unchecked", "weak", "parallel"


@dataclass(frozen=True)
class Pretrends:
    """One entry per non-randomized pilot: the slope of its primary's before-gap and verdict.

    ``state`` is "clear" (a drift: revise), "unchecked" (fewer than 3 before-periods),
    "weak" (no clear drift, but the check could miss one that matters) or "parallel"
    (no clear drift, and the check would have seen one that matters). ``needed`` is the
    before-periods the check needs to see a drift that matters (NaN: more than 104, or
    not needed).
    """

    pilot: np.ndarray
    before: np.ndarray  # before-periods logged
    slope: np.ndarray  # per period, in the metric's unit; NaN with too few periods
    se: np.ndarray
    df: np.ndarray
    critical: np.ndarray  # t critical value of the pilot's alpha
    clear: np.ndarray  # bool: the slope's interval excludes zero
    detectable: np.ndarray  # the drift per period the check finds with the plan's power
    relevant: np.ndarray  # the drift per period that alone fakes the minimum effect
    needed: np.ndarray
    state: np.ndarray

    @classmethod
    def empty(cls) -> Pretrends:
        """Return a table with no pilots."""
        return cls(**{f.name: np.empty(0) for f in fields(cls)})

    def of(self, pilot: str) -> int | None:
        """Return the position of a pilot's trend, or None when it has none."""
        return self._positions.get(pilot)

    @functools.cached_property
    def _positions(self) -> dict[str, int]:
        return {pilot: i for i, pilot in enumerate(self.pilot)}

    def reason(self, i: int, kind: str, design: str) -> str:
        """Say what the check found for a pilot it did not send back."""
        slope, half = float(self.slope[i]), float(self.critical[i] * self.se[i])
        return reasons.trend(self.state[i], kind, design, int(self.before[i]), slope,
                             slope - half, slope + half, float(self.detectable[i]),
                             float(self.needed[i]))

    def note(self, i: int, kind: str) -> str | None:
        """Give the check's numbers when it could not tell (None when it could)."""
        return reasons.trend_note(self.state[i], kind, int(self.before[i]),
                                  float(self.detectable[i]), float(self.relevant[i]),
                                  float(self.needed[i]))


def pretrends(primary: pd.DataFrame, laid_out, plans: pd.DataFrame,
              metrics: pd.DataFrame) -> Pretrends:
    """Return the check of every pilot whose primary has data.

    ``primary`` holds the primary's per-period gaps and ``laid_out`` their (keys,
    matrices) on each pilot's calendar (`lab.analysis.nonrandomized`).
    """
    keys, m = laid_out
    if not len(keys):
        return Pretrends.empty()
    plan = _plan_of(keys, plans, metrics)
    rho = plan["serial_correlation"].to_numpy(dtype=float)
    alpha, power = plan["alpha"].to_numpy(dtype=float), plan["power"].to_numpy(dtype=float)
    before_mask = m["present"] & ~m["during"]
    fit = did.pretrend(m["gap"], m["gap_var"], before_mask, rho)
    critical = did.critical_value(-ndtri(alpha / 2), fit.df)
    clear = np.nan_to_num(np.abs(fit.estimate)) > np.nan_to_num(critical * fit.se, nan=np.inf)
    before = before_mask.sum(axis=1)
    sampling = np.nanmean(np.where(m["present"], m["gap_var"], np.nan), axis=1)
    period = np.nan_to_num(fit.period_variance)
    effect, during = plan["threshold"].to_numpy(float), plan["planned_periods"].to_numpy(float)
    detectable = _by_group(lambda b, r, i: did_power.detectable_drift(
        b, sampling[i], period[i], r, alpha[i], power[i]), before, rho)
    relevant = did_power.relevant_drift(effect, before, during)
    # A check whose reach is unknown (no variation at all) cannot vouch for the trends.
    state = np.select([clear, before < did.MINIMUM_BEFORE_PERIODS, ~(detectable <= relevant)],
                      [CLEAR, UNCHECKED, WEAK], default=PARALLEL).astype(object)
    ask = (state == UNCHECKED) | (state == WEAK)
    needed = _by_group(lambda _, r, i: did_power.before_periods_needed(
        effect[i], during[i], sampling[i], period[i], r, alpha[i], power[i]),
        np.zeros(len(keys), dtype=int), rho, ask)
    return Pretrends(keys["pilot"].to_numpy(), before, fit.estimate, fit.se, fit.df,
                     critical, clear, detectable, relevant, needed, state)


def _plan_of(keys: pd.DataFrame, plans: pd.DataFrame, metrics: pd.DataFrame) -> pd.DataFrame:
    """Return each key's plan columns and its primary's minimum effect, in key order."""
    primary = metrics.loc[metrics["role"] == "primary", ["pilot", "threshold"]]
    columns = ["pilot", "alpha", "power", "planned_periods", "serial_correlation"]
    return keys[["pilot"]].merge(plans[columns], on="pilot", how="left").merge(
        primary, on="pilot", how="left")


def _by_group(compute, before: np.ndarray, rho: np.ndarray, chosen=None) -> np.ndarray:
    """Apply compute(before, rho, rows) to the chosen rows sharing a before count and ρ̄."""
    out = np.full(len(before), np.nan)
    chosen = np.ones(len(before), dtype=bool) if chosen is None else chosen
    for b, r in {(int(b), float(r)) for b, r in zip(before[chosen], rho[chosen],
                                                     strict=True)}:
        rows = np.flatnonzero(chosen & (before == b) & (rho == r))
        out[rows] = compute(b, r, rows)
    return out


def looks(summaries: pd.DataFrame, plans: pd.DataFrame,
          metrics: pd.DataFrame) -> tuple[Looks, Pretrends]:
    """Return the look table and the pre-trends of the non-randomized pilots."""
    chosen = plans[plans["design"].isin(["diff-in-diff", "baseline"])]
    data = summaries[summaries["pilot"].isin(chosen["pilot"])]
    if chosen.empty or data.empty:
        return Looks.empty(), Pretrends.empty()
    series = _period_gaps(data, metrics, chosen)
    scheduled = _scheduled_looks(series, chosen)
    if scheduled.empty:
        return Looks.empty(), Pretrends.empty()
    scheduled["boundary"] = shared.boundaries(scheduled)
    rows = _rows_at_looks(series, scheduled, metrics[metrics["pilot"].isin(chosen["pilot"])])
    table = shared.read_intervals(Looks.from_frame(rows), shared.normal_fixed)
    primary = series.merge(chosen[["pilot", "primary"]], left_on=["pilot", "metric"],
                           right_on=["pilot", "primary"])
    return _on_t_scale(table), pretrends(primary, _matrices(primary), chosen, metrics)


def _on_t_scale(table: Looks) -> Looks:
    """Carry each row's normal critical value to t with its df, and widen the interval."""
    critical = did.critical_value(table.critical, table.df)
    return table.replace(critical=critical, ci_low=table.estimate - critical * table.se,
                         ci_high=table.estimate + critical * table.se)


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
    series = series[np.isfinite(series["gap"])]
    return _positions(series).sort_values(["pilot", "metric", "position"]).reset_index(
        drop=True)


def _positions(series: pd.DataFrame) -> pd.DataFrame:
    """Number each pilot's (period, phase) on its calendar: a skipped period leaves a gap.

    Column distance is then the lag the serial correlation works over; a period logged
    in both phases (not meaningful, but not refused) takes two consecutive positions.
    """
    slots = (series[["pilot", "period", "phase"]].drop_duplicates()
             .sort_values(["pilot", "period", "phase"]).reset_index(drop=True))
    length = slots["pilot"].map(shared.period_length(slots.drop_duplicates(["pilot",
                                                                            "period"])))
    steps = (slots.groupby("pilot")["period"].diff() / length).round().fillna(0)
    first = slots["pilot"] != slots["pilot"].shift()
    slots["position"] = np.where(first, 0, np.maximum(steps, 1)).astype(int)
    slots["position"] = slots.groupby("pilot")["position"].cumsum()
    return series.merge(slots, on=["pilot", "period", "phase"])


def _scheduled_looks(series: pd.DataFrame, plans: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (pilot, look): each during-period of the primary, scheduled."""
    primary = series.merge(plans[["pilot", "primary"]], left_on=["pilot", "metric"],
                           right_on=["pilot", "primary"])
    periods = primary.loc[primary["during"], ["pilot", "period"]].drop_duplicates()
    periods = periods.sort_values(["pilot", "period"]).reset_index(drop=True)
    periods["look"] = periods.groupby("pilot").cumcount()
    before = primary.loc[~primary["during"]].groupby("pilot")["period"].nunique()
    periods = periods.merge(plans, on="pilot", how="left")
    by_design = did.information_fraction(
        periods["pilot"].map(before).fillna(0).to_numpy(), periods["look"].to_numpy() + 1,
        periods["planned_periods"].to_numpy())
    by_count = ((periods["look"] + 1) / periods["planned_periods"]).to_numpy()
    return shared.schedule(periods, np.where(np.isfinite(by_design), by_design, by_count))


def _matrices(series: pd.DataFrame):
    """Lay each (pilot, metric) series on rows of a (S, T) matrix, columns by position."""
    keys = series[["pilot", "metric"]].drop_duplicates().reset_index(drop=True)
    code = pd.MultiIndex.from_frame(series[["pilot", "metric"]]).map(
        {tuple(k): i for i, k in enumerate(keys.itertuples(index=False))})
    code = np.asarray(code, dtype=int)
    position = series["position"].to_numpy(dtype=int)
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
    """Return one row per (pilot, metric, look) with estimate, se, df and the data gate."""
    keys, m = _matrices(series)
    rows = scheduled.merge(metrics, on="pilot").merge(
        keys.reset_index().rename(columns={"index": "series"}), on=["pilot", "metric"],
        how="left")
    rows = rows.sort_values(["pilot", "look", "order"]).reset_index(drop=True)
    has = rows["series"].notna().to_numpy()
    s = rows["series"].fillna(0).astype(int).to_numpy()
    mask = m["present"][s] & (m["period"][s] <= rows["period"].to_numpy()[:, None]) & has[:, None]
    during = m["during"][s]
    fit = did.gap_effect(m["gap"][s], m["gap_var"][s], during, mask,
                         rows["serial_correlation"].to_numpy(dtype=float))
    baseline = (rows["design"] == "baseline").to_numpy()
    # The cells hold the during-periods' sums; the units count both phases.
    sums = {cell: np.where(mask & during, m[cell][s], 0).sum(1) for cell in CELLS}
    pilot_before = np.where(mask & ~during, m["n_p"][s], 0).sum(1)
    control_all = np.where(mask, m["n_c"][s], 0).sum(1)
    # Identical gaps in every period leave the error undefined rather than zero.
    return rows.assign(
        **sums, estimate=fit.estimate, se=np.where(fit.se > 0, fit.se, np.nan),
        df=fit.df, fallback=fit.fallback, enough=_enough(rows, m, s, mask, during),
        planned_variance=np.nan,
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
