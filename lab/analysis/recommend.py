"""Turn pilots' plans and period summaries into Recommendations, many pilots in one pass."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy.special import ndtri

from lab.analysis import intervals, looks, nonrandomized
from lab.analysis.assemble import assemble
from lab.analysis.plans import metric_table, parse_specs, plan_table
from lab.analysis.result import Recommendation
from lab.analysis.verdicts import look_verdicts
from lab.pilots.observations.summaries import COLUMNS
from lab.pilots.plans import parse
from lab.stats import always_valid
from lab.stats.sequential import obf_boundaries_many

PLAN_COLUMNS = ["design", "analysis", "alpha", "power", "allocation", "planned_sample",
                "planned_periods", "start", "end", "guardrails"]


def recommend(spec, summaries: pd.DataFrame, as_of: dt.date | None = None) -> Recommendation:
    """Return the Recommendation for one pilot (spec: Preregistration or TOML-shaped dict)."""
    spec = parse(spec)
    frame = summaries[summaries["pilot"] == spec.pilot.key] if len(summaries) else summaries
    return recommend_portfolio([spec], frame, as_of)[spec.pilot.key]


def recommend_portfolio(specs, summaries: pd.DataFrame,
                        as_of: dt.date | None = None) -> dict[str, Recommendation]:
    """Return {pilot key: Recommendation} for many pilots, computed together.

    ``summaries`` is the period-summaries frame (see `lab.pilots.observations.summaries`); rows of
    pilots without a spec are ignored.
    """
    parsed = parse_specs(specs)
    plans, metrics = plan_table(parsed), metric_table(parsed)
    frame = _usable(summaries, plans, as_of)
    parts = [_holdout_rows(frame, plans, metrics), _did_rows(frame, plans, metrics)]
    rows = pd.concat([p[0] for p in parts if len(p[0])], ignore_index=True) \
        if any(len(p[0]) for p in parts) else pd.DataFrame()
    pretrend = parts[1][1]
    verdicts = look_verdicts(rows, pretrend) if len(rows) else pd.DataFrame()
    return assemble(parsed, plans, metrics, rows, verdicts, parts[1][2])


def _usable(summaries: pd.DataFrame, plans: pd.DataFrame, as_of) -> pd.DataFrame:
    missing = [c for c in COLUMNS if c not in summaries]
    if missing:
        raise ValueError(f"period summaries lack column(s): {', '.join(missing)}")
    frame = looks.normalise(summaries[summaries["pilot"].isin(plans["pilot"])])
    if as_of is not None:
        frame = frame[frame["period"] <= pd.Timestamp(as_of)]
    return frame


def _boundaries(looks_table: pd.DataFrame) -> np.ndarray:
    """Return c_k per look for sequential pilots (NaN for the others)."""
    out = np.full(len(looks_table), np.nan)
    sequential = looks_table[looks_table["analysis"] == "sequential"]
    for alpha, group in sequential.groupby("alpha"):
        pilots = group.groupby("pilot", sort=False)["information_fraction"]
        bounds = obf_boundaries_many(alpha, [list(v) for _, v in pilots])
        out[looks_table.index.get_indexer(group.index)] = np.concatenate(bounds)
    return out


def _holdout_rows(frame, plans, metrics):
    chosen = plans[plans["design"] == "holdout"]
    data = frame[frame["pilot"].isin(chosen["pilot"]) & (frame["phase"] == "during")]
    if chosen.empty or data.empty:
        return pd.DataFrame(), None, None
    cumulative = looks.cumulative_by_arm(data)
    table = looks.look_periods(cumulative, chosen)
    rows = looks.expand(table, metrics[metrics["pilot"].isin(chosen["pilot"])], cumulative)
    primary = rows[rows["role"] == "primary"].sort_values(["pilot", "look"])
    units = pd.Series((primary["n_p"] + primary["n_c"]).to_numpy())
    table = looks.schedule(table, chosen, units)
    table["boundary"] = _boundaries(table)
    rows = rows.merge(table[["pilot", "look", "information_fraction", "final", "boundary",
                             "period_length"] + PLAN_COLUMNS], on=["pilot", "look"])
    rows["n_pilot"], rows["n_control"] = rows["n_p"], rows["n_c"]
    return intervals.holdout_intervals(rows), None, None


def _did_rows(frame, plans, metrics):
    chosen = plans[plans["design"] != "holdout"]
    data = frame[frame["pilot"].isin(chosen["pilot"])]
    if chosen.empty or data.empty:
        return pd.DataFrame(), pd.Series(dtype=bool), pd.DataFrame()
    series = nonrandomized.period_gaps(data, metrics, chosen)
    table = nonrandomized.did_looks(series, chosen)
    if table.empty:
        return pd.DataFrame(), pd.Series(dtype=bool), pd.DataFrame()
    table["boundary"] = _boundaries(table)
    rows, _ = nonrandomized.did_rows(series, table[["pilot", "look", "period", "design"]],
                                     metrics[metrics["pilot"].isin(chosen["pilot"])])
    plan_columns = [c for c in PLAN_COLUMNS if c != "design"]
    rows = rows.merge(table[["pilot", "look", "information_fraction", "final", "boundary",
                             "period_length"] + plan_columns], on=["pilot", "look"])
    rows = _did_intervals(rows)
    trends = nonrandomized.pretrends(series, chosen).merge(chosen[["pilot", "alpha"]])
    z = -ndtri(trends["alpha"].to_numpy(dtype=float) / 2)
    slope, se = trends["slope"].to_numpy(dtype=float), trends["slope_se"].to_numpy(dtype=float)
    clear = pd.Series(np.abs(slope) > z * se, index=trends["pilot"].to_numpy())
    return rows, clear, trends.assign(z=z)


def _did_intervals(rows: pd.DataFrame) -> pd.DataFrame:
    estimate, se = rows["estimate"].to_numpy(), rows["se"].to_numpy()
    alpha = rows["alpha"].to_numpy()
    z = -ndtri(alpha / 2)
    variance = se**2
    tau2 = always_valid.mixing_variance(alpha, variance * rows["information_fraction"])
    with np.errstate(divide="ignore", invalid="ignore"):
        mixture = always_valid.half_width(variance, tau2, alpha) / se
    analysis = rows["analysis"].to_numpy()
    critical = np.select([analysis == "sequential", analysis == "always-valid"],
                         [rows["boundary"].to_numpy(), mixture], default=z)
    rows["critical"] = critical
    rows["ci_low"], rows["ci_high"] = estimate - critical * se, estimate + critical * se
    return rows
