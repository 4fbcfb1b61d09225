"""Charts shared by the web pages, the reports and the notebooks.

Every chart draws on a matplotlib `ax` it is given and returns it (see `style` for why
nothing here touches pyplot).

- `looks`: one metric's effect at every look; `periods`: each arm period by period;
  `portfolio`: every pilot's primary effect; `style`: the palette and common parts.
"""

from lab.charts.looks import looks_chart
from lab.charts.periods import periods_chart
from lab.charts.portfolio import portfolio_chart
from lab.charts.style import (
    ARM_COLOURS,
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    OUTCOME_COLOURS,
    OUTCOME_MARKERS,
    SKY,
    VERMILLION,
    figure_bytes,
    new_figure,
)

__all__ = ["ARM_COLOURS", "BLUE", "GREEN", "GREY", "ORANGE", "OUTCOME_COLOURS",
           "OUTCOME_MARKERS", "SKY", "VERMILLION", "figure_bytes", "looks_chart",
           "new_figure", "periods_chart", "portfolio_chart"]
