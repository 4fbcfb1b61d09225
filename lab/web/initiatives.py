"""Initiatives elsewhere in the company: the register, the coverage map, adopting one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lab import db
from lab.errors import DomainError
from lab.pilots import initiatives
from lab.portfolio.coverage import coverage
from lab.vocabulary import Function, InitiativeStatus, Process, values
from lab.web.queries import writing
from lab.web.security import role_required

bp = Blueprint("initiatives", __name__)


def _page(status: int = 200, problems: list[str] | None = None, entered: dict | None = None):
    session = db.session()
    return render_template(
        "initiatives.html", initiatives=initiatives.listed(session),
        clashes=initiatives.clashes(session), coverage=coverage(session),
        problems=problems or [], entered=entered or {"contact": current_user.email},
        functions=values(Function), processes=values(Process),
        statuses=values(InitiativeStatus)), status


@bp.get("/initiatives")
@role_required("viewer")
def page():
    """List the initiatives, where they clash with pilots, and the coverage map."""
    return _page()


@bp.post("/initiatives")
@role_required("member")
def register():
    """Register (or update, by key) an initiative running outside the lab."""
    entered = {name: request.form[name].strip() for name in ("key", *initiatives.FIELDS)
               if request.form.get(name, "").strip()}
    try:
        with writing() as write:
            initiatives.register(write, spec=entered, actor=current_user.email)
    except DomainError as error:
        db.session().rollback()
        said = [f"{where}: {what}" if where else what for where, what in error.problems]
        return _page(error.status, said or [str(error)], entered)
    flash(f"Initiative {entered.get('key')} registered.", "success")
    return redirect(url_for("initiatives.page"))


@bp.post("/initiatives/<key>/adopt")
@role_required("member")
def adopt(key: str):
    """Adopt the initiative as a hypothesis, then register a pilot for it, prefilled."""
    try:
        with writing() as write:
            hypothesis = initiatives.adopt(write, key=key, actor=current_user.email)
    except DomainError as error:
        db.session().rollback()
        return _page(error.status, [str(error)])
    flash(f"Initiative {key} is on the backlog as hypothesis {hypothesis}: plan its pilot.",
          "success")
    return redirect(url_for("team.register", hypothesis=hypothesis))
