"""The look table: every metric of every pilot at every look, as declared arrays.

A look is the cumulative data through one logged period of a pilot's primary metric
(STATISTICS §3). The holdout and non-randomized stages each build a `Looks` table; the
verdicts read it and the result is assembled from it, so its columns are declared here
and nowhere else. This module also holds what both designs share: the plans as tables,
the schedule of looks (information fraction, the final look), the boundaries and the
interval each analysis reads.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtri

from lab.pilots.plans import Preregistration
from lab.stats import always_valid, did, sequential

DEFAULT_PERIOD = pd.Timedelta(days=7)


@dataclass(frozen=True)
class Looks:
    """One row per (pilot, metric, look), sorted by pilot, look and the plan's metric order.

    Effects are oriented (positive is better); ``n_p, t_p, q_p`` and ``n_c, t_c, q_c`` are
    the cumulative (n, total, total_sq) of the pilot and control arms during the pilot,
    up to the look (for a mean, total_sq is the pooled squared deviations about its mean).
    """

    pilot: np.ndarray  # pilot key
    metric: np.ndarray  # metric key
    look: np.ndarray  # 0, 1, ... within the pilot
    period: np.ndarray  # datetime64: the period the look runs through
    order: np.ndarray  # the metric's position in its plan
    role: np.ndarray
    kind: np.ndarray
    direction: np.ndarray
    threshold: np.ndarray  # the primary's minimum effect or a guardrail's margin, else NaN
    design: np.ndarray
    analysis: np.ndarray
    alpha: np.ndarray
    allocation: np.ndarray  # the planned share of units in the pilot arm
    information_fraction: np.ndarray
    final: np.ndarray  # bool: the look at which the pilot is read for the last time
    boundary: np.ndarray  # the sequential c_k (NaN for the other analyses)
    period_days: np.ndarray  # the pilot's period length: the median gap between looks
    n_p: np.ndarray
    t_p: np.ndarray
    q_p: np.ndarray
    n_c: np.ndarray
    t_c: np.ndarray
    q_c: np.ndarray
    n_pilot: np.ndarray  # units the split check and the report count per arm
    n_control: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    df: np.ndarray  # t degrees of freedom of se (inf: the normal reference)
    planned_variance: np.ndarray  # V_planned of the always-valid mixture; NaN: V·t
    enough: np.ndarray  # bool: the enough-data gate for this metric
    fallback: np.ndarray  # bool: non-randomized se from cell variances (too few periods)
    critical: np.ndarray  # the multiple of se the interval used
    ci_low: np.ndarray
    ci_high: np.ndarray

    def __len__(self) -> int:
        return len(self.pilot)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Looks:
        """Take the declared columns from a frame (missing ones raise KeyError).

        ``df`` may be left out: a design without one reads the normal distribution.
        """
        columns = {name: frame[name].to_numpy() for name in FIELDS if name != "df"}
        df = frame["df"].to_numpy(dtype=float) if "df" in frame else np.full(len(frame),
                                                                            np.inf)
        return cls(**columns, df=df)

    @classmethod
    def empty(cls) -> Looks:
        """Return a table with no rows."""
        return cls(**{name: np.empty(0) for name in FIELDS})

    @classmethod
    def concat(cls, tables: list[Looks]) -> Looks:
        """Join tables of different pilots, keeping each pilot's rows in order."""
        tables = [table for table in tables if len(table)]
        if not tables:
            return cls.empty()
        return cls(**{name: np.concatenate([getattr(t, name) for t in tables])
                      for name in FIELDS})

    def take(self, index) -> Looks:
        """Return the rows at these positions (or where a boolean mask holds)."""
        return Looks(**{name: getattr(self, name)[index] for name in FIELDS})

    def replace(self, **columns) -> Looks:
        """Return a copy with some columns replaced."""
        return dataclasses.replace(self, **columns)


FIELDS = tuple(field.name for field in dataclasses.fields(Looks))


