"""Words for people: how every number, effect, outcome and status is written.

One home for each, used by the reasons of a recommendation, the web pages (as Jinja
filters), the reports, the command line and the notebooks, so each thing reads the same
everywhere. Every formatter takes what the data gives (a float, None, NaN, pandas' NA)
and writes a missing value as `MISSING`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from lab.vocabulary import Analysis, Design, Evidence, Kind, Outcome, Status

MISSING = "–"  # one mark for a value that is not known (yet)

OUTCOME_WORDS = {Outcome.scale_up: "Scale up", Outcome.revise: "Revise",
                 Outcome.withdraw: "Withdraw", Outcome.continue_: "Keep collecting data"}
NOT_CHECKED = "Not checked"  # a draft has no recommendation
STATUS_WORDS = {Status.draft: "Draft", Status.running: "Running",
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


@dataclass(frozen=True)
class Effect:
    """One metric's oriented effect at a look, with what it is compared against.

    ``estimate``, ``ci_low`` and ``ci_high`` are oriented (positive is better);
    ``threshold`` is the primary's minimum effect or a guardrail's margin.
    """

    name: str
    kind: str
    direction: str
    estimate: float
    ci_low: float
    ci_high: float
    threshold: float | None = None


def points(value: float, *, signed: bool = False) -> str:
    """Write a proportion's difference in percentage points, without the unit.

    One decimal, or two significant digits below 0.1 point, so a tiny effect reads
    '0.0042', not '0.0'; zero never carries a sign ('−0.0').
    """
    shown = 100 * value + 0.0  # + 0.0 turns −0.0 into 0.0
    sign = "+" if signed else ""
    if shown == 0 or abs(shown) >= 0.095:
        return f"{shown:{sign}.1f}"
    return f"{shown:{sign}.2g}"


def number(value: float) -> str:
    """Format a metric value: 2 decimals from 1 up, 3 significant digits below."""
    if not math.isfinite(value):
        return "unknown"
    value += 0.0  # never '-0.00'
    size = abs(value)
    if size >= 100:
        return f"{value:,.0f}"
    if size >= 1 or size == 0:
        return f"{value:.2f}"
    return f"{value:.3g}"


def amount(kind: str, value: float, *, threshold: bool = False) -> str:
    """Format an absolute difference; proportions in percentage points."""
    if kind != "proportion":
        return number(value)
    if not math.isfinite(value):
        return "unknown"
    shown = points(value)
    if threshold:
        shown = shown.removesuffix(".0")
    return f"{shown} point" + ("" if shown in ("1", "-1") else "s")


def _bare(kind: str, value: float) -> str:
    """Format an interval end without the unit (the unit follows the estimate)."""
    return points(value) if kind == "proportion" else number(value)


def good_word(direction: str) -> str:
    """Return the noun for an improvement: 'rise' or 'drop'."""
    return "rise" if direction == "increase" else "drop"


def harm_verb(direction: str) -> str:
    """Return the verb for getting worse: 'fall' for higher-is-better, else 'rise'."""
    return "fall" if direction == "increase" else "rise"


def change(effect: Effect, *, start: bool = False) -> str:
    """Say how the metric moved, e.g. 'churn fell by 2.4 points (1.1 to 3.7)'."""
    sign = 1.0 if effect.direction == "increase" else -1.0
    raw = sign * effect.estimate
    low, high = sorted((sign * effect.ci_low, sign * effect.ci_high))
    name = effect.name[:1].upper() + effect.name[1:] if start else effect.name
    if not math.isfinite(raw):
        return f"{name} could not be estimated"
    if raw >= 0:
        verb, shown, lo, hi = "rose", raw, low, high
    else:
        verb, shown, lo, hi = "fell", -raw, -high, -low
    interval = (f"{_bare(effect.kind, lo)} to {_bare(effect.kind, hi)}"
                if math.isfinite(lo) and math.isfinite(hi) else "no interval")
    return f"{name} {verb} by {amount(effect.kind, shown)} ({interval})"


def worth(effect: Effect) -> str:
    """Say the minimum effect, e.g. 'the smallest drop worth scaling was 2 points'."""
    size = amount(effect.kind, effect.threshold or math.nan, threshold=True)
    return f"the smallest {good_word(effect.direction)} worth scaling was {size}"


def allowed(effect: Effect) -> str:
    """Say the margin, e.g. 'the 1.50 allowed'."""
    return f"the {amount(effect.kind, effect.threshold or math.nan, threshold=True)} allowed"


def capitalised(sentence: str) -> str:
    """Return the sentence with its first letter in upper case and a final full stop."""
    sentence = sentence[:1].upper() + sentence[1:]
    return sentence if sentence.endswith(".") else sentence + "."


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


def effect_scale(kind: str | None) -> tuple[float, str]:
    """Return the factor and the unit an effect of this kind is shown in."""
    if kind == Kind.proportion:
        return 100.0, "percentage points"
    if kind == Kind.rate:
        return 1.0, "events per unit of exposure"
    return 1.0, "difference in means" if kind == Kind.mean else "metric units"


def to_float(value: object) -> float:
    """Return value as a float; nan when it is missing (None, NaN, NA) or not a number."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan


