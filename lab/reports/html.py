"""Render a report as one self-contained HTML file from a Jinja template: no external links.

Charts are embedded as base64 PNG data URIs and the style sheet is inline, so the file
opens offline, can be mailed, and leaks no request to any server when opened. Jinja
escapes every piece of text: pilot titles, notes and rationales are user input.
"""

from __future__ import annotations

import base64
from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from lab.charts import OUTCOME_COLOURS, figure_bytes, new_figure
from lab.reports.document import Chart, Document

STYLE = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1f1f1f;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 0 0 0.2rem; }
h2.part { font-size: 1.3rem; margin: 2.2rem 0 0.4rem; border-bottom: 2px solid #0072B2; }
h3 { font-size: 1.1rem; margin: 1.6rem 0 0.4rem; color: #005a8e; }
.subtitle, .muted { color: #545454; font-size: 0.9rem; }
.verdict { border-left: 6px solid; padding: 0.4rem 0.9rem; margin: 0.8rem 0;
           font-size: 1.15rem; font-weight: bold; background: #f6f6f6; }
.wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.25rem 0.6rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }
th { border-bottom: 2px solid #888; }
table.facts th { border-bottom: 1px solid #ddd; font-weight: normal; color: #545454; }
figure { margin: 0.8rem 0; } figure img { max-width: 100%; height: auto; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr));
           gap: 0.5rem; }
.break { page-break-after: always; break-after: page; }
"""


def render_html(document: Document) -> bytes:
    """Render the document as a standalone UTF-8 HTML page."""
    page = _environment().get_template("reports/document.html").render(
        document=document, style=Markup(STYLE))
    return page.encode("utf-8")


@cache
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("lab", "templates"),
                              autoescape=select_autoescape(["html"]))
    environment.filters.update({
        "kind": lambda block: type(block).__name__,
        "lines": lambda text: Markup("<br>").join(escape(str(text)).split("\n")),
        "outcome_colour": lambda outcome: OUTCOME_COLOURS.get(outcome, "#6E6E6E"),
        "chart_uri": chart_uri})
    return environment


def chart_uri(chart: Chart, width: float = 7.0) -> str:
    """Draw a chart and return it as a PNG data URI."""
    figure = new_figure(width, chart.height)
    chart.draw(figure.add_subplot())
    return "data:image/png;base64," + base64.b64encode(figure_bytes(figure, "png")).decode()
