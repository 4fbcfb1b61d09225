"""Render a report as a PDF: text and charts laid out on A4 matplotlib Figure pages.

The text is real text (TrueType fonts with a Unicode map), so it can be searched,
copied and extracted; charts stay vector graphics. No dependency beyond matplotlib.
"""

from __future__ import annotations

import io
from functools import cache

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.ft2font import FT2Font
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from lab.charts import BLUE, GREY, OUTCOME_COLOURS
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

WIDTH, HEIGHT = 8.27, 11.69  # A4, inches
LEFT, RIGHT, TOP, BOTTOM = 0.8, 0.8, 0.8, 0.9
USABLE = WIDTH - LEFT - RIGHT
BODY = 9.5
BOLD = 1.1  # bold glyphs run up to a tenth wider than regular ones


def render_pdf(document: Document) -> bytes:
    """Render the document as PDF bytes, one or more A4 pages."""
    buffer = io.BytesIO()
    # Type 42 (TrueType) keeps the text extractable; Type 3 glyphs often are not.
    with rc_context({"pdf.fonttype": 42}), PdfPages(buffer, metadata={
            "Title": document.title, "Creator": "lab", "CreationDate": None}) as pdf:
        pages = _Pages(pdf, document.title)
        pages.title(document.title, document.subtitle)
        for block in document.blocks:
            _render(pages, block)
        pages.finish()
    return buffer.getvalue()


def wrap(text: str, size: float, width: float = USABLE, bold: bool = False) -> list[str]:
    """Split text into lines that fit `width` inches at this font size."""
    limit = width * 72 / (size * (BOLD if bold else 1.0))  # in points at a 1-point font
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if _width(candidate) <= limit:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = _split_long(word, limit, lines)
        lines.append(line)
    return lines


def _split_long(word: str, limit: float, lines: list[str]) -> str:
    """Cut a word wider than a line into pieces; return the last, unfinished piece."""
    piece = ""
    for char in word:
        if piece and _width(piece + char) > limit:
            lines.append(piece)
            piece = ""
        piece += char
    return piece


def _width(text: str) -> float:
    return sum(_advance(char) for char in text)


@cache
def _advance(char: str) -> float:
    """Return how far a character advances the pen at a 1-point font (DejaVu Sans)."""
    glyph = _font().load_char(ord(char))
    return glyph.linearHoriAdvance / 65536 / 100


@cache
def _font() -> FT2Font:
    # matplotlib's default font, the one the pages are set in.
    font = FT2Font(findfont(FontProperties(family="DejaVu Sans")))
    font.set_size(100, 72)
    return font


class _Pages:
    """A cursor over A4 pages: places text lines and charts top to bottom."""

    def __init__(self, pdf: PdfPages, footer: str):
        self.pdf, self.footer = pdf, footer
        self.page: Figure | None = None
        self.number, self.y, self.empty = 0, 0.0, True

    def room(self, height: float) -> None:
        """Start a new page unless `height` inches still fit on this one."""
        if self.page is None or self.y - height < BOTTOM:
            self.new_page()

    def new_page(self) -> None:
        """Finish the current page and start an empty one."""
        self.finish()
        self.page = Figure(figsize=(WIDTH, HEIGHT))
        FigureCanvasAgg(self.page)  # a renderer to measure chart labels with
        self.number += 1
        self.y, self.empty = HEIGHT - TOP, True
        self.text(f"{self.footer} · page {self.number}", 7.5, y=BOTTOM - 0.45, color=GREY)

    def finish(self) -> None:
        """Write the current page to the PDF."""
        if self.page is not None:
            self.pdf.savefig(self.page)
            self.page = None

    def text(self, line: str, size: float, x: float = LEFT, y: float | None = None,
             **style) -> None:
        """Put one line of text with its top at y (default: the cursor)."""
        top = self.y if y is None else y
        self.page.text(x / WIDTH, top / HEIGHT, line, fontsize=size, va="top",
                       parse_math=False, **style)  # a '$' in a note is not maths

    def lines(self, lines: list[str], size: float, x: float = LEFT, **style) -> None:
        """Put lines of text at the cursor, breaking the page where needed."""
        step = size * 1.45 / 72
        for line in lines:
            self.room(step)
            self.text(line, size, x=x, **style)
            self.y -= step
            self.empty = False

    def title(self, title: str, subtitle: str) -> None:
        """Put the document's title and subtitle at the top of the first page."""
        self.new_page()
        self.lines(wrap(title, 18, bold=True), 18, weight="bold")
        self.lines(wrap(subtitle, 10), 10, color=GREY)
        self.y -= 0.15


