"""Specs as tables: one row per pilot (its plan) and one per metric, for array work."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from lab.pilots.plans import Preregistration, parse


def parse_specs(specs) -> list[Preregistration]:
    """Accept one spec, a list of them, or a mapping of key → spec (dicts or models)."""
    if isinstance(specs, Preregistration | Mapping) and not _is_spec_mapping(specs):
        specs = [specs]
    elif isinstance(specs, Mapping):
        specs = list(specs.values())
    parsed = [parse(spec) for spec in _as_list(specs)]
    keys = [spec.pilot.key for spec in parsed]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"pilot keys must be unique: {', '.join(repeated)} repeated")
    return parsed


def _is_spec_mapping(value) -> bool:
    """Tell a mapping of pilot key → spec from one spec given as a dict."""
    return isinstance(value, Mapping) and "pilot" not in value and all(
        isinstance(v, Mapping | Preregistration) for v in value.values())


def _as_list(specs: Iterable) -> list:
    return list(specs)


def plan_table(specs: list[Preregistration]) -> pd.DataFrame:
    """Return one row per pilot with what the analysis needs from its plan."""
    rows = []
    for spec in specs:
        p = spec.pilot
        rows.append({
            "pilot": p.key, "design": p.design.value, "analysis": p.analysis.value,
            "alpha": p.alpha, "power": p.power, "allocation": p.allocation,
            "planned_sample": float(p.planned_sample) if p.planned_sample else np.nan,
            "planned_periods": float(p.planned_periods or p.weeks),
            "start": pd.Timestamp(p.start), "end": pd.Timestamp(p.end),
            "guardrails": len(spec.guardrails), "primary": spec.primary.key,
        })
    return pd.DataFrame(rows)


def metric_table(specs: list[Preregistration]) -> pd.DataFrame:
    """Return one row per (pilot, metric) in file order."""
    rows = []
    for spec in specs:
        for order, m in enumerate(spec.metrics):
            threshold = m.minimum_effect if m.minimum_effect is not None else m.margin
            rows.append({
                "pilot": spec.pilot.key, "metric": m.key, "order": order,
                "role": m.role.value, "kind": m.kind.value, "direction": m.direction.value,
                "sign": 1.0 if m.direction.value == "increase" else -1.0,
                "threshold": np.nan if threshold is None else float(threshold),
                "name": m.name,
            })
    return pd.DataFrame(rows)
