"""Boundaries for look sequences with steps too small for a global grid (STATISTICS §3).

`lab.stats.sequential` carries the sub-density of Z_k on one Gauss–Legendre grid per
look, which resolves the look-to-look kernel φ((y − ρx)/s)/s as long as its sd s is a
few node spacings wide. A look that adds very little information (s = √(1 − t_{k−1}/t_k)
of 0.01 when it adds 0.01% of it) needs thousands of nodes that way. This module solves
such sequences one at a time, exactly, with two devices:

- the density is kept on Chebyshev–Lobatto pieces (Clenshaw–Curtis weights,
  barycentric interpolation), with narrow pieces where an earlier small step left a
  steep edge, so it can be evaluated anywhere in the continuation region;
- a narrow kernel is integrated locally: the crossing probability and the carried
  density integrate the interpolated density over a window of ±9 kernel sds, with their
  own Gauss–Legendre nodes, instead of summing over the grid.

It is independent of the global solver in discretisation and code, and the tests hold
the two to within 1e-5 of each other where both apply, and this one to within 1e-4 of a
multivariate-normal integration (Genz) where steps are tiny.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from scipy.special import ndtr, ndtri

Z_MAX = 8.5
PIECE_NODES = 33
WINDOW_SDS = 9.0
WINDOW_NODES = 64
ROOT = math.sqrt(2 * math.pi)


@functools.cache
def _lobatto(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return Chebyshev–Lobatto nodes on [−1, 1] (ascending) with their Clenshaw–Curtis
    quadrature weights and barycentric interpolation weights (Trefethen 2008)."""
    n = m - 1
    k = np.arange(m)
    nodes = -np.cos(np.pi * k / n)
    j = np.arange(1, n // 2 + 1)
    b = np.where(2 * j == n, 1.0, 2.0)
    terms = (b / (4 * j**2 - 1))[None, :] * np.cos(2 * np.outer(k, j) * np.pi / n)
    weights = np.where((k == 0) | (k == n), 1.0, 2.0) / n * (1 - terms.sum(1))
    barycentric = (-1.0) ** k * np.where((k == 0) | (k == n), 0.5, 1.0)
    return nodes, weights, barycentric


@functools.cache
def _legendre(m: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(m)


class Density:
    """A sub-density on (0, h), even about 0, held on Chebyshev–Lobatto pieces."""

    def __init__(self, breaks: np.ndarray):
        self.breaks = np.asarray(breaks, dtype=float)
        unit, unit_weights, self._bary = _lobatto(PIECE_NODES)
        starts, ends = self.breaks[:-1, None], self.breaks[1:, None]
        self.points = (starts + ends) / 2 + (ends - starts) / 2 * unit  # (pieces, m)
        self.weights = (ends - starts) / 2 * unit_weights
        self._unit = unit
        self.values = np.zeros_like(self.points)

    @property
    def end(self) -> float:
        return float(self.breaks[-1])

    def spacing(self) -> float:
        """Return the widest gap between neighbouring nodes."""
        return float(np.max(np.diff(self.points, axis=1)))

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Evaluate the density at points (|x| > h gives 0), by barycentric interpolation."""
        x = np.abs(np.asarray(x, dtype=float))
        out = np.zeros(x.shape)
        inside = x <= self.end
        pieces = np.clip(np.searchsorted(self.breaks, x[inside], side="right") - 1, 0,
                         len(self.breaks) - 2)
        start, finish = self.breaks[pieces], self.breaks[pieces + 1]
        unit = 2 * (x[inside] - start) / np.maximum(finish - start, 1e-300) - 1
        difference = unit[:, None] - self._unit[None, :]
        exact = np.isclose(difference, 0.0, atol=1e-15)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = self._bary / difference
            value = (terms * self.values[pieces]).sum(1) / terms.sum(1)
        hit = exact.any(1)
        value[hit] = self.values[pieces[hit], exact[hit].argmax(1)]
        out[inside] = value
        return out

    def integral(self, low: float, high: float) -> float:
        """Return ∫ over (low, high) ∩ (0, h) of the density."""
        low, high = max(low, 0.0), min(high, self.end)
        if high <= low:
            return 0.0
        nodes, weights = _legendre(WINDOW_NODES)
        total = 0.0
        for a, b, w, v in zip(self.breaks[:-1], self.breaks[1:], self.weights, self.values,
                              strict=True):
            if b <= low or a >= high:
                continue
            if low <= a and b <= high:
                total += float(w @ v)
            else:
                lo, hi = max(a, low), min(b, high)
                x = (lo + hi) / 2 + (hi - lo) / 2 * nodes
                total += float((hi - lo) / 2 * weights @ self(x))
        return total


def boundaries(alpha: float, t, spent: np.ndarray) -> np.ndarray:
    """Return the boundaries of one look sequence, given the alpha spent by each look."""
    t = np.asarray(t, dtype=float)
    bounds = np.empty(t.size)
    bounds[0] = -ndtri(spent[0] / 2)
    density = _pieces(min(bounds[0], Z_MAX), [])
    density.values = np.exp(-density.points**2 / 2) / ROOT
    zones: list[tuple[float, float]] = []
    for k in range(1, t.size):
        if t[k] <= t[k - 1]:
            bounds[k] = bounds[k - 1]
            continue
        rho = math.sqrt(t[k - 1] / t[k])
        sd = math.sqrt(1 - rho * rho)
        narrow = sd < 3 * density.spacing()
        increment = spent[k] - spent[k - 1]
        bounds[k] = _solve(density, rho, sd, increment, narrow)
        if k == t.size - 1:
            break
        half = min(bounds[k], Z_MAX)
        zones = _zones(zones, density.end, rho, sd, half) if narrow else []
        carried = _pieces(half, zones)
        carried.values = (_carry_local if narrow else _carry_global)(density, rho, sd,
                                                                      carried.points)
        density = carried
    return bounds


def _pieces(half: float, zones: list[tuple[float, float]]) -> Density:
    """Lay pieces over (0, half): four across the bulk, a narrow one over each zone."""
    breaks = set(np.linspace(0.0, half, 5))
    for centre, width in zones:
        breaks.update((centre - width, centre + width))
    ordered = np.array(sorted(b for b in breaks if 0.0 <= b <= half))
    keep = np.r_[True, np.diff(ordered) > 1e-12 * max(half, 1.0)]
    return Density(ordered[keep])


def _zones(zones, edge: float, rho: float, sd: float, half: float):
    """Carry the steep edges a narrow step leaves: old ones move in, a new one at ρ·edge."""
    moved = [(centre * rho, math.hypot(width, WINDOW_SDS * sd)) for centre, width in zones]
    moved.append((rho * edge, WINDOW_SDS * sd))
    return [(c, w) for c, w in moved if c - w < half][-4:]


def _crossing_global(density: Density, rho: float, sd: float, bound: float):
    x, w, f = density.points, density.weights, density.values
    upper, lower = (bound - rho * x) / sd, (bound + rho * x) / sd
    probability = 2 * float(np.sum(w * f * (ndtr(-upper) + ndtr(-lower))))
    slope = -2 * float(np.sum(w * f * (np.exp(-upper**2 / 2) + np.exp(-lower**2 / 2))))
    return probability, slope / (ROOT * sd)


def _crossing_local(density: Density, rho: float, sd: float, bound: float):
    """Return P(cross) for a narrow kernel: only |x| near bound/ρ can cross (x ≥ 0 side
    with ρx > bound − 9s; the far tail Φ((−c − ρx)/s) is below 1e-19 there)."""
    low, high = (bound - WINDOW_SDS * sd) / rho, (bound + WINDOW_SDS * sd) / rho
    beyond = density.integral(high, density.end)
    lo, hi = max(low, 0.0), min(high, density.end)
    if hi <= lo:
        return 2 * beyond, 0.0
    nodes, weights = _legendre(WINDOW_NODES)
    x = (lo + hi) / 2 + (hi - lo) / 2 * nodes
    f = density(x) * (hi - lo) / 2 * weights
    z = (rho * x - bound) / sd
    probability = 2 * (beyond + float(np.sum(f * ndtr(z))))
    slope = -2 * float(np.sum(f * np.exp(-z**2 / 2))) / (ROOT * sd)
    return probability, slope


def _solve(density: Density, rho: float, sd: float, increment: float, narrow: bool) -> float:
    """Solve P(cross at this look; c) = increment (P falls as c rises)."""
    # Imported here: scipy.optimize costs `lab check` a tenth of a second to import, and
    # this solver runs only for sequences with a look that adds almost nothing.
    from scipy.optimize import brentq

    crossing = _crossing_local if narrow else _crossing_global
    high = -ndtri(increment / 2)
    if crossing(density, rho, sd, 0.0)[0] <= increment:
        return 0.0
    if crossing(density, rho, sd, high)[0] >= increment:
        return high
    return brentq(lambda c: crossing(density, rho, sd, c)[0] - increment, 0.0, high,
                  xtol=1e-12, rtol=1e-13, maxiter=200)


def _carry_global(density: Density, rho: float, sd: float, targets: np.ndarray) -> np.ndarray:
    """Return f_k(y) = ∫ f_{k−1}(x) φ((y − ρx)/s)/s dx by the grid's own quadrature."""
    x, w, f = (a.ravel() for a in (density.points, density.weights, density.values))
    y = targets.ravel()[:, None]
    kernel = np.exp(-((y - rho * x) / sd) ** 2 / 2) + np.exp(-((y + rho * x) / sd) ** 2 / 2)
    return (kernel @ (w * f) / (ROOT * sd)).reshape(targets.shape)


def _carry_local(density: Density, rho: float, sd: float, targets: np.ndarray) -> np.ndarray:
    """Return f_k(y) for a narrow kernel, integrating over x within ±9 sds of y/ρ."""
    y = targets.ravel()
    nodes, weights = _legendre(WINDOW_NODES)
    low = np.clip((y - WINDOW_SDS * sd) / rho, -density.end, density.end)
    high = np.clip((y + WINDOW_SDS * sd) / rho, -density.end, density.end)
    x = (low + high)[:, None] / 2 + (high - low)[:, None] / 2 * nodes
    kernel = np.exp(-((y[:, None] - rho * x) / sd) ** 2 / 2) / (ROOT * sd)
    values = (density(x.ravel()).reshape(x.shape) * kernel * weights).sum(1) * (high - low) / 2
    return values.reshape(targets.shape)
