"""Targets: the running pilots' metrics that observation rows can be logged against."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Connection

from lab.models import Metric, Pilot
from lab.vocabulary import DESIGN_ARMS, DESIGN_PHASES, Phase, Status

# The dates a period may start on, relative to the pilot's plan. Before-periods lie in
# the two years before the start: enough for any seasonal baseline, and a typed year
# (2300 for 2030) cannot reach the analysis. During-periods lie between the start and
# the end give or take a week, so the week that holds the start or the end counts.
BEFORE_WINDOW = timedelta(weeks=104)
DURING_GRACE = timedelta(days=7)


@dataclass(frozen=True)
class Target:
    """A pilot's metric that rows can be logged against."""

    pilot_key: str
    metric_key: str
    pilot_id: int
    metric_id: int
    kind: str
    design: str
    start: date
    end: date
    # A mean metric's bounds from its plan (least, most), None where it declares none.
    bounds: tuple[float | None, float | None] = (None, None)
    comparisons: tuple[str, ...] = ()  # a comparison-scopes pilot's scopes

    def __post_init__(self) -> None:
        # The (arm, phase) pairs the design has, computed once: checked on every row.
        object.__setattr__(self, "slots", frozenset(
            (str(arm), str(phase)) for arm in DESIGN_ARMS[self.design]
            for phase in DESIGN_PHASES[self.design]))

    def outside(self, phase: str, period: date) -> str | None:
        """Say why a period lies outside its phase's window of the plan, or None."""
        return outside_window(phase, period, self.start, self.end)


def window(phase: str, start: date, end: date) -> tuple[date, date]:
    """Return the first and last dates a period of this phase may start on."""
    if phase == Phase.before:
        return start - BEFORE_WINDOW, start - timedelta(days=1)
    return start - DURING_GRACE, end + DURING_GRACE


def outside_window(phase: str, period: date, start: date, end: date) -> str | None:
    """Say why a period lies outside its phase's window of a plan from start to end."""
    first, last = window(phase, start, end)
    if first <= period <= last:
        return None
    if phase == Phase.before:
        where = ("on or after the pilot's start" if period > last
                 else f"more than {BEFORE_WINDOW.days // 7} weeks before the start")
        return f"{period} is {where} {start}: before-periods lie from {first} to {last}"
    where = f"after the pilot's end {end}" if period > last \
        else f"before the pilot's start {start}"
    return (f"{period} is {where}: during-periods lie from {first} to {last} "
            f"(start to end, give or take {DURING_GRACE.days} days)")


class Targets:
    """Find the pilots and metrics rows name, each looked up once."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.pilots: dict[str, tuple | str] = {}

    def find(self, pilot_key: str, metric_key: str) -> Target | str:
        """Return the target, or the reason rows cannot be logged against it."""
        pilot = self.pilots.get(pilot_key)
        if pilot is None:
            pilot = self.pilots[pilot_key] = self._load(pilot_key)
        if isinstance(pilot, str):
            return pilot
        pilot_id, design, start, end, metrics, bounds, comparisons = pilot
        if metric_key not in metrics:
            known = ", ".join(sorted(metrics))
            return f"pilot '{pilot_key}' has no metric '{metric_key}' (it has {known})"
        metric_id, kind = metrics[metric_key]
        return Target(pilot_key, metric_key, pilot_id, metric_id, kind, design, start, end,
                      bounds.get(metric_key, (None, None)), comparisons)

    def name_of(self, pilot_id: int, metric_id: int) -> tuple[str, str]:
        """Return the keys of a pilot and metric met earlier in this import."""
        for pilot_key, pilot in self.pilots.items():
            if not isinstance(pilot, str) and pilot[0] == pilot_id:
                metric = next(key for key, (id_, _) in pilot[4].items() if id_ == metric_id)
                return pilot_key, metric
        raise LookupError(f"pilot {pilot_id} was not read by this import")

    def _load(self, key: str) -> tuple | str:
        """Read one pilot and its metrics, or say why it takes no rows."""
        # FOR SHARE on PostgreSQL: the pilot cannot be closed while its rows go in.
        found = self.connection.execute(
            select(Pilot.id, Pilot.design, Pilot.status, Pilot.start_date, Pilot.end_date,
                   Pilot.plan, Pilot.paused_days).where(Pilot.key == key)
            .with_for_update(read=True)).first()
        if found is None:
            return f"no pilot '{key}'"
        pilot_id, design, status, start, end, plan, paused_days = found
        # The days it was paused do not count: the planned end moves later by them.
        end += timedelta(days=paused_days or 0)
        if status == Status.paused:
            return (f"pilot '{key}' is paused: no data is logged while it is paused "
                    "(resume it first)")
        if status != Status.running:
            hint = "start it first" if status == "draft" else "it is closed"
            return f"pilot '{key}' is {status}: metrics are logged only while it runs ({hint})"
        metrics = self.connection.execute(
            select(Metric.key, Metric.id, Metric.kind).where(Metric.pilot_id == pilot_id))
        bounds = {metric["key"]: (metric.get("least"), metric.get("most"))
                  for metric in plan.get("metrics", [])
                  if metric.get("least") is not None or metric.get("most") is not None}
        comparisons = tuple(((plan or {}).get("pilot") or {}).get("comparison_scopes") or ())
        return (pilot_id, design, start, end, {key: (id_, kind) for key, id_, kind in metrics},
                bounds, comparisons)
