"""Importing observations: CSV files from the CLI, rows from the web form and API.

Both go through the same checks and the same writer, so a row is refused for the same
reason wherever it comes from. A file is read as a stream, in chunks, so memory stays
flat however long it is; the whole import (every file of one command) commits or
nothing does.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from lab import db
from lab.pilots import audit, stored
from lab.pilots.observations import bulk
from lab.pilots.observations.lines import Unreadable
from lab.pilots.observations.problems import ImportResult, ObservationError, Problems
from lab.pilots.observations.rows import RowChecker
from lab.pilots.observations.sources import (
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    CsvSource,
    Progress,
    RowsSource,
    Source,
)
from lab.pilots.observations.store import ObservationStore
from lab.pilots.observations.summaries import Taken
from lab.pilots.observations.targets import Targets

CHUNK_ROWS = 20_000



def import_csv(engine: Engine, *, source: Source, actor: str, correct: bool = False,
               progress: Progress | None = None) -> ImportResult:
    """Import one CSV file (a path or a text stream) in its own transaction."""
    return import_files(engine, sources=[source], actor=actor, correct=correct,
                        progress=progress)[0]


def import_files(engine: Engine, *, sources: list[Source], actor: str,
                 correct: bool = False, progress: Progress | None = None) -> list[ImportResult]:
    """Import several CSV files in one transaction: all of them, or none.

    `progress`, when given, is called with the number of bytes read since its last
    call, as click's progress bar expects.
    """
    with db.writing(engine) as session:
        return _import(session, [CsvSource(source, progress) for source in sources],
                       actor=actor, correct=correct)


def record_observations(session: Session, *, rows: list[dict[str, Any]], actor: str,
                        correct: bool = False, source: str = "request") -> ImportResult:
    """Check and store rows given as dicts with the CSV's column names (line = row number).

    Runs in the caller's write transaction, which commits.
    """
    return _import(session, [RowsSource(rows, source)], actor=actor, correct=correct)[0]


def import_aggregates(session: Session, sources: list[tuple[str, list[tuple[int, dict]]]], *,
                      actor: str, correct: bool, note: dict[str, Any]) -> list[ImportResult]:
    """Check and store rows computed from raw files (raw.py), each with its raw line.

    `sources` pairs a file's name with its (line, row) pairs; `note` goes into each
    file's audit event (the mapping and its hash). Runs in the caller's transaction.
    """
    return _import(session, [RowsSource([row for _, row in rows], name,
                                         lines=[line for line, _ in rows])
                             for name, rows in sources],
                   actor=actor, correct=correct, note=note)


def _import(session: Session, sources: list, *, actor: str, correct: bool,
            note: dict[str, Any] | None = None) -> list[ImportResult]:
    """Check and write every source; raise ObservationError naming all problems."""
    connection = session.connection()
    targets = Targets(connection)
    store = ObservationStore(connection, actor=actor, correct=correct, problems=Problems(),
                             name_of=targets.name_of)
    taken = Taken(connection)
    results, errors = [], []
    for source in sources:
        store.problems = Problems()
        try:
            result = _import_one(source, targets, store, taken)
        finally:
            source.close()
        if store.problems:
            errors.append(store.problems.error(result.source))
        results.append(result)
    store.finish()
    if errors:
        raise ObservationError.combine(errors)
    # The rows went in as raw SQL, unseen by the ORM: say which pilots to refresh.
    stored.touch(session, [found[0] for found in targets.pilots.values()
                           if not isinstance(found, str)])
    if not taken.spoiled:
        stored.give(session, taken)  # their summary rows: the refresh need not read them
    for result in results:
        audit.record(session, actor=actor, action="import", object_type="observations",
                     object_key=result.source[:200],
                     after={"rows": result.rows, "inserted": result.inserted,
                            "unchanged": result.unchanged, "corrected": result.corrected,
                            "correct": correct, **(note or {})})
    return results


def _import_one(source, targets: Targets, store: ObservationStore, taken: Taken
                ) -> ImportResult:
    """Check one source's rows and write them chunk by chunk while none is refused.

    A file given by path is read by the columnar path first (bulk.py); one it declines
    is read again row by row, its writes so far undone.
    """
    if isinstance(source, CsvSource) and isinstance(source.source, str | Path):
        result = _import_plain(source, targets, store, taken)
        if result is not None:
            return result
    taken.spoil()  # this file's rows go in row by row: none of them is taken
    problems = store.problems
    name, reader = source.open(problems)
    result = ImportResult(source=name)
    try:
        header = next((record for record in reader if any(record)), None)
        if header is None:
            if not problems:
                problems.add(1, "", "empty: a CSV file needs a header line and rows")
            return result
        if len(header) > MAX_COLUMNS:
            problems.add(reader.line_num, "", f"has {len(header)} columns; an observations "
                                              f"file has at most {MAX_COLUMNS}")
            return result
        checker = RowChecker(header, targets, problems, _period_value(store))
        if checker.valid:
            _import_rows(reader, checker, store, result, source.report)
    except Unreadable as error:
        problems.add(error.line, "", str(error))
    except csv.Error as error:
        problems.add(reader.line_num, "", f"not readable as CSV: {error}")
    except UnicodeDecodeError:
        problems.add(reader.line_num + 1, "", "not UTF-8 text")
    return result


def _import_plain(source: CsvSource, targets: Targets, store: ObservationStore,
                  taken: Taken) -> ImportResult | None:
    """Import a plain file through the columnar path, or return None (nothing written).

    The rows go to the store in the row path's chunks, so its counts and its problems
    (a row contradicting a stored one) are the row path's. A file declined midway is
    rolled back to the savepoint taken before its first chunk. Its summary columns go to
    `taken`.
    """
    result = ImportResult(source=str(source.source))
    mark = store.savepoint()
    chunk: list[tuple] = []
    parts = []
    line = 2  # of the chunk's first row: the header is line 1, and no line is blank
    try:
        for rows, read, part in bulk.blocks(source.source, targets, _period_value(store),
                                            (MAX_LINE_CHARS, MAX_COLUMNS), taken):
            chunk.extend(rows)
            if not taken.spoiled:
                parts.append(part)
            while len(chunk) >= CHUNK_ROWS:
                line = _write_plain(store, chunk[:CHUNK_ROWS], line, result)
                del chunk[:CHUNK_ROWS]
            source.told(read)
        if chunk:
            _write_plain(store, chunk, line, result)
    except bulk.UNREADABLE:
        store.roll_back(mark)
        return None
    store.release(mark)
    # Rows re-sent or corrected need no spoiling: they are of pilots with rows stored
    # before, which `taken` never covers (and a repeat within the import refuses it).
    for part in parts:
        taken.add(part)
    return result


def _write_plain(store: ObservationStore, chunk: list[tuple], line: int,
                 result: ImportResult) -> int:
    """Write one chunk of the columnar path, unless the store refused an earlier one (the
    rest is still checked: a row declined sends the whole file down the row path, which
    names its problems); return the next chunk's first line."""
    following = line + len(chunk)
    if not store.problems:
        _write(store, chunk, list(range(line, following)), result)  # it empties the chunk
    return following


