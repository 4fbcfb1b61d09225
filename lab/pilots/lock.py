"""The plan lock: what a pre-registration may change, and when.

A draft's plan is editable. Once the pilot runs, the fields that decide how it is
analysed are locked; changing them means a new iteration. A closed pilot takes no
change. A hypothesis is locked once a pilot testing it has started.
"""

from __future__ import annotations

from sqlmodel import Session, select

from lab.models import Hypothesis, Pilot
from lab.pilots.plans import Preregistration, parse

# The pilot fields a running pilot can no longer change (besides its metrics).
LOCKED_FIELDS = ("channel", "segment", "design", "analysis", "allocation", "alpha", "power",
                 "planned_sample", "planned_periods", "serial_correlation", "start", "end",
                 "parent")
NEW_ITERATION = "create a new iteration"


def spec_of(pilot: Pilot) -> Preregistration:
    """Return the pilot's plan as the validated pre-registration it was made from."""
    return parse(pilot.plan, f"pilot {pilot.key}")


def refusals(session: Session, spec: Preregistration) -> list[tuple[str, str]]:
    """Return why this plan cannot be registered now (empty when it can)."""
    pilot = session.exec(select(Pilot).where(Pilot.key == spec.pilot.key)).first()
    problems = _hypothesis_refusals(session, spec, pilot)
    if pilot is not None and pilot.status != "draft":
        problems += _locked_refusals(pilot, spec)
    if spec.pilot.parent and (pilot is None or pilot.status == "draft"):
        problems += _parent_refusals(session, spec, pilot)
    return problems


def _locked_refusals(pilot: Pilot, spec: Preregistration) -> list[tuple[str, str]]:
    """Name each locked field a started pilot's new plan would change."""
    old = spec_of(pilot)
    if old == spec:
        return []
    if pilot.status != "running":
        return [("pilot", f"pilot '{pilot.key}' is {pilot.status}: its plan is closed; "
                          f"{NEW_ITERATION}")]
    since = f"locked since the pilot started on {pilot.started_at:%Y-%m-%d}"
    problems = [(f"pilot.{name}", f"{since}; {NEW_ITERATION}") for name in LOCKED_FIELDS
                if getattr(old.pilot, name) != getattr(spec.pilot, name)]
    if old.hypothesis.key != spec.hypothesis.key:
        problems.append(("hypothesis.key", f"{since}; {NEW_ITERATION}"))
    old_metrics = {m.key: m.model_copy(update={"label": None}) for m in old.metrics}
    new_metrics = {m.key: m.model_copy(update={"label": None}) for m in spec.metrics}
    for key in sorted(old_metrics.keys() | new_metrics.keys()):
        if old_metrics.get(key) != new_metrics.get(key):
            problems.append((f"metrics[{key}]", f"{since}; {NEW_ITERATION}"))
    return problems


def _hypothesis_refusals(session: Session, spec: Preregistration,
                         pilot: Pilot | None) -> list[tuple[str, str]]:
    """Refuse rewording a hypothesis that a started pilot already tests."""
    hypothesis = session.exec(
        select(Hypothesis).where(Hypothesis.key == spec.hypothesis.key)).first()
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
    parent = session.exec(select(Pilot).where(Pilot.key == key)).first()
    if parent is None:
        return [("pilot.parent", f"no pilot '{key}'")]
    if parent.id is not None and pilot is not None and parent.id == pilot.id:
        return [("pilot.parent", "a pilot cannot be its own parent")]
    if parent.status != "revised":
        return [("pilot.parent", f"pilot '{key}' is {parent.status}: only a revised pilot "
                                 "gets a next iteration")]
    if spec_of(parent).hypothesis.key != spec.hypothesis.key:
        return [("pilot.parent", f"pilot '{key}' tests another hypothesis")]
    child = session.exec(select(Pilot.key).where(Pilot.parent_id == parent.id)).first()
    if child is not None and child != spec.pilot.key:
        return [("pilot.parent", f"pilot '{key}' already has its next iteration '{child}'")]
    return []


def hypothesis_values(spec: Preregistration) -> dict:
    """Return the hypothesis columns a plan sets."""
    return spec.hypothesis.model_dump(mode="json", exclude={"key"})


def row_values(hypothesis: Hypothesis) -> dict:
    """Return a stored hypothesis's columns in the shape of _hypothesis_values."""
    return {"statement": hypothesis.statement, "process": hypothesis.process,
            "expected_benefit": hypothesis.expected_benefit,
            "sponsors": list(hypothesis.sponsors), "owner": hypothesis.owner}
