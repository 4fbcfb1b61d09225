"""What things are called: outcomes, statuses, designs, evidence, guardrails, metrics."""

from __future__ import annotations

from collections.abc import Mapping

from lab.vocabulary import Analysis, Design, Evidence, Kind, Outcome, Status

MISSING = "–"  # one mark for a value that is not known (yet)


OUTCOME_WORDS = {Outcome.scale_up: "Scale up", Outcome.revise: "Revise",
                 Outcome.withdraw: "Withdraw", Outcome.continue_: "Keep collecting data"}


NOT_CHECKED = "Not checked"  # a draft has no recommendation


STATUS_WORDS = {Status.draft: "Draft", Status.running: "Running", Status.paused: "Paused",
                Status.scaled_up: "Scaled up", Status.revised: "Revised",
                Status.withdrawn: "Withdrawn"}


DESIGN_WORDS = {
    Design.holdout: "holdout: the scope's customers are split at random into pilot and "
                    "control (the strongest evidence)",
    Design.diff_in_diff: "difference-in-differences: the pilot scope against a comparable "
                         "scope, before and during the pilot",
    Design.baseline: "baseline: the pilot scope before against during (weak evidence: time "
                     "effects cannot be separated from the pilot)",
    Design.comparison_scopes: "comparison scopes: the pilot scope against a weighted blend of "
                              "several scopes running as usual, matched before the pilot",
}


ANALYSIS_WORDS = {
    Analysis.sequential: "group-sequential: a look every period, intervals kept honest by "
                         "O'Brien-Fleming boundaries",
    Analysis.always_valid: "always-valid: look at any time; needs about 1.8 times the sample",
    Analysis.fixed: "fixed horizon: one look at the planned end",
}


EVIDENCE_WORDS = {Evidence.randomized: "Randomized",
                  Evidence.comparison: "Comparison scopes",
                  Evidence.before_after: "Before/after only — weak evidence"}


# A guardrail's standing against its margin (lab.portfolio.standing.guardrail_status).
GUARDRAIL_WORDS = {"safe": "Safe", "harmed": "Harmed", "unclear": "Not yet shown safe",
                   "none": "No guardrail"}


# What one unit of a metric's value is, as a chart's axis says it.
VALUE_LABELS = {Kind.proportion: "Share of customers (%)", Kind.mean: "Mean per customer",
                Kind.rate: "Events per unit of exposure"}


def outcome_word(outcome: str | None) -> str:
    """Name a recommended (or decided) outcome, e.g. 'Keep collecting data'."""
    return OUTCOME_WORDS.get(outcome or "", NOT_CHECKED)


def headline(outcome: str | None, *, final: bool = False) -> str:
    """Say the recommendation as a report's banner: 'Recommendation: scale up'."""
    text = f"Recommendation: {outcome_word(outcome).lower()}"
    return text + " (final look)" if final else text


def status_word(status: str | None) -> str:
    """Name a pilot's status (or a decision's), e.g. 'Scaled up'."""
    return STATUS_WORDS.get(status or "", status or MISSING)


def design_words(design: str) -> str:
    """Describe a design and the strength of its evidence."""
    return DESIGN_WORDS.get(design, design)


def analysis_words(analysis: str) -> str:
    """Describe an analysis plan: how often the pilot may be read."""
    return ANALYSIS_WORDS.get(analysis, analysis)


def metric_name(metric: Mapping) -> str:
    """Return the name people read: the metric's label, else its key."""
    return str(metric.get("label") or metric.get("key") or "metric")


def value_label(kind: str | None) -> str:
    """Name what a metric's value per period is, for a chart's axis."""
    return VALUE_LABELS.get(kind or "", "Value")


def evidence_word(evidence: str | None) -> str:
    """Name how strong a design's evidence is, e.g. 'Before/after only — weak evidence'."""
    return EVIDENCE_WORDS.get(evidence or "", MISSING)


def guardrail_word(status: str | None) -> str:
    """Name where the guardrails stand, e.g. 'Not yet shown safe'."""
    return GUARDRAIL_WORDS.get(status or "", MISSING)


def better_when(direction: str) -> str:
    """Say which way a metric is better: 'higher is better'."""
    return "higher is better" if direction == "increase" else "lower is better"


def process_word(process: str | None) -> str:
    """Name a customer-lifecycle process: 'Win back', 'Voice of the customer'."""
    return (process or MISSING).replace("-", " ").capitalize()
