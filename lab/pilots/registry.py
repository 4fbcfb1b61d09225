"""The registry: pre-registered plans become hypotheses, draft pilots and their metrics.

A plan is editable while its pilot is a draft. Once the pilot runs, everything but the
few fields lab.pilots.lock lists as editable is locked; changing the rest means a new
iteration. A closed pilot (scaled up, revised, withdrawn) takes no change at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from lab.models import Channel, Hypothesis, Metric, Pilot, Segment, TeamMember
from lab.models.base import utcnow
from lab.pilots import audit, feasibility
from lab.pilots.find import find_hypothesis, find_pilot, get_pilot
from lab.pilots.lock import hypothesis_values, refusals, row_values, spec_of
from lab.pilots.overlap import overlaps
from lab.pilots.plans import Preregistration, PreregistrationError, load, parse


class RegistryError(PreregistrationError):
    """A plan the registry refuses; `problems` lists (where, what) pairs."""

    @classmethod
    def combine(cls, errors: list[RegistryError]) -> RegistryError:
        """Merge the refusals of several files into one error naming each file."""
        if len(errors) == 1:
            return errors[0]
        return cls("", [(f"{error.source}: {where}" if where else error.source, what)
                        for error in errors for where, what in error.problems])


@dataclass
class SyncResult:
    """What a sync did: pilot keys per outcome, catalogue additions and warnings."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    new_channels: list[str] = field(default_factory=list)
    new_segments: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def register(session: Session, *, spec: Preregistration | dict, actor: str,
             source: str = "pre-registration") -> SyncResult:
    """Create or update one pilot (and its hypothesis) from its plan."""
    try:
        spec = parse(spec, source)
    except PreregistrationError as error:
        raise RegistryError(error.source, error.problems) from None
    problems = refusals(session, spec)
    if problems:
        raise RegistryError(source, problems)
    result = SyncResult()
    _apply(session, spec, actor, result)
    result.warnings = (_overlap_warnings(session, [spec.pilot.key])
                       + feasibility.registration_warnings(spec))
    return result


def sync_paths(session: Session, *, paths: list[Path], actor: str) -> SyncResult:
    """Load every plan under these paths and register all of them, or none."""
    specs = _load_all(paths)
    result, errors = SyncResult(), []
    # A savepoint: raising inside it undoes every plan applied so far, even if the
    # caller went on to commit.
    with session.begin_nested():
        for source, spec in _parents_first(specs):
            problems = refusals(session, spec)
            if problems:
                errors.append(RegistryError(source, problems))
            elif not errors:
                _apply(session, spec, actor, result)
        if errors:
            raise RegistryError.combine(errors)
    result.warnings = _overlap_warnings(session, [spec.pilot.key for _, spec in specs])
    result.warnings += [w for _, spec in specs for w in feasibility.registration_warnings(spec)]
    return result


def _load_all(paths: list[Path]) -> list[tuple[str, Preregistration]]:
    """Read every file, refusing the lot if any is invalid or two files clash."""
    files = _expand(paths)
    specs, errors = [], []
    for path in files:
        try:
            specs.append((str(path), load(path)))
        except PreregistrationError as error:
            errors.append(RegistryError(error.source, error.problems))
    errors += _clashes(specs)
    if errors:
        raise RegistryError.combine(errors)
    return specs


