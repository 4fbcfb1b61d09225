"""The reasons a recommendation gives, in sentences a manager reads.

Every sentence explains a verdict already reached (`lab.analysis.verdicts`): the rule
and the gates decide, this module only says why, in the words of `lab.words`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from lab.stats import gates
from lab.stats.synthetic import comparisons_needed
from lab.words import (
    Effect,
    allowed,
    amount,
    capitalised,
    change,
    harm_verb,
    number,
    points,
    worth,
)

# How strong each design's evidence is, in a manager's words.
EVIDENCE = {
    "holdout": "evidence: randomized (customers split at random between pilot and control), "
               "the strongest",
    "diff-in-diff": "evidence: a comparison scope (diff-in-diff), which holds only if the "
                    "pilot and comparison scopes would have moved in parallel without the "
                    "pilot",
    "baseline": "weak evidence: before/after only, so time effects cannot be separated from "
                "the pilot",
    "comparison-scopes": "evidence: comparison scopes (a weighted blend of scopes running as "
                         "usual, matched to the pilot scope before it started), which holds "
                         "only if that blend would have kept tracking the pilot scope",
}
BASELINE_NOTE = EVIDENCE["baseline"]
FALLBACK_NOTE = ("one period in each phase: the period-to-period noise could not be "
                 "estimated; the standard error uses the cells' sampling variances alone")
_P_MATCHES = "p-value adjusted to the look, below alpha exactly when the interval excludes 0"
# The holdout's interval per kind: valid for small counts (lab.stats.intervals).
_SMALL_SAMPLE = {"proportion": "Newcombe hybrid score interval of the difference",
                 "mean": "Welch t interval of the difference",
                 "rate": "MOVER score interval of the difference in rates"}


def explain(code: str, primary: Effect, guardrails: Sequence[Effect]) -> str:
    """Return the sentence for one of the rule's reason codes (STATISTICS §4)."""
    moved = change(primary)
    harmed = [g for g in guardrails if g.ci_high < -(g.threshold or 0)]
    unproven = [g for g in guardrails if not g.ci_low > -(g.threshold or 0)]
    if code == "worse":
        return f"{moved}: the pilot is doing worse than the control"
    if code == "futile":
        return f"{moved}; {worth(primary)}, and an effect that large is now ruled out"
    if code in ("harm_no_benefit", "harm"):
        g = harmed[0]
        harm = f"{g.name} {harm_verb(g.direction)}s by more than {allowed(g)} ({change(g)})"
        if code == "harm":
            return f"{moved}, but {harm}"
        return f"{harm}, and {primary.name} shows no clear benefit ({moved})"
    if code == "too_small":
        size = amount(primary.kind, primary.threshold or math.nan, threshold=True)
        return f"{moved}: real, but smaller than the {size} worth scaling"
    if code == "guardrail_unproven":
        g = unproven[0]
        return (f"{moved}; but the pilot ended before {g.name} could be shown not to "
                f"{harm_verb(g.direction)} by more than {allowed(g)} ({change(g)})")
    if code == "inconclusive":
        return f"the pilot ended without a clear answer: {moved}; {worth(primary)}"
    if code == "effective":
        kept = "".join(f"; {g.name} did not {harm_verb(g.direction)} by more than "
                       f"{allowed(g)}" for g in guardrails)
        return f"{moved}; {worth(primary)}{kept}"
    return f"no clear answer yet: {moved}; {worth(primary)}"


def gate(code: str, primary: Effect, short_of_data: Sequence[str], srm_p_value: float,
         pretrend: str | None) -> list[str]:
    """Return the reasons of a look stopped by a gate, or of the rule's code."""
    if code == "not_enough_data":
        return [capitalised(sentence) for sentence in short_of_data]
    if code == "sample_ratio_mismatch":
        return [capitalised("the split between arms is not what was planned: fix the "
                            f"assignment (sample ratio check p = {srm_p_value:.2g})")]
    if code == "pretrend":
        return [capitalised(pretrend or "the comparison was already moving before the pilot")]
    if code == "waiting":
        return [capitalised(f"this pilot is analysed once, at its end; so far "
                            f"{change(primary)}; {worth(primary)}")]
    return []


def short_of_data(name: str, kind: str, design: str) -> str:
    """Say which metric lacks data for the enough-data gate."""
    where = "each arm" if design == "holdout" else (
        "each phase" if design == "baseline" else "each arm in each phase")
    return f"not enough data yet for {name}: {where} needs {requirement(kind)}"


def requirement(kind: str) -> str:
    """Say in words what each arm needs before its normal approximation is trusted."""
    return {"proportion": f"at least {gates.MINIMUM_SUCCESSES} successes and "
                          f"{gates.MINIMUM_SUCCESSES} failures",
            "mean": f"at least {gates.MINIMUM_UNITS} units",
            "rate": f"at least {gates.MINIMUM_EVENTS} events"}[kind]


