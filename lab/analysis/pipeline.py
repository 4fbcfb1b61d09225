"""The one place answers come from: plans and observations in, Recommendations out.

`check` (one pilot) and `check_portfolio` (many) take plans and CSV-shaped
observations; `recommend_pilots` reads the same inputs from the database. All three
run one engine over the whole set of pilots in one pass, so the web pages, the API,
the CLI, the notebooks and the reports can never disagree.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlmodel import Session, col, select

from lab.analysis import holdout, looks, nonrandomized, scopes
from lab.analysis.assemble import assemble
from lab.analysis.looks import Looks
from lab.analysis.result import Recommendation
from lab.analysis.verdicts import verdicts
from lab.errors import NotFound
from lab.models import Decision, Pilot
from lab.pilots import decisions
from lab.pilots.find import get_pilot
from lab.pilots.lifecycle import without_pauses
from lab.pilots.observations.given import from_observations
from lab.pilots.observations.summaries import (
    COLUMNS,
    SummaryColumns,
    SummaryRows,
    Taken,
    summary_rows,
)
from lab.pilots.plans import Preregistration, parse
from lab.stats import did, intervals

# The engine's frames hold short keys (pilot, metric, arm, phase) in many small groupbys.
# With pyarrow installed (for the Parquet export) pandas 3 would back them with Arrow
# strings, whose every call hands the GIL back and forth: a refresh inside a write
# transaction then took 10 s instead of 40 ms while other threads ran (a threaded server,
# tests/db/test_stored.py). Plain Python strings, unless the user chose a storage.
if pd.get_option("mode.string_storage") == "auto":
    pd.set_option("mode.string_storage", "python")


def check(spec, observations, as_of: dt.date | None = None) -> Recommendation:
    """Return the Recommendation for one pilot from its plan and raw observations.

    ``spec`` is the pre-registration as a dict (the TOML schema) or a Preregistration;
    ``observations`` a DataFrame or list of dicts with the CSV columns. Rows of other
    pilots are refused, so a file meant for another pilot cannot pass unnoticed.
    """
    plan = parse(spec)
    return check_portfolio([plan], observations, as_of)[plan.pilot.key]


def check_portfolio(specs, observations, as_of: dt.date | None = None
                    ) -> dict[str, Recommendation]:
    """Return {pilot key: Recommendation} for many pilots from their plans and rows.

    ``specs`` is a list of plans (dicts or Preregistrations) or a mapping of key to
    plan; ``observations`` a DataFrame or list of dicts with the CSV columns, for any
    of those pilots. Each metric's kind comes from its pilot's plan; rows naming a
    pilot without a plan are refused. The same engine as `recommend_pilots`.
    """
    plans = _parse_all(specs)
    kinds = {(p.pilot.key, m.key): m.kind.value for p in plans for m in p.metrics}
    bounds = {(p.pilot.key, m.key): (m.least, m.most) for p in plans for m in p.metrics
              if (m.least, m.most) != (None, None)}
    windows = {p.pilot.key: (p.pilot.start, p.pilot.end) for p in plans}
    scopes = {p.pilot.key: tuple(p.pilot.comparison_scopes) for p in plans
              if p.pilot.comparison_scopes}
    return recommend_portfolio(plans, from_observations(observations, kinds=kinds,
                                                        bounds=bounds, windows=windows,
                                                        scopes=scopes), as_of)


def recommend_pilots(session: Session, keys: list[str] | None = None,
                     as_of: dt.date | None = None) -> dict[str, Recommendation]:
    """Return the recommendation of every pilot past draft, or of those keys, by key.

    Drafts are left out (they have no data), so `.get(key)` is None for one; an unknown
    key raises LookupError. The summaries are aggregated in SQL and the statistics run
    over the whole portfolio in one pass.
    """
    with cyclic_gc_paused():
        plans, summaries = read_inputs(session, keys).decoded()
        if not plans:
            return {}
        found = recommend_portfolio(plans, summaries, as_of)
    return {plan.pilot.key: found[plan.pilot.key] for plan in plans}


@dataclass(frozen=True)
class Inputs:
    """What the engine reads of some pilots, as read from the database, in key order.

    `decoded()` gives the plans as the analysis reads them (paused days taken out) and
    the period-summaries frame; `recommend_portfolio` of the two is the pilots' answers.
    Read and decoded apart, so that a refresh can read in its transaction and decode and
    compute in a forked worker (`lab.portfolio.stored`).
    """

    pilots: list[tuple[str, dict, int]]  # (key, plan as stored, days paused)
    summaries: SummaryRows | SummaryColumns | None

    def decoded(self) -> tuple[list[Preregistration], pd.DataFrame]:
        """Return the parsed plans and the period-summaries frame."""
        if self.summaries is None:
            return [], pd.DataFrame()
        plans = [without_pauses(parse(plan, f"pilot {key}"), paused)
                 for key, plan, paused in self.pilots]
        return plans, self.summaries.frame()


def read_inputs(session: Session, keys: list[str] | None = None,
                taken: Taken | None = None) -> Inputs:
    """Read the engine's inputs of these pilots (default: every pilot past draft); the
    summary rows from `taken` where it holds all of theirs (an import's, just written)."""
    pilots = [(pilot.key, pilot.plan, pilot.paused_days) for pilot in _pilots(session, keys)]
    if not pilots:
        return Inputs([], None)
    return Inputs(pilots, summary_rows(session, [key for key, _, _ in pilots], taken))


def recommend_portfolio(specs, summaries: pd.DataFrame,
                        as_of: dt.date | None = None) -> dict[str, Recommendation]:
    """Return {pilot key: Recommendation} for plans and their period summaries.

    The engine behind every entry point: the holdout and the non-randomized looks of
    all pilots are built, every gate and the rule read once per look, and each pilot's
    recommendation is its last look explained. ``summaries`` is the period-summaries
    frame (`lab.pilots.observations.summaries`); rows of pilots without a plan are ignored.
    """
    specs = _parse_all(specs)
    plans, metrics = looks.plan_table(specs), looks.metric_table(specs)
    frame = _usable(summaries, plans, as_of)
    trials, unmatched = holdout.looks(frame, plans, metrics)
    compared, pretrends = nonrandomized.looks(frame, plans, metrics)
    matched, fits = scopes.looks(frame, plans, metrics)
    table = Looks.concat([trials, compared, matched])
    found = verdicts(table, pretrends)
    p_value, lift = _current_figures(table, found)
    return assemble(specs, table, found, pretrends, p_value, lift, unmatched, _logged(frame),
                    fits)


def _logged(frame: pd.DataFrame) -> dict[str, set[str]]:
    """Return the metrics each pilot has rows of (of the distinct pairs: a groupby's
    unique per pilot took ten times as long)."""
    found: dict[str, set[str]] = {}
    for pilot, metric in set(zip(frame["pilot"].tolist(), frame["metric"].tolist(),
                                     strict=True)):
        found.setdefault(pilot, set()).add(metric)
    return found


def _usable(summaries: pd.DataFrame, plans: pd.DataFrame, as_of) -> pd.DataFrame:
    """Keep the planned pilots' rows (up to as_of), periods as datetimes, numbers as floats."""
    missing = [c for c in COLUMNS if c not in summaries and c != "scope"]
    if missing:
        raise ValueError(f"period summaries lack column(s): {', '.join(missing)}")
    frame = summaries[summaries["pilot"].isin(plans["pilot"])].copy()
    if "scope" not in frame:  # a comparison scope names control rows of that design only
        frame["scope"] = ""
    frame["period"] = pd.to_datetime(frame["period"])
    for column in ("n", "total", "total_sq"):
        frame[column] = frame[column].astype(float)
    if as_of is not None:
        frame = frame[frame["period"] <= pd.Timestamp(as_of)]
    return frame


def _current_figures(table: Looks, found) -> tuple[np.ndarray, tuple]:
    """Return the p-value and the lift (with its interval) at each pilot's last look.

    The p-value matches the interval the decision read: it is the level at which that
    interval reaches 0, carried through the look's critical value (see
    `lab.stats.intervals.look_adjusted_p`), so it is below α exactly when the interval
    excludes 0. Lifts for holdouts only (NaN elsewhere).
    """
    p_value = np.full(len(table), np.nan)
    lift = tuple(np.full(len(table), np.nan) for _ in range(3))
    if not len(table):
        return p_value, lift
    last = dict(zip(table.pilot[found.row], table.look[found.row], strict=True))
    current = np.flatnonzero(table.look == np.array([last[p] for p in table.pilot]))
    # The non-randomized designs read t intervals: their level at 0 and their critical
    # value go back to the normal scale with the same tail probabilities.
    df = table.df[current]
    at_zero = did.t_p_value(table.estimate[current], table.se[current], df)
    critical = did.normal_equivalent(table.critical[current], df)
    randomized = table.design[current] == "holdout"
    at_zero[randomized] = holdout.p_at_zero(table, current[randomized])
    p_value[current] = intervals.look_adjusted_p(at_zero, table.alpha[current].astype(float),
                                                 critical)
    rows = current[randomized]
    for target, values in zip(lift, holdout.lifts(table, rows), strict=True):
        target[rows] = values
    return p_value, lift


def _parse_all(specs) -> list[Preregistration]:
    """Accept a list of plans or a mapping of key to plan; refuse repeated keys."""
    if isinstance(specs, dict) and "pilot" not in specs:
        specs = list(specs.values())
    elif isinstance(specs, dict):
        specs = [specs]
    plans = [spec if isinstance(spec, Preregistration) else parse(spec) for spec in specs]
    keys = [plan.pilot.key for plan in plans]
    repeated = sorted(key for key, count in Counter(keys).items() if count > 1)
    if repeated:
        raise ValueError(f"pilot keys must be unique: {', '.join(repeated)} repeated")
    return plans


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while a portfolio is checked.

    Checking 1,000 pilots allocates hundreds of thousands of short-lived tuples and
    floats, none in reference cycles (reference counting frees them); each allocation
    burst would otherwise set off full passes over the whole heap, about a sixth of the
    check's time. Only the caller that paused the collector resumes it, so concurrent
    requests in a threaded server leave it running as it was.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _pilots(session: Session, keys: list[str] | None) -> list[Pilot]:
    """Return the pilots to check, in key order."""
    query = select(Pilot).where(Pilot.status != "draft").order_by(col(Pilot.key))
    if keys is None:
        return list(session.exec(query))
    keys = list(keys)
    known = set(session.exec(select(Pilot.key).where(col(Pilot.key).in_(keys))))
    unknown = [key for key in keys if key not in known]
    if unknown:
        raise NotFound(f"no pilot '{unknown[0]}'")
    return list(session.exec(query.where(col(Pilot.key).in_(keys))))


def sign_off(session: Session, *, pilot_key: str, outcome: str, rationale: str | None,
             decided_by: str, via: str = "web", decided_at: dt.datetime | None = None
             ) -> Decision:
    """Sign off a pilot on its recommendation as it stands inside this write transaction.

    The web form, the API and `lab decide` all sign off through here, so the decision
    records the recommendation of exactly the data it was made on, and the owner (or
    whoever registered or started the pilot) is refused (403) before anything is computed.
    """
    pilot = get_pilot(session, pilot_key)
    decisions.refuse_owner(session, pilot, decided_by)
    recommendation = recommend_pilots(session, [pilot_key]).get(pilot_key)
    if recommendation is None:
        raise decisions.DecisionError(f"pilot '{pilot_key}' is a draft: only a running pilot "
                                      "can be signed off")
    return decisions.sign_off(session, pilot_key=pilot_key, outcome=outcome,
                              rationale=rationale, decided_by=decided_by,
                              recommendation=recommendation.to_dict(), via=via,
                              decided_at=decided_at)
