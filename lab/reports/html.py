"""Render a report as one self-contained HTML file: no external references at all.

Charts are embedded as base64 PNG data URIs and the style sheet is inline, so the file
opens offline, can be mailed, and leaks no request to any server when opened. Every
piece of text is escaped: pilot titles, notes and rationales are user input.
"""

from __future__ import annotations

import base64
from html import escape

from lab.charts import OUTCOME_COLOURS, figure_bytes, new_figure
from lab.reports.document import (
    Block,
    Bullets,
    Chart,
    Document,
    Heading,
    PageBreak,
    Paragraph,
    Table,
    Verdict,
)

STYLE = """
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #1f1f1f;
       max-width: 52rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin: 2.2rem 0 0.2rem; border-bottom: 2px solid #0072B2; }
h2 { font-size: 1.15rem; margin: 1.6rem 0 0.4rem; color: #0072B2; }
.subtitle, .muted { color: #5a5a5a; font-size: 0.9rem; }
.verdict { border-left: 6px solid; padding: 0.4rem 0.9rem; margin: 0.8rem 0;
           font-size: 1.15rem; font-weight: bold; background: #f6f6f6; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.25rem 0.6rem; border-bottom: 1px solid #ddd;
         vertical-align: top; }
th { border-bottom: 2px solid #888; }
table.facts th { border-bottom: 1px solid #ddd; font-weight: normal; color: #5a5a5a; }
figure { margin: 0.8rem 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #5a5a5a; font-size: 0.85rem; }
.break { page-break-after: always; break-after: page; }
"""


def render_html(document: Document) -> bytes:
    """Render the document as a standalone UTF-8 HTML page."""
    body = "\n".join(_block(block) for block in document.blocks)
    page = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(document.title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n<header><h1>{escape(document.title)}</h1>\n"
            f'<p class="subtitle">{escape(document.subtitle)}</p></header>\n'
            f"<main>\n{body}\n</main>\n</body>\n</html>\n")
    return page.encode("utf-8")


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        tag = "h1" if block.level == 1 else "h2"
        return f"<{tag}>{escape(block.text)}</{tag}>"
    if isinstance(block, Paragraph):
        css = ' class="muted"' if block.muted else ""
        return f"<p{css}>{escape(block.text)}</p>"
    if isinstance(block, Bullets):
        items = "".join(f"<li>{escape(item)}</li>" for item in block.items)
        return f"<ul>{items}</ul>"
    if isinstance(block, Verdict):
        colour = OUTCOME_COLOURS.get(block.outcome, "#6E6E6E")
        return (f'<div class="verdict" style="border-color: {colour}">'
                f"{escape(block.text)}</div>")
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Chart):
        return _chart(block)
    if isinstance(block, PageBreak):
        return '<div class="break"></div>'
    raise TypeError(f"cannot render {type(block).__name__} as HTML")


def _cell(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _table(table: Table) -> str:
    head = ("<thead><tr>" + "".join(f"<th>{escape(name)}</th>" for name in table.columns)
            + "</tr></thead>") if table.header else ""
    if table.header:
        rows = ["<tr>" + "".join(f"<td>{_cell(cell)}</td>" for cell in row) + "</tr>"
                for row in table.rows]
    else:  # a facts table: the first cell names the fact
        rows = [f"<tr><th>{_cell(row[0])}</th>"
                + "".join(f"<td>{_cell(cell)}</td>" for cell in row[1:]) + "</tr>"
                for row in table.rows]
    css = "" if table.header else ' class="facts"'
    return f"<table{css}>{head}<tbody>{''.join(rows)}</tbody></table>"


def _chart(chart: Chart) -> str:
    figure = new_figure(7.0, chart.height)
    chart.draw(figure.add_subplot())
    encoded = base64.b64encode(figure_bytes(figure, "png")).decode("ascii")
    return (f'<figure><img alt="{escape(chart.description)}" '
            f'src="data:image/png;base64,{encoded}">'
            f"<figcaption>{escape(chart.description)}</figcaption></figure>")
