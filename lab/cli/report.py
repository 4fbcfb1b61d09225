"""`lab report`: a management report of one pilot or of the portfolio, as PDF or HTML."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from lab import db
from lab.cli.common import fail, warn
from lab.reports import FORMATS, ReportError, pilot_report, portfolio_report


@click.command("report")
@click.argument("pilot", required=False)
@click.option("--portfolio", is_flag=True, help="Report on every pilot instead of one.")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="pdf or html (default: from the output file's extension, else pdf).")
@click.option("--output", "-o", required=True, metavar="FILE",
              help="Where to write the report; '-' writes to standard output.")
@with_appcontext
def report_command(pilot: str | None, portfolio: bool, fmt: str | None, output: str) -> None:
    """Write the report of PILOT, or with --portfolio of all pilots, for management."""
    if portfolio == bool(pilot):
        fail("name one pilot, or give --portfolio for all of them (not both)")
    fmt = fmt or _format_of(output)
    if output != "-" and _format_of(output) != fmt and Path(output).suffix:
        warn(f"{output} will hold the {fmt.upper()} report despite its extension")
    target = None if output == "-" else _writable(Path(output))
    with db.reading(db.engine()) as session:
        try:
            content = (portfolio_report(session, fmt) if portfolio
                       else pilot_report(session, pilot, fmt))
        except (LookupError, ReportError) as error:
            fail(str(error))
    if target is None:
        click.echo(content, nl=False)  # bytes go to the binary stream
        return
    _write(target, content)
    what = "the portfolio" if portfolio else f"pilot {pilot}"
    click.echo(f"wrote the {fmt.upper()} report of {what} to {target} ({len(content):,} bytes)")


def _format_of(output: str) -> str:
    """Pick the format from the file's extension; PDF when it does not say."""
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix in ("htm", "html"):
        return "html"
    return "pdf"


def _writable(path: Path) -> Path:
    """Refuse an output path that cannot be written, before the work is done."""
    if path.is_dir():
        fail(f"{path} is a folder: give a file name")
    if not path.parent.is_dir():
        fail(f"cannot write {path}: the folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK):
        fail(f"cannot write {path}: the folder is not writable")
    return path


def _write(path: Path, content: bytes) -> None:
    """Write the file whole or not at all: a reader never sees half a report."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
