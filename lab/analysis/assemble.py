"""Each pilot's Recommendation, assembled from its looks and their verdicts.

The outcome is the verdict at the pilot's last look; this module only explains it:
the reasons, the notes, every metric at that look and what is still needed (sample
and date), with the look histories `lab.analysis.histories` makes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd

from lab.analysis.histories import histories
from lab.analysis.looks import Looks, level_critical
from lab.analysis.nonrandomized import Pretrends
from lab.analysis.result import MetricResult, Recommendation, TargetResult
from lab.analysis.verdicts import GATES, Verdicts
from lab.stats import planning
from lab.stats.did import DEFAULT_SERIAL_CORRELATION
from lab.stats.intervals import attainment, level_interval
from lab.stats.moments import sample_variance
from lab.vocabulary import EVIDENCE
from lab.words import Effect, capitalised, reasons, targets


def assemble(specs, table: Looks, verdicts: Verdicts, pretrends: Pretrends,
             p_value: np.ndarray, lift: tuple, unmatched: pd.DataFrame,
             logged: dict[str, set[str]], fits: dict[str, list[str]] | None = None
             ) -> dict[str, Recommendation]:
    """Return {pilot: Recommendation}, one per spec, in spec order.

    ``p_value`` and ``lift`` (lift, low, high) are given at every row of the table whose
    look is its pilot's last; elsewhere they are NaN. ``unmatched`` lists the periods
    logged by one arm only (left out of the looks until the other arm is logged);
    ``logged`` the metrics each pilot has rows of; ``fits`` what the comparison scopes'
    before-period fit says, by pilot (`lab.analysis.scopes`).
    """
    fits = fits or {}
    rows_of = _slices(table.pilot)
    looks_of = _slices(table.pilot[verdicts.row])
    waiting = {key: group for key, group in unmatched.groupby("pilot")}
    history, other_looks = histories(table, verdicts)
    # Python lists, read once: per-element numpy access would dominate the assembly.
    table, verdicts = _as_lists(table), _as_lists(verdicts)
    p_value, lift = p_value.tolist(), tuple(values.tolist() for values in lift)
    out = {}
    for spec in specs:
        key = spec.pilot.key
        if key not in looks_of:
            recommendation = _no_data(spec, logged.get(key, set()))
        else:
            entries = range(*looks_of[key])
            last = table.look[verdicts.row[entries[-1]]]
            rows = [r for r in range(*rows_of[key]) if table.look[r] == last]
            recommendation = _recommendation(spec, table, verdicts, entries, rows, pretrends,
                                             p_value, lift, fits, history)
            recommendation.metric_looks.update(other_looks.get(key, {}))
        if key in waiting:
            recommendation.notes.extend(_unmatched_notes(spec, waiting[key]))
        out[key] = recommendation
    return out


def _unmatched_notes(spec, rows: pd.DataFrame) -> list[str]:
    """Say, per metric, which arm's rows are missing for which periods."""
    names = {m.key: m.name for m in spec.metrics}
    return [reasons.unmatched(names.get(metric, metric), arm,
                              sorted(pd.Timestamp(day).date() for day in group["period"]))
            for (metric, arm), group in rows.groupby(["metric", "arm"])]


def _as_lists(columns):
    """Return a copy of a table of arrays with each column as a list, but the periods.

    The periods stay datetime64: the look histories turn them into dates in one pass
    (`lab.analysis.histories`), and only a pilot still running reads one more
    (`_still_needed`).
    """
    values = {column.name: getattr(columns, column.name).tolist()
              for column in dataclasses.fields(columns) if column.name != "period"}
    return dataclasses.replace(columns, **values)


def _slices(pilots: np.ndarray) -> dict[str, tuple[int, int]]:
    """Return each pilot's (start, stop) in an array where its rows are contiguous."""
    if not len(pilots):
        return {}
    starts = np.flatnonzero(np.r_[True, pilots[1:] != pilots[:-1]])
    stops = np.r_[starts[1:], len(pilots)]
    return {pilots[s]: (int(s), int(e)) for s, e in zip(starts, stops, strict=True)}