def pretrend(name: str, kind: str, design: str, slope: float, se: float,
             critical: float) -> str:
    """Describe a clear pre-trend of the primary's gap."""
    low, high = slope - critical * se, slope + critical * se
    what = ("the pilot and control were already drifting apart" if design == "diff-in-diff"
            else "the metric was already moving")
    return (f"{what} before the pilot started ({name} gap changing by "
            f"{amount(kind, slope)} per period, {_end(kind, low)} to {_end(kind, high)}): "
            "the comparison is not fair; revise the design")


def _end(kind: str, value: float) -> str:
    return points(value) if kind == "proportion" else number(value)


def still_needed(kind: str, needed: int | None, projected: dt.date | None) -> str:
    """Say how much more data is needed and by when, at the current pace."""
    unit = "exposure" if kind == "rate" else "units"
    if needed is None:
        return "The sample still needed cannot be estimated yet."
    if needed == 0:
        return (f"The planned sample is reached; the answer stays open until the planned end "
                f"({projected.isoformat() if projected else 'unknown'}).")
    when = f"; at the current pace that is by {projected.isoformat()}" if projected else ""
    return f"About {needed:,} more {unit} per arm are needed{when}."


def method(design: str, analysis: str, kind: str, fallback: bool, critical: float,
           df: float = math.inf) -> str:
    """Name how a metric's interval and p-value were obtained."""
    if design == "comparison-scopes":
        return ("synthetic control of demeaned scopes, weights fitted before the pilot; "
                "interval from placebo runs of every comparison scope, at the level the "
                f"look allows ({critical:.3f} before-fit errors); {_P_MATCHES}")
    if design != "holdout":
        base = ("diff-in-diff of the per-period gaps" if design == "diff-in-diff"
                else "before/during change of the pilot series alone")
        base += (", standard error from the cells' sampling variances alone" if fallback
                 else ", standard error from the sampling variances plus period-to-period "
                      f"noise, t with {_df(df)} df")
        interval = "t interval"
    else:
        base = _SMALL_SAMPLE[kind]
        interval = "interval"
    if analysis == "sequential":
        return (f"{base}; {interval} at the Lan–DeMets O'Brien–Fleming boundary "
                f"({critical:.3f}), valid at every look; {_P_MATCHES}")
    if analysis == "always-valid":
        return (f"{base}; {interval} spanning the always-valid normal-mixture confidence "
                f"sequence (mSPRT, {critical:.3f} standard errors); {_P_MATCHES}")
    if design != "holdout":
        return f"{base}; t interval and p-value"
    return f"{base}; p-value where the interval reaches 0; log-ratio interval for the lift"


def _df(df: float) -> str:
    return f"{df:.1f}" if math.isfinite(df) else "infinite"


def no_interval(name: str, n_pilot: float, n_control: float, se: float) -> str:
    """Say why a metric has no interval."""
    if n_pilot == 0 or n_control == 0:
        why = "an arm has no data"
    elif se == 0 or not math.isfinite(se):
        why = "no variation in the data, so the standard error is undefined"
    else:
        why = "the data do not identify it"
    return f"{name}: no interval ({why})"


def design_notes(design: str, analysis: str, planned_sample: int | None, fallback: bool,
                 trend_note: str | None, rate_primary: bool,
                 serial_correlation: float | None = None) -> list[str]:
    """Return what could not be checked, or how the design reads, as notes."""
    out = []
    if design == "comparison-scopes":
        out.append("relative lift is not reported for a non-randomized design")
    elif design != "holdout":
        if fallback:
            out.append(FALLBACK_NOTE)
        if trend_note:
            out.append(trend_note)
        out.append(f"the intervals allow for period-to-period noise with serial correlation "
                   f"up to {serial_correlation:g} (the plan's assumption); stronger "
                   f"correlation would make them too narrow")
        out.append("relative lift is not reported for a non-randomized design")
    elif not planned_sample and analysis == "sequential":
        out.append("no planned sample: the information fraction is calendar time")
    if design == "holdout" and rate_primary:
        out.append("sample ratio not checked: rate exposure is not a count of units")
    return out


def unmatched(name: str, arm: str, periods: Sequence[dt.date]) -> str:
    """Say which periods of a metric wait for the other arm's row."""
    shown = ", ".join(day.isoformat() for day in periods[:5])
    more = f" and {len(periods) - 5} more" if len(periods) > 5 else ""
    return (f"{name}: no {arm} row for {shown}{more}; a period counts once both arms are "
            "logged")


def waiting_for_primary(others: Sequence[str], primary: str) -> str:
    """Say that other metrics have rows while the looks wait for the primary's."""
    return (f"{', '.join(others)} {'has' if len(others) == 1 else 'have'} rows, but a look "
            f"is the period of a primary row: nothing is read until {primary} is logged")


