"""Randomized holdout pilots: every metric pooled up to each look of the primary (§2–§3).

For a holdout the pilot and control arms run over the same periods, so each metric's
estimate at a look is the Wald difference of the arms' sums over every period up to
the look's period; the primary's units set the information fraction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from lab.analysis import looks as shared
from lab.analysis.looks import Looks
from lab.stats import gates, intervals, lift
from lab.stats.moments import (
    grouped_cumsum,
    pooled_from,
    pooled_squares,
    sample_variance,
    wald_difference,
)

STATS = ["n", "total", "total_sq"]
CELLS = ["n_p", "t_p", "q_p", "n_c", "t_c", "q_c"]


def looks(summaries: pd.DataFrame, plans: pd.DataFrame,
          metrics: pd.DataFrame) -> tuple[Looks, pd.DataFrame]:
    """Return the look table of the holdout pilots among ``plans``, and the unmatched rows.

    A period counts once both arms have logged it (a look compares like with like); the
    rows still waiting for their other arm come back as (pilot, metric, arm, period)
    naming the arm that is missing, for the notes.
    """
    chosen = plans[plans["design"] == "holdout"]
    data = summaries[summaries["pilot"].isin(chosen["pilot"])
                     & (summaries["phase"] == "during")]
    if chosen.empty or data.empty:
        return Looks.empty(), _unmatched(data.iloc[:0])
    paired = _paired(data)
    unmatched, data = _unmatched(data[~paired]), data[paired]
    cumulative = _cumulative_by_arm(data)
    primary = cumulative.merge(chosen[["pilot", "primary"]], left_on=["pilot", "metric"],
                               right_on=["pilot", "primary"])
    if primary.empty:
        return Looks.empty(), unmatched
    rows = _rows_at_looks(cumulative, primary, chosen,
                          metrics[metrics["pilot"].isin(chosen["pilot"])])
    table = _estimates(Looks.from_frame(rows))
    critical = shared.critical_values(table, _floored_variance(table))
    low, high = _intervals(table, critical)
    return table.replace(critical=critical, ci_low=low, ci_high=high), unmatched


def _paired(rows: pd.DataFrame) -> np.ndarray:
    """Return where the row's (pilot, metric, period) has been logged by both arms.

    On integer codes: a groupby's nunique of the arm took four times as long. An arm is
    pilot or control (the table's check), so two arms is one of each.
    """
    codes = [pd.factorize(rows[name])[0] for name in ("pilot", "metric", "period")]
    if not len(rows):
        return np.zeros(0, dtype=bool)
    key = np.ravel_multi_index(codes, [int(code.max()) + 1 for code in codes])
    group = pd.factorize(key)[0]
    pilot = rows["arm"].to_numpy() == "pilot"
    both = (np.bincount(group, weights=pilot) > 0) & (np.bincount(group, weights=~pilot) > 0)
    return both[group]


def _unmatched(rows: pd.DataFrame) -> pd.DataFrame:
    """Return the periods logged by one arm only, naming the arm still missing."""
    missing = np.where(rows["arm"].to_numpy() == "pilot", "control", "pilot")
    return pd.DataFrame({"pilot": rows["pilot"].to_numpy(), "metric": rows["metric"].to_numpy(),
                         "arm": missing, "period": rows["period"].to_numpy()})


def _cumulative_by_arm(frame: pd.DataFrame) -> pd.DataFrame:
    """Return per (pilot, metric, period) the arm sums pooled over all periods so far.

    In numpy rather than pandas' unstack and groupby (a sixth of a full refresh's
    holdout looks); `grouped_cumsum` adds up as pandas did, so the sums are the same.
    """
    # Every (pilot, metric, period) here has one row per arm (the caller kept the pairs,
    # and the natural key is unique): sorted, control comes before pilot in each pair.
    # Sorted on integer codes (a sort on the text columns was half this function's time).
    codes = [pd.factorize(frame[name], sort=True)[0] for name in ("pilot", "metric", "arm")]
    order = np.lexsort((codes[2], frame["period"].to_numpy(), codes[1], codes[0]))
    frame = frame.iloc[order]
    control, pilot = frame.iloc[0::2], frame.iloc[1::2]
    if not ((control["arm"].to_numpy() == "control").all()
            and (pilot["arm"].to_numpy() == "pilot").all()):
        raise ValueError("a holdout period must have exactly one row per arm")
    keys = control[["pilot", "metric", "period"]].reset_index(drop=True)
    series = keys["pilot"].to_numpy(), keys["metric"].to_numpy()
    new_series = np.ones(len(keys), dtype=bool)
    new_series[1:] = (series[0][1:] != series[0][:-1]) | (series[1][1:] != series[1][:-1])
    starts = np.flatnonzero(new_series)
    columns = {}
    for arm, suffix in ((pilot, "p"), (control, "c")):
        n, t, q = (np.nan_to_num(arm[stat].to_numpy(dtype=float), nan=0.0, posinf=np.inf,
                                 neginf=-np.inf) for stat in STATS)  # a missing stat is 0
        # A mean's SS does not add across periods; pooled about a centre near the means
        # (each arm's first mean) its parts do, and nothing cancels (moments.pooled_squares).
        squares, moved = pooled_squares(n, t, q, _first_mean(n, t, starts))
        summed = grouped_cumsum(np.column_stack([n, t, squares, moved]), starts)
        columns[f"n_{suffix}"], columns[f"t_{suffix}"] = summed[:, 0], summed[:, 1]
        columns[f"q_{suffix}"] = pooled_from(summed[:, 0], summed[:, 2], summed[:, 3])
    return pd.concat([keys, pd.DataFrame(columns)], axis=1)


def _first_mean(n: np.ndarray, total: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Return, on each row, the first mean of its series (the first period with n > 0; 0
    when none has any)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
    rows = np.arange(len(n))
    first = np.minimum.reduceat(np.where(np.isnan(mean), len(n), rows), starts)
    value = np.append(mean, 0.0)[first]
    return np.repeat(value, np.diff(np.append(starts, len(n))))


def _rows_at_looks(cumulative: pd.DataFrame, primary: pd.DataFrame, plans: pd.DataFrame,
                   metrics: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (pilot, metric, look) with each metric pooled up to the look.

    The looks are the periods of each pilot's primary (``primary``: its cumulative rows).
    """
    periods = primary.sort_values(["pilot", "period"]).reset_index(drop=True)
    periods["look"] = periods.groupby("pilot").cumcount()
    periods = periods[["pilot", "look", "period", "n_p", "n_c"]].merge(plans, on="pilot")
    planned_total = periods["planned_sample"] / periods["allocation"]
    by_units = ((periods["n_p"] + periods["n_c"]) / planned_total).to_numpy()
    # Without a planned sample, the share of the planned calendar time.
    length = periods["pilot"].map(shared.period_length(periods))
    span = (periods["end"] - periods["start"]).dt.days + 1
    by_calendar = ((periods["period"] + length - periods["start"]).dt.days / span).to_numpy()
    scheduled = shared.schedule(periods.drop(columns=["n_p", "n_c"]),
                                np.where(np.isfinite(by_units), by_units, by_calendar))
    scheduled["boundary"] = shared.boundaries(scheduled)
    rows = scheduled.merge(metrics, on="pilot").sort_values("period", kind="stable")
    rows = pd.merge_asof(rows, cumulative.sort_values("period", kind="stable"), on="period",
                         by=["pilot", "metric"], direction="backward")
    rows[CELLS] = rows[CELLS].fillna(0.0)
    rows = rows.sort_values(["pilot", "look", "order"]).reset_index(drop=True)
    return rows.assign(n_pilot=rows["n_p"], n_control=rows["n_c"], fallback=False,
                       estimate=np.nan, se=np.nan, planned_variance=_powered_variance(rows),
                       enough=False, critical=np.nan, ci_low=np.nan, ci_high=np.nan)


