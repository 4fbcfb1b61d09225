"""The demo: a fresh database with the example pilots, generated data and demo users.

The demo builds its own database (demo.sqlite in the instance folder, unless told
otherwise) and rebuilds only a database it built: its first write is an audit event
`demo.build` by the actor `demo`, and a database counts as the demo's while that is its
oldest event and every change since came from the demo or its demo accounts. Any other
database with tables is refused, whole and untouched.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from lab import accounts, db, migrations
from lab.demo import data as demo_data
from lab.demo.programme import (
    approve_examples,
    decide_examples,
    register_initiatives,
    score_backlog,
)
from lab.demo.users import create_demo_users, demo_emails
from lab.errors import Conflict
from lab.models import AuditEvent, Pilot
from lab.pilots import audit, evidence, firings, initiatives, lifecycle, registry
from lab.pilots.lock import spec_of
from lab.pilots.observations import import_csv
from lab.pilots.observations.rows import KEY_COLUMNS, SCOPE, VALUE_NAMES
from lab.pilots.overlap import overlaps
from lab.pilots.plans import Preregistration

ACTOR = "demo"
MARK = "demo.build"  # the audit action that marks a database as the demo's
DEMO_FILE = "demo.sqlite"
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


def default_url(instance_path: str | Path) -> str:
    """Return the URL of the demo's own SQLite file in the instance folder."""
    return f"sqlite:///{Path(instance_path) / DEMO_FILE}"


def build(url: str, experiments: Path = EXPERIMENTS) -> DemoSummary:
    """Rebuild the demo database at this URL from the example pilots."""
    problem = not_the_demos(url)
    if problem:
        raise DemoError(f"refusing to rebuild {_shown(url)}: {problem}; nothing was changed. "
                        "lab demo builds its own database unless --database names another")
    reset(url)
    migrations.upgrade(url)
    engine = db.engine_for(url)
    with db.writing(engine) as session:  # first, so a build cut short is still the demo's
        audit.record(session, actor=ACTOR, action=MARK, object_type="database",
                     object_key=_shown(url)[:200])
    summary = DemoSummary(url=url)
    with db.writing(engine) as session:
        synced = registry.sync_paths(session, paths=[experiments], actor=ACTOR)
        summary.users = create_demo_users(session)
        approve_examples(session, synced.created)  # four eyes, as the lab requires
        for key in synced.created:
            started = lifecycle.start(session, pilot_key=key, actor=ACTOR,
                                      approval_required=True)
            started.started_at = demo_data.started_at(started.start_date)
        summary.warnings = [overlap.message for overlap in overlaps(session)]
        score_backlog(session, ACTOR)
        register_initiatives(session, ACTOR)
        summary.warnings += [clash.message for clash in initiatives.clashes(session)]
        specs = [spec_of(pilot) for pilot in session.exec(select(Pilot))]
    summary.observations = import_csv(engine, source=_csv(specs), actor=ACTOR).inserted
    with db.writing(engine) as session:
        for spec in specs:
            _add_evidence(session, spec)
        decide_examples(session, [spec.pilot.key for spec in specs])
        summary.pilots = [(p.key, p.design, p.status)
                          for p in session.exec(select(Pilot).order_by(Pilot.key))]
    return summary


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def not_the_demos(url: str) -> str | None:
    """Say why this database is not the demo's to rebuild, or None when it is (or is empty)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        return None  # nothing there yet (or in memory): nothing to lose
    try:
        engine = db.engine_for(url)
        if not inspect(engine).get_table_names():
            return None
        with db.reading(engine) as session:
            first = session.exec(select(AuditEvent.action, AuditEvent.actor)
                                 .order_by(col(AuditEvent.id)).limit(1)).first()
            others = session.exec(select(AuditEvent.actor).distinct().where(
                col(AuditEvent.actor).not_in(_demo_actors())).limit(3)).all()
    except SQLAlchemyError:
        return "it is not a lab database the demo can read"
    if tuple(first or ()) != (MARK, ACTOR):
        return "lab demo did not build it"
    if others:
        return f"it holds changes by {', '.join(others)}, not only demo data"
    return None


def _demo_actors() -> list[str]:
    """Return who may have changed a demo database without making it more than a demo."""
    # The stand-by rules act on the demo's own data as it is imported.
    return [ACTOR, firings.ACTOR, accounts.UNKNOWN, "anonymous", *demo_emails()]


def reset(url: str) -> None:
    """Start from nothing: delete the SQLite file, or take PostgreSQL back to no tables."""
    parsed = make_url(url)
    engine = db.engine_for(url)
    engine.dispose()
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
        return
    if inspect(engine).get_table_names():
        migrations.downgrade(url, "base")


def _csv(specs: list[Preregistration]) -> io.StringIO:
    """Return the generated observations of every pilot as one CSV stream."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=KEY_COLUMNS + (SCOPE,) + VALUE_NAMES)
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
