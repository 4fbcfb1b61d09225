"""The content of a pilot's management report: plan, team, results, decisions, spend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlmodel import Session

from lab import portfolio
from lab.charts import looks_chart, periods_chart
from lab.models import Pilot
from lab.pilots import frames
from lab.pilots.find import get_pilot
from lab.pilots.lock import spec_of
from lab.pilots.observations.summaries import period_summaries
from lab.pilots.plans import Preregistration
from lab.portfolio import primary_of as primary_of_answer
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
from lab.vocabulary import Role, Status
from lab.words import (
    analysis_words,
    count,
    day,
    design_words,
    effect,
    flukes,
    headline,
    judged_metric,
    metric_name,
    money,
    outcome_word,
    p_text,
    p_value,
    percent,
    relative,
    status_word,
)

LOOKS_HELP = ("Each point is the primary effect at one look (positive = better), with the "
              "interval that stays valid however often the pilot is looked at. The dashed "
              "line is the smallest effect worth scaling up.")


@dataclass(frozen=True)
class PilotFacts:
    """Everything a pilot's report says, read once from the database."""

    pilot: Pilot
    spec: Preregistration
    answer: dict | None  # the recommendation as the read model gives it; None for a draft
    summaries: pd.DataFrame
    notes: pd.DataFrame
    spend: pd.DataFrame
    decisions: pd.DataFrame


def gather(session: Session, pilot_key: str, answer: dict | None = None) -> PilotFacts:
    """Read a pilot's plan, recommendation and evidence (raise LookupError if unknown)."""
    pilot = get_pilot(session, pilot_key)
    if answer is None and pilot.status != Status.draft:
        answer = portfolio.answer(session, pilot_key)
    return PilotFacts(pilot=pilot, spec=spec_of(pilot), answer=answer,
                      summaries=period_summaries(session, [pilot_key]),
                      notes=frames.notes(session, pilot_key),
                      spend=frames.spend(session, pilot_key),
                      decisions=frames.decisions(session, pilot_key))


def pilot_document(session: Session, pilot_key: str) -> Document:
    """Build the full report of one pilot: the one-page brief first, then the details."""
    from lab.reports.brief import brief_blocks, brief_facts  # the brief builds on gather

    brief = brief_facts(session, pilot_key)
    facts = brief.facts
    return Document(title=f"Pilot report: {facts.pilot.title}",
                    subtitle=f"Pilot {facts.pilot.key} · generated {date.today():%Y-%m-%d}",
                    blocks=[Heading("Executive summary", level=1), *brief_blocks(brief),
                            PageBreak(), *pilot_blocks(facts)])


def pilot_blocks(facts: PilotFacts, compact: bool = False) -> list[Block]:
    """Return the report blocks of one pilot; `compact` fits the portfolio's one page."""
    blocks = [Heading(f"{facts.pilot.title} ({facts.pilot.key})", level=1),
              Paragraph(_status_line(facts), muted=True), *_recommendation(facts)]
    if compact:
        return blocks + _compact(facts)
    return (blocks + _hypothesis(facts.spec) + _plan(facts) + _team(facts.spec)
            + _results(facts) + _decisions(facts) + _notes(facts) + _spend(facts))


def _status_line(facts: PilotFacts) -> str:
    plan = facts.spec.pilot
    return (f"Iteration {facts.pilot.iteration} · {status_word(facts.pilot.status)} · "
            f"scope {plan.scope} · {day(plan.start)} to {day(plan.end)} · "
            f"hypothesis {facts.spec.hypothesis.key}")


def _recommendation(facts: PilotFacts) -> list[Block]:
    if facts.answer is None:
        return [Verdict("draft", "Not started: no recommendation before the pilot runs")]
    answer = facts.answer
    blocks: list[Block] = [Verdict(answer["outcome"],
                                   headline(answer["outcome"], final=answer.get("final")))]
    if answer.get("reasons"):
        blocks.append(Bullets(list(answer["reasons"])))
    return blocks


