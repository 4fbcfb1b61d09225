"""The parallel-trends check of diff-in-diff and baseline pilots, with what it can tell.

The slope of the primary's gap over the before-periods, tested with the small-sample
inference of `lab.stats.did` (two-sided at the pilot's alpha). A clear slope sends the
pilot back (revise). Otherwise the check says whether it could have seen a drift that
matters: one that, continued through the pilot, would on its own shift the estimate by
the minimum effect (`lab.stats.did_power.relevant_drift`). With fewer than 3
before-periods it cannot be run, and with too weak a check it is not passed either:
both say how many before-periods would be needed.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd
from scipy.special import ndtri

from lab.analysis import reasons
from lab.stats import did, did_power

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
