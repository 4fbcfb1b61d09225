"""`lab import`: observations from CSV files, all files or none."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

import lab.portfolio.stored  # noqa: F401 (installs the refresher: each write refreshes its pilots)
from lab import db
from lab.cli.common import actor, fail
from lab.delimiters import first_line, semicolon_problem
from lab.pilots.observations import ObservationError, import_files

# Files past this size get a progress bar even when stderr is not a terminal.
LONG_FILE_BYTES = 50 * 1024 * 1024


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--correct", is_flag=True,
              help="Replace stored rows that the files contradict (audited).")
@with_appcontext
def import_command(files: tuple[Path, ...], correct: bool) -> None:
    """Import observation CSV files in one transaction: all of them, or none."""
    size = sum(path.stat().st_size for path in files if path.is_file())
    for path in files:
        hint = semicolon_problem(first_line(_opening(path))) if path.is_file() else None
        if hint:
            fail(f"nothing was imported:\n{path}: line 1: {hint}")
    try:
        if sys.stderr.isatty() or size > LONG_FILE_BYTES:
            with click.progressbar(length=size, label="importing", file=sys.stderr) as bar:
                results = import_files(db.engine(), sources=list(files), actor=actor(),
                                       correct=correct, progress=bar.update)
        else:
            results = import_files(db.engine(), sources=list(files), actor=actor(),
                                   correct=correct)
    except ObservationError as error:
        fail(f"nothing was imported:\n{error}")
    for result in results:
        click.echo(result.describe())


def _opening(path: Path) -> bytes:
    """Return a file's first bytes (enough for its header line)."""
    with path.open("rb") as stream:
        return stream.read(4096)