def scope_fit(kind: str, before: int, fit: float, rank, comparisons: int,
              weights: dict | None, level: float, analysis: str, placebo_p: float,
              mde: float = math.nan, minimum_effect: float = math.nan) -> list[str]:
    """Say how well the comparison scopes matched before, and what their number allows.

    ``level`` is the two-sided level the plan's most lenient look reads at
    (`lab.stats.synthetic.lenient_level`).
    """
    smallest = 1 / (comparisons + 1)
    if weights is None or not math.isfinite(fit):
        said = [f"the comparison scopes could not be matched yet: {before} before-period"
                f"{'s' if before != 1 else ''} logged with every scope, at least 2 needed"]
    else:
        blend = ", ".join(f"{scope} {share:.0%}" for scope, share in
                          sorted(weights.items(), key=lambda item: -item[1]) if share >= 0.005)
        said = [f"before the pilot, the blend of comparison scopes ({blend}) tracked it "
                f"within {amount(kind, fit)} per period over {before} before-periods; "
                f"{int(rank) - 1} of {comparisons} comparison scopes were matched as closely"]
    decides = level * (comparisons + 1) >= 1 - 1e-9
    if not decides:
        said.append(f"with {comparisons} comparison scopes the smallest p-value this design "
                    f"can reach is 1/{comparisons + 1} = {smallest:.2f}, above the "
                    f"{level:.3g} its {analysis} analysis reads at best: it cannot show an "
                    f"effect; at least {comparisons_needed(level)} comparison scopes would "
                    "be needed")
    if weights is not None and math.isfinite(mde):
        enough = ("" if not math.isfinite(minimum_effect) else
                  "; the minimum effect is within reach" if mde <= minimum_effect else
                  f"; the minimum effect ({amount(kind, minimum_effect)}) is below it, so "
                  "the pilot may well end without a clear answer")
        said.append(f"placebo runs on the before-periods put the smallest effect this design "
                    f"detects at about {amount(kind, mde)}{enough}")
    if decides and math.isfinite(placebo_p):
        said.append(f"placebo check: {round(placebo_p * (comparisons + 1))} of "
                    f"{comparisons + 1} scopes (the pilot's included) moved at least as much "
                    f"as the pilot scope (p = {placebo_p:.2f} at this look, "
                    f"{smallest:.2f} at best)")
    return said


def evidence(design: str) -> str:
    """Say how strong the design's evidence is."""
    return EVIDENCE[design]


def trend(state: str, kind: str, design: str, before: int, slope: float, low: float,
          high: float, detectable: float, needed: float) -> str:
    """Say what the parallel-trends check found, for a pilot it did not send back."""
    need = _needed(needed)
    if state == "unchecked":
        return (f"parallel trends could not be checked: {before} before-period"
                f"{'s' if before != 1 else ''} logged, at least 3 needed (and {need} to see a "
                "drift that alone would create the minimum effect)")
    what = "gap" if design == "diff-in-diff" else "level"
    found = (f"no clear drift before the pilot over {before} before-periods ({what} "
             f"changing by {amount(kind, slope)} per period, {_end(kind, low)} to "
             f"{_end(kind, high)})")
    if state == "parallel":
        return f"{found}; a drift large enough to create the minimum effect would have shown"
    miss = (f"could miss a drift of {amount(kind, detectable)} per period, enough to "
            "create the minimum effect on its own" if math.isfinite(detectable)
            else "cannot tell which drifts it would miss (the data do not vary)")
    return (f"{found}, but the check {miss}: parallel trends are not confirmed ({need} "
            "before-periods would be needed)")


def trend_note(state: str, kind: str, before: int, detectable: float, relevant: float,
               needed: float) -> str | None:
    """Return the parallel-trends check's numbers as a note (None when it was conclusive)."""
    if state in ("clear", "parallel"):
        return None
    if state == "unchecked":
        return (f"parallel trends not checked: a slope needs at least 3 before-periods; "
                f"{_needed(needed)} would find a drift of {amount(kind, relevant)} per "
                "period, the one that alone would create the minimum effect")
    finds = (f"finds a drift of {amount(kind, detectable)} per period with the planned power"
             if math.isfinite(detectable) else "cannot tell which drifts it finds")
    return (f"parallel trends not confirmed: over {before} before-periods the check {finds}, "
            f"but {amount(kind, relevant)} per period would already create the minimum "
            f"effect; {_needed(needed)} before-periods would find it")


def _needed(needed: float) -> str:
    return f"about {int(needed)}" if math.isfinite(needed) else "more than 104"


def no_data(name: str) -> str:
    """Say that a pilot has nothing logged yet."""
    return f"No observations of {name} yet: log the first period to start."
