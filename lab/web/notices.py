"""Notices on the web: each user's choice on their account page, and for admins, what
was sent and what failed (lab.notify sends them)."""

from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlmodel import col, select

from lab import db
from lab.models import Notice, NoticeSubscription
from lab.notify import events
from lab.pilots.approval import APPROVER_ROLES
from lab.vocabulary import NoticeKind, values
from lab.web.queries import writing
from lab.web.security import role_required

bp = Blueprint("notices", __name__)
WORDS = {NoticeKind.outcome_changed: "A pilot's recommendation changes outcome",
         NoticeKind.decision_overdue: "A decision is due and not yet signed off",
         NoticeKind.standby_fired: "A pilot's stand-by rule fires (alert, pause or withdrawal)",
         NoticeKind.plan_awaiting: "A plan awaits approval (managers, who approve)",
         NoticeKind.digest: "The weekly portfolio digest"}


def init_app(app: Flask) -> None:
    """Give the account page the choices and the current user's."""
    app.context_processor(lambda: {"notice_choices": choices})


def choices() -> list[tuple[str, str, bool]]:
    """Return (kind, words, chosen) for the signed-in user (managers' kinds to managers)."""
    chosen = set(db.session().exec(select(NoticeSubscription.kind).where(
        NoticeSubscription.user_id == current_user.id)).all())
    return [(str(kind), WORDS[kind], str(kind) in chosen) for kind in NoticeKind
            if kind not in events.MANAGERS_ONLY or current_user.role in APPROVER_ROLES]


@bp.post("/account/notices")
@role_required("viewer")
def choose():
    """Save which notices one receives: the boxes ticked, and none of the others."""
    wanted = request.form.getlist("kinds")
    unknown = sorted(set(wanted) - set(values(NoticeKind)))
    if unknown:
        abort(422, f"no notice kind {', '.join(unknown)}")
    with writing() as write:
        events.subscribe(write, email=current_user.email, kinds=wanted, on=True)
        events.subscribe(write, email=current_user.email,
                         kinds=[kind for kind in values(NoticeKind) if kind not in wanted],
                         on=False)
    flash("Your notices are saved.", "success")
    return redirect(url_for("auth.account"))


@bp.get("/admin/notices")
@role_required("admin")
def sent():
    """Show the latest notices with their deliveries; failed ones first."""
    notices = db.session().exec(select(Notice).where(col(Notice.silent).is_(False))
                                .order_by(col(Notice.id).desc()).limit(300)).all()
    failed = [notice for notice in notices if notice.email_error or notice.webhook_error]
    return render_template("admin/notices.html", failed=failed,
                           notices=[notice for notice in notices if notice not in failed])
