"""Where an import's rows come from: a CSV file or stream, or rows given as dicts.

Each source opens as its name and a csv.reader-like iterator of records (with
`line_num`), reports its progress and closes; the importer reads every source alike.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import IO, Any

from lab.kinds import VALUE_NAMES
from lab.pilots.observations.lines import capped_lines
from lab.pilots.observations.problems import Problems
from lab.pilots.observations.rows import KEY_COLUMNS, SCOPE

# Caps on what one file may ask of memory: an observation row is a few dozen characters
# in a dozen columns, so these leave room for wide spreadsheets and nothing absurd.
MAX_LINE_CHARS = 10_000
MAX_COLUMNS = 100
Source = str | Path | IO[str]
Progress = Callable[[int], None]


class CsvSource:
    """A CSV file or text stream, read for the import, reporting its progress."""

    def __init__(self, source: Source, progress: Progress | None):
        self.source, self.progress = source, progress
        self.stream: IO[str] | None = None
        self.opened = False
        self.reported = 0

    def open(self, problems: Problems) -> tuple[str, Any]:
        """Return the source's name and a csv reader over it."""
        if not isinstance(self.source, str | Path):
            self.stream = self.source
            name = str(getattr(self.source, "name", "upload"))
            return name, csv.reader(self._lines(), strict=True)
        try:
            # utf-8-sig: spreadsheets often start their CSV with a byte-order mark.
            self.stream = open(self.source, newline="", encoding="utf-8-sig")  # noqa: SIM115
            self.opened = True
        except OSError as error:
            problems.add(0, "", f"cannot be read: {error.strerror or error}")
            return str(self.source), csv.reader([])
        return str(self.source), csv.reader(self._lines(), strict=True)

    def _lines(self):
        return capped_lines(self.stream, MAX_LINE_CHARS, "observation row")

    def report(self) -> None:
        """Tell the progress bar how many more bytes were read."""
        buffer = getattr(self.stream, "buffer", None)
        if buffer is not None:
            self.told(buffer.tell())

    def told(self, position: int) -> None:
        """Tell the progress bar the file is read up to `position` bytes; a row path
        reading a file the columnar path declined tells only what is beyond it."""
        if self.progress is not None and position > self.reported:
            self.progress(position - self.reported)
            self.reported = position

    def close(self) -> None:
        """Close the file this source opened."""
        if self.opened and self.stream is not None:
            self.stream.close()


class RowsSource:
    """Rows given as dicts (web form, JSON API), read as if they were a CSV."""

    def __init__(self, rows: list[dict[str, Any]], name: str, lines: list[int] | None = None):
        self.rows, self.name, self.lines = rows, name, lines

    def open(self, problems: Problems) -> tuple[str, Records]:
        """Return the name and the rows as records under a header of their keys."""
        known = KEY_COLUMNS + (SCOPE,) + VALUE_NAMES
        names = {str(name) for row in self.rows for name in row}
        header = [name for name in known if name in names] + sorted(names - set(known))
        records = [header] + [[text_of(row.get(name)) for name in header] for row in self.rows]
        return self.name, Records(records, self.lines)

    def report(self) -> None:
        """Nothing to report: the rows are already in memory."""

    def close(self) -> None:
        """Nothing to close."""


class Records:
    """Iterate records like csv.reader, the header being line 0 so rows count from 1.

    Given `lines` (one per row after the header), those are the rows' line numbers.
    """

    def __init__(self, records: list[list[str]], lines: list[int] | None = None):
        self.records = iter(records)
        self.lines = iter([1] + lines) if lines is not None else None
        self.line_num = -1

    def __iter__(self) -> Records:
        return self

    def __next__(self) -> list[str]:
        record = next(self.records)
        self.line_num = self.line_num + 1 if self.lines is None else next(self.lines)
        return record


def text_of(value: Any) -> str:
    """Render a JSON or form value as the CSV text the checks read."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
