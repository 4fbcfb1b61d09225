"""Multiplicity across pilots and segments (STATISTICS §5)."""

from __future__ import annotations

import numpy as np


def _apply(p_values, method: str, alpha: float):
    # Imported here: statsmodels takes seconds to import, which `lab check` should not pay.
    from statsmodels.stats.multitest import multipletests

    p = np.asarray(p_values, dtype=float)
    rejected = np.zeros(p.shape, dtype=bool)
    adjusted = np.full(p.shape, np.nan)
    known = np.isfinite(p)
    if known.any():
        rejected[known], adjusted[known], _, _ = multipletests(p[known], alpha=alpha,
                                                               method=method)
    return rejected, adjusted


def bh_q_values(p_values, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Return (rejected, q-values) by Benjamini & Hochberg (1995); NaN p-values stay NaN.

    Advice across the portfolio's primaries, never a gate.
    """
    return _apply(p_values, "fdr_bh", alpha)


def holm(p_values, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Return (rejected, adjusted p) by Holm (1979), for decisions per segment."""
    return _apply(p_values, "holm", alpha)


def bonferroni(p_values, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Return (rejected, adjusted p) by Bonferroni."""
    return _apply(p_values, "bonferroni", alpha)