def plan_table(specs: list[Preregistration]) -> pd.DataFrame:
    """Return one row per pilot with what the looks need from its plan."""
    rows = []
    for spec in specs:
        p = spec.pilot
        rows.append({
            "pilot": p.key, "design": p.design.value, "analysis": p.analysis.value,
            "alpha": p.alpha, "power": p.power, "allocation": p.allocation,
            "planned_sample": float(p.planned_sample) if p.planned_sample else np.nan,
            "planned_periods": float(p.planned_periods or p.weeks),
            "serial_correlation": (did.DEFAULT_SERIAL_CORRELATION
                                   if p.serial_correlation is None else p.serial_correlation),
            "start": pd.Timestamp(p.start), "end": pd.Timestamp(p.end),
            "guardrails": len(spec.guardrails), "primary": spec.primary.key,
            "comparisons": tuple(p.comparison_scopes or ())})
    return pd.DataFrame(rows)


def metric_table(specs: list[Preregistration]) -> pd.DataFrame:
    """Return one row per (pilot, metric) in plan order."""
    rows = []
    for spec in specs:
        for order, m in enumerate(spec.metrics):
            threshold = m.minimum_effect if m.minimum_effect is not None else m.margin
            rows.append({
                "pilot": spec.pilot.key, "metric": m.key, "order": order,
                "role": m.role.value, "kind": m.kind.value, "direction": m.direction.value,
                "sign": 1.0 if m.direction.value == "increase" else -1.0,
                "threshold": np.nan if threshold is None else float(threshold)})
    return pd.DataFrame(rows)


def period_length(looks: pd.DataFrame) -> pd.Series:
    """Return each pilot's period length: the median gap between looks, 7 days if one."""
    gaps = looks.groupby("pilot")["period"].diff()
    median = gaps.groupby(looks["pilot"]).median()
    return median.fillna(DEFAULT_PERIOD).where(median > pd.Timedelta(0), DEFAULT_PERIOD)


def schedule(looks: pd.DataFrame, fraction: np.ndarray) -> pd.DataFrame:
    """Mark each look's information fraction and the final look; drop looks after it.

    ``looks`` holds one row per (pilot, look) with the plan's columns; ``fraction`` is the
    share of the planned information each look has. The look that reaches the planned
    information, or whose period reaches the planned end date, is final (t = 1).
    """
    length = looks["pilot"].map(period_length(looks))
    reaches_end = (looks["period"] + length - pd.Timedelta(days=1) >= looks["end"]).to_numpy()
    looks = looks.assign(final=(fraction >= 1) | reaches_end,
                         information_fraction=np.clip(fraction, 1e-6, 1.0),
                         period_days=length.dt.days.to_numpy(dtype=float))
    looks.loc[looks["final"], "information_fraction"] = 1.0
    looks["information_fraction"] = looks.groupby("pilot")["information_fraction"].cummax()
    first_final = looks["look"].where(looks["final"]).groupby(looks["pilot"]).transform("min")
    return looks[~(looks["look"] > first_final)].reset_index(drop=True)


def boundaries(looks: pd.DataFrame) -> np.ndarray:
    """Return the O'Brien–Fleming c_k of each look of a sequential pilot (NaN otherwise)."""
    out = np.full(len(looks), np.nan)
    chosen = looks[looks["analysis"] == "sequential"]
    for alpha, group in chosen.groupby("alpha"):
        pilots = group.groupby("pilot", sort=False)["information_fraction"]
        bounds = sequential.obf_boundaries_many(alpha, [list(v) for _, v in pilots])
        out[looks.index.get_indexer(group.index)] = np.concatenate(bounds)
    return out


def critical_values(table: Looks, variance: np.ndarray) -> np.ndarray:
    """Return the multiple of the se each look's interval spans, by its analysis.

    sequential: the O'Brien–Fleming boundary c_k; always-valid: the half-width of the
    normal-mixture confidence sequence over √V, with τ² tuned to the plan's variance
    (else V·t); fixed: z₁₋α/₂. ``variance`` is V, the estimate's variance at the look.
    """
    out = np.full(len(table), np.nan)
    alpha = table.alpha.astype(float)
    sequential_rows = table.analysis == "sequential"
    out[sequential_rows] = table.boundary[sequential_rows]
    fixed_rows = table.analysis == "fixed"
    out[fixed_rows] = -ndtri(alpha[fixed_rows] / 2)
    rows = np.flatnonzero(table.analysis == "always-valid")
    if rows.size:
        planned = np.where(np.isfinite(table.planned_variance[rows]),
                           table.planned_variance[rows],
                           variance[rows] * table.information_fraction[rows])
        tau2 = always_valid.mixing_variance(alpha[rows], planned)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[rows] = always_valid.half_width(variance[rows], tau2, alpha[rows]) / np.sqrt(
                variance[rows])
    return out