def _estimates(table: Looks) -> Looks:
    """Add the oriented Wald estimate, its se and the data gate to every row.

    The gate asks only what the intervals cannot do without: a mean needs 30 units per
    arm before the final look (its interval leans on the central limit theorem);
    proportions and rates need a trial or some exposure in each arm, because their score
    intervals hold with few or no successes or events.
    """
    estimate, se = np.full(len(table), np.nan), np.full(len(table), np.nan)
    enough = np.zeros(len(table), dtype=bool)
    sign = np.where(table.direction == "increase", 1.0, -1.0)
    for kind in np.unique(table.kind):
        rows = np.flatnonzero(table.kind == kind)
        pilot, control = _arms(table, rows)
        raw, error = wald_difference(kind, pilot, control)
        estimate[rows] = sign[rows] * raw
        # No variation at all (sd 0, or every unit alike) leaves the error undefined.
        se[rows] = np.where(error > 0, error, np.nan)
        if kind == "mean":
            enough[rows] = (gates.enough_data(kind, pilot[0], pilot[1])
                            & gates.enough_data(kind, control[0], control[1]))
        else:
            enough[rows] = (pilot[0] > 0) & (control[0] > 0)
    return table.replace(estimate=estimate, se=se, enough=enough)


def _floored_variance(table: Looks) -> np.ndarray:
    """Return the estimate's variance with half a unit added to each count.

    The Wald variance of a proportion at 0% or 100% (or of a rate with no events) is 0,
    which no interval can be scaled by; the always-valid sequence is scaled by this
    variance instead, which differs from Wald's only where counts are tiny.
    """
    variance = table.se**2
    for kind in ("proportion", "rate"):
        rows = np.flatnonzero(table.kind == kind)
        if not rows.size:
            continue
        (n1, x1, _), (n2, x2, _) = _arms(table, rows)
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "proportion":
                p1, p2 = (x1 + 0.5) / (n1 + 1), (x2 + 0.5) / (n2 + 1)
                variance[rows] = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
            else:
                variance[rows] = (x1 + 0.5) / n1**2 + (x2 + 0.5) / n2**2
    return variance


