"""Render a report as a PDF with reportlab's Platypus: real text, words never split.

Text is set in DejaVu Sans (matplotlib ships it; it has every sign the words use, such
as '−' and '→'), embedded with its Unicode map so the PDF can be searched and copied.
Paragraphs break lines only between words (`splitLongWords=0`), and every table column
is at least as wide as its longest word, so no word is ever cut in two.
"""

from __future__ import annotations

import io
from functools import cache
from html import escape

from matplotlib.font_manager import FontProperties, findfont
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    SimpleDocTemplate,
    Spacer,
)
from reportlab.platypus import PageBreak as BreakPage
from reportlab.platypus import Paragraph as Text
from reportlab.platypus import Table as Grid

from lab.charts import BLUE, GREY, OUTCOME_COLOURS, figure_bytes, new_figure
from lab.reports.document import (
    Block,
    Bullets,
    Chart,
    Columns,
    Document,
    Heading,
    PageBreak,
    Paragraph,
    Table,
    Verdict,
)

MARGIN = 15 * mm
USABLE = A4[0] - 2 * MARGIN  # points
REGULAR, BOLD = "LabSans", "LabSans-Bold"
PADDING = 4  # points each side of a table cell


@cache
def _fonts() -> None:
    """Register DejaVu Sans (regular and bold) once."""
    for name, weight in ((REGULAR, "normal"), (BOLD, "bold")):
        path = findfont(FontProperties(family="DejaVu Sans", weight=weight))
        pdfmetrics.registerFont(TTFont(name, path))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)


def style(size: float = 9, *, bold: bool = False, colour: str = "#1f1f1f",
          after: float = 3) -> ParagraphStyle:
    """Return a paragraph style that never splits a word."""
    return ParagraphStyle(f"lab-{size}-{bold}-{colour}", fontName=BOLD if bold else REGULAR,
                          fontSize=size, leading=size * 1.3, textColor=colors.HexColor(colour),
                          spaceAfter=after, splitLongWords=0)


