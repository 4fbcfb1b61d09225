"""The portfolio as typed pandas frames, for the notebooks (`lab.notebook.client`).

Each frame declares its columns and their dtypes once, here; the notebook API's tests
hold them to the published schemas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
from sqlmodel import Session

from lab.analysis.result import Recommendation
from lab.pilots import frames
from lab.pilots.frames import DATE, FLOAT, INT, TEXT, category, typed
from lab.portfolio.rows import PortfolioRow, build, recommendations
from lab.vocabulary import (
    Analysis,
    Attainment,
    Bound,
    Design,
    Direction,
    Kind,
    Outcome,
    Role,
    Status,
)

RECOMMENDATIONS = {
    "pilot": TEXT, "title": TEXT, "status": category(Status), "design": category(Design),
    "analysis": category(Analysis), "outcome": category(Outcome), "final": "boolean",
    "information_fraction": FLOAT, "metric": TEXT, "kind": category(Kind),
    "direction": category(Direction), "estimate": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
    "p_value": FLOAT, "q_value": FLOAT,
    "minimum_effect": FLOAT, "lift": FLOAT, "lift_ci_low": FLOAT, "lift_ci_high": FLOAT,
    "n_pilot": FLOAT, "n_control": FLOAT, "needed_sample": INT, "projected_date": DATE,
    "budget": FLOAT, "spend": FLOAT, "currency": TEXT, "incremental": FLOAT,
    "cost_per_incremental": FLOAT, "attainment": category(Attainment), "reasons": TEXT}
EFFECTS = {
    "pilot": TEXT, "metric": TEXT, "role": category(Role), "kind": category(Kind),
    "direction": category(Direction), "estimate": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT,
    "p_value": FLOAT, "lift": FLOAT, "lift_ci_low": FLOAT, "lift_ci_high": FLOAT,
    "method": TEXT, "n_pilot": FLOAT, "n_control": FLOAT, "target_bound": category(Bound),
    "target": FLOAT, "target_level": FLOAT, "target_low": FLOAT, "target_high": FLOAT,
    "attainment": category(Attainment)}
# A metric's target, flattened into the effects frame's columns.
TARGET_COLUMNS = {"target_bound": "bound", "target": "value", "target_level": "level",
                  "target_low": "low", "target_high": "high", "attainment": "attainment"}
LOOKS = {"pilot": TEXT, "period": DATE, "information_fraction": FLOAT, "boundary": FLOAT,
         "estimate": FLOAT, "ci_low": FLOAT, "ci_high": FLOAT, "outcome": category(Outcome)}


def recommendations_frame(session: Session,
                          keys: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Return one row per started pilot: outcome, primary effect, q-value, spend, cost."""
    wanted = _wanted(session, keys)
    rows = [_frame_row(row) for row in build(session)
            if row.checked and (wanted is None or row.key in wanted)]
    return typed(rows, RECOMMENDATIONS)


def _frame_row(row: PortfolioRow) -> dict:
    answer, primary = row.recommendation or {}, row.primary
    return {
        **{name: answer.get(name) for name in ("design", "analysis", "outcome", "final",
                                                "information_fraction", "needed_sample",
                                                "projected_date")},
        **{name: primary.get(name) for name in ("kind", "direction", "estimate", "ci_low",
                                                 "ci_high", "p_value", "minimum_effect", "lift",
                                                 "lift_ci_low", "lift_ci_high", "n_pilot",
                                                 "n_control")},
        "pilot": row.key, "title": row.title, "status": row.status,
        "metric": primary.get("key"), "q_value": row.q_value, "budget": row.budget,
        "spend": row.spend, "currency": row.currency, "incremental": row.incremental,
        "cost_per_incremental": row.cost_per_outcome, "attainment": row.attainment,
        "reasons": "\n".join(row.reasons)}


def effects_frame(session: Session, keys: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Return one row per metric of each started pilot, as its recommendation reports it."""
    wanted = _wanted(session, keys)
    rows = [{**{name: metric.get(name) for name in EFFECTS}, "pilot": key,
             "metric": metric.get("key"),
             **{name: (metric.get("target") or {}).get(part)
                for name, part in TARGET_COLUMNS.items()}}
            for key, answer in sorted(recommendations(session, full=False).items())
            if wanted is None or key in wanted
            for metric in answer.get("metrics") or []]
    return typed(rows, EFFECTS)


def looks_frame(found: Recommendation | Mapping) -> pd.DataFrame:
    """Return a recommendation's look history, one row per look."""
    answer = found if isinstance(found, Mapping) else found.to_dict()
    rows = [{**{name: look.get(name) for name in LOOKS}, "pilot": answer.get("pilot")}
            for look in answer.get("looks") or []]
    return typed(rows, LOOKS)


def _wanted(session: Session, keys: str | Iterable[str] | None) -> set[str] | None:
    """Return the pilot keys asked for (None: all); raise LookupError for unknown ones."""
    return None if keys is None else set(frames.pilot_ids(session, keys).values())
