"""Test factories: plain functions that build plans, pilots and observation rows.

Functions that write take a session, write through the domain services (never around
them) and commit, so the code under test sees committed data.
"""

from __future__ import annotations

import copy
import csv
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from lab import db
from lab.models import Pilot
from lab.pilots import lifecycle, registry
from lab.pilots.find import get_pilot
from lab.pilots.observations import ImportResult, record_observations

ACTOR = "tester@lab.example"
OWNER = "ana@bank.example"
MANAGER = "mia@bank.example"

SPEC: dict[str, Any] = {
    "hypothesis": {
        "key": "fast-social-care",
        "statement": "Answering complaints on X within one hour keeps angry customers",
        "process": "retention",
        "expected_benefit": "90-day churn of complaining customers falls by 2 points",
        "sponsors": ["service", "marketing"],
        "owner": OWNER,
    },
    "pilot": {
        "key": "x-care-1h",
        "title": "One-hour reply desk on X",
        "channel": "x",
        "design": "holdout",
        "allocation": 0.5,
        "alpha": 0.05,
        "power": 0.8,
        "planned_sample": 4800,
        "start": "2026-01-05",
        "end": "2026-03-29",
        "budget": 25000,
        "currency": "EUR",
        "team": [{"name": "Ana", "function": "service"}, {"name": "Raj", "function": "it"}],
    },
    "metrics": [
        {"key": "churn-90d", "kind": "proportion", "role": "primary",
         "direction": "decrease", "minimum_effect": 0.02},
        {"key": "cost-per-contact", "kind": "mean", "role": "guardrail",
         "direction": "decrease", "margin": 1.5},
        {"key": "complaints", "kind": "rate", "role": "secondary", "direction": "decrease"},
    ],
}


def make_spec(*, key: str | None = None, hypothesis: dict | None = None,
              pilot: dict | None = None, metrics: list[dict] | None = None) -> dict:
    """Return a valid plan dict; `hypothesis` and `pilot` update their sections,
    `metrics` replaces the list, `key` sets the pilot key.

    A value of None in `pilot` or `hypothesis` removes that key.
    """
    spec = copy.deepcopy(SPEC)
    for section, changes in (("hypothesis", hypothesis), ("pilot", pilot)):
        for name, value in (changes or {}).items():
            if value is None:
                spec[section].pop(name, None)
            else:
                spec[section][name] = value
    if key is not None:
        spec["pilot"]["key"] = key
    if metrics is not None:
        spec["metrics"] = copy.deepcopy(metrics)
    return spec


def spec_toml(spec: dict) -> str:
    """Render a plan dict as the TOML file a person would write."""
    lines = []
    for section in ("hypothesis", "pilot"):
        lines.append(f"[{section}]")
        lines += [f"{name} = {_toml(value)}" for name, value in spec[section].items()]
        lines.append("")
    for metric in spec["metrics"]:
        lines.append("[[metrics]]")
        lines += [f"{name} = {_toml(value)}" for name, value in metric.items()]
        lines.append("")
    return "\n".join(lines)


def _toml(value: Any) -> str:
    """Write one TOML value (dates bare, as TOML dates)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        try:
            date.fromisoformat(value)
            return value if len(value) == 10 else f'"{value}"'
        except ValueError:
            return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return repr(value)


def write_spec(folder: Path, spec: dict | None = None, name: str | None = None) -> Path:
    """Write a plan as <pilot key>.toml in the folder and return its path."""
    spec = spec or make_spec()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"{spec['pilot']['key']}.toml")
    path.write_text(spec_toml(spec), encoding="utf-8")
    return path


def register_pilot(session: Session, **overrides) -> Pilot:
    """Register a draft pilot from make_spec(**overrides) and commit."""
    spec = make_spec(**overrides)
    registry.register(session, spec=spec, actor=ACTOR)
    session.commit()
    return get_pilot(session, spec["pilot"]["key"])


def start_pilot(session: Session, **overrides) -> Pilot:
    """Register a pilot, start it and commit."""
    pilot = register_pilot(session, **overrides)
    lifecycle.start(session, pilot_key=pilot.key, actor=ACTOR)
    session.commit()
    return pilot


def observation_rows(pilot: str = "x-care-1h", *, periods: int = 4,
                     start: date = date(2026, 1, 5), arms: tuple[str, ...] = ("pilot", "control"),
                     phase: str = "during", metrics: tuple[str, ...] | None = None) -> list[dict]:
    """Return plausible rows (CSV column names) for the default metrics, weekly periods."""
    makers = {
        "churn-90d": lambda i, arm: {"successes": 40 + i + (0 if arm == "pilot" else 8),
                                     "trials": 400 + 10 * i},
        "cost-per-contact": lambda i, arm: {"n": 300 + i, "mean": 12.5 + 0.1 * i,
                                            "sd": 3.25},
        "complaints": lambda i, arm: {"events": 30 + i, "exposure": 1000.0 + i},
    }
    rows = []
    for i in range(periods):
        period = (start + timedelta(weeks=i)).isoformat()
        for metric in metrics or tuple(makers):
            for arm in arms:
                rows.append({"pilot": pilot, "metric": metric, "arm": arm, "phase": phase,
                             "period": period, **makers[metric](i, arm)})
    return rows


def log_rows(engine: Engine, rows: list[dict]) -> ImportResult:
    """Store observation rows (CSV column names) through the real import, committed."""
    with db.writing(engine) as session:
        return record_observations(session, rows=rows, actor=ACTOR, source="test")


CSV_COLUMNS = ["pilot", "metric", "arm", "phase", "period", "successes", "trials", "n",
               "mean", "sd", "events", "exposure"]


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    """Write rows as an observations CSV (blank cells for other kinds' columns)."""
    columns = columns or CSV_COLUMNS
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
        writer.writeheader()
        writer.writerows(rows)
    return path
