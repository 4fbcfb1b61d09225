"""The decision brief: what a manager reads before signing, on one printed page.

The sign-off page shows the same facts (`brief_facts`), so the page and the PDF kept
with the decision cannot say different things.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from lab.charts import looks_chart
from lab.pilots.overlap import overlaps
from lab.pilots.reads import iterations
from lab.portfolio import PortfolioRow, build, standing
from lab.reports.document import (
    Block,
    Bullets,
    Chart,
    Columns,
    Document,
    Heading,
    Table,
    Verdict,
)
from lab.reports.pilot import PilotFacts, gather
from lab.words import (
    MISSING,
    day,
    evidence_word,
    guardrail_word,
    headline,
    judged_metric,
    metric_name,
    money,
    outcome_word,
    percent,
    status_word,
)
from lab.words import effect as effect_words

NOTE_KINDS = ("customer-voice", "frontline-voice", "focus-group")  # the voices a brief quotes


@dataclass(frozen=True)
class BriefFacts:
    """A pilot's facts with its portfolio standing, overlaps (past too) and iterations."""

    facts: PilotFacts
    row: PortfolioRow
    overlaps: list[str]
    chain: list[tuple]  # (Pilot, Decision | None), first iteration to last


def brief_facts(session: Session, pilot_key: str) -> BriefFacts:
    """Read everything the brief shows (raise LookupError for an unknown pilot)."""
    row = next((found for found in build(session, full=[pilot_key]) if found.key == pilot_key),
               None)
    facts = gather(session, pilot_key, row.recommendation if row else None)
    if row is None:
        raise LookupError(f"no pilot '{pilot_key}'")
    found = [o.message for o in overlaps(session, history=True)
             if pilot_key in (o.pilot_a, o.pilot_b)]
    return BriefFacts(facts, row, found, iterations(session, facts.pilot))


def brief_document(session: Session, pilot_key: str) -> Document:
    """Build the one-page decision brief of a pilot."""
    brief = brief_facts(session, pilot_key)
    pilot = brief.facts.pilot
    return Document(title=f"Decision brief: {pilot.title}",
                    subtitle=f"Pilot {pilot.key} · {status_word(pilot.status)} · "
                             f"{brief.row.scope} · {date.today():%Y-%m-%d}",
                    blocks=brief_blocks(brief))


def brief_blocks(brief: BriefFacts) -> list[Block]:
    """Return the brief's blocks: verdict, reasons, facts, metrics, charts, history."""
    answer = brief.row.recommendation or {}
    blocks: list[Block] = [Verdict(answer.get("outcome", "none"),
                                   headline(answer.get("outcome"), final=answer.get("final"))
                                   + f" · {evidence_word(brief.row.evidence)}")]
    blocks.append(Bullets(list(answer.get("reasons") or []) + list(answer.get("notes") or [])))
    blocks.append(Table(["", ""], facts_rows(brief), [1, 4], header=False))
    blocks.append(Table(["Metric", "Role", "Result", "Threshold", "Standing"],
                        metric_rows(answer), [2, 1, 4, 1.5, 1.2]))
    charts = [Chart(_looks(answer, metric["key"]), f"{metric_name(metric)} at each look",
                    height=2.6)
              for metric in answer.get("metrics") or [] if metric.get("role") != "secondary"]
    if charts:
        blocks.append(Columns(charts[:3]))
    blocks += [Heading("Overlaps, notes and history"),
               Bullets(history_lines(brief) or ["No overlap, note or earlier decision."])]
    return blocks


def _looks(answer: dict, key: str):
    return lambda ax: looks_chart(ax, answer, key)


def facts_rows(brief: BriefFacts) -> list[list[str]]:
    """Return the brief's facts: hypothesis, benefit, evidence, spend, cost per outcome."""
    row, spec = brief.row, brief.facts.spec
    return [["Hypothesis", spec.hypothesis.statement],
            ["Expected benefit", spec.hypothesis.expected_benefit],
            ["Evidence", f"{evidence_word(row.evidence)} ({row.design} design)"],
            ["Spend", spend_sentence(row)],
            ["Per extra outcome", cost_sentence(row)]]


def spend_sentence(row: PortfolioRow) -> str:
    """Say spend against budget, the burn rate, the projected cost and any overspend."""
    text = f"{money(row.spend, row.currency)} of {money(row.budget, row.currency)}"
    text += f" ({percent(row.spend_share)})" if row.budget else ""
    if row.over_budget:
        text += f"; OVER BUDGET by {money(row.spend - row.budget, row.currency)}"
    if row.burn_rate:
        text += f"; {money(row.burn_rate, row.currency)} a week"
        if row.status == "running":
            text += f", {money(row.projected_cost, row.currency)} projected at the planned end"
    if row.heading_over:
        text += " (on course to overspend)"
    return text


def cost_sentence(row: PortfolioRow) -> str:
    """Say the cost per incremental outcome with its interval, or why there is none."""
    cost = row.cost_per_outcome
    if cost is None:
        return ("not known: no spend recorded" if row.spend <= 0 else
                "none yet: no extra outcome is shown (or the primary counts none)")
    shown = standing.cost_interval(row.primary, row.spend)
    ends = f" ({money(shown[0])} to {money(shown[1], row.currency)})" if shown else ""
    return f"{money(cost, row.currency)}{ends}"


def metric_rows(answer: dict) -> list[list[str]]:
    """Return each metric's line: its judged result, threshold and standing."""
    rows = []
    for metric in answer.get("metrics") or []:
        kind, role = metric.get("kind"), metric.get("role")
        threshold = (f"worth scaling {effect_words(metric.get('minimum_effect'), kind)}"
                     if role == "primary" else
                     f"margin {effect_words(metric.get('margin'), kind).lstrip('+')}"
                     if role == "guardrail" else "reported only")
        status = (guardrail_word(standing.guardrail_status(metric)) if role == "guardrail"
                  else outcome_word(answer.get("outcome")) if role == "primary" else MISSING)
        rows.append([metric_name(metric), str(role), judged_metric(metric), threshold, status])
    return rows


def history_lines(brief: BriefFacts) -> list[str]:
    """Return the overlaps (past ones too), the voices, and the iterations' decisions."""
    lines = [f"Overlap: {message}." for message in brief.overlaps]
    notes = brief.facts.notes
    for note in notes.itertuples():
        if note.kind in NOTE_KINDS:
            lines.append(f"{note.kind.replace('-', ' ').capitalize()} ({day(note.noted_on)}, "
                         f"{note.source}): “{note.text}”")
    for other, decision in brief.chain:
        if decision is not None:
            lines.append(f"Iteration {other.iteration} ({other.key}): "
                         f"{status_word(decision.outcome)} by {decision.decided_by} on "
                         f"{day(decision.decided_at)}, recommended "
                         f"{outcome_word(decision.recommended).lower()}.")
    return lines
