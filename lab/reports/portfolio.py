"""The content of the portfolio report: a summary for management, then a page per pilot."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlmodel import Session

from lab.analysis.portfolio import PortfolioRow, build
from lab.charts import portfolio_chart
from lab.pilots.overlap import overlaps
from lab.reports.document import (
    Block,
    Bullets,
    Chart,
    Document,
    Heading,
    PageBreak,
    Paragraph,
    Table,
)
from lab.reports.pilot import gather, pilot_blocks
from lab.words import MISSING, effect, interval, money, outcome_word, q_value, status_word

PORTFOLIO_HELP = ("Each row is a pilot's primary effect with its interval, divided by the "
                  "smallest effect worth scaling up, so pilots measured in different units "
                  "share one axis: 0 is no effect, 1 is worth scaling. The figures on the "
                  "right are in the metric's own unit. q-values (Benjamini-Hochberg) are "
                  "advice on how many apparent effects could be flukes, never a gate.")
COLUMNS = ["Pilot", "Status", "Recommendation", "Primary effect", "q", "Spend / budget",
           "Per extra outcome"]


def portfolio_document(session: Session) -> Document:
    """Build the portfolio report: the summary page, then one page per pilot."""
    rows = build(session)
    blocks = _summary(session, rows)
    for row in rows:
        facts = gather(session, row.key, row.recommendation)
        blocks += [PageBreak(), *pilot_blocks(facts, compact=True)]
    return Document(title="Pilot portfolio",
                    subtitle=f"{len(rows)} pilots · generated {date.today():%Y-%m-%d}",
                    blocks=blocks)


def _summary(session: Session, rows: list[PortfolioRow]) -> list[Block]:
    statuses = Counter(row.status for row in rows)
    checked = [row for row in rows if row.recommendation]
    outcomes = Counter(row.outcome for row in checked)
    counts = ", ".join(f"{n} {status_word(s).lower()}" for s, n in statuses.items())
    advice = ", ".join(f"{n} {outcome_word(o).lower()}" for o, n in sorted(outcomes.items()))
    blocks: list[Block] = [
        Heading("Summary", level=1),
        Paragraph(f"{len(rows)} pilots: {counts or 'none yet'}."),
        Paragraph(f"Recommendations of the started pilots: {advice or 'none yet'}."),
        Table(COLUMNS, [summary_row(row) for row in rows],
              # Inches of A4: each column at least as wide as its longest word.
              [1.5, 0.72, 1.2, 1.0, 0.55, 1.0, 0.7])]
    if checked:
        shown = [row.recommendation for row in checked]
        blocks += [Chart(lambda ax: portfolio_chart(ax, shown),
                         "Primary effects against their minimum effects",
                         height=1.4 + 0.45 * len(shown)),
                   Paragraph(PORTFOLIO_HELP, muted=True)]
    found = overlaps(session)
    if found:
        blocks += [Heading("Overlapping pilots"), Bullets([o.message for o in found])]
    return blocks


def summary_row(row: PortfolioRow) -> list[str]:
    """Write one pilot's line of the summary table, as the portfolio page shows it."""
    spend = f"{money(row.spend)} / {money(row.budget, row.currency)}"
    if row.recommendation is None:
        return [row.key, status_word(row.status), outcome_word(None), MISSING, MISSING,
                spend, MISSING]
    primary = row.primary
    shown = (f"{effect(primary.get('estimate'), primary.get('kind'))}\n"
             f"{interval(primary.get('ci_low'), primary.get('ci_high'), primary.get('kind'))}")
    return [row.key, status_word(row.status), outcome_word(row.outcome), shown,
            q_value(row.q_value), spend, money(row.cost_per_outcome, row.currency)]
