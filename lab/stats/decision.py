"""The decision rule (STATISTICS §4): scale up, revise, withdraw or continue.

Every branch reads one set of simultaneous intervals (oriented, positive is better):
[L, U] for the primary with minimum effect δ, and [L_g, U_g] with margin m_g for each
guardrail. The rule is Spotify's (Schultzberg, Ankargren & Frånberg 2024) with
GrowthBook's minimum-effect futility.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lab.stats import wording
from lab.stats.gates import SRM_THRESHOLD
from lab.stats.wording import Effect, capitalised, change

OUTCOMES = ("scale_up", "revise", "withdraw", "continue")
# Reason code → outcome, in the order the rule tries them.
REASONS = {
    "worse": "withdraw", "futile": "withdraw", "harm_no_benefit": "withdraw",
    "harm": "revise", "too_small": "revise", "guardrail_unproven": "revise",
    "inconclusive": "revise", "effective": "scale_up", "open": "continue",
}


def rule(low, high, minimum_effect, guard_low=None, guard_high=None, margins=None,
         final=False) -> np.ndarray:
    """Return the reason code of the §4 rule for arrays of looks.

    Parameters
    ----------
    low, high : array_like, shape (M,)
        The primary's oriented interval at each look.
    minimum_effect : float or array_like
        δ > 0.
    guard_low, guard_high : array_like, shape (M, G), optional
        Guardrail intervals (oriented); ``margins`` broadcast against them.
    final : bool or array_like
        Whether the look is the final one.

    Returns
    -------
    numpy.ndarray of str
        One of the keys of `REASONS`; NaN intervals fall through to "open".
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    delta = np.asarray(minimum_effect, dtype=float)
    final = np.broadcast_to(np.asarray(final, dtype=bool), low.shape)
    harm, proven = _guardrail_states(low.shape, guard_low, guard_high, margins)
    benefit = low > 0
    conditions = [
        high < 0, (high < delta) & (low <= 0), harm & (low <= 0),
        benefit & harm, benefit & (high < delta), final & benefit & ~proven,
        final & (low <= 0) & (high >= delta), benefit & (high >= delta) & proven,
    ]
    codes = list(REASONS)[:-1]
    return np.select(conditions, codes, default="open").astype(object)


def _guardrail_states(shape, guard_low, guard_high, margins):
    """Return (some guardrail shown harmed, every guardrail shown non-inferior)."""
    if guard_low is None or np.size(guard_low) == 0:
        return np.zeros(shape, dtype=bool), np.ones(shape, dtype=bool)
    g_low = np.asarray(guard_low, dtype=float).reshape(shape + (-1,))
    g_high = np.asarray(guard_high, dtype=float).reshape(shape + (-1,))
    margins = np.asarray(margins, dtype=float)
    return np.any(g_high < -margins, axis=-1), np.all(g_low > -margins, axis=-1)


@dataclass(frozen=True)
class Decision:
    """An outcome with the reasons, in sentences, that led to it."""

    outcome: str
    reasons: list[str] = field(default_factory=list)
    code: str = "open"


def decide(primary: Effect, guardrails: Sequence[Effect] = (), *, final: bool = False,
           short_of_data: Sequence[str] = (), srm_p_value: float | None = None,
           pretrend: str | None = None, code: str | None = None) -> Decision:
    """Apply the gates, then the rule, and explain the outcome in plain words.

    ``short_of_data`` lists sentences for metrics below the enough-data gate;
    ``srm_p_value`` is the holdout split check; ``pretrend`` a sentence describing a
    clear pre-trend (diff-in-diff), which sends the pilot back for revision. ``code`` is
    the rule's answer when `rule` already ran over many looks at once.
    """
    if short_of_data:
        return Decision("continue", [capitalised(s) for s in short_of_data], "not_enough_data")
    if srm_p_value is not None and srm_p_value < SRM_THRESHOLD:
        reason = ("the split between arms is not what was planned: fix the assignment "
                  f"(sample ratio check p = {srm_p_value:.2g})")
        return Decision("revise", [capitalised(reason)], "sample_ratio_mismatch")
    if pretrend:
        return Decision("revise", [capitalised(pretrend)], "pretrend")
    if code is None:
        code = str(rule([primary.ci_low], [primary.ci_high], primary.threshold,
                        [[g.ci_low for g in guardrails]], [[g.ci_high for g in guardrails]],
                        [g.threshold for g in guardrails], final)[0])
    return Decision(REASONS[code], [capitalised(explain(code, primary, guardrails))], code)


def explain(code: str, primary: Effect, guardrails: Sequence[Effect]) -> str:
    """Return the sentence for a reason code."""
    moved = change(primary)
    harmed = [g for g in guardrails if g.ci_high < -(g.threshold or 0)]
    unproven = [g for g in guardrails if not g.ci_low > -(g.threshold or 0)]
    if code == "worse":
        return f"{moved}: the pilot is doing worse than the control"
    if code == "futile":
        return f"{moved}; {wording.worth(primary)}, and an effect that large is now ruled out"
    if code in ("harm_no_benefit", "harm"):
        g = harmed[0]
        harm = (f"{g.name} {wording.harm_verb(g.direction)}s by more than "
                f"{wording.allowed(g)} ({change(g)})")
        if code == "harm":
            return f"{moved}, but {harm}"
        return f"{harm}, and {primary.name} shows no clear benefit ({moved})"
    if code == "too_small":
        return f"{moved}: real, but smaller than the {_threshold(primary)} worth scaling"
    if code == "guardrail_unproven":
        g = unproven[0]
        return (f"{moved}; but the pilot ended before {g.name} could be shown not to "
                f"{wording.harm_verb(g.direction)} by more than {wording.allowed(g)} "
                f"({change(g)})")
    if code == "inconclusive":
        return f"the pilot ended without a clear answer: {moved}; {wording.worth(primary)}"
    if code == "effective":
        kept = "".join(f"; {g.name} did not {wording.harm_verb(g.direction)} by more than "
                       f"{wording.allowed(g)}" for g in guardrails)
        return f"{moved}; {wording.worth(primary)}{kept}"
    return f"no clear answer yet: {moved}; {wording.worth(primary)}"


def _threshold(effect: Effect) -> str:
    return wording.amount(effect.kind, effect.threshold or float("nan"), threshold=True)
