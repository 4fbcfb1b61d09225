"""Reports and decision briefs from the web: the same documents `lab report` writes."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort
from sqlmodel import col, select

from lab import db
from lab.models import Decision, DecisionBrief
from lab.pilots import reads
from lab.reports import MEDIA_TYPES, brief_report, pilot_report, portfolio_report
from lab.web.security import role_required

bp = Blueprint("reports", __name__)


def _download(content: bytes, fmt: str, name: str) -> Response:
    # HTML opens in the browser; a PDF downloads under a name that says what it is.
    disposition = "inline" if fmt == "html" else "attachment"
    return Response(content, mimetype=MEDIA_TYPES[fmt].split(";")[0], headers={
        "Content-Disposition": f'{disposition}; filename="{name}.{fmt}"'})


def _format(fmt: str) -> str:
    if fmt not in MEDIA_TYPES:
        abort(404, f"reports come as pdf or html, not {fmt!r}")
    return fmt


@bp.get("/reports/portfolio.<fmt>")
@role_required("viewer")
def portfolio_report_page(fmt: str):
    """Download the portfolio report."""
    content = portfolio_report(db.session(), _format(fmt))
    return _download(content, fmt, f"portfolio-{date.today()}")


@bp.get("/pilots/<key>/report.<fmt>")
@role_required("viewer")
def pilot_report_page(key: str, fmt: str):
    """Download one pilot's report."""
    reads.pilot_row(db.session(), key)  # a 404 for an unknown key, before any work
    content = pilot_report(db.session(), key, _format(fmt))
    return _download(content, fmt, f"{key}-{date.today()}")


@bp.get("/pilots/<key>/brief.pdf")
@role_required("viewer")
def brief_page(key: str):
    """Download the decision brief as it stands now (print it to decide on paper)."""
    reads.pilot_row(db.session(), key)
    return _download(brief_report(db.session(), key), "pdf", f"{key}-brief-{date.today()}")


@bp.get("/pilots/<key>/signed-brief.pdf")
@role_required("viewer")
def signed_brief(key: str):
    """Download the brief kept with the pilot's decision: what the manager signed."""
    session = db.session()
    pilot = reads.pilot_row(session, key).pilot
    found = session.exec(select(DecisionBrief)
                         .join(Decision, col(Decision.id) == DecisionBrief.decision_id)
                         .where(Decision.pilot_id == pilot.id)).first()
    if found is None:
        abort(404, f"pilot '{key}' has no signed decision brief")
    return _download(found.pdf, "pdf", f"{key}-signed-brief")