def _hypothesis(spec: Preregistration) -> list[Block]:
    hypothesis = spec.hypothesis
    return [Heading("Hypothesis"), Paragraph(hypothesis.statement),
            Table(["", ""], [["Process", hypothesis.process.value],
                             ["Expected benefit", hypothesis.expected_benefit],
                             ["Sponsors", ", ".join(s.value for s in hypothesis.sponsors)],
                             ["Owner", hypothesis.owner]], [1, 3], header=False)]


def _plan(facts: PilotFacts) -> list[Block]:
    plan = facts.spec.pilot
    sample = f"{plan.planned_sample:,} per arm" if plan.planned_sample else "not set"
    rows = [["Design", design_words(plan.design)],
            ["Analysis", analysis_words(plan.analysis)],
            ["Allocation", f"{plan.allocation:.0%} of the scope in the pilot arm"],
            ["Error rates", f"alpha {plan.alpha:g}, power {plan.power:.0%}"],
            ["Planned sample", sample], ["Dates", f"{day(plan.start)} to {day(plan.end)}"],
            ["Budget", money(plan.budget, plan.currency)]]
    return [Heading("Plan"), Table(["", ""], rows, [1, 3], header=False),
            Table(["Metric", "Role", "Kind", "Better when", "Threshold"],
                  [_metric_plan_row(metric) for metric in facts.spec.metrics],
                  [2.4, 1, 1, 1, 2.6])]


def _metric_plan_row(metric) -> list[str]:
    kind = metric.kind.value
    if metric.minimum_effect is not None:
        threshold = f"smallest effect worth scaling {effect(metric.minimum_effect, kind)}"
    elif metric.margin is not None:
        threshold = f"harm tolerated {effect(metric.margin, kind).lstrip('+')}"
    else:
        threshold = "reported only"
    return [metric.name, metric.role.value, kind, f"{metric.direction.value}s", threshold]


def _team(spec: Preregistration) -> list[Block]:
    if not spec.pilot.team:
        return [Heading("Team"), Paragraph("No team recorded in the plan.", muted=True)]
    return [Heading("Team"), Table(["Name", "Function"],
                                   [[m.name, m.function.value] for m in spec.pilot.team],
                                   [2, 3])]


def _results(facts: PilotFacts) -> list[Block]:
    if facts.answer is None:
        return [Heading("Results"), Paragraph("No results: the pilot has not started.")]
    answer = facts.answer
    blocks: list[Block] = [Heading("Results"), Table(["", ""], _progress(answer), [1, 3],
                                                     header=False), _effects_table(answer)]
    blocks += [Chart(lambda ax: looks_chart(ax, answer), "The primary effect at each look"),
               Paragraph(LOOKS_HELP, muted=True)]
    for metric in facts.spec.metrics:
        if metric.role == Role.guardrail:
            blocks.append(Chart(_guardrail_looks(answer, metric.key),
                                f"{metric.name}: the guardrail at each look"))
    for metric in facts.spec.metrics:
        if metric.role != Role.secondary or metric.target is not None:
            blocks.append(_periods(facts, metric))
    return blocks


def _guardrail_looks(answer: dict, key: str):
    return lambda ax: looks_chart(ax, answer, key)


def _progress(answer: dict) -> list[list[str]]:
    rows = [["Information", f"{percent(answer.get('information_fraction'))} of the planned "
                            "sample" + (" (final look)" if answer.get("final") else "")]]
    if answer.get("srm_p_value") is not None:
        rows.append(["Split check", f"sample-ratio {p_text(answer['srm_p_value'])}"])
    if answer.get("needed_sample"):
        rows.append(["Still needed", f"{count(answer['needed_sample'])} more per arm"])
    if answer.get("projected_date"):
        rows.append(["Projected", f"enough data by {day(answer['projected_date'])}"])
    if answer.get("q_value") is not None and (primary_of_answer(answer).get("ci_low") or 0) > 0:
        rows.append(["Could it be a fluke?", flukes(answer["q_value"])])
    return rows


