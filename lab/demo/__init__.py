"""The demo: a fresh database with the example pilots, generated data and demo users."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlmodel import select

from lab import db, migrations
from lab.demo import data as demo_data
from lab.demo.users import create_demo_users
from lab.errors import Conflict
from lab.models import Pilot
from lab.pilots import evidence, lifecycle, registry
from lab.pilots.lock import spec_of
from lab.pilots.observations import import_csv
from lab.pilots.observations.rows import KEY_COLUMNS, VALUE_NAMES
from lab.pilots.overlap import overlaps
from lab.pilots.plans import Preregistration

ACTOR = "demo"
# The example pilots live beside the package in a source checkout.
EXPERIMENTS = Path(__file__).resolve().parents[2] / "experiments"


class DemoError(Conflict):
    """The demo cannot be built here; str() says why."""


@dataclass
class DemoSummary:
    """What the demo database holds."""

    url: str
    pilots: list[tuple[str, str, str]] = field(default_factory=list)  # key, design, status
    observations: int = 0
    users: list[tuple[str, str, str]] = field(default_factory=list)  # email, password, role
    warnings: list[str] = field(default_factory=list)


def build(url: str, experiments: Path = EXPERIMENTS) -> DemoSummary:
    """Rebuild the demo database at this URL from the example pilots."""
    reset(url)
    migrations.upgrade(url)
    engine = db.engine_for(url)
    summary = DemoSummary(url=url)
    with db.writing(engine) as session:
        synced = registry.sync_paths(session, paths=[experiments], actor=ACTOR)
        for key in synced.created:
            started = lifecycle.start(session, pilot_key=key, actor=ACTOR)
            started.started_at = demo_data.started_at(started.start_date)
        summary.warnings = [overlap.message for overlap in overlaps(session)]
        summary.users = create_demo_users(session)
        specs = [spec_of(pilot) for pilot in session.exec(select(Pilot))]
    summary.observations = import_csv(engine, source=_csv(specs), actor=ACTOR).inserted
    with db.writing(engine) as session:
        for spec in specs:
            _add_evidence(session, spec)
        summary.pilots = [(p.key, p.design, p.status)
                          for p in session.exec(select(Pilot).order_by(Pilot.key))]
    return summary


def reset(url: str) -> None:
    """Start from nothing: delete a SQLite file; refuse to wipe another database."""
    parsed = make_url(url)
    engine = db.engine_for(url)
    engine.dispose()
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    if inspect(engine).get_table_names():
        raise DemoError(f"{parsed.render_as_string(hide_password=True)} already has tables: "
                        "the demo only builds into an empty database or a SQLite file")


def _csv(specs: list[Preregistration]) -> io.StringIO:
    """Return the generated observations of every pilot as one CSV stream."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=KEY_COLUMNS + VALUE_NAMES)
    writer.writeheader()
    for spec in specs:
        writer.writerows(demo_data.observation_rows(spec))
    stream.seek(0)
    stream.name = "demo observations"
    return stream


def _add_evidence(session, spec) -> None:
    """Add the demo's spend and notes for one pilot."""
    for entry in demo_data.spend_entries(spec):
        evidence.add_spend(session, pilot_key=spec.pilot.key, actor=ACTOR, **entry)
    for entry in demo_data.note_entries(spec):
        evidence.add_note(session, pilot_key=spec.pilot.key, actor=ACTOR, **entry)