def _render(pages: _Pages, block: Block) -> None:
    if isinstance(block, Heading):
        _heading(pages, block)
    elif isinstance(block, Paragraph):
        size = 8.5 if block.muted else BODY
        pages.lines(wrap(block.text, size), size, color=GREY if block.muted else "#1f1f1f")
        pages.y -= 0.08
    elif isinstance(block, Bullets):
        for item in block.items:
            lines = wrap(item, BODY, USABLE - 0.2)
            pages.lines(["•"], BODY)
            pages.y += BODY * 1.45 / 72  # the text starts on the bullet's line
            pages.lines(lines, BODY, x=LEFT + 0.2)
        pages.y -= 0.08
    elif isinstance(block, Verdict):
        _verdict(pages, block)
    elif isinstance(block, Table):
        _table(pages, block)
    elif isinstance(block, Chart):
        _chart(pages, block)
    elif isinstance(block, PageBreak):
        if not pages.empty:
            pages.new_page()
    else:
        raise TypeError(f"cannot render {type(block).__name__} as PDF")


def _heading(pages: _Pages, heading: Heading) -> None:
    size = 15 if heading.level == 1 else 12
    pages.room(0.9)  # never leave a heading alone at the foot of a page
    pages.y -= 0.12
    pages.lines(wrap(heading.text, size, bold=True), size, weight="bold",
                color="#1f1f1f" if heading.level == 1 else BLUE)
    if heading.level == 1:
        pages.page.add_artist(Line2D([LEFT / WIDTH, (WIDTH - RIGHT) / WIDTH],
                                     [pages.y / HEIGHT] * 2, color=BLUE, linewidth=1.5))
    pages.y -= 0.08


def _verdict(pages: _Pages, verdict: Verdict) -> None:
    colour = OUTCOME_COLOURS.get(verdict.outcome, GREY)
    lines = wrap(verdict.text, 13, USABLE - 0.25, bold=True)
    height = len(lines) * 13 * 1.45 / 72
    pages.room(height + 0.2)
    pages.page.add_artist(Rectangle((LEFT / WIDTH, (pages.y - height - 0.05) / HEIGHT),
                                    0.07 / WIDTH, (height + 0.1) / HEIGHT, color=colour))
    pages.lines(lines, 13, x=LEFT + 0.2, weight="bold", color=colour)
    pages.y -= 0.15


def _table(pages: _Pages, table: Table) -> None:
    size = 8.0
    widths = table.widths or [1.0] * len(table.columns)
    inches = [USABLE * w / sum(widths) for w in widths]
    if table.header:
        pages.room(0.55)  # keep the header with the first rows
        _row(pages, table.columns, inches, size, weight="bold")
        pages.page.add_artist(Line2D([LEFT / WIDTH, (WIDTH - RIGHT) / WIDTH],
                                     [(pages.y + 0.03) / HEIGHT] * 2, color=GREY,
                                     linewidth=0.8))
    for row in table.rows:
        styles = [{"color": GREY}] + [{}] * (len(row) - 1) if not table.header else None
        _row(pages, row, inches, size, styles=styles)
    pages.y -= 0.1


def _row(pages: _Pages, cells: list[str], inches: list[float], size: float,
         styles: list[dict] | None = None, **style) -> None:
    bold = style.get("weight") == "bold"
    wrapped = [wrap(cell, size, width - 0.12, bold)
               for cell, width in zip(cells, inches, strict=True)]
    step = size * 1.45 / 72
    pages.room(step * max(len(lines) for lines in wrapped) + 0.04)
    top, x = pages.y, LEFT
    for position, (lines, width) in enumerate(zip(wrapped, inches, strict=True)):
        for number, line in enumerate(lines):
            pages.text(line, size, x=x, y=top - number * step,
                       **{**style, **(styles[position] if styles else {})})
        x += width
    pages.y = top - step * max(len(lines) for lines in wrapped) - 0.04
    pages.empty = False


def _chart(pages: _Pages, chart: Chart) -> None:
    pages.room(chart.height + 0.1)
    box = (LEFT, pages.y - chart.height, USABLE, chart.height)
    ax = pages.page.add_axes(_fraction(box))
    chart.draw(ax)
    _fit(pages.page, ax, box)
    pages.y -= chart.height + 0.15
    pages.empty = False


def _fit(page: Figure, ax, box: tuple[float, float, float, float]) -> None:
    """Shrink the axes so its labels, legend and notes fit inside the box."""
    renderer = page.canvas.get_renderer()
    inches = page.dpi_scale_trans.inverted()
    for _ in range(2):  # a second pass settles labels that moved with the axes
        tight = ax.get_tightbbox(renderer).transformed(inches)
        frame = ax.get_position().transformed(page.transFigure).transformed(inches)
        x, y, width, height = box
        left, bottom = frame.x0 - tight.x0, frame.y0 - tight.y0
        right, top = tight.x1 - frame.x1, tight.y1 - frame.y1
        ax.set_position(_fraction((x + left, y + bottom, max(width - left - right, 1.0),
                                   max(height - bottom - top, 0.8))))


def _fraction(box: tuple[float, float, float, float]) -> list[float]:
    x, y, width, height = box
    return [x / WIDTH, y / HEIGHT, width / WIDTH, height / HEIGHT]
