"""`lab export`: the lab's tables as CSV or Parquet files, for BI tools and warehouses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from lab import db
from lab.cli.common import fail
from lab.cli.progress import Progress


def _since(_ctx, _param, value: str | None) -> datetime | None:
    """Read --since as an ISO 8601 date or time (UTC unless it carries an offset)."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"must be an ISO 8601 date or time such as 2026-06-01 or "
                                 f"2026-06-01T08:00:00+00:00, not '{value}'") from None


@click.command("export")
@click.option("--format", "format_", type=click.Choice(["csv", "parquet"]), default="parquet",
              show_default=True, help="File format of the tables.")
@click.option("--to", "folder", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write <table>.<format> files and manifest.json into.")
@click.option("--since", callback=_since, metavar="TIMESTAMP",
              help="Only the rows written at or after this time (the exported_at of the "
                   "last export's manifest.json): new or corrected observations, pilots "
                   "and metrics whose plan, status or spend changed, new hypotheses, "
                   "decisions, spend and notes; the computed tables are written whole.")
@with_appcontext
def export_command(format_: str, folder: Path, since: datetime | None) -> None:
    """Write hypotheses, pilots, metrics, observations, recommendations (with looks and
    effects), decisions, spend and notes as documented tables (docs/EXPORTS.md)."""
    from lab.portfolio.exports import TABLES, export  # pandas and pyarrow: only here

    if folder.exists() and not folder.is_dir():
        fail(f"--to {folder}: is not a folder")
    try:
        with db.reading(db.engine()) as session, \
                Progress("exporting", total=len(TABLES)) as progress:
            written = export(session, folder, format=format_, since=since,
                             progress=progress.update)
    except OSError as error:
        fail(f"nothing more was exported: {folder}: {error.strerror or error}")
    for item in written:
        kind = "whole" if item.whole else "since"
        click.echo(f"{item.path}: {item.rows} rows ({kind})")
