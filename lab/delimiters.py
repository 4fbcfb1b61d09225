"""Catch a CSV written with semicolons before the importer reads it.

Excel in many European settings saves "CSV" with semicolons, because the comma is the
decimal mark there. The importer would then see one column named 'pilot;metric;…' and
report every column missing; one clear sentence helps more.
"""

from __future__ import annotations

SEMICOLONS = ("the file is separated by semicolons, not commas (Excel does this where the "
              "comma is the decimal mark): save it as 'CSV UTF-8 (comma delimited)', or "
              "replace the semicolons with commas and decimal commas with points")


def semicolon_problem(header: str) -> str | None:
    """Return the hint when a header line is split by semicolons rather than commas."""
    return SEMICOLONS if header.count(";") >= 2 and "," not in header else None


def first_line(data: bytes) -> str:
    """Return the first line of a file's opening bytes, as text."""
    return data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
