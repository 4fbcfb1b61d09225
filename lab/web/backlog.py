"""The backlog page: hypotheses ranked by priority, scored, filtered, and calibrated."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lab import db
from lab.config import BACKLOG_SCORES
from lab.errors import DomainError
from lab.pilots import backlog
from lab.portfolio import backlog as backlog_rows
from lab.vocabulary import Function, Process, values
from lab.web.programmeapi import weights
from lab.web.queries import writing
from lab.web.security import role_required

bp = Blueprint("backlog", __name__)
HYPOTHESIS_FIELDS = ("key", "statement", "process", "expected_benefit", "owner")
ENTRY_FIELDS = ("function", "expected_value", "expected_unit", *BACKLOG_SCORES)


def _page(status: int = 200, problems: list[str] | None = None, entered: dict | None = None):
    filters = {name: request.args.get(name, "") for name in backlog_rows.FILTERS}
    wrong = backlog_rows.filter_problems(filters)
    if wrong:
        problems = (problems or []) + [f"{name}: {what}" for name, what in wrong]
        status = 400 if status == 200 else status
        filters = {name: value for name, value in filters.items()
                   if name not in dict(wrong)}
    chosen = weights()
    listed = backlog_rows.rows(db.session(), chosen, filters)
    everything = backlog_rows.rows(db.session(), chosen)
    return render_template(
        "backlog.html", rows=listed, filters=filters, weights=chosen,
        calibration=backlog_rows.calibration(everything), problems=problems or [],
        entered=entered or {"owner": current_user.email}, processes=values(Process),
        functions=values(Function), bands=backlog_rows.BAND_NAMES,
        states=backlog_rows.STATES, scores=BACKLOG_SCORES), status


def _entered(names: tuple[str, ...]) -> dict:
    """Return the form's fields, blanks left out, so an unsaid score stays unsaid."""
    return {name: request.form[name].strip() for name in names
            if request.form.get(name, "").strip()}


def _problems(error: DomainError) -> list[str]:
    return [f"{where}: {what}" if where else what for where, what in error.problems] \
        or [str(error)]


@bp.get("/backlog")
@role_required("viewer")
def page():
    """Show the ranked backlog, its filters and how well its scores predicted."""
    return _page()


@bp.post("/backlog")
@role_required("member")
def add():
    """Put a new hypothesis on the backlog."""
    hypothesis = {**_entered(HYPOTHESIS_FIELDS),
                  "sponsors": request.form.getlist("sponsors")}
    entry = {"hypothesis": hypothesis, **_entered(ENTRY_FIELDS)}
    try:
        with writing() as write:
            backlog.add(write, entry=entry, actor=current_user.email)
    except DomainError as error:
        db.session().rollback()
        return _page(error.status, _problems(error), {**hypothesis, **entry})
    flash(f"Hypothesis {hypothesis.get('key')} is on the backlog.", "success")
    return redirect(url_for("backlog.page"))


@bp.post("/hypotheses/<key>/scores")
@role_required("member")
def score(key: str):
    """Score or re-score a hypothesis from its backlog row."""
    try:
        with writing() as write:
            backlog.score(write, key=key, scores=_entered(ENTRY_FIELDS),
                          actor=current_user.email)
    except DomainError as error:
        db.session().rollback()
        return _page(error.status, [f"{key}: {problem}" for problem in _problems(error)])
    flash(f"Scores of {key} saved.", "success")
    return redirect(url_for("backlog.page") + f"#h-{key}")