def effect(value: object, kind: str | None) -> str:
    """Write a signed effect in its unit: '+2.4 points' for a proportion, '-1.50' else."""
    value = to_float(value)
    if not math.isfinite(value):
        return MISSING
    value += 0.0  # never '-0.00'
    if kind == Kind.proportion:
        return f"{points(value, signed=True)} points"
    return f"{value:+.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:+.2g}"


def interval(low: object, high: object, kind: str | None) -> str:
    """Write an interval in the unit of the effect it follows: '(+1.1 to +3.7)'."""
    ends = [to_float(low), to_float(high)]
    if not any(math.isfinite(end) for end in ends):
        return "(no interval)"
    shown = [effect(end, kind).removesuffix(" points") for end in ends]
    return f"({shown[0]} to {shown[1]})"


def money(amount: object, currency: str = "") -> str:
    """Write an amount with thousands separators and no cents: '12,500 EUR'."""
    value = to_float(amount)
    return f"{value:,.0f} {currency}".strip() if math.isfinite(value) else MISSING


def count(value: object) -> str:
    """Write a count or a size: whole numbers with separators, others as `number`."""
    value = to_float(value)
    if not math.isfinite(value):
        return MISSING
    return f"{value:,.0f}" if value.is_integer() else number(value)


def p_value(value: object) -> str:
    """Write a p-value to two significant digits, or '<0.001'."""
    value = to_float(value)
    if not math.isfinite(value):
        return MISSING
    return "<0.001" if value < 0.001 else f"{value:.2g}"


def q_value(value: object) -> str:
    """Write a portfolio q-value (Benjamini–Hochberg) the way p-values are written."""
    return p_value(value)


def p_text(value: object) -> str:
    """Write a p-value as people say it: 'p = 0.016', 'p < 0.001'."""
    shown = p_value(value)
    return f"p {shown[0]} {shown[1:]}" if shown.startswith("<") else f"p = {shown}"


def percent(value: object) -> str:
    """Write a share as a whole percentage: '24%'."""
    value = to_float(value)
    return f"{value:.0%}" if math.isfinite(value) else MISSING


def lift(value: object, low: object = None, high: object = None, sep: str = " ") -> str:
    """Write a relative lift, with its interval when given: '+8.1% (+2.0% to +14.6%)'."""
    shown = [f"{v:+.1%}" if math.isfinite(v) else MISSING
             for v in (to_float(value), to_float(low), to_float(high))]
    if shown[0] == MISSING or (low is None and high is None):
        return shown[0]
    return f"{shown[0]}{sep}({shown[1]} to {shown[2]})"


