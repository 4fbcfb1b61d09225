"""Management reports: the key figures in the PDF's text, HTML self-contained and escaped."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from lab.analysis.pipeline import recommend_pilots
from lab.reports import ReportError, pilot_report, portfolio_report
from lab.words import headline, judged_metric
from tests.factories import DECIDED, DRAFT, NOTE, RUNNING, populate


@pytest.fixture
def filled(session):
    """Return a session on a database holding the report test lab."""
    populate(session)
    return session


def without_images(html: str) -> str:
    """Return the HTML with its embedded images cut out (base64 can spell anything)."""
    return re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", html)


def pdf_text(content: bytes) -> tuple[int, str]:
    """Return the page count and the text of a PDF, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def key_figures(session, key: str) -> tuple[dict, list[str]]:
    """Return a pilot's recommendation and the figures its report must show."""
    answer = recommend_pilots(session, [key])[key].to_dict()
    primary = next(m for m in answer["metrics"] if m["role"] == "primary")
    # The report reads a metric the way every page does: better or worse, in words.
    figures = [judged_metric(primary), headline(answer["outcome"])]
    return answer, figures + [" ".join(reason.split()) for reason in answer["reasons"]]


def test_pilot_pdf_states_the_key_figures_and_the_recommendation(filled):
    answer, figures = key_figures(filled, RUNNING)
    content = pilot_report(filled, RUNNING, "pdf")
    assert content.startswith(b"%PDF")
    pages, text = pdf_text(content)
    assert pages >= 2
    for figure in figures:
        assert figure in text
    for section in ("Hypothesis", "Plan", "Team", "Results", "Decisions", "Notes", "Spend"):
        assert section in text
    assert "One-hour reply desk on X" in text and "Raj" in text
    assert "Spent 6,000 EUR of a 25,000 EUR budget (24%)" in text
    assert " ".join(NOTE.split()) in text  # user text as written, not as markup
    assert "Social listening licence ($^$ per seat)" in text  # not read as mathematics


def test_pilot_pdf_of_a_decided_pilot_shows_the_decision(filled):
    _, text = pdf_text(pilot_report(filled, DECIDED, "pdf"))
    assert "Withdrawn" in text and "The channel is being closed" in text
    assert not re.search(r"\b(scale_up|scaled_up|withdraw|continue)\b", text)  # no codes


def test_pilot_report_of_a_draft_says_it_has_not_started(filled):
    _, text = pdf_text(pilot_report(filled, DRAFT, "pdf"))
    assert "Not started: no recommendation before the pilot runs" in text


def test_pilot_html_embeds_its_charts_and_references_nothing_outside(filled):
    html = pilot_report(filled, RUNNING, "html").decode("utf-8")
    images = re.findall(r'<img [^>]*src="([^"]*)"', html)
    assert len(images) >= 3  # the looks, and the primary and guardrail per period
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert not re.search(r"(?:src|href)\s*=\s*(?![\"']?data:)", html)
    text = without_images(html)
    assert "http" not in text and "url(" not in text and "@import" not in text


def test_pilot_html_escapes_user_text(filled):
    html = pilot_report(filled, RUNNING, "html").decode("utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; thanked" in html


def test_pilot_html_states_the_key_figures(filled):
    _, figures = key_figures(filled, RUNNING)
    html = pilot_report(filled, RUNNING, "html").decode("utf-8")
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    for figure in figures:
        assert figure.replace("'", "&#39;") in text


def test_portfolio_pdf_has_a_summary_then_a_page_per_pilot(filled):
    reader = PdfReader(io.BytesIO(portfolio_report(filled, "pdf")))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert "Executive summary" in pages[0]
    assert any(page.images for page in reader.pages[:2])  # the portfolio chart
    for key in (RUNNING, DECIDED, DRAFT):
        starts = [i for i, page in enumerate(pages) if f"({key})" in page]
        assert starts, key
    assert len(pages) >= 4
    for key in (RUNNING, DECIDED):
        _, figures = key_figures(filled, key)
        assert all(figure in " ".join(pages) for figure in figures[:3])


def test_portfolio_html_is_self_contained(filled):
    html = portfolio_report(filled, "html").decode("utf-8")
    assert html.count("data:image/png;base64,") >= 3  # the portfolio and each looks chart
    assert "http" not in without_images(html)
    assert html.count('class="break"') == 3


def test_reports_refuse_unknown_formats_and_pilots(filled):
    with pytest.raises(ReportError, match="use pdf or html"):
        pilot_report(filled, RUNNING, "docx")
    with pytest.raises(ReportError):
        portfolio_report(filled, "txt")
    with pytest.raises(LookupError, match="no pilot 'nope'"):
        pilot_report(filled, "nope", "pdf")


def test_reports_of_an_empty_lab_still_render(session):
    _, text = pdf_text(portfolio_report(session, "pdf"))
    assert "0 pilots" in text
    assert b"<h1>" in portfolio_report(session, "html")
