"""`lab refresh`: recompute every stored recommendation (a daily job, or after an upgrade).

Each write already refreshes the pilots it changed, so this is a rebuild: after a
migration, after a restore, or to prove nothing drifted (`--verify` compares the stored
answers with a fresh computation and changes nothing).
"""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext
from sqlmodel import col, select

from lab import db, forked
from lab.analysis.pipeline import recommend_pilots
from lab.cli.common import fail
from lab.models import Pilot
from lab.pilots import stored
from lab.portfolio.stored import BATCH, FORK_FROM, refresh


@click.command("refresh")
@click.option("--verify", is_flag=True,
              help="Compare every stored answer with a fresh computation; change nothing, "
                   "exit 1 if any differs or is missing.")
@click.option("--workers", type=click.IntRange(0, 256), default=None,
              help="Processes to compute in (0: one per core; 1: this one only). "
                   f"Default: LAB_REFRESH_WORKERS, and this one only below {FORK_FROM} "
                   "pilots.")
@with_appcontext
def refresh_command(verify: bool, workers: int | None) -> None:
    """Recompute and store every pilot's recommendation, BATCH pilots per step."""
    if verify:
        _verify()
        return
    try:
        with db.writing(db.engine()) as session:
            count = refresh(session, workers=workers)
    except forked.ChildFailed as error:  # killed (out of memory?): the write rolled back
        fail(f"{error}; nothing was stored (lab refresh --workers 1 computes in this "
             "process only)")
    click.echo(f"refreshed {count} stored recommendation{'s' * (count != 1)}")


def _verify() -> None:
    with db.reading(db.engine()) as session:
        keys = list(session.exec(select(Pilot.key).where(Pilot.status != "draft")
                                 .order_by(col(Pilot.key))))
        wrong = []
        for start in range(0, len(keys), BATCH):
            batch = keys[start:start + BATCH]
            kept = stored.documents(session, batch)
            fresh = recommend_pilots(session, batch)
            # Through JSON, as stored: a tuple and a list are the same answer.
            wrong += [key for key in batch if key not in kept or kept[key] !=
                      json.loads(json.dumps(fresh[key].to_dict()))]
    if wrong:
        fail(f"{len(wrong)} stored recommendation(s) differ from a fresh computation or "
             f"are missing: {', '.join(wrong[:10])}{' …' if len(wrong) > 10 else ''} "
             "(run lab refresh)")
    click.echo(f"all {len(keys)} stored recommendations equal a fresh computation")
