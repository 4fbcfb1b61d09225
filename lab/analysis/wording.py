"""Sentences and labels for a pilot's Recommendation (methods, notes, what is still needed)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from lab.stats import did, gates, planning
from lab.stats.fixed import small_expected_cell
from lab.stats.moments import sample_variance
from lab.stats.wording import Effect, amount, capitalised, change, number, worth

_KIND_WALD = {"proportion": "difference in proportions", "mean": "difference in means",
              "rate": "difference in rates"}


def capital(sentence: str) -> str:
    """Return the sentence capitalised with a final full stop."""
    return capitalised(sentence)


def method(row) -> str:
    """Name how a metric's interval and p-value were obtained."""
    if row.design != "holdout":
        base = ("diff-in-diff of the per-period gaps" if row.design == "diff-in-diff"
                else "before/during change of the pilot series alone")
        base += (", standard error from the four cell variances" if row.fallback
                 else ", HAC (1 lag) standard error")
    else:
        base = f"Wald {_KIND_WALD[row.kind]}"
    if row.analysis == "sequential":
        return (f"{base}; Lan–DeMets O'Brien–Fleming repeated confidence interval "
                f"(boundary {row.critical:.3f}); p-value nominal at this look")
    if row.analysis == "always-valid":
        return f"{base}; normal-mixture confidence sequence (mSPRT); always-valid p-value"
    if row.design != "holdout":
        return f"{base}; normal interval and p-value"
    return _fixed_method(row)


def _fixed_method(row) -> str:
    if row.kind == "proportion":
        small = small_expected_cell(*(np.array([x]) for x in (row.t_p, row.n_p, row.t_c,
                                                             row.n_c)))[0]
        p = "Fisher's exact p-value (an expected cell is below 5)" if small else "score test"
        return f"Newcombe hybrid score interval; {p}; log-ratio interval for the lift"
    if row.kind == "mean":
        return "Welch t interval and test; log-ratio interval for the lift"
    return ("Wald interval for the difference; exact-conditional Poisson test and "
            "ratio interval")


def short_of_data(row) -> str:
    """Say which metric lacks data for the enough-data gate."""
    where = "each arm" if row.design == "holdout" else (
        "each phase" if row.design == "baseline" else "each arm in each phase")
    return (f"not enough data yet for {row.name}: {where} needs "
            f"{gates.requirement(row.kind)}")


def pretrend(spec, trend) -> str:
    """Describe a clear pre-trend of the primary's gap."""
    low, high = trend.slope - trend.z * trend.slope_se, trend.slope + trend.z * trend.slope_se
    kind = spec.primary.kind.value
    what = ("the pilot and control were already drifting apart"
            if spec.pilot.design.value == "diff-in-diff" else "the metric was already moving")
    return (f"{what} before the pilot started ({spec.primary.name} gap changing by "
            f"{amount(kind, trend.slope)} per period, {_end(kind, low)} to "
            f"{_end(kind, high)}): the comparison is not fair; revise the design")


def _end(kind: str, value: float) -> str:
    return f"{100 * value:.1f}" if kind == "proportion" else number(value)


def fixed_waiting(effect: Effect) -> str:
    """Explain that a fixed-horizon pilot is read once, at its end."""
    return capitalised(f"this pilot is analysed once, at its end; so far {change(effect)}; "
                       f"{worth(effect)}")


def still_needed(spec, primary, looks: list) -> tuple[int | None, dt.date | None]:
    """Return (more units per arm needed, projected date at the current pace)."""
    now = looks[-1]
    length = dt.timedelta(days=int(pd.Timedelta(now.period_length).days))
    current, first = pd.Timestamp(now.period).date(), pd.Timestamp(looks[0].period).date()
    if spec.pilot.design.value != "holdout":
        logged = int(now.look) + 1
        remaining = max(int(now.planned_periods) - logged, 0)
        pace = primary.n_during / logged
        needed = math.ceil(remaining * pace) if math.isfinite(pace) else None
        return needed, current + length * (remaining + 1)
    required = _required(spec, primary)
    if required is None:
        return None, None
    needed = max(math.ceil(required - primary.n_pilot), 0)
    elapsed = (current + length - first).days
    pace = primary.n_pilot / elapsed if elapsed > 0 else 0.0
    if needed == 0:
        return 0, spec.pilot.end
    if pace <= 0:
        return needed, None
    return needed, current + length + dt.timedelta(days=math.ceil(needed / pace))




def _required(spec, primary) -> float | None:
    """Return the planned sample per arm, or the §7 sample at the control's current level."""
    if spec.pilot.planned_sample:
        return float(spec.pilot.planned_sample)
    kind, delta = primary.kind, primary.threshold
    level = primary.t_c / primary.n_c if primary.n_c > 0 else math.nan
    sd = float(np.sqrt(sample_variance(primary.n_c, primary.t_c, primary.q_c)))
    try:
        fixed = planning.sample_size(kind, delta, baseline=level, sd=sd, alpha=spec.pilot.alpha,
                                     power=spec.pilot.power, direction=primary.direction)
    except ValueError:
        return None
    return fixed * planning.INFLATION[spec.pilot.analysis.value]


def needed_sentence(primary, needed: int | None, projected: dt.date | None) -> str:
    """Say how much more data is needed and by when, at the current pace."""
    unit = "exposure" if primary.kind == "rate" else "units"
    if needed is None:
        return "The sample still needed cannot be estimated yet."
    if needed == 0:
        return (f"The planned sample is reached; the answer stays open until the planned end "
                f"({projected.isoformat() if projected else 'unknown'}).")
    when = f"; at the current pace that is by {projected.isoformat()}" if projected else ""
    return f"About {needed:,} more {unit} per arm are needed{when}."


def notes(spec, current: list, trend) -> list[str]:
    """Return notes on degenerate data and on what could not be checked."""
    out = []
    for row in current:
        if not math.isfinite(row.estimate) or not math.isfinite(row.ci_low):
            out.append(f"{row.name}: no interval ({_why(row)})")
    design = spec.pilot.design.value
    if design != "holdout":
        if any(bool(row.fallback) for row in current):
            out.append(did.FALLBACK_NOTE)
        if trend is None or not math.isfinite(trend.slope):
            out.append("parallel trends could not be checked: fewer than 3 before periods")
        out.append("relative lift is not reported for a non-randomized design")
    elif not spec.pilot.planned_sample and spec.pilot.analysis.value == "sequential":
        out.append("no planned sample: the information fraction is calendar time")
    if design == "holdout" and any(r.role == "primary" and r.kind == "rate" for r in current):
        out.append("sample ratio not checked: rate exposure is not a count of units")
    return out


def _why(row) -> str:
    if row.n_pilot == 0 or row.n_control == 0:
        return "an arm has no data"
    if row.se == 0 or not math.isfinite(row.se):
        return "no variation in the data, so the standard error is undefined"
    return "the data do not identify it"
