"""The plan lock: what a pre-registration may change, and when.

A draft's plan is editable. Once the pilot runs, its plan is locked except for the few
fields that do not decide how it is analysed (EDITABLE_PILOT_FIELDS, and each metric's
label); changing anything else means a new iteration. A closed pilot takes no change.
A hypothesis is locked once a pilot testing it has started.
"""

from __future__ import annotations

from sqlmodel import Session, select

from lab.models import Hypothesis, Pilot
from lab.pilots.find import find_hypothesis, find_pilot, next_iteration_of
from lab.pilots.plans import MetricSpec, PilotSpec, Preregistration, parse

# What a running pilot's plan may still change. Everything else is locked by default, so
# a field added to the plan later is locked until it is added here on purpose.
EDITABLE_PILOT_FIELDS = frozenset({"title", "budget", "currency", "team"})
EDITABLE_METRIC_FIELDS = frozenset({"label"})
NEW_ITERATION = "create a new iteration"


def spec_of(pilot: Pilot) -> Preregistration:
    """Return the pilot's plan as the validated pre-registration it was made from."""
    return parse(pilot.plan, f"pilot {pilot.key}")


def refusals(session: Session, spec: Preregistration) -> list[tuple[str, str]]:
    """Return why this plan cannot be registered now (empty when it can)."""
    pilot = find_pilot(session, spec.pilot.key)
    problems = _hypothesis_refusals(session, spec, pilot)
    if pilot is not None and pilot.status != "draft":
        problems += _locked_refusals(pilot, spec)
    if spec.pilot.parent and (pilot is None or pilot.status == "draft"):
        problems += _parent_refusals(session, spec, pilot)
    return problems


def _locked_refusals(pilot: Pilot, spec: Preregistration) -> list[tuple[str, str]]:
    """Name each locked part of a started pilot's plan that the new plan would change."""
    old = spec_of(pilot)
    if old == spec:
        return []
    if pilot.status not in ("running", "paused"):  # a paused pilot's plan stays open
        return [("pilot", f"pilot '{pilot.key}' is {pilot.status}: its plan is closed; "
                          f"{NEW_ITERATION}")]
    since = f"locked since the pilot started on {pilot.started_at:%Y-%m-%d}"
    return [(where, f"{since}; {NEW_ITERATION}") for where in _locked_changes(old, spec)]


def _locked_changes(old: Preregistration, new: Preregistration) -> list[str]:
    """Name every changed part of a plan that is not on the editable lists."""
    changed = [f"pilot.{name}" for name in PilotSpec.model_fields
               if name not in EDITABLE_PILOT_FIELDS
               and getattr(old.pilot, name) != getattr(new.pilot, name)]
    # The hypothesis's wording is locked by _hypothesis_refusals; which one is tested, here.
    if old.hypothesis.key != new.hypothesis.key:
        changed.append("hypothesis.key")
    old_metrics = {m.key: _locked_part(m) for m in old.metrics}
    new_metrics = {m.key: _locked_part(m) for m in new.metrics}
    changed += [f"metrics[{key}]" for key in sorted(old_metrics.keys() | new_metrics.keys())
                if old_metrics.get(key) != new_metrics.get(key)]
    changed += [name for name in Preregistration.model_fields
                if name not in ("hypothesis", "pilot", "metrics")
                and getattr(old, name) != getattr(new, name)]
    return changed


def _locked_part(metric: MetricSpec) -> dict:
    """Return the fields of a metric that a running pilot may not change."""
    return metric.model_dump(exclude=set(EDITABLE_METRIC_FIELDS))


def _hypothesis_refusals(session: Session, spec: Preregistration,
                         pilot: Pilot | None) -> list[tuple[str, str]]:
    """Refuse rewording a hypothesis that a started pilot already tests."""
    hypothesis = find_hypothesis(session, spec.hypothesis.key)
    if hypothesis is None or hypothesis_values(spec) == row_values(hypothesis):
        return []
    started = session.exec(select(Pilot.key).where(
        Pilot.hypothesis_id == hypothesis.id, Pilot.status != "draft")).first()
    if started is None:
        return []
    return [("hypothesis", f"hypothesis '{hypothesis.key}' is locked: started pilot "
                           f"'{started}' tests it; register a new hypothesis to reword it")]


def _parent_refusals(session: Session, spec: Preregistration,
                     pilot: Pilot | None) -> list[tuple[str, str]]:
    """Check that a new iteration follows a revised pilot of the same hypothesis."""
    key = spec.pilot.parent
    parent = find_pilot(session, key)
    if parent is None:
        return [("pilot.parent", f"no pilot '{key}'")]
    if parent.id is not None and pilot is not None and parent.id == pilot.id:
        return [("pilot.parent", "a pilot cannot be its own parent")]
    if parent.status != "revised":
        return [("pilot.parent", f"pilot '{key}' is {parent.status}: only a revised pilot "
                                 "gets a next iteration")]
    if spec_of(parent).hypothesis.key != spec.hypothesis.key:
        return [("pilot.parent", f"pilot '{key}' tests another hypothesis")]
    child = next_iteration_of(session, parent.id)
    if child is not None and child != spec.pilot.key:
        return [("pilot.parent", f"pilot '{key}' already has its next iteration '{child}'")]
    return []


def hypothesis_values(spec: Preregistration) -> dict:
    """Return the hypothesis columns a plan sets."""
    return spec.hypothesis.model_dump(mode="json", exclude={"key"})


def row_values(hypothesis: Hypothesis) -> dict:
    """Return a stored hypothesis's columns in the shape of hypothesis_values."""
    return {"statement": hypothesis.statement, "process": hypothesis.process,
            "expected_benefit": hypothesis.expected_benefit,
            "sponsors": list(hypothesis.sponsors), "owner": hypothesis.owner}
