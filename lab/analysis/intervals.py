"""The interval each analysis reads at each look, for holdout rows (STATISTICS §2–§3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import ndtri

from lab.stats import always_valid, gates, lift
from lab.stats.fixed import fixed_tests
from lab.stats.moments import wald_difference
from lab.stats.sequential import nominal_p_value


def arms(rows: pd.DataFrame):
    """Return the (n, total, total_sq) triples of the pilot and control arms."""
    return ((rows["n_p"].to_numpy(), rows["t_p"].to_numpy(), rows["q_p"].to_numpy()),
            (rows["n_c"].to_numpy(), rows["t_c"].to_numpy(), rows["q_c"].to_numpy()))


def holdout_intervals(rows: pd.DataFrame) -> pd.DataFrame:
    """Add estimate, se, ci_low, ci_high, critical and enough (gate) to every row."""
    rows = rows.copy()
    for column in ("estimate", "se", "ci_low", "ci_high", "critical"):
        rows[column] = np.nan
    rows["enough"] = False
    for kind, part in rows.groupby("kind", sort=False):
        pilot, control = arms(part)
        raw, se = wald_difference(kind, pilot, control)
        # No variation at all (sd 0, or every unit alike) leaves the error undefined.
        se = np.where(se > 0, se, np.nan)
        index = part.index
        rows.loc[index, "estimate"] = part["sign"].to_numpy() * raw
        rows.loc[index, "se"] = se
        rows.loc[index, "enough"] = (gates.enough_data(kind, pilot[0], pilot[1])
                                     & gates.enough_data(kind, control[0], control[1]))
    for analysis, part in rows.groupby("analysis", sort=False):
        low, high, critical = ANALYSES[analysis](part)
        rows.loc[part.index, "ci_low"] = low
        rows.loc[part.index, "ci_high"] = high
        rows.loc[part.index, "critical"] = critical
    return rows


def _sequential(part: pd.DataFrame):
    c = part["boundary"].to_numpy()
    estimate, se = part["estimate"].to_numpy(), part["se"].to_numpy()
    return estimate - c * se, estimate + c * se, c


def planned_variance(part: pd.DataFrame) -> np.ndarray:
    """Return V_planned: V·t with a planned sample, else the variance powered for δ or m.

    Without a planned sample the primary's planned variance is (δ/(z₁₋α/₂ + z₁₋β))² and
    a guardrail's (m/(z₁₋α + z₁₋β/(G+1)))², the variance at which a fixed test has the
    planned power (§7).
    """
    variance = part["se"].to_numpy() ** 2
    by_fraction = variance * part["information_fraction"].to_numpy()
    alpha, power = part["alpha"].to_numpy(), part["power"].to_numpy()
    guard_beta = (1 - power) / (part["guardrails"].to_numpy() + 1)
    z_primary = -ndtri(alpha / 2) + ndtri(power)
    z_guard = -ndtri(alpha) - ndtri(guard_beta)
    role = part["role"].to_numpy()
    threshold = part["threshold"].to_numpy()
    powered = np.where(role == "primary", (threshold / z_primary) ** 2,
                       (threshold / z_guard) ** 2)
    use_plan = np.isfinite(part["planned_sample"].to_numpy()) | (role == "secondary")
    return np.where(use_plan, by_fraction, powered)


def _always_valid(part: pd.DataFrame):
    alpha = part["alpha"].to_numpy()
    tau2 = always_valid.mixing_variance(alpha, planned_variance(part))
    variance = part["se"].to_numpy() ** 2
    width = always_valid.half_width(variance, tau2, alpha)
    estimate = part["estimate"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        critical = width / part["se"].to_numpy()
    return estimate - width, estimate + width, critical


def _fixed(part: pd.DataFrame):
    low, high = np.full(len(part), np.nan), np.full(len(part), np.nan)
    for (kind, alpha), group in part.groupby(["kind", "alpha"], sort=False):
        pilot, control = arms(group)
        result = fixed_tests(kind, pilot, control, alpha, exact=False)
        result = result.oriented(group["sign"].to_numpy())
        where = part.index.get_indexer(group.index)
        low[where], high[where] = result.ci_low, result.ci_high
    return low, high, -ndtri(part["alpha"].to_numpy() / 2)


ANALYSES = {"sequential": _sequential, "always-valid": _always_valid, "fixed": _fixed}


def holdout_p_values(rows: pd.DataFrame, history: pd.DataFrame) -> np.ndarray:
    """Return the p-value each analysis reports at the current-look ``rows``.

    fixed: the §2 test (exact where cells are small); sequential: the nominal Wald p
    at the look; always-valid: the running minimum of 1/Λ over ``history`` (all looks).
    """
    p = nominal_p_value(rows["estimate"].to_numpy(), rows["se"].to_numpy())
    fixed = (rows["analysis"] == "fixed").to_numpy()
    for (kind, alpha), group in rows[fixed].groupby(["kind", "alpha"], sort=False):
        pilot, control = arms(group)
        p[rows.index.get_indexer(group.index)] = fixed_tests(kind, pilot, control, alpha).p_value
    valid = (rows["analysis"] == "always-valid").to_numpy()
    if valid.any():
        p[valid] = mixture_p(history).reindex(rows.index[valid]).to_numpy()
    return p


def mixture_p(history: pd.DataFrame) -> pd.Series:
    """Return the always-valid p at each row: running min of 1/Λ within (pilot, metric)."""
    tau2 = always_valid.mixing_variance(history["alpha"].to_numpy(), planned_variance(history))
    ratio = always_valid.likelihood_ratio(history["estimate"].to_numpy(),
                                          history["se"].to_numpy() ** 2, tau2)
    with np.errstate(divide="ignore"):
        instant = pd.Series(np.minimum(1.0, np.nan_to_num(1.0 / ratio, nan=1.0)),
                            index=history.index)
    return instant.groupby([history["pilot"], history["metric"]]).cummin()


def holdout_lift(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (lift, low, high) at the rows with the critical value each analysis used."""
    out = [np.full(len(rows), np.nan) for _ in range(3)]
    for kind, group in rows.groupby("kind", sort=False):
        pilot, control = arms(group)
        values = lift.relative_lift(kind, pilot, control, group["critical"].to_numpy())
        if kind == "rate":
            exact = lift.rate_ratio_exact(pilot[1], pilot[0], control[1], control[0],
                                          group["alpha"].to_numpy())
            use = (group["analysis"] == "fixed").to_numpy()
            values = tuple(np.where(use, e, v) for e, v in zip(exact, values, strict=True))
        where = rows.index.get_indexer(group.index)
        for target, value in zip(out, values, strict=True):
            target[where] = value
    return tuple(out)
