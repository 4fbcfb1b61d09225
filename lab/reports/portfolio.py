"""The content of the portfolio report: a summary for management, then a page per pilot."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlmodel import Session

from lab.charts import portfolio_chart
from lab.pilots.overlap import overlaps
from lab.portfolio import PortfolioRow, build, standing
from lab.portfolio.figures import ALL, figures
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
from lab.words import (
    MISSING,
    day,
    evidence_word,
    guardrail_word,
    judged_metric,
    money,
    outcome_word,
    percent,
    status_word,
    targets,
)

PORTFOLIO_HELP = ("Each row is a pilot's primary effect with its interval, divided by the "
                  "smallest effect worth scaling up, so pilots measured in different units "
                  "share one axis: 0 is no effect, 1 is worth scaling. The figures on the "
                  "right are in the metric's own unit. Before/after pilots (weak evidence) "
                  "are drawn hollow and grey.")
COLUMNS = ["Pilot", "Evidence", "Status and decision", "Recommendation", "Primary effect",
           "Guardrails", "Spend / budget", "Per extra outcome"]


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
    checked = [row for row in rows if row.checked]
    outcomes = Counter(row.outcome for row in checked)
    counts = ", ".join(f"{n} {status_word(s).lower()}" for s, n in statuses.items())
    advice = ", ".join(f"{n} {outcome_word(o).lower()}" for o, n in sorted(outcomes.items()))
    blocks: list[Block] = [
        Heading("Executive summary", level=1),
        Paragraph(f"{len(rows)} pilots: {counts or 'none yet'}."),
        Paragraph(f"Recommendations of the started pilots: {advice or 'none yet'}."),
        *_money_and_due(rows),
        # Ranked as the portfolio page ranks: strongest evidence first, then effect.
        Table(COLUMNS, [summary_row(row) for row in sorted(rows, key=lambda r: r.rank)],
              [1.2, 1.0, 1.0, 1.0, 2.6, 0.8, 1.0, 0.7])]
    if checked:
        shown = [row.recommendation for row in checked]
        blocks += [Chart(lambda ax: portfolio_chart(ax, shown),
                         "Primary effects against their minimum effects",
                         height=1.4 + 0.45 * len(shown)),
                   Paragraph(PORTFOLIO_HELP, muted=True)]
    blocks += programme_blocks(rows)
    found = overlaps(session, history=True)
    if found:
        blocks += [Heading("Overlapping pilots (past ones included)"),
                   Bullets([o.message for o in found])]
    return blocks


FIGURE_COLUMNS = ["Quarter", "Started", "Decided", "Win rate", "Median weeks",
                  "Spend: scaled up / revised / withdrawn / open", "Extra outcomes (95%)"]


def programme_blocks(rows: list[PortfolioRow]) -> list[Block]:
    """The programme figures per start quarter (lab.portfolio.figures), as a table."""
    currency = rows[0].currency if rows else ""
    lines = []
    for q in figures(rows):
        extra = (f"{q.extra:,.0f} ({q.extra_interval[0]:,.0f} to {q.extra_interval[1]:,.0f})"
                 if q.extra_interval else MISSING)
        lines.append([
            "All quarters" if q.quarter == ALL else q.quarter, str(q.started),
            f"{q.decided} ({percent(q.share_decided)})", percent(q.win_rate),
            f"{q.median_weeks:.1f}" if q.median_weeks is not None else MISSING,
            " / ".join(money(q.spend[name], currency)
                       for name in ("scaled_up", "revised", "withdrawn", "undecided")),
            extra])
    return [Heading("Programme figures"),
            Paragraph("Pilots grouped by the quarter they started in; win rate is scaled up "
                      "÷ decided; extra outcomes sum the scaled-up pilots' primary effects "
                      "times their pilot-arm units, a scale rather than one metric.",
                      muted=True),
            Table(FIGURE_COLUMNS, lines, [0.9, 0.6, 0.8, 0.6, 0.7, 2.4, 1.6])]


def _money_and_due(rows: list[PortfolioRow]) -> list[Block]:
    currency = rows[0].currency if rows else ""
    totals = standing.money_totals(rows, currency)
    said = (f"Spent {money(totals['spend'], currency)} of {money(totals['budget'], currency)} "
            "committed to started pilots")
    said += (f", plus {money(totals['drafts'], currency)} planned in drafts"
             if totals["drafts"] else "")
    said += f"; {totals['over']} pilot(s) over budget." if totals["over"] else "."
    overdue = [row.key for row in rows if row.overdue is not None]
    blocks: list[Block] = [Paragraph(said)]
    if overdue:
        blocks.append(Paragraph(f"Overdue for a decision: {', '.join(overdue)}."))
    wins = standing.wins_and_flukes(rows)
    if wins:
        blocks.append(Paragraph(f"How many wins could be flukes: {wins['sentence']}"))
    return blocks


def summary_row(row: PortfolioRow) -> list[str]:
    """Write one pilot's line of the summary table, as the portfolio page shows it."""
    spend = f"{money(row.spend)} / {money(row.budget, row.currency)}"
    spend += "\nover budget" if row.over_budget else ""
    decided = status_word(row.status)
    if row.decision:
        decided += f"\nsigned by {row.decision['decided_by']}, {day(row.decision['decided_at'])}"
    if not row.checked:
        return [row.key, evidence_word(row.evidence), decided, outcome_word(None), MISSING,
                MISSING, spend, MISSING]
    effect = judged_metric(row.primary)
    if row.attainment:  # the service-level targets, beside the comparison with control
        effect += f"\n{targets.attainment_word(row.attainment)}"
    return [row.key, evidence_word(row.evidence), decided, outcome_word(row.outcome),
            effect, guardrail_word(row.guardrails), spend,
            money(row.cost_per_outcome, row.currency)]
