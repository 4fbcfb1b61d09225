"""A report as a list of plain blocks, so one content builder serves PDF and HTML alike."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from matplotlib.axes import Axes


@dataclass(frozen=True)
class Heading:
    """A section title; level 1 starts a pilot, level 2 a section within it."""

    text: str
    level: int = 2


@dataclass(frozen=True)
class Paragraph:
    """Running text; `muted` for small print such as how to read a chart."""

    text: str
    muted: bool = False


@dataclass(frozen=True)
class Bullets:
    """A list of short statements, such as the reasons for a recommendation."""

    items: list[str]


@dataclass(frozen=True)
class Verdict:
    """The recommendation, shown large in its outcome's colour."""

    outcome: str
    text: str


@dataclass(frozen=True)
class Table:
    """Rows of text under column names; `widths` are relative column widths."""

    columns: list[str]
    rows: list[list[str]]
    widths: list[float] = field(default_factory=list)
    header: bool = True


@dataclass(frozen=True)
class Chart:
    """A chart drawn on an ax it is given; `height` in inches at a 7-inch width."""

    draw: Callable[[Axes], Axes]
    description: str
    height: float = 3.2


@dataclass(frozen=True)
class PageBreak:
    """Start a new page (in HTML, a print page break)."""


@dataclass(frozen=True)
class Columns:
    """Charts side by side (a brief fits a page this way); each gets an equal width."""

    charts: list[Chart]


Block = Heading | Paragraph | Bullets | Verdict | Table | Chart | PageBreak | Columns


@dataclass(frozen=True)
class Document:
    """A titled sequence of blocks."""

    title: str
    subtitle: str
    blocks: list[Block]