def render_pdf(document: Document, *, compact: bool = False) -> bytes:
    """Render the document as A4 PDF bytes; `compact` sets it smaller (a one-page brief)."""
    _fonts()
    buffer = io.BytesIO()
    scale = 0.88 if compact else 1.0
    pdf = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN * (0.8 if compact else 1),
                            bottomMargin=MARGIN, title=document.title, author="lab",
                            creator="lab", invariant=1)
    story: list[Flowable] = [Text(escape(document.title), style(17 * scale, bold=True)),
                             Text(escape(document.subtitle), style(9 * scale, colour="#5a5a5a",
                                                                   after=6))]
    for block in document.blocks:
        story += _flowables(block, scale)
    footer = document.title

    def number(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(colors.HexColor(GREY))
        canvas.drawString(MARGIN, MARGIN / 2, f"{footer} · page {doc.page}")
        canvas.restoreState()

    pdf.build(story, onFirstPage=number, onLaterPages=number)
    return buffer.getvalue()


def _flowables(block: Block, scale: float) -> list[Flowable]:
    body = 9.5 * scale
    if isinstance(block, Heading):
        size = (14 if block.level == 1 else 11.5) * scale
        return [Spacer(1, 4 * scale),
                Text(escape(block.text), style(size, bold=True,
                                               colour="#1f1f1f" if block.level == 1 else BLUE))]
    if isinstance(block, Paragraph):
        size = body * (0.88 if block.muted else 1)
        return [Text(_text(block.text), style(size, colour="#5a5a5a" if block.muted
                                               else "#1f1f1f"))]
    if isinstance(block, Bullets):
        items = [ListItem(Text(_text(item), style(body, after=1)), leftIndent=10)
                 for item in block.items]
        return [ListFlowable(items, bulletType="bullet", start="•", leftIndent=10,
                             bulletFontName=REGULAR, bulletFontSize=body), Spacer(1, 3)]
    if isinstance(block, Verdict):
        return [_verdict(block, scale)]
    if isinstance(block, Table):
        return [table(block, 8 * scale), Spacer(1, 4)]
    if isinstance(block, Chart):
        return [KeepTogether([_image(block, USABLE)])]
    if isinstance(block, Columns):
        return [_columns(block)]
    if isinstance(block, PageBreak):
        return [BreakPage()]
    raise TypeError(f"cannot render {type(block).__name__} as PDF")


def _text(text: str) -> str:
    return escape(str(text)).replace("\n", "<br/>")


def _verdict(verdict: Verdict, scale: float) -> Flowable:
    colour = OUTCOME_COLOURS.get(verdict.outcome, GREY)
    cell = Text(_text(verdict.text), style(12.5 * scale, bold=True, colour=colour, after=0))
    box = Grid([[cell]], colWidths=[USABLE])
    box.setStyle([("LINEBEFORE", (0, 0), (0, 0), 5, colors.HexColor(colour)),
                  ("BACKGROUND", (0, 0), (0, 0), colors.HexColor("#f6f6f6")),
                  ("LEFTPADDING", (0, 0), (0, 0), 9), ("TOPPADDING", (0, 0), (0, 0), 5),
                  ("BOTTOMPADDING", (0, 0), (0, 0), 6)])
    return box


def longest_word(text: str, font: str, size: float) -> float:
    """Return the width in points of the widest word of a cell."""
    return max((pdfmetrics.stringWidth(word, font, size) for word in str(text).split()),
               default=0.0)


def column_widths(block: Table, size: float, width: float = USABLE) -> list[float]:
    """Give each column at least its longest word, and share the rest by `widths`."""
    weights = block.widths or [1.0] * len(block.columns)
    floors = []
    for position, name in enumerate(block.columns):
        cells = [row[position] for row in block.rows]
        floor = max([longest_word(cell, REGULAR, size) for cell in cells]
                    + [longest_word(name, BOLD, size)])
        floors.append(floor + 2 * PADDING + 1)
    spare = max(width - sum(floors), 0.0)
    return [floor + spare * weight / sum(weights) for floor, weight in
            zip(floors, weights, strict=True)]


def table(block: Table, size: float) -> Flowable:
    """Set a table whose cells wrap between words only, shrinking the type if it must."""
    widths = column_widths(block, size)
    while sum(widths) > USABLE + 0.5 and size > 5.5:  # too many long words: smaller type
        size -= 0.5
        widths = column_widths(block, size)
    cell, head = style(size, after=0), style(size, bold=True, after=0)
    rows = [[Text(_text(c), cell) for c in row] for row in block.rows]
    if block.header:
        rows.insert(0, [Text(_text(c), head) for c in block.columns])
    grid = Grid(rows, colWidths=widths, repeatRows=1 if block.header else 0, hAlign="LEFT")
    commands = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, colors.HexColor("#dddddd"))]
    if block.header:
        commands.append(("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor(GREY)))
    else:  # a facts table: the first column names the fact
        commands.append(("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor(GREY)))
    grid.setStyle(commands)
    return grid


def _image(chart: Chart, width: float) -> Flowable:
    """Draw the chart with matplotlib at its printed size and place it as an image."""
    inches = (width / inch, chart.height)
    figure = new_figure(*inches)
    chart.draw(figure.add_subplot())
    picture = Image(io.BytesIO(figure_bytes(figure, "png")), width=width,
                    height=chart.height * inch)
    picture.hAlign = "LEFT"
    return picture


def _columns(block: Columns) -> Flowable:
    width = USABLE / max(len(block.charts), 1)
    grid = Grid([[_image(chart, width - 4) for chart in block.charts]],
                colWidths=[width] * len(block.charts), hAlign="LEFT")
    grid.setStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                   ("VALIGN", (0, 0), (-1, -1), "TOP")])
    return grid