def _effects_table(answer: dict) -> Table:
    rows = []
    for metric in answer.get("metrics") or []:
        rows.append([metric_name(metric), str(metric.get("role")), judged_metric(metric),
                     relative(metric.get("lift"), str(metric.get("direction"))),
                     p_value(metric.get("p_value")),
                     f"{count(metric.get('n_pilot'))} / {count(metric.get('n_control'))}"])
    # The p-value is the one matching the interval the decision read (never a nominal one).
    return Table(["Metric", "Role", "Result (interval)", "Against control", "p",
                  "n pilot / control"], rows, [1.4, 0.7, 2.6, 1.4, 0.5, 1.0])


def _periods(facts: PilotFacts, metric) -> Chart:
    summaries = facts.summaries

    def draw(ax):
        return periods_chart(ax, summaries, metric.key, metric.kind.value, label=metric.name,
                             target=metric.target.to_dict() if metric.target else None)

    return Chart(draw, f"{metric.name} per period, by arm", height=2.8)


def _decisions(facts: PilotFacts) -> list[Block]:
    blocks: list[Block] = [Heading("Decisions")]
    if facts.decisions.empty:
        return blocks + [Paragraph("No decision signed off yet.", muted=True)]
    rows = [[day(row.decided_at), status_word(row.outcome), outcome_word(row.recommended),
             row.decided_by,
             "" if pd.isna(row.rationale) else row.rationale]
            for row in facts.decisions.itertuples()]
    return blocks + [Table(["Date", "Decision", "Recommended", "By", "Rationale"], rows,
                           [1.1, 1, 1.1, 1.8, 3.5])]


def _notes(facts: PilotFacts) -> list[Block]:
    blocks: list[Block] = [Heading("Notes")]
    if facts.notes.empty:
        return blocks + [Paragraph("No notes recorded.", muted=True)]
    for note in facts.notes.itertuples():
        blocks += [Paragraph(f"{day(note.noted_on)} · {note.kind} · {note.source}", muted=True),
                   Paragraph(note.text)]
    return blocks


def _spend(facts: PilotFacts) -> list[Block]:
    plan = facts.spec.pilot
    rows = [[day(row.spent_on), money(row.amount, plan.currency), row.description]
            for row in facts.spend.itertuples()]
    blocks: list[Block] = [Heading("Spend"), Paragraph(spend_line(facts))]
    if rows:
        blocks.append(Table(["Date", "Amount", "What"], rows, [1, 1.2, 5]))
    return blocks


def spend_line(facts: PilotFacts) -> str:
    """Say the spend against the budget and, once measured, per extra outcome."""
    plan = facts.spec.pilot
    spent = float(facts.spend["amount"].sum()) if not facts.spend.empty else 0.0
    text = f"Spent {money(spent, plan.currency)} of a {money(plan.budget, plan.currency)} budget"
    text += f" ({percent(spent / plan.budget)})." if plan.budget else "."
    primary = portfolio.primary_of(facts.answer or {})
    extra = portfolio.incremental_outcomes(primary)
    cost = portfolio.cost_per_outcome(primary, spent)
    if extra is not None:
        text += f" About {count(round(extra))} extra outcomes so far"
        text += (f": {money(cost, plan.currency)} each." if cost is not None
                 else "; no spend recorded, so no cost per outcome yet.")
    return text


def _compact(facts: PilotFacts) -> list[Block]:
    blocks: list[Block] = [Paragraph(facts.spec.hypothesis.statement)]
    if facts.answer is not None:
        answer = facts.answer
        blocks += [_effects_table(answer),
                   Chart(lambda ax: looks_chart(ax, answer), "The primary effect at each look",
                         height=2.8)]
    blocks.append(Paragraph(spend_line(facts)))
    if not facts.decisions.empty:
        last = facts.decisions.iloc[-1]
        blocks.append(Paragraph(f"Decision: {status_word(last['outcome'])}, signed off on "
                                f"{day(last['decided_at'])} by {last['decided_by']}."))
    return blocks
