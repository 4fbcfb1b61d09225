"""Build each pilot's Recommendation from the rows and look verdicts."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd

from lab.analysis import intervals, wording
from lab.analysis.result import LookResult, MetricResult, Recommendation
from lab.stats import did
from lab.stats.decision import decide
from lab.stats.sequential import nominal_p_value
from lab.stats.wording import Effect


def assemble(specs, plans, metrics, rows, verdicts, trends) -> dict[str, Recommendation]:
    """Return {pilot: Recommendation}, one per spec, in spec order."""
    # Plain records, grouped once: pandas row access per pilot would dominate the time.
    by_pilot = _records_by_pilot(_current_rows(rows, verdicts))
    looks_by = _records_by_pilot(verdicts, STATE_COLUMNS, last_only=True)
    results_by = _look_results(verdicts)
    trend_by = {r.pilot: r for r in _records(trends)}
    out = {}
    for spec in specs:
        key = spec.pilot.key
        if key not in looks_by:
            out[key] = _no_data(spec, metrics[metrics["pilot"] == key])
            continue
        out[key] = _recommendation(spec, by_pilot[key], looks_by[key], results_by[key],
                                   trend_by.get(key))
    return out


STATE_COLUMNS = ["pilot", "look", "period", "information_fraction", "final", "srm_p_value",
                 "pretrend", "analysis", "period_length", "planned_periods", "code"]
LOOK_COLUMNS = ["period", "information_fraction", "critical", "estimate", "ci_low", "ci_high",
                "outcome"]


def _look_results(verdicts: pd.DataFrame) -> dict[str, list[LookResult]]:
    """Return each pilot's LookResults, built straight from the columns."""
    if not len(verdicts):
        return {}
    columns = [verdicts["period"].dt.date.tolist()] + [verdicts[c].tolist()
                                                       for c in LOOK_COLUMNS[1:]]
    grouped: dict[str, list[LookResult]] = {}
    for pilot, *values in zip(verdicts["pilot"].tolist(), *columns, strict=True):
        grouped.setdefault(pilot, []).append(LookResult(*values))
    return grouped


def _records(frame: pd.DataFrame, columns=None) -> list[SimpleNamespace]:
    if not len(frame):
        return []
    columns = list(frame.columns if columns is None else columns)
    values = [frame[c].tolist() for c in columns]
    return [SimpleNamespace(**dict(zip(columns, row, strict=True)))
            for row in zip(*values, strict=True)]


def _records_by_pilot(frame: pd.DataFrame, columns=None,
                      last_only: bool = False) -> dict[str, list[SimpleNamespace]]:
    """Group rows by pilot; ``last_only`` keeps the first and last row of each pilot."""
    if last_only and len(frame):
        ends = frame["pilot"].ne(frame["pilot"].shift()) | frame["pilot"].ne(
            frame["pilot"].shift(-1))
        frame = frame[ends.to_numpy()]
    grouped: dict[str, list[SimpleNamespace]] = {}
    for record in _records(frame, columns):
        grouped.setdefault(record.pilot, []).append(record)
    return grouped


def _current_rows(rows: pd.DataFrame, verdicts: pd.DataFrame) -> pd.DataFrame:
    """Return every metric's row at each pilot's last look, with p-values and lifts."""
    if not len(rows):
        return pd.DataFrame()
    last = verdicts.groupby("pilot")["look"].max()
    current = rows[rows["look"] == rows["pilot"].map(last)].copy()
    holdout = (current["design"] == "holdout").to_numpy()
    p = nominal_p_value(current["estimate"], current["se"])
    lift = [np.full(len(current), np.nan) for _ in range(3)]
    if holdout.any():
        history = rows[rows["design"] == "holdout"]
        p[holdout] = intervals.holdout_p_values(current[holdout], history)
        for target, values in zip(lift, intervals.holdout_lift(current[holdout]), strict=True):
            target[holdout] = values
    valid = ~holdout & (current["analysis"] == "always-valid").to_numpy()
    if valid.any():
        history = rows[(rows["design"] != "holdout") & (rows["analysis"] == "always-valid")]
        history = history.assign(planned_sample=1.0)  # V_planned = V·t for these designs
        p[valid] = intervals.mixture_p(history).reindex(current.index[valid]).to_numpy()
    current["p_value"] = p
    current["lift"], current["lift_ci_low"], current["lift_ci_high"] = lift
    return current.sort_values(["pilot", "order"])


def _metric_result(row) -> MetricResult:
    return MetricResult(
        key=row.metric, role=row.role, kind=row.kind, direction=row.direction,
        estimate=row.estimate, ci_low=row.ci_low, ci_high=row.ci_high, p_value=row.p_value,
        lift=row.lift, lift_ci_low=row.lift_ci_low, lift_ci_high=row.lift_ci_high,
        method=wording.method(row), n_pilot=row.n_pilot, n_control=row.n_control)


def _effect(row) -> Effect:
    return Effect(row.name, row.kind, row.direction, row.estimate, row.ci_low, row.ci_high,
                  row.threshold)


def _recommendation(spec, current, looks, look_results, trend) -> Recommendation:
    now = looks[-1]
    primary = next(r for r in current if r.role == "primary")
    guards = [r for r in current if r.role == "guardrail"]
    short = [wording.short_of_data(r) for r in current
             if r.role in ("primary", "guardrail") and not r.enough]
    srm = None if math.isnan(now.srm_p_value) else float(now.srm_p_value)
    pretrend = wording.pretrend(spec, trend) if bool(now.pretrend) else None
    decision = decide(_effect(primary), [_effect(g) for g in guards], final=bool(now.final),
                      short_of_data=short, srm_p_value=srm, pretrend=pretrend,
                      code=now.code)
    reasons, outcome = list(decision.reasons), decision.outcome
    gated = decision.code in ("not_enough_data", "sample_ratio_mismatch", "pretrend")
    if now.analysis == "fixed" and not now.final and not gated:
        # A fixed-horizon pilot is read once, at its end: before it, keep collecting.
        outcome, reasons = "continue", [wording.fixed_waiting(_effect(primary))]
    needed, projected = (None, None)
    if outcome == "continue":
        needed, projected = wording.still_needed(spec, primary, looks)
        reasons.append(wording.needed_sentence(primary, needed, projected))
    if spec.pilot.design.value == "baseline":
        reasons.append(wording.capital(did.BASELINE_NOTE))
    return Recommendation(
        pilot=spec.pilot.key, outcome=outcome, reasons=reasons,
        design=spec.pilot.design.value, analysis=spec.pilot.analysis.value,
        final=bool(now.final), information_fraction=float(now.information_fraction),
        srm_p_value=srm, needed_sample=needed, projected_date=projected,
        metrics=[_metric_result(r) for r in current],
        looks=look_results,
        notes=wording.notes(spec, current, trend))


def _no_data(spec, metrics: pd.DataFrame) -> Recommendation:
    empty = [MetricResult(r.metric, r.role, r.kind, r.direction, *([math.nan] * 7),
                          "no data yet", 0.0, 0.0) for r in metrics.itertuples()]
    return Recommendation(
        pilot=spec.pilot.key, outcome="continue",
        reasons=[f"No observations of {spec.primary.name} yet: log the first period to start."],
        design=spec.pilot.design.value, analysis=spec.pilot.analysis.value, final=False,
        information_fraction=0.0, srm_p_value=None, needed_sample=spec.pilot.planned_sample,
        projected_date=None, metrics=empty, looks=[], notes=[])

