"""The learnings library and each decision's learning card: edit, publish, feedback."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lab import db
from lab.errors import DomainError
from lab.models import Pilot
from lab.pilots import learnings, stances
from lab.portfolio import learnings as library
from lab.vocabulary import TERMINAL, Process, values
from lab.web.queries import writing
from lab.web.security import role_required

bp = Blueprint("learnings", __name__)


def search_inputs() -> tuple[str, dict[str, str], list[tuple[str, str]]]:
    """Read the search text and filters from the query string, with their problems."""
    query = request.args.get("q", "")
    filters = {name: request.args.get(name, "") for name in library.FILTERS}
    return query, filters, library.filter_problems(query, filters)


def published_only() -> bool:
    """Viewers read the published cards only; the team reads every card."""
    return not current_user.can("member")


@bp.get("/learnings")
@role_required("viewer")
def page():
    """List the learning cards, searchable by text and filtered."""
    query, filters, problems = search_inputs()
    listed = [] if problems else library.rows(db.session(), query=query, filters=filters,
                                              published_only=published_only())
    return render_template("learnings.html", rows=listed, query=query, filters=filters,
                           problems=[f"{where}: {what}" for where, what in problems],
                           processes=values(Process), outcomes=TERMINAL), \
        400 if problems else 200


def _card_page(key: str, status: int = 200, problems: list[str] | None = None):
    session = db.session()
    pilot, decision = learnings.decision_for(session, key)
    card = learnings.card_of(session, key)
    if card is None:  # a decision signed before cards existed: show its draft
        with writing() as write:
            learnings.create_draft(write, *learnings.decision_for(write, key))
        card = learnings.card_of(db.session(), key)
    if card.published_at is None and published_only():
        abort(404, f"the learning card of '{key}' is not published")
    signer = current_user.email.lower() == decision.decided_by.lower()
    return render_template("learning.html", card=card, pilot=pilot, decision=decision,
                           feedback=learnings.feedback_on(session, card), signer=signer,
                           marked=stances.marked_notes(session, pilot.id),
                           problems=problems or []), status


@bp.get("/learnings/<key>")
@role_required("viewer")
def card(key: str):
    """Show a decision's learning card (a viewer: only once it is published)."""
    return _card_page(key)


def _refused(key: str, error: DomainError):
    db.session().rollback()
    problems = [f"{where}: {what}" for where, what in error.problems] or [str(error)]
    return _card_page(key, error.status, problems)


@bp.post("/learnings/<key>")
@role_required("manager")
def save(key: str):
    """Save the signer's edit of the card."""
    edit = {name: request.form.get(name, "") for name in (*learnings.TEXTS, "tags")
            if name in request.form}
    try:
        with writing() as write:
            learnings.save(write, pilot_key=key, edit=edit, actor=current_user.email)
    except DomainError as error:
        return _refused(key, error)
    flash("Learning card saved.", "success")
    return redirect(url_for("learnings.card", key=key))


@bp.post("/learnings/<key>/publish")
@role_required("manager")
def publish(key: str):
    """Publish the card for the wider company."""
    try:
        with writing() as write:
            learnings.publish(write, pilot_key=key, actor=current_user.email)
    except DomainError as error:
        return _refused(key, error)
    flash("Published: everyone signed in can read this card and leave feedback.", "success")
    return redirect(url_for("learnings.card", key=key))


@bp.post("/learnings/<key>/feedback")
@role_required("viewer")
def feedback(key: str):
    """Leave feedback on a published card (viewers too: the one thing they write)."""
    try:
        with writing() as write:
            learnings.add_feedback(write, pilot_key=key, author=current_user.email,
                                   text=request.form.get("text", ""))
    except DomainError as error:
        return _refused(key, error)
    flash("Thank you: the team sees your feedback.", "success")
    return redirect(url_for("learnings.card", key=key) + "#feedback")


@bp.post("/notes/<id:note_id>/stance")
@role_required("member")
def mark_note(note_id: int):
    """Mark a note as supporting or contradicting its hypothesis (empty: neither)."""
    stance = request.form.get("stance", "").strip() or None
    with writing() as write:
        note = stances.mark(write, note_id=note_id, stance=stance, actor=current_user.email)
        key = write.get(Pilot, note.pilot_id).key
    flash("Note marked." if stance else "Note unmarked.", "success")
    return redirect(url_for("pages.pilot", key=key) + f"#note-{note_id}")


