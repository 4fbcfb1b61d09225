"""Management reports of one pilot or of the whole portfolio, as PDF or HTML.

    pdf = pilot_report(session, "x-care-1h", "pdf")
    html = portfolio_report(session, "html")

Both read through the same service the web pages use, so a report says what the
pilot page says. PDF pages are laid out with matplotlib (real, extractable text); the
HTML is one self-contained file with its charts embedded as data URIs.
"""

from __future__ import annotations

from sqlmodel import Session

from lab.errors import Invalid
from lab.reports.brief import brief_document
from lab.reports.document import Document
from lab.reports.html import render_html
from lab.reports.pdf import render_pdf
from lab.reports.pilot import pilot_document
from lab.reports.portfolio import portfolio_document

FORMATS = ("pdf", "html")
MEDIA_TYPES = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


class ReportError(Invalid):
    """A report that cannot be made as asked; str() says why."""


def pilot_report(session: Session, pilot_key: str, fmt: str = "pdf") -> bytes:
    """Return the report of one pilot as PDF or HTML bytes (LookupError if unknown)."""
    _check_format(fmt)
    return render(pilot_document(session, pilot_key), fmt)


def portfolio_report(session: Session, fmt: str = "pdf") -> bytes:
    """Return the portfolio report (a summary, then a page per pilot) as PDF or HTML."""
    _check_format(fmt)
    return render(portfolio_document(session), fmt)


def brief_report(session: Session, pilot_key: str) -> bytes:
    """Return the one-page decision brief of a pilot as PDF bytes."""
    return render_pdf(brief_document(session, pilot_key), compact=True)


def render(document: Document, fmt: str) -> bytes:
    """Render a document in the given format."""
    _check_format(fmt)
    return render_pdf(document) if fmt == "pdf" else render_html(document)


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r}: use pdf or html")


__all__ = ["FORMATS", "MEDIA_TYPES", "ReportError", "brief_report", "pilot_report",
           "portfolio_report", "render"]