def _expand(paths: list[Path]) -> list[Path]:
    """Turn folders into their *.toml files, sorted; refuse paths that do not exist."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            files += sorted(path.glob("*.toml"))
        elif path.is_file():
            files.append(path)
        else:
            raise RegistryError(str(path), [("", "no such file or folder")])
    if not files:
        raise RegistryError(", ".join(map(str, paths)), [("", "no pre-registration files")])
    return files


def _clashes(specs: list[tuple[str, Preregistration]]) -> list[RegistryError]:
    """Refuse one pilot in two files, or one hypothesis described two ways."""
    errors = []
    pilots: dict[str, str] = {}
    hypotheses: dict[str, tuple[str, object]] = {}
    for source, spec in specs:
        other = pilots.setdefault(spec.pilot.key, source)
        if other != source:
            errors.append(RegistryError(source, [
                ("pilot.key", f"pilot '{spec.pilot.key}' is also defined in {other}")]))
        first, hypothesis = hypotheses.setdefault(spec.hypothesis.key,
                                                  (source, spec.hypothesis))
        if hypothesis != spec.hypothesis:
            errors.append(RegistryError(source, [
                ("hypothesis", f"hypothesis '{spec.hypothesis.key}' is described "
                               f"differently in {first}")]))
    return errors


def _parents_first(specs: list[tuple[str, Preregistration]]):
    """Order the plans so that an iteration comes after the parent it names."""
    by_key = {spec.pilot.key: spec for _, spec in specs}

    def depth(spec: Preregistration) -> int:
        seen = set()
        while spec.pilot.parent in by_key and spec.pilot.key not in seen:
            seen.add(spec.pilot.key)
            spec = by_key[spec.pilot.parent]
        return len(seen)

    return sorted(specs, key=lambda item: depth(item[1]))


def _apply(session: Session, spec: Preregistration, actor: str, result: SyncResult) -> None:
    """Write one plan that refusals() accepted."""
    hypothesis = _upsert_hypothesis(session, spec, actor)
    pilot = find_pilot(session, spec.pilot.key)
    if pilot is not None and spec_of(pilot) == spec:
        result.unchanged.append(pilot.key)
        return
    values = _pilot_values(session, spec, result)
    if pilot is None:
        pilot = Pilot(hypothesis_id=hypothesis.id, owner=hypothesis.owner, **values)
        session.add(pilot)
        session.flush()
        audit.record(session, actor=actor, action="create", object_type="pilot",
                     object_key=pilot.key, after=pilot.plan)
        result.created.append(pilot.key)
    else:
        before = pilot.plan
        if pilot.status == "draft":
            values.update(hypothesis_id=hypothesis.id, owner=hypothesis.owner)
        for name, value in values.items():
            setattr(pilot, name, value)
        pilot.updated_at = utcnow()
        audit.record(session, actor=actor, action="update", object_type="pilot",
                     object_key=pilot.key, **_changed(before, pilot.plan))
        result.updated.append(pilot.key)
    _write_metrics(session, pilot, spec)
    _write_team(session, pilot, spec)


def _changed(before: dict, after: dict) -> dict:
    """Keep only the plan sections that differ, for a compact audit entry."""
    sections = [name for name in after if before.get(name) != after.get(name)]
    return {"before": {name: before.get(name) for name in sections},
            "after": {name: after[name] for name in sections}}


def _upsert_hypothesis(session: Session, spec: Preregistration, actor: str) -> Hypothesis:
    """Create the hypothesis, or bring its stored wording up to the plan's."""
    values = hypothesis_values(spec)
    hypothesis = find_hypothesis(session, spec.hypothesis.key)
    if hypothesis is None:
        hypothesis = Hypothesis(key=spec.hypothesis.key, **values)
        session.add(hypothesis)
        session.flush()
        audit.record(session, actor=actor, action="create", object_type="hypothesis",
                     object_key=hypothesis.key, after=values)
    elif row_values(hypothesis) != values:
        before = row_values(hypothesis)
        for name, value in values.items():
            setattr(hypothesis, name, value)
        session.flush()
        audit.record(session, actor=actor, action="update", object_type="hypothesis",
                     object_key=hypothesis.key, before=before, after=values)
    return hypothesis


def _pilot_values(session: Session, spec: Preregistration, result: SyncResult) -> dict:
    """Return the pilot columns a plan sets, adding new channels and segments."""
    plan = spec.pilot
    parent = get_pilot(session, plan.parent) if plan.parent else None
    # Comparison scopes are channels, or segments for a pilot scoped by segment alone.
    compared, added = ((Channel, result.new_channels) if plan.channel
                       else (Segment, result.new_segments))
    for scope in plan.comparison_scopes or ():
        _catalogue_id(session, compared, scope, added)
    return {
        "key": plan.key, "title": plan.title, "design": plan.design.value,
        "analysis": plan.analysis.value, "allocation": plan.allocation, "alpha": plan.alpha,
        "power": plan.power, "planned_sample": plan.planned_sample,
        "planned_periods": plan.planned_periods, "start_date": plan.start,
        "end_date": plan.end, "budget": plan.budget, "currency": plan.currency,
        "parent_id": parent.id if parent else None,
        "iteration": parent.iteration + 1 if parent else 1,
        "channel_id": _catalogue_id(session, Channel, plan.channel, result.new_channels),
        "segment_id": _catalogue_id(session, Segment, plan.segment, result.new_segments),
        "plan": spec.model_dump(mode="json"),
    }


def _catalogue_id(session: Session, model: type[Channel] | type[Segment],
                  name: str | None, added: list[str]) -> int | None:
    """Return the id of a channel or segment, adding it to its catalogue on first use."""
    if name is None:
        return None
    entry = session.exec(select(model).where(model.name == name)).first()
    if entry is None:
        entry = model(name=name)
        session.add(entry)
        session.flush()
        added.append(name)
    return entry.id


def _write_metrics(session: Session, pilot: Pilot, spec: Preregistration) -> None:
    """Replace a draft's metrics; on a running pilot only labels can have changed."""
    stored = {m.key: m for m in session.exec(select(Metric).where(Metric.pilot_id == pilot.id))}
    if pilot.status != "draft":
        for metric in spec.metrics:
            stored[metric.key].label = metric.label
        session.flush()
        return
    for metric in stored.values():
        session.delete(metric)
    # Deletes must reach the database before the inserts that reuse their keys.
    session.flush()
    for metric in spec.metrics:
        session.add(Metric(pilot_id=pilot.id, **metric.model_dump(mode="json")))
    session.flush()


def _write_team(session: Session, pilot: Pilot, spec: Preregistration) -> None:
    """Replace the pilot's team with the plan's."""
    for member in session.exec(select(TeamMember).where(TeamMember.pilot_id == pilot.id)):
        session.delete(member)
    for member in spec.pilot.team:
        session.add(TeamMember(pilot_id=pilot.id, name=member.name,
                               function=member.function.value))
    session.flush()


def _overlap_warnings(session: Session, keys: list[str]) -> list[str]:
    """Warn about running pilots (or these drafts) that share a scope and dates."""
    wanted = set(keys)
    return [overlap.message for overlap in overlaps(session, include_drafts=True)
            if {overlap.pilot_a, overlap.pilot_b} & wanted]
