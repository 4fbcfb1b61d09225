"""The PDFs keep every word whole: the brief, a pilot report and the portfolio report."""

from __future__ import annotations

import io
import re

import pypdf
import pytest

from lab.reports import brief_report, pilot_report, portfolio_report
from lab.reports.brief import brief_document
from lab.reports.document import Bullets, Document, Heading, Paragraph, Table, Verdict
from lab.reports.pdf import render_pdf
from lab.reports.pilot import pilot_document
from lab.reports.portfolio import portfolio_document
from tests.factories import observation_rows, register_pilot, start_pilot

WORD = re.compile(r"[A-Za-z][A-Za-z'’-]{3,}")


def words_of(document: Document) -> set[str]:
    """Return every word of four letters or more that the document's text holds."""
    texts: list[str] = [document.title, document.subtitle]
    for block in document.blocks:
        if isinstance(block, Heading | Paragraph):
            texts.append(block.text)
        elif isinstance(block, Bullets):
            texts += block.items
        elif isinstance(block, Verdict):
            texts.append(block.text)
        elif isinstance(block, Table):
            texts += block.columns + [cell for row in block.rows for cell in row]
    return {word for text in texts for word in WORD.findall(text)}


def extracted_words(pdf: bytes) -> set[str]:
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    return set(WORD.findall(text))


def split_words(document: Document, pdf: bytes) -> set[str]:
    """Return the document's words that the PDF's text does not hold whole."""
    return words_of(document) - extracted_words(pdf)


@pytest.fixture
def pilots(app, session):
    from lab.pilots.observations import record_observations
    from tests.web.conftest import write

    start_pilot(session)
    write(app, lambda s: record_observations(s, rows=observation_rows(periods=8),
                                             actor="test"))
    register_pilot(session, key="li-advisory", pilot={"channel": "linkedin",
                                                      "segment": "wealth"})
    return session


def test_a_narrow_table_keeps_long_words_whole():
    # Ten columns share the page: a share by weight alone is narrower than these words.
    names = ["Recommended", "Outcome", "Withdrawn", "Guardrails", "Comparison", "Evidence",
             "Randomized", "Projected", "Iteration", "Decision"]
    document = Document("Recommended withdrawals", "typesetting", [Table(
        names, [["withdraw", "manager@lab.example", "Comparison scopes", "Before/after",
                 "Harmed", "Randomized", "Recommendation", "Overdue", "Signed", "Scaled"]],
        [1.0] * 10)])
    assert split_words(document, render_pdf(document)) == set()


def test_the_brief_is_one_page_and_splits_no_word(app, pilots):
    with app.app_context():
        pdf = brief_report(pilots, "x-care-1h")
        assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
        assert split_words(brief_document(pilots, "x-care-1h"), pdf) == set()


def test_the_reports_split_no_word(app, pilots):
    with app.app_context():
        pilot_pdf = pilot_report(pilots, "x-care-1h", "pdf")
        assert split_words(pilot_document(pilots, "x-care-1h"), pilot_pdf) == set()
        whole = portfolio_report(pilots, "pdf")
        assert split_words(portfolio_document(pilots), whole) == set()
        assert "Executive summary" in pypdf.PdfReader(io.BytesIO(whole)).pages[0].extract_text()