def _period_value(store: ObservationStore) -> Callable[[date], object]:
    return date.isoformat if store.dates_as_text else _same


def _import_rows(reader, checker: RowChecker, store: ObservationStore, result: ImportResult,
                 report: Callable[[], None]) -> None:
    """Convert each row (fast path first), writing full chunks until a row is refused."""
    (known, pilot, metric), chunk, lines, refused = checker.fast(), [], [], False
    for record in reader:
        try:
            row = known[record[pilot], record[metric]](record)
        except (KeyError, ValueError, IndexError):
            # Not plainly valid: the full check says why, or accepts it (first sight of
            # a pilot, metric or period).
            if not any(record):
                continue
            row = checker.check(record, reader.line_num)
            if row is None:
                refused = True
                chunk.clear()
                lines.clear()
                if checker.problems.full:
                    return
                continue
        if refused:
            continue  # keep looking for problems; nothing more is written
        chunk.append(row)
        lines.append(reader.line_num)
        if len(chunk) >= CHUNK_ROWS:
            refused = not _write(store, chunk, lines, result)
            report()
    if chunk and not refused:
        _write(store, chunk, lines, result)
    report()


def _write(store: ObservationStore, chunk: list[tuple], lines: list[int],
           result: ImportResult) -> bool:
    """Write one chunk, add its counts, start the next chunk; tell if all was accepted."""
    counts = store.add(chunk, lines, result.source)
    result.rows += len(chunk)
    result.inserted += counts.inserted
    result.unchanged += counts.unchanged
    result.corrected += counts.corrected
    chunk.clear()
    lines.clear()
    return not store.problems


def _same(value: date) -> date:
    return value
