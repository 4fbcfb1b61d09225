"""Exports for BI tools and the CRM's warehouse: the lab's tables as CSV or Parquet files.

Every table is one of the typed frames the notebooks read (`lab.pilots.frames`,
`lab.portfolio.dataframes`), so an export, a notebook and the docs' schema page
(docs/EXPORTS.md) cannot disagree on a column or its type. Parquet keeps the dtypes
(pandas' metadata travels in the file); CSV is text, with each cell written as the
lab's other CSVs write it (a text starting with = + - @ is defused for spreadsheets).

Incremental: every table read from the database has a column saying when each row was
last written (created_at, updated_at, recorded_at, decided_at; docs/EXPORTS.md), and
`since` keeps the rows written at or after it, in SQL. A corrected observation, an
edited plan, a pilot whose status or spend changed: each is written again. The tables
the lab's statistics compute (recommendations, their looks and effects) are states
derived from all the rest: they are written whole each time. `manifest.json` says which
is which, how many rows each file holds, and when the export ran (the `since` of the
next one). `page` serves the API's tables one page at a time, read in SQL.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import false, func, or_
from sqlmodel import Session, col, select

from lab.delimiters import safe_cell
from lab.models import Decision, Hypothesis, Metric, Note, Observation, Pilot, Spend
from lab.pilots import frames
from lab.portfolio import dataframes
from lab.portfolio.rows import recommendations

FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class Table:
    """One exported table: its schema, how it is read, and its timestamp (if any).

    A table read from the database names its `model` (whose id orders the API's pages),
    `changed` (the SQL condition of rows written at or after a time) and `of_pilot` (the
    condition of one pilot's rows; None: no pilot's rows). A computed table has none.
    """

    name: str
    schema: dict[str, object]
    read: Callable[[Session, frames.Window | None], pd.DataFrame]
    stamp: str | None = None  # the column `since` filters on; None: a whole snapshot
    about: str = ""
    model: type | None = None
    changed: Callable[[datetime], Any] | None = None
    of_pilot: Callable[[int], Any] | None = None


def _looks(session: Session, _window=None) -> pd.DataFrame:
    """Every started pilot's look history at its primary metric."""
    parts = [dataframes.looks_frame(answer)
             for _, answer in sorted(recommendations(session).items())]
    return pd.concat(parts, ignore_index=True) if parts else frames.typed([], dataframes.LOOKS)


def _pilot_changed(since: datetime):
    """A pilot's row changes with its plan and status (updated_at) and its spend so far."""
    return or_(col(Pilot.updated_at) >= since, col(Pilot.id).in_(
        select(Spend.pilot_id).where(col(Spend.created_at) >= since)))


def _of(model: type) -> Callable[[int], Any]:
    return lambda pilot_id: col(model.pilot_id) == pilot_id


TABLES = {table.name: table for table in (
    Table("hypotheses", frames.HYPOTHESES, lambda s, w: frames.hypotheses(s, window=w),
          "created_at", "one row per hypothesis, with how many pilots test it", Hypothesis,
          lambda since: col(Hypothesis.created_at) >= since),
    Table("pilots", frames.PILOTS_STAMPED,
          lambda s, w: frames.pilots(s, window=w, stamped=True), "updated_at",
          "one row per pilot: plan, scope, status, team and spend so far", Pilot,
          _pilot_changed, lambda pilot_id: col(Pilot.id) == pilot_id),
    Table("metrics", frames.METRICS_STAMPED,
          lambda s, w: frames.metrics(s, window=w, stamped=True), "updated_at",
          "one row per metric of a pilot (updated_at: its pilot's, whose plan holds it)",
          Metric, lambda since: col(Metric.pilot_id).in_(
              select(Pilot.id).where(col(Pilot.updated_at) >= since)), _of(Metric)),
    Table("observations", frames.OBSERVATIONS_STAMPED,
          lambda s, w: frames.observations(s, window=w, stamped=True), "recorded_at",
          "one row per pilot, metric, arm, phase and period, as imported or corrected",
          Observation, lambda since: col(Observation.recorded_at) >= since, _of(Observation)),
    Table("recommendations", dataframes.RECOMMENDATIONS,
          lambda s, w: dataframes.recommendations_frame(s), None,
          "one row per started pilot: outcome, primary effect, q-value, spend"),
    Table("effects", dataframes.EFFECTS, lambda s, w: dataframes.effects_frame(s), None,
          "one row per metric of each started pilot, as its recommendation reports it"),
    Table("looks", dataframes.LOOKS, _looks, None,
          "one row per look at each started pilot's primary metric (the look history)"),
    Table("decisions", frames.DECISIONS, lambda s, w: frames.decisions(s, window=w),
          "decided_at", "one row per signed-off decision (never edited)", Decision,
          lambda since: col(Decision.decided_at) >= since, _of(Decision)),
    Table("spend", frames.SPEND_STAMPED, lambda s, w: frames.spend(s, window=w, stamped=True),
          "created_at", "one row per cost entry against a pilot's budget", Spend,
          lambda since: col(Spend.created_at) >= since, _of(Spend)),
    Table("notes", frames.NOTES_STAMPED, lambda s, w: frames.notes(s, window=w, stamped=True),
          "created_at", "one row per qualitative note: customer or frontline voice, risks",
          Note, lambda since: col(Note.created_at) >= since, _of(Note)),
)}


@dataclass
class Written:
    """What an export wrote: file, rows, and whether the table is whole or since."""

    table: str
    path: Path
    rows: int
    whole: bool


def export(session: Session, folder: Path, *, format: str = "parquet",
           since: datetime | None = None, tables: list[str] | None = None,
           progress: Callable[[int, int], None] | None = None) -> list[Written]:
    """Write the tables into the folder as `<table>.<format>`, and manifest.json."""
    if format not in FORMATS:
        raise ValueError(f"format must be {' or '.join(FORMATS)}, not '{format}'")
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    started = datetime.now(UTC)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in tables or list(TABLES):
        table = TABLES[name]
        frame = table_frame(session, name, since=since)
        path = folder / f"{name}.{format}"
        _write(frame, path, format)
        written.append(Written(name, path, len(frame), since is None or table.stamp is None))
        if progress is not None:
            progress(1, len(frame))
    _manifest(folder, written, format, since, started)
    return written


def table_frame(session: Session, name: str, *, since: datetime | None = None,
                pilot: str | None = None) -> pd.DataFrame:
    """Read one table; `since` keeps the rows written since, `pilot` one pilot's (in SQL
    for the tables read from the database)."""
    table = TABLES[name]
    if table.model is None:
        frame = table.read(session, None)
        if pilot is not None:
            frame = frame[frame["pilot"] == pilot] if "pilot" in table.schema else \
                frame.iloc[0:0]
        return frame.reset_index(drop=True)
    conditions = _conditions(session, table, since, pilot)
    return table.read(session, (lambda query: query.where(*conditions)) if conditions else None)


def page(session: Session, name: str, *, limit: int, offset: int = 0,
         since: datetime | None = None, pilot: str | None = None) -> tuple[pd.DataFrame, int]:
    """Return one page of a table's rows, filtered, and how many rows match in all.

    A table read from the database is counted, filtered and cut in SQL (WHERE, ORDER BY
    its id, LIMIT and OFFSET): a page costs its own rows, not the table's. Its rows come
    in id order, so a page never repeats or skips a row while new rows are added. A
    computed table (one row per started pilot, or per look) is built and then cut.
    """
    table = TABLES[name]
    if table.model is None:
        frame = table_frame(session, name, since=since, pilot=pilot)
        return frame.iloc[offset:offset + limit].reset_index(drop=True), len(frame)
    conditions = _conditions(session, table, since, pilot)
    model = table.model
    total = session.exec(select(func.count()).select_from(model).where(*conditions)).one()
    frame = table.read(session, lambda query: query.where(*conditions).order_by(None)
                       .order_by(col(model.id)).limit(limit).offset(offset))
    return frame, total


def _conditions(session: Session, table: Table, since: datetime | None,
                pilot: str | None) -> list:
    """Return the SQL conditions of `since` and `pilot` on a table read from the database."""
    conditions = []
    if since is not None:
        # SQLite compares stored times as text, written in UTC: compare in UTC too.
        since = (since if since.tzinfo else since.replace(tzinfo=UTC)).astimezone(UTC)
        conditions.append(table.changed(since))
    if pilot is not None:
        found = session.exec(select(Pilot.id).where(col(Pilot.key) == pilot)).first()
        conditions.append(false() if found is None or table.of_pilot is None
                          else table.of_pilot(found))
    return conditions


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a frame's rows as JSON-ready dicts: missing as None, times in ISO 8601."""
    return [{name: _json(value) for name, value in zip(frame.columns, row, strict=True)}
            for row in frame.itertuples(index=False)]


def _json(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat() if value.tzinfo else value.date().isoformat()
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write(frame: pd.DataFrame, path: Path, format: str) -> None:
    """Write one frame; a temporary name first, so a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    if format == "parquet":
        frame.to_parquet(partial, index=False, engine="pyarrow")
    else:
        with open(partial, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle, lineterminator="\r\n")
            out.writerow(list(frame.columns))
            for row in frame.itertuples(index=False):
                out.writerow([_cell(value) for value in row])
    partial.replace(path)


def _cell(value: Any) -> str:
    """Write one CSV cell: missing as blank, times in ISO 8601, text defused."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return value.isoformat() if value.tzinfo else value.date().isoformat()
    if isinstance(value, float) and math.isnan(value):
        return ""
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    return safe_cell(value)


def _manifest(folder: Path, written: list[Written], format: str, since: datetime | None,
              started: datetime) -> None:
    """Write manifest.json: when, since what, and each file's rows and columns."""
    manifest = {
        "exported_at": started.isoformat(), "since": since.isoformat() if since else None,
        "format": format,
        "tables": {item.table: {
            "file": item.path.name, "rows": item.rows,
            "contents": "whole" if item.whole else f"rows with {TABLES[item.table].stamp} "
                                                    "at or after since",
            "columns": {name: dtype_name(dtype)
                        for name, dtype in TABLES[item.table].schema.items()}}
            for item in written}}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n",
                                          encoding="utf-8")


def dtype_name(dtype: object) -> str:
    """Name a schema dtype as the docs do: string, Int64, Float64, date, timestamp..."""
    if isinstance(dtype, pd.CategoricalDtype):
        return "category (" + ", ".join(str(value) for value in dtype.categories) + ")"
    return {frames.DATE: "date", frames.STAMP: "timestamp (UTC)"}.get(str(dtype), str(dtype))