def read_intervals(table: Looks, fixed) -> Looks:
    """Add the interval each analysis reads to every row, and the critical value it used.

    sequential: the repeated confidence interval θ̂ ± c_k·se; always-valid: the
    normal-mixture confidence sequence with τ² from the planned variance; fixed: the
    §2 interval that ``fixed(table, rows)`` returns as (low, high, critical) for the rows.
    """
    low, high = np.full(len(table), np.nan), np.full(len(table), np.nan)
    critical = np.full(len(table), np.nan)
    for analysis in ("sequential", "always-valid", "fixed"):
        rows = np.flatnonzero(table.analysis == analysis)
        if not rows.size:
            continue
        estimate, se, alpha = table.estimate[rows], table.se[rows], table.alpha[rows]
        if analysis == "sequential":
            low[rows], high[rows] = sequential.repeated_interval(estimate, se,
                                                                 table.boundary[rows])
            critical[rows] = table.boundary[rows]
        elif analysis == "always-valid":
            tau2 = always_valid.mixing_variance(alpha, tuned_variance(table)[rows])
            low[rows], high[rows] = always_valid.confidence_sequence(estimate, se**2, tau2,
                                                                     alpha)
            with np.errstate(divide="ignore", invalid="ignore"):
                critical[rows] = (high[rows] - estimate) / se
        else:
            low[rows], high[rows], critical[rows] = fixed(table, rows)
    return table.replace(ci_low=low, ci_high=high, critical=critical)


def tuned_variance(table: Looks) -> np.ndarray:
    """Return the variance the mixture is tuned to: the plan's, else V·t.

    V·t is the variance of the estimate expected at the planned end (Johari et al. 2022
    tune τ² to the variance at the planned sample).
    """
    by_fraction = table.se**2 * table.information_fraction
    return np.where(np.isfinite(table.planned_variance), table.planned_variance, by_fraction)


def normal_fixed(table: Looks, rows: np.ndarray):
    """Return the fixed analysis's normal interval θ̂ ± z₁₋α/₂·se at these rows."""
    z = -ndtri(table.alpha[rows].astype(float) / 2)
    estimate, se = table.estimate[rows], table.se[rows]
    return estimate - z * se, estimate + z * se, z


def mixture_p_values(table: Looks) -> np.ndarray:
    """Return the always-valid p at every row: running min of 1/Λ within (pilot, metric).

    The rows of each (pilot, metric) are laid out on one line of a matrix, looks along
    the last axis, so `lab.stats.always_valid.always_valid_p` reads them in one call.
    """
    if not len(table):
        return np.empty(0)
    keys = pd.MultiIndex.from_arrays([table.pilot, table.metric])
    code, _ = pd.factorize(keys)
    width = int(table.look.max()) + 1
    shape = (code.max() + 1, width)
    estimate, variance = np.full(shape, np.nan), np.full(shape, np.nan)
    tau2 = np.full(shape, np.nan)
    position = table.look.astype(int)
    estimate[code, position] = table.estimate
    variance[code, position] = table.se**2
    tau2[code, position] = always_valid.mixing_variance(table.alpha.astype(float),
                                                        tuned_variance(table))
    return always_valid.always_valid_p(estimate, variance, tau2)[code, position]


def level_critical(analysis: str, alpha: float, boundary: float, fraction: float) -> float:
    """Return the critical value one arm's level (against a target) is read at.

    sequential: the look's O'Brien–Fleming c_k, the level the comparison reads;
    fixed: z₁₋α/₂; always-valid: the normal-mixture width over √V with τ² tuned to V·t,
    which depends on α and t alone (STATISTICS §9).
    """
    if analysis == "sequential":
        return float(boundary)
    if analysis == "always-valid":
        tau2 = always_valid.mixing_variance(alpha, fraction)
        return float(always_valid.half_width(1.0, tau2, alpha))
    return float(-ndtri(alpha / 2))
