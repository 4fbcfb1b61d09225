"""Sign-off: a manager's decision on a running pilot, after a fresh sign-in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from pydantic import ValidationError

from lab import db
from lab.analysis import pipeline
from lab.models import DecisionBrief, Pilot
from lab.pilots import decisions, reads
from lab.reports import brief, brief_report
from lab.web import replies
from lab.web.errors import problems_of
from lab.web.forms import SignOffForm, place_problems, values
from lab.web.queries import writing
from lab.web.schemas import DecisionIn, DecisionOut
from lab.web.security import is_fresh, role_required
from lab.words import outcome_word

bp = Blueprint("signoff", __name__)


def _page(row: reads.PilotRow, form: SignOffForm, status: int = 200, **shown):
    session = db.session()
    found = brief.brief_facts(session, row.pilot.key)
    return render_template("signoff.html", row=row, pilot=row.pilot, form=form, brief=found,
                           facts_rows=brief.facts_rows(found),
                           metric_rows=brief.metric_rows(found.row.recommendation or {}),
                           history=brief.history_lines(found),
                           version=reads.version_tag(session, row.pilot.id), **shown), status


def sign_off_now(key: str, outcome: str, rationale: str) -> DecisionOut:
    """Sign off as the signed-in manager and keep the brief they read with the decision.

    The brief is drawn before the write transaction (drawing takes a second; the write
    lock should not wait on it) and drawn again inside it only if the data changed
    in between, so the kept PDF is always the one for the recommendation signed.
    """
    session = db.session()
    pilot_id = reads.pilot_row(session, key).pilot.id
    seen, pdf = reads.data_version(session, pilot_id), brief_report(session, key)
    with writing() as write:
        if reads.data_version(write, pilot_id) != seen:
            pdf = brief_report(write, key)
        decision = pipeline.sign_off(write, pilot_key=key, outcome=outcome,
                                     rationale=rationale, decided_by=current_user.email)
        write.add(DecisionBrief(decision_id=decision.id, pdf=pdf))
        return replies.decision_out(write, write.get(Pilot, decision.pilot_id), decision)


@bp.route("/pilots/<key>/sign-off", methods=["GET", "POST"])
@role_required("manager")
def sign_off(key: str):
    """Show the sign-off form, or record the decision."""
    row = reads.pilot_row(db.session(), key)
    decisions.refuse_owner(db.session(), row.pilot, current_user.email)
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
    flash(f"Signed off: {outcome_word(entry.outcome).lower()} for pilot {key}. The brief is "
          "kept with the decision.", "success")
    # Markup: the link is ours, and format() escapes what it is given.
    flash(Markup('The decision\'s learning card is drafted: <a href="{}">read and edit it'
                 '</a>, then publish it for the wider company.').format(
                     url_for("learnings.card", key=key)), "info")
    if decided.next:
        flash(f"The next iteration, {decided.next}, is drafted: edit its plan and start it.",
              "info")
    return redirect(url_for("pages.pilot", key=key))


def _field_of(message: str) -> str:
    return "rationale" if "rationale" in message else ""
