"""The approval queue: drafts awaiting a manager's approval, and the approving itself."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from lab import db
from lab.errors import DomainError
from lab.models import Pilot
from lab.pilots import approval
from lab.web.approvalschemas import ApprovalOut, ApprovalQueue, QueueEntry
from lab.web.forms import ApprovalForm
from lab.web.queries import writing
from lab.web.security import is_fresh, role_required

bp = Blueprint("approvals", __name__)


def approval_out(pilot: Pilot, row) -> ApprovalOut:
    return ApprovalOut(pilot=pilot.key, plan_hash=row.plan_hash, approved_by=row.approved_by,
                       approved_at=row.approved_at, note=row.note)


def queue_of(session, email: str) -> ApprovalQueue:
    """Return the queue as the given person sees it: may they approve each draft?"""
    drafts = []
    for pilot, found in approval.queue(session):
        refused = approval.refusal(session, pilot, email) if found.current is None \
            else "already approved as it stands"
        drafts.append(QueueEntry(
            pilot=pilot.key, title=pilot.title, owner=pilot.owner, status=found.status,
            plan_hash=found.plan_hash, may_approve=refused is None, refusal=refused,
            approval=approval_out(pilot, found.current) if found.current else None))
    return ApprovalQueue(required=bool(current_app.config["APPROVAL"]), drafts=drafts)


def approve_now(key: str, note: str, plan_hash: str | None) -> ApprovalOut:
    """Approve as the signed-in manager (or token holder); return the approval."""
    with writing() as write:
        row = approval.approve(write, pilot_key=key, approver=current_user.email, note=note,
                               expected_hash=plan_hash)
        return approval_out(write.get(Pilot, row.pilot_id), row)


@bp.get("/approvals")
@role_required("viewer")
def queue():
    """Show every draft with where its approval stands; managers approve from here."""
    found = queue_of(db.session(), current_user.email)
    return render_template("approvals.html", queue=found, form=ApprovalForm())


@bp.post("/pilots/<key>/approve")
@role_required("manager")
def approve(key: str):
    """Approve a draft's plan as read on the queue (a fresh sign-in, as for a sign-off)."""
    if not is_fresh():
        return redirect(url_for("auth.login", next=url_for("approvals.queue"), fresh=1))
    form = ApprovalForm()
    if not form.validate():
        flash("; ".join(f"{name}: {', '.join(errors)}" for name, errors in form.errors.items()),
              "error")
        return _again(422)
    try:
        approve_now(key, form.note.data or "", form.plan_hash.data or None)
    except DomainError as error:
        db.session().rollback()
        flash(f"Not approved: {error}", "error")
        return _again(error.status)
    flash(f"Approved: the plan of pilot {key} as it stands. Its team may start it.",
          "success")
    back = request.form.get("back") == "pilot"
    return redirect(url_for("pages.pilot", key=key) if back else url_for("approvals.queue"))


def _again(status: int):
    found = queue_of(db.session(), current_user.email)
    return render_template("approvals.html", queue=found, form=ApprovalForm()), status