def day(value: object) -> str:
    """Write the day of a date or a moment: '2026-01-05'."""
    moment = _moment(value)
    return moment.strftime("%Y-%m-%d") if moment is not None else MISSING


def when(value: object) -> str:
    """Write a date as '2026-01-05' and a moment as '2026-01-05 10:50'."""
    moment = _moment(value)
    if moment is None:
        return MISSING
    return moment.strftime("%Y-%m-%d %H:%M" if isinstance(moment, datetime) else "%Y-%m-%d")


def _moment(value: object) -> date | None:
    """Return a date or datetime (pandas' Timestamp is one) from what the data holds."""
    if isinstance(value, str):
        try:
            return (date.fromisoformat(value) if len(value) == 10
                    else datetime.fromisoformat(value))
        except ValueError:
            return None
    if not isinstance(value, date) or value != value:  # NaT is a date unequal to itself
        return None
    return value


def evidence_word(evidence: str | None) -> str:
    """Name how strong a design's evidence is, e.g. 'Before/after only — weak evidence'."""
    return EVIDENCE_WORDS.get(evidence or "", MISSING)


def guardrail_word(status: str | None) -> str:
    """Name where the guardrails stand, e.g. 'Not yet shown safe'."""
    return GUARDRAIL_WORDS.get(status or "", MISSING)


def judged(effect: Effect) -> str:
    """Say whether a metric got better or worse, and how: 'Worse: opt-outs up 4.1 points'.

    The verdict reads the oriented interval (positive is better); the movement is said
    in the metric's own direction, so a lower-is-better metric that rose reads 'up'.
    """
    sign = 1.0 if effect.direction == "increase" else -1.0
    raw, low, high = (sign * value for value in (effect.estimate, effect.ci_low,
                                                 effect.ci_high))
    if not math.isfinite(raw):
        return f"No estimate yet: {effect.name}"
    low, high = sorted((low, high))
    if raw < 0:  # said as "down by": the interval's ends as sizes of the drop
        low, high = -high, -low
    ends = (f"({_bare(effect.kind, low)} to {_bare(effect.kind, high)})"
            if math.isfinite(low) and math.isfinite(high) else "(no interval)")
    shown = f"{effect.name} {'up' if raw >= 0 else 'down'} {amount(effect.kind, abs(raw))} {ends}"
    if effect.ci_low > 0:
        return f"Better: {shown}"
    if effect.ci_high < 0:
        return f"Worse: {shown}"
    return f"Not clear yet: {shown}, could be better or worse"


def relative(lift_value: object, direction: str) -> str:
    """Say a lift with its direction spelled out: '189% higher than control (worse)'."""
    value = to_float(lift_value)
    if not math.isfinite(value):
        return MISSING
    higher = value >= 0
    better = higher == (direction == "increase")
    return (f"{abs(value):.0%} {'higher' if higher else 'lower'} than control "
            f"({'better' if better else 'worse'})")


def better_when(direction: str) -> str:
    """Say which way a metric is better: 'higher is better'."""
    return "higher is better" if direction == "increase" else "lower is better"


def flukes(q: object) -> str:
    """Explain a q-value as advice: 'about 3 in 100 wins this strong could be flukes'."""
    value = to_float(q)
    if not math.isfinite(value):
        return MISSING
    if value < 0.01:
        return "fewer than 1 in 100 wins this strong could be flukes"
    return f"about {round(100 * value)} in 100 wins this strong could be flukes"


def judged_metric(metric: Mapping) -> str:
    """Say a recommendation's metric entry as `judged` does (labels before keys)."""
    return judged(Effect(metric_name(metric), str(metric.get("kind")),
                         str(metric.get("direction")), to_float(metric.get("estimate")),
                         to_float(metric.get("ci_low")), to_float(metric.get("ci_high"))))


def process_word(process: str | None) -> str:
    """Name a customer-lifecycle process: 'Win back', 'Voice of the customer'."""
    return (process or MISSING).replace("-", " ").capitalize()
