"""Group-sequential boundaries: Lan–DeMets O'Brien–Fleming spending (STATISTICS §3).

The boundaries c_k for looks at information fractions t_1 < … < t_K solve

    P_H0(|Z_j| < c_j for j < k, |Z_k| ≥ c_k) = α(t_k) − α(t_{k−1}),

with Corr(Z_j, Z_k) = √(t_j / t_k). They are found by the recursive numerical
integration of Armitage, McPherson & Rowe (1969) as laid out by Jennison & Turnbull
(2000, ch. 19): the sub-density of Z_k on the continuation region is carried from look
to look on Gauss–Legendre nodes. Many pilots are solved together (numpy over pilots),
because a portfolio check needs thousands of boundary sequences at once. A sequence with
a look adding too little information for that grid (well under 0.1%) is solved by
`lab.stats.integration`, which integrates narrow steps locally; both agree with direct
integrations within 1e-5 for looks however close (see the tests).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri

from lab.caching import SharedLRU
from lab.stats import integration

# Beyond |z| = 8.5 the standard normal holds < 1e-16 of its mass: nothing to integrate.
_Z_MAX = 8.5
_NODES_PER_KERNEL_SD = 2.5
_NODE_SIZES = (24, 32, 40, 48, 56, 64, 80, 96, 128, 192, 256, 384, 512)
_SMALLEST_SOLVED = 1e-9
_CACHE_SIZE = 4096
# Boundaries depend on (alpha, fractions) only; the web server shares them across threads.
_CACHE: SharedLRU[tuple[float, tuple[float, ...]], np.ndarray] = SharedLRU(_CACHE_SIZE)


def obf_spending(alpha: float, t: np.ndarray | float) -> np.ndarray:
    """Return the two-sided alpha spent by information fraction t (Lan–DeMets O'Brien–Fleming).

    Each side spends 2 − 2Φ(z_{1−α/4} / √t) (gsDesign ``sfLDOF`` at one-sided α/2), so
    the two sides together spend 4·[1 − Φ(z_{1−α/4} / √t)], which is α at t = 1.

    References
    ----------
    Lan, K. K. G. & DeMets, D. L. (1983). Discrete sequential boundaries for clinical
    trials. Biometrika 70, 659–663.
    """
    t = np.asarray(t, dtype=float)
    z = -ndtri(alpha / 4)
    return 4 * ndtr(-z / np.sqrt(t))


def obf_boundaries(alpha: float, t: Sequence[float]) -> np.ndarray:
    """Return the critical values c_k for looks at information fractions ``t``.

    Parameters
    ----------
    alpha : float
        Two-sided significance level of the whole sequence.
    t : sequence of float
        Information fractions, non-decreasing, in (0, 1]. A look with the same fraction
        as the one before it carries no new data and repeats its boundary.

    Returns
    -------
    numpy.ndarray
        c_k for every look; the repeated confidence interval is θ̂_k ± c_k·se_k.

    Notes
    -----
    Solved by recursive numerical integration (Jennison & Turnbull 2000, ch. 19) and
    cached on (alpha, tuple(t)): boundaries depend on nothing else.
    """
    return obf_boundaries_many(alpha, [t])[0]


def obf_boundaries_many(alpha: float, sequences: Iterable[Sequence[float]]) -> list[np.ndarray]:
    """Return the boundaries of many look sequences, solving the uncached ones together."""
    keys = [(float(alpha), tuple(float(x) for x in t)) for t in sequences]
    found = _CACHE.get_many(dict.fromkeys(keys))
    missing = [key for key in dict.fromkeys(keys) if key not in found]
    for key in missing:
        _check_fractions(key[1])
    solved = {key: np.empty(0) for key in missing}
    for length, group in _group_by_length(missing).items():
        if length:
            solved.update(_solve_group(alpha, group))
    _CACHE.put_many(solved)
    found.update(solved)
    return [found[key].copy() for key in keys]


def clear_cache() -> None:
    """Forget every cached boundary sequence."""
    _CACHE.clear()


def cached() -> dict[tuple[float, tuple[float, ...]], np.ndarray]:
    """Return every cached boundary sequence by (alpha, fractions), as a copy."""
    return _CACHE.snapshot()


def remember(solved: dict[tuple[float, tuple[float, ...]], np.ndarray]) -> None:
    """Cache boundary sequences solved elsewhere (by a forked refresh worker)."""
    _CACHE.put_many(solved)


def _check_fractions(t: tuple[float, ...]) -> None:
    values = np.asarray(t, dtype=float)
    if values.size and (not np.all(np.isfinite(values)) or values.min() <= 0 or values.max() > 1):
        raise ValueError(f"information fractions must lie in (0, 1], got {list(t)}")
    if np.any(np.diff(values) < 0):
        raise ValueError(f"information fractions must not decrease, got {list(t)}")


def _group_by_length(keys):
    groups: dict[int, list] = {}
    for key in keys:
        groups.setdefault(len(key[1]), []).append(key)
    return groups


def _solve_group(alpha: float, keys: list) -> dict:
    """Solve every sequence of one length; the node count is chosen per batch.

    A sequence with a step too small for the largest grid (a look adding well under
    0.1% of the information) is solved on its own by `lab.stats.integration`.
    """
    fractions = np.array([key[1] for key in keys])
    needed = np.array([_nodes_needed(alpha, row) for row in fractions])
    solved = {}
    for key, row, nodes in zip(keys, fractions, needed, strict=True):
        if nodes == 0:
            solved[key] = integration.boundaries(alpha, row, _spent(alpha, row[None, :])[0])
    for nodes in np.unique(needed[needed > 0]):
        chosen = needed == nodes
        bounds = _recursion(alpha, fractions[chosen], int(nodes))
        for key, row in zip([k for k, c in zip(keys, chosen, strict=True) if c], bounds,
                            strict=True):
            solved[key] = row
    return solved


def _nodes_needed(alpha: float, t: np.ndarray) -> int:
    """Resolve the narrowest look-to-look kernel relative to the region it sweeps.

    The kernel has sd s_k = √(1 − t_{k−1}/t_k) on the Z scale and the previous
    region is |z| < min(c_{k−1}, 8.5); c_{k−1} is bounded by its unconditional value.
    2.5 nodes per kernel sd over that half-width keep the boundaries within about
    1e-6 of a high-resolution reference (see the tests). The last step counts too: its
    crossing probability needs the kernel resolved as much as the density does. 0 when
    even the largest grid falls short: `lab.stats.integration` solves those sequences.
    """
    previous, current = t[:-1], t[1:]
    grew = current > previous
    if not np.any(grew):
        return _NODE_SIZES[0]
    sd = np.sqrt(1 - previous[grew] / current[grew])
    half = np.minimum(-ndtri(obf_spending(alpha, previous[grew]) / 2), _Z_MAX)
    wanted = _NODES_PER_KERNEL_SD * np.max(half / sd)
    # A few fixed sizes, so that similar pilots share one batch; 0 when none suffices.
    return next((size for size in _NODE_SIZES if size >= wanted), 0)


def _spent(alpha: float, t: np.ndarray) -> np.ndarray:
    """Return the alpha spent by each look; a look at t = 1 spends all of it."""
    spent = obf_spending(alpha, t)
    spent[:, -1] = np.where(t[:, -1] >= 1, alpha, spent[:, -1])
    return spent


@functools.cache
def _positive_nodes(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the positive Gauss–Legendre nodes and weights on (−1, 1) (costly to make)."""
    unit, weights = np.polynomial.legendre.leggauss(nodes)
    return unit[nodes // 2:], weights[nodes // 2:]


def _recursion(alpha: float, t: np.ndarray, nodes: int) -> np.ndarray:
    """Carry the sub-density of Z_k from look to look for a batch of sequences.

    Under H0 with symmetric boundaries the density is even, so only the positive
    Gauss–Legendre nodes are kept: ∫ f(x) h(x) dx = Σ g_i [h(x_i) + h(−x_i)].
    """
    unit, unit_weights = _positive_nodes(nodes)
    spent = _spent(alpha, t)
    bounds = np.empty_like(t)
    bounds[:, 0] = -ndtri(spent[:, 0] / 2)
    half = np.minimum(bounds[:, 0], _Z_MAX)[:, None]
    points = half * unit
    weighted = half * unit_weights * np.exp(-points**2 / 2) / math.sqrt(2 * math.pi)
    for k in range(1, t.shape[1]):
        same = t[:, k] <= t[:, k - 1]
        rho = np.sqrt(np.where(same, 1.0, t[:, k - 1] / t[:, k]))[:, None]
        sd = np.sqrt(np.maximum(1 - rho**2, 1e-24))
        increment = np.maximum(spent[:, k] - spent[:, k - 1], 1e-300)
        bound = _solve_bound(points, weighted, rho, sd, increment)
        bounds[:, k] = np.where(same, bounds[:, k - 1], bound)
        if k == t.shape[1] - 1:
            break  # the last look's density serves no later look
        new_half = np.minimum(bounds[:, k], _Z_MAX)[:, None]
        new_points = new_half * unit
        density = _propagate(points, weighted, rho, sd, new_points)
        # A repeated look carries the same data: keep its density as it was.
        keep = same[:, None]
        points = np.where(keep, points, new_points)
        weighted = np.where(keep, weighted, new_half * unit_weights * density)
    return bounds


def _propagate(points, weighted, rho, sd, new_points) -> np.ndarray:
    """Return f_k(y) = ∫ f_{k−1}(x) φ((y − ρx)/s)/s dx at the new (positive) nodes."""
    # Buffers updated in place: this is the hot loop of a portfolio check.
    target = (new_points / sd)[:, :, None]
    source = (rho * points / sd)[:, None, :]
    density = np.zeros(new_points.shape)
    for kernel in (target - source, target + source):
        np.square(kernel, out=kernel)
        kernel *= -0.5
        np.exp(kernel, out=kernel)
        density += np.matmul(kernel, weighted[:, :, None])[:, :, 0]
    return density / (math.sqrt(2 * math.pi) * sd)


def _crossing(moved, weighted, sd, bound):
    """Return P(cross at look k) and its derivative in the bound, per sequence.

    ``moved`` is ρ times the nodes (the same at every Newton step of a look).
    """
    upper = (bound[:, None] - moved) / sd
    lower = (bound[:, None] + moved) / sd
    # Each positive node stands for ±x: both tails of both mirror images, twice.
    probability = 2 * np.sum(weighted * (ndtr(-upper) + ndtr(-lower)), axis=1)
    density = np.exp(-0.5 * upper**2) + np.exp(-0.5 * lower**2)
    slope = -2 * np.sum(weighted * density / (math.sqrt(2 * math.pi) * sd), axis=1)
    return probability, slope


def _solve_bound(points, weighted, rho, sd, increment) -> np.ndarray:
    """Solve P(cross at k; c) = increment for c, by safeguarded Newton steps on log P.

    P falls as c rises. The root is bracketed by 0 and the unconditional tail value c_u
    (ignoring the past over-states P, so c_u lies at or beyond the root). A Newton step
    on log P that stays inside the bracket is taken, otherwise the bracket is halved:
    after a look that adds little information P(c_u) can be zero to machine precision
    (the continuation region already stops short of c_u), where Newton alone stalls.
    """
    high = -ndtri(increment / 2)
    low = np.zeros_like(high)
    bound = high.copy()
    # Below ~1e-9 the quadrature cannot resolve the crossing probability; there the
    # unconditional tail value is within ~1e-3 of c, at a boundary above 6.
    active = np.flatnonzero(increment > _SMALLEST_SOLVED)
    moved_nodes = rho * points
    for _ in range(60):
        if active.size == 0:
            break
        probability, slope = _crossing(moved_nodes[active], weighted[active], sd[active],
                                       bound[active])
        target = increment[active]
        above = probability > target  # c is below the root
        low[active] = np.where(above, bound[active], low[active])
        high[active] = np.where(above, high[active], bound[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = bound[active] - (np.log(probability) - np.log(target)) * probability / slope
        # The bracket's ends count as inside: once Newton has converged the bound is one
        # of them, and the step (zero) must stop the row rather than halve the bracket
        # and search it again by bisection (which took ~35 more steps to come back).
        inside = np.isfinite(newton) & (newton >= low[active]) & (newton <= high[active])
        step = np.where(inside, newton, (low[active] + high[active]) / 2)
        moved = np.abs(step - bound[active])
        bound[active] = step
        active = active[(moved > 1e-10) & (high[active] - low[active] > 1e-12)]
    return bound


def repeated_interval(estimate, se, critical):
    """Return the repeated confidence interval θ̂_k ± c_k·se_k (Jennison & Turnbull 2000, ch. 9).

    Parameters
    ----------
    estimate, se, critical : array_like
        Wald estimate, its unpooled standard error and the look's boundary c_k.

    Returns
    -------
    tuple of numpy.ndarray
        (low, high), with simultaneous 1 − α coverage over all looks.
    """
    estimate, se, critical = (np.asarray(x, dtype=float) for x in (estimate, se, critical))
    return estimate - critical * se, estimate + critical * se


def nominal_p_value(estimate, se):
    """Return the two-sided Wald p-value 2Φ(−|θ̂/se|) at one look, not adjusted for looks."""
    estimate, se = np.asarray(estimate, dtype=float), np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(estimate / se)
    return np.exp(math.log(2) + log_ndtr(-z))
