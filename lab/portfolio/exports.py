"""Exports for BI tools and the CRM's warehouse: the lab's tables as CSV or Parquet files.

Every table is one of the typed frames the notebooks read (`lab.pilots.frames`,
`lab.portfolio.dataframes`), so an export, a notebook and the docs' schema page
(docs/EXPORTS.md) cannot disagree on a column or its type. Parquet keeps the dtypes
(pandas' metadata travels in the file); CSV is text, with each cell written as the
lab's other CSVs write it (a text starting with = + - @ is defused for spreadsheets).

Incremental: the tables of things that happen once (decisions, spend, notes,
hypotheses) have a timestamp, and `since` keeps only the rows recorded at or after it.
The others (pilots, metrics, observations, recommendations and their looks and effects)
are states that change in place: they are written whole each time. `manifest.json`
says which is which, how many rows each file holds, and when the export ran (the
`since` of the next one).
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
from sqlmodel import Session, col, select

from lab.delimiters import safe_cell
from lab.models import Note, Spend
from lab.pilots import frames
from lab.portfolio import dataframes
from lab.portfolio.rows import recommendations

FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class Table:
    """One exported table: its schema, how it is read, and its timestamp (if any)."""

    name: str
    schema: dict[str, object]
    read: Callable[[Session], pd.DataFrame]
    stamp: str | None = None  # the column `since` filters on; None: a whole snapshot
    about: str = ""


def _stamped(model: type, read: Callable[[Session], pd.DataFrame]) -> Callable:
    """Add the entries' created_at to a frame of spend or notes (same order as read)."""
    def with_stamp(session: Session) -> pd.DataFrame:
        frame = read(session)
        order = col(model.spent_on) if model is Spend else col(model.noted_on)
        stamps = list(session.exec(
            select(model.created_at).order_by(order, col(model.id))).all()) \
            if len(frame) else []
        # SQLite hands back naive datetimes; the models store them in UTC.
        frame["created_at"] = pd.to_datetime(pd.Series(stamps, dtype=object),
                                             utc=True).astype("datetime64[ns, UTC]")
        return frame
    return with_stamp


def _looks(session: Session) -> pd.DataFrame:
    """Every started pilot's look history at its primary metric."""
    parts = [dataframes.looks_frame(answer)
             for _, answer in sorted(recommendations(session).items())]
    return pd.concat(parts, ignore_index=True) if parts else frames.typed([], dataframes.LOOKS)


STAMPED = {"created_at": frames.STAMP}
TABLES = {table.name: table for table in (
    Table("hypotheses", frames.HYPOTHESES, frames.hypotheses, "created_at",
          "one row per hypothesis, with how many pilots test it"),
    Table("pilots", frames.PILOTS, frames.pilots, None,
          "one row per pilot: plan, scope, status, team and spend so far"),
    Table("metrics", frames.METRICS, frames.metrics, None, "one row per metric of a pilot"),
    Table("observations", frames.OBSERVATIONS, frames.observations, None,
          "one row per pilot, metric, arm, phase and period, as imported"),
    Table("recommendations", dataframes.RECOMMENDATIONS, dataframes.recommendations_frame,
          None, "one row per started pilot: outcome, primary effect, q-value, spend"),
    Table("effects", dataframes.EFFECTS, dataframes.effects_frame, None,
          "one row per metric of each started pilot, as its recommendation reports it"),
    Table("looks", dataframes.LOOKS, _looks, None,
          "one row per look at each started pilot's primary metric (the look history)"),
    Table("decisions", frames.DECISIONS, frames.decisions, "decided_at",
          "one row per signed-off decision (never edited)"),
    Table("spend", {**frames.SPEND, **STAMPED}, _stamped(Spend, frames.spend), "created_at",
          "one row per cost entry against a pilot's budget"),
    Table("notes", {**frames.NOTES, **STAMPED}, _stamped(Note, frames.notes), "created_at",
          "one row per qualitative note: customer or frontline voice, risks"),
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
    """Read one table; `since` keeps a stamped table's newer rows, `pilot` one pilot's."""
    table = TABLES[name]
    frame = table.read(session)
    if since is not None and table.stamp is not None:
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        frame = frame[frame[table.stamp] >= pd.Timestamp(since)]
    if pilot is not None:
        column = "key" if name == "pilots" else "pilot" if "pilot" in table.schema else None
        frame = frame[frame[column] == pilot] if column else frame.iloc[0:0]
    return frame.reset_index(drop=True)


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
