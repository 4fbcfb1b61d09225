"""`lab import`: observations from CSV files, or raw exports through a mapping; all or none."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

import lab.portfolio.stored  # noqa: F401 (installs the refresher: each write refreshes its pilots)
from lab import db
from lab.cli.common import actor, fail
from lab.cli.progress import Progress
from lab.delimiters import first_line, semicolon_problem
from lab.pilots.observations import ObservationError, import_files
from lab.pilots.observations.mapping import MappingError, load
from lab.pilots.observations.raw import import_raw

# Files past this size get a progress bar even when stderr is not a terminal.
LONG_FILE_BYTES = 50 * 1024 * 1024


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--correct", is_flag=True,
              help="Replace stored rows that the files contradict (audited).")
@click.option("--mapping", "mapping_path", type=click.Path(path_type=Path),
              help="Read raw exports (a row per ticket, mention or answer) and aggregate "
                   "them as this mapping TOML says (examples: experiments/mappings/).")
@with_appcontext
def import_command(files: tuple[Path, ...], correct: bool, mapping_path: Path | None) -> None:
    """Import observation CSV files (or, with --mapping, raw exports) in one transaction:
    all of them, or none."""
    size = sum(path.stat().st_size for path in files if path.is_file())
    if mapping_path is not None:
        results = _import_raw(files, mapping_path, correct, size)
    else:
        results = _import_observations(files, correct, size)
    for result in results:
        click.echo(result.describe())


def _import_observations(files: tuple[Path, ...], correct: bool, size: int) -> list:
    """Import observation CSVs, with a progress bar on a terminal or for long files."""
    for path in files:
        hint = semicolon_problem(first_line(_opening(path))) if path.is_file() else None
        if hint:
            fail(f"nothing was imported:\n{path}: line 1: {hint}")
    try:
        if sys.stderr.isatty() or size > LONG_FILE_BYTES:
            with click.progressbar(length=size, label="importing", file=sys.stderr) as bar:
                return import_files(db.engine(), sources=list(files), actor=actor(),
                                    correct=correct, progress=bar.update)
        return import_files(db.engine(), sources=list(files), actor=actor(), correct=correct)
    except ObservationError as error:
        fail(f"nothing was imported:\n{error}")


def _import_raw(files: tuple[Path, ...], mapping_path: Path, correct: bool,
                size: int) -> list:
    """Aggregate raw exports through a mapping; rows, rate and time left on a terminal."""
    try:
        mapping = load(mapping_path)
    except MappingError as error:
        fail(f"nothing was imported:\n{error}")
    with Progress("importing", total=size) as progress:
        try:
            return import_raw(db.engine(), mapping=mapping, sources=list(files),
                              actor=actor(), correct=correct, progress=progress.update)
        except ObservationError as error:
            fail(f"nothing was imported:\n{error}")


def _opening(path: Path) -> bytes:
    """Return a file's first bytes (enough for its header line)."""
    with path.open("rb") as stream:
        return stream.read(4096)