def _recommendation(spec, table, verdicts, entries, rows, pretrends, p_value,
                    lift, fits, history) -> Recommendation:
    last, design = entries[-1], spec.pilot.design.value
    names = {m.key: m.name for m in spec.metrics}
    primary = next(r for r in rows if table.role[r] == "primary")
    effect = _effect(table, primary, names)
    guards = [_effect(table, r, names) for r in rows if table.role[r] == "guardrail"]
    code, outcome = verdicts.code[last], verdicts.outcome[last]
    srm = float(verdicts.srm_p_value[last])
    trend = pretrends.of(spec.pilot.key)
    if code in GATES:
        short = [reasons.short_of_data(names[table.metric[r]], table.kind[r], design)
                 for r in rows if table.role[r] != "secondary" and not table.enough[r]]
        said = reasons.gate(code, effect, short, srm, _trend_sentence(spec, pretrends, trend))
    else:
        said = [capitalised(reasons.explain(code, effect, guards))]
    needed, projected = (None, None)
    if outcome == "continue":
        needed, projected = _still_needed(spec, table, primary, entries, verdicts)
        said.append(reasons.still_needed(table.kind[primary], needed, projected))
    said += _design_reasons(spec, code, pretrends, trend, fits.get(spec.pilot.key, []))
    results = [_metric_result(table, r, p_value, lift, spec) for r in rows]
    said += [targets.sentence(names[m.key], m.kind, m.target.to_dict()) for m in results
             if m.target is not None]
    return Recommendation(
        pilot=spec.pilot.key, outcome=outcome, reasons=said, design=design,
        analysis=spec.pilot.analysis.value, evidence=EVIDENCE[spec.pilot.design].value,
        final=bool(table.final[primary]),
        information_fraction=float(table.information_fraction[primary]),
        srm_p_value=None if math.isnan(srm) else srm, needed_sample=needed,
        projected_date=projected,
        metrics=results,
        looks=history[entries.start:entries.stop],
        notes=_notes(spec, table, rows, names, trend, pretrends))


def _effect(table: Looks, row: int, names: dict) -> Effect:
    return Effect(names[table.metric[row]], table.kind[row], table.direction[row],
                  float(table.estimate[row]), float(table.ci_low[row]),
                  float(table.ci_high[row]), _number(table.threshold[row]))


def _number(value) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _metric_result(table: Looks, row: int, p_value, lift, spec) -> MetricResult:
    return MetricResult(
        key=table.metric[row], role=table.role[row], kind=table.kind[row],
        direction=table.direction[row], estimate=float(table.estimate[row]),
        ci_low=float(table.ci_low[row]), ci_high=float(table.ci_high[row]),
        p_value=float(p_value[row]), lift=float(lift[0][row]),
        lift_ci_low=float(lift[1][row]), lift_ci_high=float(lift[2][row]),
        method=reasons.method(table.design[row], table.analysis[row], table.kind[row],
                              bool(table.fallback[row]), float(table.critical[row]),
                              float(table.df[row])),
        n_pilot=float(table.n_pilot[row]), n_control=float(table.n_control[row]),
        target=_target(spec.metric(table.metric[row]).target, table, row),
        pilot_value=float(table.t_p[row]) / float(table.n_p[row]) if table.n_p[row] > 0
        else math.nan)


def _target(target, table: Looks, row: int) -> TargetResult | None:
    """Return the pilot arm's level over the pilot so far against the metric's target.

    Its interval is read at the level of the look's analysis (`looks.level_critical`).
    """
    if target is None:
        return None
    z = level_critical(table.analysis[row], float(table.alpha[row]), table.boundary[row],
                       float(table.information_fraction[row]))
    n, total = float(table.n_p[row]), float(table.t_p[row])
    low, high = (float(end[0]) for end in level_interval(table.kind[row], n, total,
                                                         table.q_p[row], z))
    at_least = target.bound == "at_least"
    return TargetResult(target.bound.value, target.value, total / n if n > 0 else math.nan,
                        low, high, str(attainment(low, high, target.value, at_least)[()]))


def _trend_sentence(spec, pretrends: Pretrends, trend: int | None) -> str | None:
    if trend is None:
        return None
    return reasons.pretrend(spec.primary.name, spec.primary.kind.value,
                            spec.pilot.design.value, float(pretrends.slope[trend]),
                            float(pretrends.se[trend]), float(pretrends.critical[trend]))


def _design_reasons(spec, code: str, pretrends: Pretrends, trend: int | None,
                    fit: list[str]) -> list[str]:
    """Say what the parallel-trends check (or the scopes' fit) found, and the evidence."""
    design = spec.pilot.design.value
    if design == "holdout":
        return []
    said = list(fit) if code == "pretrend" or trend is None else [
        pretrends.reason(trend, spec.primary.kind.value, design)]
    return [capitalised(sentence) for sentence in said + [reasons.evidence(design)]]


