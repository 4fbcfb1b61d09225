"""Logging a week in one go: every metric and arm of one period, and a CSV template."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lab import db
from lab.models import VALUE_COLUMNS
from lab.pilots import reads
from lab.pilots.observations import ObservationError, record_observations
from lab.vocabulary import DESIGN_ARMS, DESIGN_PHASES, Design
from lab.web.export import to_csv
from lab.web.forms import ActionForm
from lab.web.queries import writing
from lab.web.security import role_required

bp = Blueprint("week", __name__)

# What each value column is called on the page (the CSV keeps its short names).
VALUE_WORDS = {"successes": "Successes", "trials": "Customers (trials)", "n": "Customers (n)",
               "mean": "Mean", "sd": "Standard deviation", "events": "Events",
               "exposure": "Exposure"}
CSV_COLUMNS = ["pilot", "metric", "arm", "phase", "period", *dict.fromkeys(
    name for names in VALUE_COLUMNS.values() for name in names)]


def comparison_scopes(detail: reads.PilotDetail) -> list[str]:
    """Return a comparison-scopes pilot's scopes (none for other designs)."""
    return list(((detail.pilot.plan or {}).get("pilot") or {}).get("comparison_scopes") or [])


def grid_rows(detail: reads.PilotDetail) -> list[dict]:
    """Return one grid row per metric and arm (and comparison scope): key, label, columns."""
    scopes = comparison_scopes(detail)
    units = ([("pilot", "")] + [("control", scope) for scope in scopes] if scopes else
             [(arm.value, "") for arm in DESIGN_ARMS[Design(detail.pilot.design)]])
    return [{"metric": metric.key, "label": metric.label or metric.key, "kind": metric.kind,
             "role": metric.role, "arm": arm, "scope": scope,
             "columns": VALUE_COLUMNS[metric.kind]}
            for metric in detail.metrics for arm, scope in units]


def cell_name(row: dict, column: str) -> str:
    """Name a grid cell's input: metric, arm (and comparison scope) and value column."""
    scope = f"{row['scope']}." if row.get("scope") else ""
    return f"{row['metric']}.{row['arm']}.{scope}{column}"


def next_period(detail: reads.PilotDetail) -> str:
    """Suggest the week after the last logged one (or the pilot's start)."""
    found = reads.observations(db.session(), detail.pilot.id)
    if not found:
        return detail.pilot.start_date.isoformat()
    latest = max(observation.period for observation, _ in found)
    return (latest + timedelta(weeks=1)).isoformat()


def _page(detail, rows, status=200, **shown):
    phases = [phase.value for phase in DESIGN_PHASES[Design(detail.pilot.design)]]
    return render_template("week.html", detail=detail, pilot=detail.pilot, rows=rows,
                           cell_name=cell_name, value_words=VALUE_WORDS, phases=phases,
                           form=ActionForm(), **shown), status


@bp.route("/pilots/<key>/week", methods=["GET", "POST"])
@role_required("member")
def log_week(key: str):
    """Show the grid for one period, or log every filled row of it, all or none."""
    detail = reads.pilot_detail(db.session(), key)
    rows = grid_rows(detail)
    if request.method != "POST":
        return _page(detail, rows, values={}, period=next_period(detail), phase="during")
    period, phase = request.form.get("period", "").strip(), request.form.get("phase", "during")
    entered = [(row, {column: request.form.get(cell_name(row, column), "").strip()
                      for column in row["columns"]}) for row in rows]
    filled = [(row, cells) for row, cells in entered if any(cells.values())]
    shown = {"values": request.form, "period": period, "phase": phase}
    if not filled:
        return _page(detail, rows, 422, problems=["fill in at least one row"], **shown)
    scoped = bool(comparison_scopes(detail))
    records = [{"pilot": key, "metric": row["metric"], "arm": row["arm"], "phase": phase,
                "period": period, **({"scope": row["scope"]} if scoped else {}), **cells}
               for row, cells in filled]
    try:
        with writing() as write:
            result = record_observations(write, rows=records, actor=current_user.email,
                                         correct=request.form.get("correct") == "y",
                                         source="form")
    except ObservationError as error:
        return _page(detail, rows, 422, problems=_placed(error, filled), **shown)
    flash(f"Week of {period} logged: {result.describe()}.", "success")
    return redirect(url_for("pages.pilot", key=key, _anchor="log"))


def _placed(error: ObservationError, filled: list) -> list[str]:
    """Say each problem with the grid row it is in (the importer counts rows from 1)."""
    said = []
    for problem in error.problems:
        index = problem.line - 1
        row = filled[index][0] if 0 <= index < len(filled) else None
        where = (f"{row['label']}, {row['arm']} arm"
                 + (f" ({row['scope']})" if row["scope"] else "") if row else "")
        column = VALUE_WORDS.get(problem.column, problem.column)
        said.append(": ".join(part for part in (where, column, problem.message) if part))
    return said


@bp.get("/pilots/<key>/template.csv")
@role_required("member")
def csv_template(key: str):
    """Download a CSV for this pilot: a header and a blank row per metric, arm and phase."""
    detail = reads.pilot_detail(db.session(), key)
    period = next_period(detail)
    phases = DESIGN_PHASES[Design(detail.pilot.design)]
    rows = [[key, row["metric"], row["arm"], phase.value, period,
             *["" for _ in CSV_COLUMNS[5:]]] for row in grid_rows(detail) for phase in phases]
    columns = CSV_COLUMNS
    if comparison_scopes(detail):  # the scope column, for this design's files only
        columns = [*CSV_COLUMNS, "scope"]
        rows = [[*cells, row["scope"]] for cells, row in zip(
            rows, [r for r in grid_rows(detail) for _ in phases], strict=True)]
    return Response(to_csv(columns, rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{key}-{date.today()}.csv"'})
