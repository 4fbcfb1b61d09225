"""The content of the portfolio report: a summary for management, then a page per pilot."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlmodel import Session

from lab.charts import portfolio_chart
from lab.pilots.overlap import overlaps
from lab.reports import frames, results
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
from lab.reports.words import STATUS_WORDS, format_effect, format_interval, money, p_value

PORTFOLIO_HELP = ("Each row is a pilot's primary effect with its interval, divided by the "
                  "smallest effect worth scaling up, so pilots measured in different units "
                  "share one axis: 0 is no effect, 1 is worth scaling. The figures on the "
                  "right are in the metric's own unit. q-values (Benjamini-Hochberg) are "
                  "advice on how many apparent effects could be flukes, never a gate.")


def portfolio_document(session: Session) -> Document:
    """Build the portfolio report: the summary page, then one page per pilot."""
    answers = results.portfolio(session)
    pilots = frames.pilots(session)
    blocks = _summary(session, answers, pilots)
    for key in pilots["key"]:
        facts = gather(session, key, answers.get(key))
        blocks += [PageBreak(), *pilot_blocks(facts, compact=True)]
    return Document(title="Pilot portfolio",
                    subtitle=f"{len(pilots)} pilots · generated {date.today():%Y-%m-%d}",
                    blocks=blocks)


def _summary(session: Session, answers: dict[str, dict], pilots) -> list[Block]:
    statuses = Counter(str(status) for status in pilots["status"])
    outcomes = Counter(answer["outcome"] for answer in answers.values())
    counts = ", ".join(f"{n} {STATUS_WORDS[s].split(' (')[0]}" for s, n in statuses.items())
    advice = ", ".join(f"{n} {o.replace('_', ' ')}" for o, n in sorted(outcomes.items()))
    blocks: list[Block] = [
        Heading("Summary", level=1),
        Paragraph(f"{len(pilots)} pilots: {counts or 'none yet'}."),
        Paragraph(f"Recommendations of the started pilots: {advice or 'none yet'}."),
        Table(["Pilot", "Status", "Advice", "Primary effect", "q", "Spend / budget",
               "Per outcome"], [_row(row, answers.get(row.key)) for row in pilots.itertuples()],
              [1.42, 0.72, 0.62, 1.37, 0.55, 1.3, 0.62])]
    if answers:
        minimum = {row.pilot: float(row.minimum_effect)
                   for row in frames.metrics(session).itertuples() if row.role == "primary"}
        shown = [answers[key] for key in sorted(answers)]
        blocks += [Chart(lambda ax: portfolio_chart(ax, shown, minimum),
                         "Primary effects against their minimum effects",
                         height=1.4 + 0.45 * len(shown)),
                   Paragraph(PORTFOLIO_HELP, muted=True)]
    found = overlaps(session)
    if found:
        blocks += [Heading("Overlapping pilots"), Bullets([o.message for o in found])]
    return blocks


def _row(pilot, answer: dict | None) -> list[str]:
    spend = f"{pilot.spend:,.0f} / {money(pilot.budget, pilot.currency)}"
    if answer is None:
        return [pilot.key, STATUS_WORDS[pilot.status].split(" (")[0], "none (draft)", "n/a",
                "n/a", spend, "n/a"]
    primary = results.primary(answer)
    kind = primary.get("kind")
    effect = (f"{format_effect(primary.get('estimate'), kind)}\n"
              f"{format_interval(primary.get('ci_low'), primary.get('ci_high'), kind)}")
    extra = results.incremental(answer)
    per_outcome = money(pilot.spend / extra, pilot.currency) if extra > 0 else "n/a"
    return [pilot.key, STATUS_WORDS[pilot.status].split(" (")[0],
            answer["outcome"].replace("_", " "), effect, p_value(answer.get("q_value")),
            spend, per_outcome]