def _notes(spec, table: Looks, rows: list[int], names: dict, trend: int | None,
           pretrends: Pretrends) -> list[str]:
    notes = [reasons.no_interval(names[table.metric[r]], table.n_pilot[r], table.n_control[r],
                                 table.se[r])
             for r in rows if not (math.isfinite(table.estimate[r])
                                   and math.isfinite(table.ci_low[r]))]
    said = None if trend is None else pretrends.note(trend, spec.primary.kind.value)
    rate_primary = any(table.role[r] == "primary" and table.kind[r] == "rate" for r in rows)
    rho = spec.pilot.serial_correlation
    return notes + reasons.design_notes(
        spec.pilot.design.value, spec.pilot.analysis.value, spec.pilot.planned_sample,
        any(bool(table.fallback[r]) for r in rows), said, rate_primary,
        DEFAULT_SERIAL_CORRELATION if rho is None else rho)


def _still_needed(spec, table: Looks, primary: int, entries: range,
                  verdicts: Verdicts) -> tuple[int | None, dt.date | None]:
    """Return (more units per arm needed, projected date at the current pace)."""
    length = dt.timedelta(days=int(table.period_days[primary]))
    first = pd.Timestamp(table.period[verdicts.row[entries[0]]]).date()
    current = pd.Timestamp(table.period[primary]).date()
    if spec.pilot.design.value != "holdout":
        logged = int(table.look[primary]) + 1
        remaining = max(int(spec.pilot.planned_periods or spec.pilot.weeks) - logged, 0)
        pace = table.n_p[primary] / logged
        return (math.ceil(remaining * pace) if math.isfinite(pace) else None,
                current + length * (remaining + 1))
    required = _required(spec, table, primary)
    if required is None:
        return None, None
    needed = max(math.ceil(required - table.n_pilot[primary]), 0)
    elapsed = (current + length - first).days
    pace = table.n_pilot[primary] / elapsed if elapsed > 0 else 0.0
    if needed == 0:
        return 0, spec.pilot.end
    if pace <= 0:
        return needed, None
    return needed, current + length + dt.timedelta(days=math.ceil(needed / pace))


def _required(spec, table: Looks, row: int) -> float | None:
    """Return the planned sample per arm, or the §7 sample at the control's current level."""
    if spec.pilot.planned_sample:
        return float(spec.pilot.planned_sample)
    n, total = table.n_c[row], table.t_c[row]
    level = total / n if n > 0 else math.nan
    sd = float(np.sqrt(sample_variance(n, total, table.q_c[row])))
    try:
        fixed = planning.sample_size(table.kind[row], float(table.threshold[row]),
                                     baseline=level, sd=sd, alpha=spec.pilot.alpha,
                                     power=spec.pilot.power, direction=table.direction[row])
    except ValueError:
        return None
    return fixed * planning.INFLATION[spec.pilot.analysis.value]


def _no_data(spec, logged: set[str]) -> Recommendation:
    empty = [MetricResult(m.key, m.role.value, m.kind.value, m.direction.value,
                          *([math.nan] * 7), "no data yet", 0.0, 0.0,
                          _no_level(m.target)) for m in spec.metrics]
    others = [m.name for m in spec.metrics if m.key in logged and m is not spec.primary]
    said = [targets.sentence(m.name, m.kind.value, _no_level(m.target).to_dict())
            for m in spec.metrics if m.target is not None]
    return Recommendation(
        pilot=spec.pilot.key, outcome="continue",
        reasons=[reasons.no_data(spec.primary.name), *said],
        design=spec.pilot.design.value, analysis=spec.pilot.analysis.value,
        evidence=EVIDENCE[spec.pilot.design].value, final=False, information_fraction=0.0,
        srm_p_value=None, needed_sample=spec.pilot.planned_sample, projected_date=None,
        metrics=empty, looks=[],
        notes=[reasons.waiting_for_primary(others, spec.primary.name)] if others else [])


def _no_level(target) -> TargetResult | None:
    """Return a target before the pilot arm has data: its level unknown, unclear."""
    if target is None:
        return None
    return TargetResult(target.bound.value, target.value, math.nan, math.nan, math.nan,
                        "unclear")
