"""Sign-off: a manager's decision on a running pilot, after a fresh sign-in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import ValidationError

from lab import db
from lab.analysis import pipeline
from lab.models import Pilot
from lab.pilots import decisions, reads
from lab.web import replies
from lab.web.errors import problems_of
from lab.web.forms import SignOffForm, place_problems, values
from lab.web.queries import writing
from lab.web.schemas import DecisionIn, DecisionOut
from lab.web.security import is_fresh, role_required

bp = Blueprint("signoff", __name__)


def _page(row: reads.PilotRow, form: SignOffForm, status: int = 200, **shown):
    found = pipeline.recommend_pilots(db.session(), [row.pilot.key]).get(row.pilot.key)
    return render_template("signoff.html", row=row, pilot=row.pilot, form=form,
                           recommendation=found.to_dict() if found else None,
                           **shown), status


def sign_off_now(key: str, outcome: str, rationale: str) -> DecisionOut:
    """Sign off as the signed-in manager, in one write transaction, and describe it."""
    with writing() as write:
        decision = pipeline.sign_off(write, pilot_key=key, outcome=outcome,
                                     rationale=rationale, decided_by=current_user.email)
        return replies.decision_out(write, write.get(Pilot, decision.pilot_id), decision)


@bp.route("/pilots/<key>/sign-off", methods=["GET", "POST"])
@role_required("manager")
def sign_off(key: str):
    """Show the sign-off form, or record the decision."""
    row = reads.pilot_row(db.session(), key)
    decisions.refuse_owner(row.pilot, current_user.email)
    if not is_fresh():
        return redirect(url_for("auth.login", next=request.path, fresh=1))
    form = SignOffForm()
    if request.method != "POST":
        return _page(row, form)
    try:
        entry = DecisionIn.model_validate(values(form, "outcome", "rationale"))
        decided = sign_off_now(key, entry.outcome, entry.rationale)
    except decisions.DecisionConflict as error:
        db.session().rollback()  # show the pilot as it is now, after the other sign-off
        return _page(reads.pilot_row(db.session(), key), form, 409, conflict=str(error))
    except (ValidationError, decisions.DecisionError) as error:
        problems = problems_of(error) or [{"field": _field_of(str(error)),
                                          "reason": str(error)}]
        return _page(row, form, 422, problems=place_problems(form, problems))
    flash(f"Signed off: {entry.outcome.replace('_', ' ')} for pilot {key}.", "success")
    if decided.next:
        flash(f"The next iteration, {decided.next}, is drafted: edit its plan and start it.",
              "info")
    return redirect(url_for("pages.pilot", key=key))


def _field_of(message: str) -> str:
    return "rationale" if "rationale" in message else ""
