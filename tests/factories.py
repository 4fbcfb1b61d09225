"""Test factories: plain functions that build plans, pilots and observation rows.

The one home of test data: `make_spec` (a pre-registration dict), `plan` (the analysis
tests' shorter plan), rows of each kind (`observation_rows`, `proportion_rows`,
`mean_rows`, `rate_rows`), a synthetic `portfolio` for the engine, and `populate` (a
small lab with a running, a decided and a draft pilot, for reports and notebooks).

Functions that write take a session, write through the domain services (never around
them) and commit, so the code under test sees committed data.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import math
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine
from sqlmodel import Session

from lab import db
from lab.analysis.pipeline import recommend_pilots
from lab.models import Pilot
from lab.pilots import decisions, evidence, lifecycle, registry
from lab.pilots.find import get_pilot
from lab.pilots.observations import ImportResult, record_observations
from lab.portfolio.rows import PortfolioRow

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


def standby_spec(rules: list[dict], roles: dict | None = None, **overrides) -> dict:
    """Return make_spec(**overrides) with these stand-by rules (and roles)."""
    spec = make_spec(**overrides)
    spec["standby"] = copy.deepcopy(rules)
    if roles is not None:
        spec["roles"] = copy.deepcopy(roles)
    return spec


def start_plan(session: Session, spec: dict) -> Pilot:
    """Register this plan, start its pilot and commit."""
    registry.register(session, spec=spec, actor=ACTOR)
    lifecycle.start(session, pilot_key=spec["pilot"]["key"], actor=ACTOR)
    session.commit()
    return get_pilot(session, spec["pilot"]["key"])


def week_rows(week: int, complaints: float, *, trials: int = 100, exposure: float = 1000.0,
              pilot: str = "x-care-1h") -> list[dict]:
    """Return one week (from 2026-01-05) of churn for both arms and the pilot arm's
    complaints (the control's stay at 30 per 1,000)."""
    period = (date(2026, 1, 5) + timedelta(weeks=week)).isoformat()
    rows = [{"pilot": pilot, "metric": "churn-90d", "arm": arm, "period": period,
             "successes": trials // 10, "trials": trials} for arm in ("pilot", "control")]
    return rows + [{"pilot": pilot, "metric": "complaints", "arm": arm, "period": period,
                    "events": events, "exposure": exposure}
                   for arm, events in (("pilot", complaints), ("control", 30))]


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


# The analysis tests' plans and rows (no database).

START = dt.date(2026, 1, 5)


def plan(key="x-care-1h", design="holdout", analysis="sequential", planned_sample=4800,
         metrics=None, **pilot) -> dict:
    """Return a pre-registration dict with churn (primary) and cost (guardrail)."""
    pilot_fields = {"key": key, "title": "One-hour reply desk on X", "channel": "x",
                    "design": design, "analysis": analysis, "start": START,
                    "end": START + dt.timedelta(weeks=12) - dt.timedelta(days=1)}
    if planned_sample is not None:
        pilot_fields["planned_sample"] = planned_sample
    pilot_fields.update(pilot)
    return {
        "hypothesis": {"key": "fast-social-care", "statement": "Fast replies keep customers",
                       "process": "retention", "expected_benefit": "churn falls 2 points",
                       "sponsors": ["service"], "owner": "ana@bank.example"},
        "pilot": pilot_fields,
        "metrics": metrics if metrics is not None else [
            {"key": "churn-90d", "label": "churn", "kind": "proportion", "role": "primary",
             "direction": "decrease", "minimum_effect": 0.02},
            {"key": "cost-per-contact", "label": "cost per contact", "kind": "mean",
             "role": "guardrail", "direction": "decrease", "margin": 1.5},
        ],
    }


def period(week: int) -> str:
    return (START + dt.timedelta(weeks=week)).isoformat()


def proportion_rows(pilot, metric, weeks, trials, p_pilot, p_control, phase="during",
                    seed=None, exact=True, trials_control=None) -> list[dict]:
    """Return weekly proportion rows; exact=True puts the expected successes in each week."""
    rng = np.random.default_rng(seed)
    rows = []
    for week in weeks:
        for arm, p, n in (("pilot", p_pilot, trials),
                          ("control", p_control, trials_control or trials)):
            successes = round(n * p) if exact else int(rng.binomial(n, p))
            rows.append({"pilot": pilot, "metric": metric, "arm": arm, "phase": phase,
                         "period": period(week), "successes": successes, "trials": n})
    return rows


def mean_rows(pilot, metric, weeks, n, mean_pilot, mean_control, sd=2.0,
              phase="during") -> list[dict]:
    """Return weekly mean rows with fixed means and sd."""
    return [{"pilot": pilot, "metric": metric, "arm": arm, "phase": phase,
             "period": period(week), "n": n, "mean": mean, "sd": sd}
            for week in weeks
            for arm, mean in (("pilot", mean_pilot), ("control", mean_control))]


def rate_rows(pilot, metric, weeks, exposure, rate_pilot, rate_control) -> list[dict]:
    """Return weekly rate rows with the expected events."""
    return [{"pilot": pilot, "metric": metric, "arm": arm, "phase": "during",
             "period": period(week), "events": round(exposure * rate), "exposure": exposure}
            for week in weeks
            for arm, rate in (("pilot", rate_pilot), ("control", rate_control))]


def portfolio(pilots=1000, weeks=26, seed=0):
    """Return (specs, period summaries) of a synthetic portfolio: 3 metrics per pilot."""
    rng = np.random.default_rng(seed)
    metrics = [
        {"key": "churn", "kind": "proportion", "role": "primary", "direction": "decrease",
         "minimum_effect": 0.02},
        {"key": "cost", "kind": "mean", "role": "guardrail", "direction": "decrease",
         "margin": 1.5},
        {"key": "complaints", "kind": "rate", "role": "guardrail", "direction": "decrease",
         "margin": 0.05},
    ]
    keys = [f"pilot-{i:04d}" for i in range(pilots)]
    volume = rng.integers(150, 400, pilots)
    end = START + dt.timedelta(weeks=weeks) - dt.timedelta(days=1)
    specs = [plan(key=k, planned_sample=int(v * weeks * 0.9), metrics=metrics, end=end)
             for k, v in zip(keys, volume, strict=True)]
    return specs, _frame(rng, keys, volume, weeks)


def _frame(rng, keys, volume, weeks) -> pd.DataFrame:
    """Draw every pilot × week × arm at once: pilot arm first, then control."""
    shape = (len(keys), weeks, 2)
    n = rng.poisson(volume[:, None, None], shape).astype(float)
    effect = rng.choice([0.0, 0.02, -0.02], len(keys))[:, None, None]
    p = np.where(np.arange(2) == 0, 0.2 - effect, 0.2)
    churn = rng.binomial(n.astype(int), p).astype(float)
    means = rng.normal(np.array([10.0, 10.2]), 0.1, shape)
    sd = 2.0
    exposure = n * 7
    events = rng.poisson(exposure * 0.1).astype(float)
    pilot_index, week, arm = (a.ravel() for a in np.indices(shape))
    base = {"pilot": np.asarray(keys, dtype=object)[pilot_index],
            "arm": np.array(["pilot", "control"], dtype=object)[arm], "phase": "during",
            "period": pd.to_datetime(START) + pd.to_timedelta(week * 7, unit="D")}
    parts = []
    for metric, total, total_sq, units in (
            ("churn", churn, np.full(shape, np.nan), n),
            ("cost", n * means, np.full(shape, (n - 1) * sd**2), n),
            ("complaints", events, np.full(shape, np.nan), exposure)):
        parts.append(pd.DataFrame({**base, "metric": metric, "n": units.ravel(),
                                   "total": total.ravel(), "total_sq": total_sq.ravel()}))
    columns = ["pilot", "metric", "arm", "phase", "period", "n", "total", "total_sq"]
    return pd.concat(parts, ignore_index=True)[columns]


# A small lab for the report and notebook-API tests.

RUNNING, DECIDED, DRAFT = "x-care-1h", "x-care-fb", "x-care-draft"
NOTE = "Customers said <script>alert('x')</script> & thanked the desk"


def populate(session: Session) -> None:
    """Make a running pilot, a withdrawn one with a decision, and a draft; commit."""
    start_pilot(session)
    start_pilot(session, key=DECIDED, pilot={"channel": "facebook", "budget": 8000})
    register_pilot(session, key=DRAFT, pilot={"channel": "instagram"})
    for key in (RUNNING, DECIDED):
        record_observations(session, rows=observation_rows(key, periods=6), actor=ACTOR)
        session.commit()  # one import per transaction, as the web and the CLI do
    evidence.add_spend(session, pilot_key=RUNNING, spent_on=date(2026, 1, 12), amount=4200.0,
                       description="Desk staff, two weeks", actor=ACTOR)
    evidence.add_spend(session, pilot_key=RUNNING, spent_on=date(2026, 1, 26), amount=1800.5,
                       description="Social listening licence ($^$ per seat)", actor=ACTOR)
    evidence.add_note(session, pilot_key=RUNNING, kind="customer-voice",
                      noted_on=date(2026, 1, 20), source="Desk log", text=NOTE, actor=ACTOR)
    session.commit()
    answer = recommend_pilots(session, [DECIDED])[DECIDED].to_dict()
    decisions.sign_off(session, pilot_key=DECIDED, outcome="withdraw",
                       rationale="The channel is being closed", decided_by=MANAGER,
                       recommendation=answer)
    session.commit()


# Comparison-scopes pilots and their observations, for the analysis tests.

# As the diff-in-diff harness: weekly sd 0.1 each.
SCOPE_N, SCOPE_SD, SCOPE_RHO, SCOPE_SHOCK = 400, 2.0, 0.5, 0.1
SCOPES_START = pd.Timestamp(START)


def scope_names(comparisons: int) -> list[str]:
    return [f"segment-{j + 1:02d}" for j in range(comparisons)]


def scopes_plan(key: str, comparisons: int, during: int = 12, analysis: str = "sequential",
                minimum_effect: float = 0.1, alpha: float = 0.05) -> dict:
    """Return a comparison-scopes plan with one mean primary ("spend", higher is better)."""
    end = (SCOPES_START + pd.Timedelta(weeks=during) - pd.Timedelta(days=1)).date()
    return plan(key=key, design="comparison-scopes", analysis=analysis, planned_sample=None,
                planned_periods=during, start=SCOPES_START.date(), end=end, alpha=alpha,
                channel=None, segment="segment-00",
                comparison_scopes=scope_names(comparisons), metrics=[
                    {"key": "spend", "kind": "mean", "role": "primary",
                     "direction": "increase", "minimum_effect": minimum_effect}])


def ar1(rng, shape) -> np.ndarray:
    """Return stationary AR(1) series with ρ = SCOPE_RHO and sd SCOPE_SHOCK along the last axis."""
    noise = rng.normal(0, SCOPE_SHOCK * math.sqrt(1 - SCOPE_RHO**2), shape)
    series = np.empty(shape)
    series[..., 0] = rng.normal(0, SCOPE_SHOCK, shape[:-1])
    for week in range(1, shape[-1]):
        series[..., week] = SCOPE_RHO * series[..., week - 1] + noise[..., week]
    return series


def weekly_means(rng, runs: int, comparisons: int, before: int, during: int, noise: str,
                 effect: float) -> np.ndarray:
    """Return (runs, J + 1, weeks) weekly means: scope levels differ, the pilot scope first."""
    shape = (runs, comparisons + 1, before + during)
    means = (10.0 + rng.normal(0, 1.0, (runs, comparisons + 1, 1))
             + rng.normal(0, SCOPE_SD / math.sqrt(SCOPE_N), shape))
    if noise == "common":
        means += ar1(rng, (runs, 1, before + during))
    elif noise == "specific":
        means += ar1(rng, shape)
    means[:, 0, before:] += effect
    return means


def observations(keys, means, before: int) -> pd.DataFrame:
    """Return CSV-shaped rows of the weekly means (a row per run, scope and week)."""
    runs, units, weeks = means.shape
    dates = pd.date_range(SCOPES_START - pd.Timedelta(weeks=before), periods=weeks, freq="7D")
    run, unit, week = (axis.ravel() for axis in np.indices(means.shape))
    names = np.array(["", *scope_names(units - 1)], dtype=object)
    return pd.DataFrame({
        "pilot": np.asarray(keys, dtype=object)[run], "metric": "spend",
        "arm": np.where(unit == 0, "pilot", "control"), "scope": names[unit],
        "phase": np.where(week < before, "before", "during"),
        "period": dates.strftime("%Y-%m-%d").to_numpy(dtype=object)[week],
        "n": SCOPE_N, "mean": means.ravel(), "sd": SCOPE_SD})


def portfolio_row(key, start=date(2026, 1, 5), status="running", outcome=None, decided=None,
                  spend=0.0, primary=None, budget=0) -> PortfolioRow:
    """A portfolio row made by hand, for the pure computations over rows."""
    decision = {"outcome": outcome, "decided_at": dt.datetime(*decided, tzinfo=dt.UTC)} \
        if outcome else None
    return PortfolioRow(key=key, title=key, hypothesis="h", statement="s",
                        process="retention", channel="x", segment=None, scope="x",
                        status=status, owner="o@x", iteration=1, start=start,
                        end=date(2027, 1, 1), budget=budget, currency="EUR", spend=spend,
                        days_left=0, primary=primary or {}, decision=decision)
