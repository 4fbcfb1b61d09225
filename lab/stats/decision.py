"""The decision rule (STATISTICS §4): scale up, revise, withdraw or continue.

Every branch reads one set of simultaneous intervals (oriented, positive is better):
[L, U] for the primary with minimum effect δ, and [L_g, U_g] with margin m_g for each
guardrail. The rule is Spotify's (Schultzberg, Ankargren & Frånberg 2024) with
GrowthBook's minimum-effect futility. It returns reason codes; the gates that come
before it and the sentences that explain it live in `lab.analysis`.
"""

from __future__ import annotations

import numpy as np

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
