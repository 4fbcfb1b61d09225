"""CSV as spreadsheets read and write it: semicolons coming in, formulas going out.

Excel in many European settings saves "CSV" with semicolons, because the comma is the
decimal mark there. The importer would then see one column named 'pilot;metric;…' and
report every column missing; one clear sentence helps more. Going out, every CSV the
lab writes (the web's, the BI export's) defuses a text a spreadsheet would run.
"""

from __future__ import annotations

import math
from typing import Any

# A spreadsheet treats a cell starting with one of these as a formula (or, for tab and
# carriage return, may shift it into one); a leading quote makes it plain text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """Write one cell: numbers as numbers, text defused against formula injection."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return "" if isinstance(value, float) and not math.isfinite(value) else repr(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text

SEMICOLONS = ("the file is separated by semicolons, not commas (Excel does this where the "
              "comma is the decimal mark): save it as 'CSV UTF-8 (comma delimited)', or "
              "replace the semicolons with commas and decimal commas with points")


def semicolon_problem(header: str) -> str | None:
    """Return the hint when a header line is split by semicolons rather than commas."""
    return SEMICOLONS if header.count(";") >= 2 and "," not in header else None


def first_line(data: bytes) -> str:
    """Return the first line of a file's opening bytes, as text."""
    return data.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