def _intervals(table: Looks, critical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's oriented small-sample interval at its critical value."""
    low, high = np.full(len(table), np.nan), np.full(len(table), np.nan)
    for kind in np.unique(table.kind):
        rows = np.flatnonzero(table.kind == kind)
        (n1, t1, q1), (n2, t2, q2) = _arms(table, rows)
        z = critical[rows]
        if kind == "proportion":
            lower, upper = intervals.newcombe(t1, n1, t2, n2, z)
        elif kind == "rate":
            lower, upper = intervals.poisson_mover(t1, n1, t2, n2, z)
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                lower, upper = intervals.welch(n1, t1 / n1, sample_variance(n1, t1, q1), n2,
                                               t2 / n2, sample_variance(n2, t2, q2), z)
        increase = table.direction[rows] == "increase"
        low[rows] = np.where(increase, lower, -upper)
        high[rows] = np.where(increase, upper, -lower)
    return low, high


def _arms(table: Looks, rows: np.ndarray):
    """Return the (n, total, total_sq) triples of the pilot and control arms at rows."""
    return ((table.n_p[rows], table.t_p[rows], table.q_p[rows]),
            (table.n_c[rows], table.t_c[rows], table.q_c[rows]))


def _powered_variance(rows: pd.DataFrame) -> np.ndarray:
    """Return V_planned for pilots without a planned sample; NaN where V·t applies.

    Without a planned sample the primary's planned variance is (δ/(z₁₋α/₂ + z₁₋β))² and
    a guardrail's (m/(z₁₋α/₂ + z₁₋β/(G+1)))², the variance at which a fixed test has
    the planned power (§7). With one, the mixture is tuned to V·t (see `Looks`).
    """
    alpha, power = rows["alpha"].to_numpy(), rows["power"].to_numpy()
    guard_beta = (1 - power) / (rows["guardrails"].to_numpy() + 1)
    role, threshold = rows["role"].to_numpy(), rows["threshold"].to_numpy()
    primary = (threshold / (-ndtri(alpha / 2) + ndtri(power))) ** 2
    guardrail = (threshold / (-ndtri(alpha / 2) - ndtri(guard_beta))) ** 2
    powered = np.where(role == "primary", primary, guardrail)
    by_plan = np.isfinite(rows["planned_sample"].to_numpy()) | (role == "secondary")
    return np.where(by_plan, np.nan, powered)


def p_at_zero(table: Looks, rows: np.ndarray) -> np.ndarray:
    """Return the two-sided level at which each row's interval (Newcombe, MOVER or Welch)
    reaches 0: the p-value that inverts the interval, so the two never disagree (a Fisher
    p beside a Newcombe interval can, in small samples)."""
    p = np.full(rows.size, np.nan)
    for kind in np.unique(table.kind[rows]):
        here = np.flatnonzero(table.kind[rows] == kind)
        (n1, t1, q1), (n2, t2, q2) = _arms(table, rows[here])
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = t1 / n1 - t2 / n2
            if kind == "proportion":
                p[here] = intervals.p_value_at_zero(intervals.newcombe, raw, t1, n1, t2, n2)
            elif kind == "rate":
                p[here] = intervals.p_value_at_zero(intervals.poisson_mover, raw, t1, n1, t2,
                                                    n2)
            else:
                p[here] = intervals.welch_p_value(n1, t1 / n1, sample_variance(n1, t1, q1),
                                                  n2, t2 / n2, sample_variance(n2, t2, q2))
    return p


def lifts(table: Looks, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (lift, low, high) at these rows with the critical value each analysis used.

    The lift pilot/control − 1 is not oriented; a rate read once at its end gets the
    exact-conditional ratio interval.
    """
    out = [np.full(rows.size, np.nan) for _ in range(3)]
    for kind in np.unique(table.kind[rows]):
        here = np.flatnonzero(table.kind[rows] == kind)
        pilot, control = _arms(table, rows[here])
        values = lift.relative_lift(kind, pilot, control, table.critical[rows[here]])
        if kind == "rate":
            exact = lift.rate_ratio_exact(pilot[1], pilot[0], control[1], control[0],
                                          table.alpha[rows[here]].astype(float))
            use = table.analysis[rows[here]] == "fixed"
            values = tuple(np.where(use, e, v) for e, v in zip(exact, values, strict=True))
        for target, value in zip(out, values, strict=True):
            target[here] = value
    return tuple(out)
