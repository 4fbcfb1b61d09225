"""Boundaries for any sequence of information fractions."""

import numpy as np
import pytest
from scipy import integrate, interpolate, optimize, special, stats

from lab.stats import integration, sequential
from lab.stats.sequential import obf_boundaries, obf_boundaries_many, obf_spending


def test_one_final_look_is_the_fixed_test():
    assert obf_boundaries(0.05, [1.0]) == pytest.approx([1.959964], abs=1e-6)


def test_spending_reaches_alpha_at_the_end():
    assert obf_spending(0.05, 1.0) == pytest.approx(0.05)
    assert obf_spending(0.01, [0.5, 1.0])[1] == pytest.approx(0.01)


@pytest.mark.parametrize("looks", [12, 26, 52])
def test_irregular_looks_match_a_high_resolution_reference(looks):
    rng = np.random.default_rng(looks)
    fractions = np.cumsum(rng.uniform(0.4, 1.6, (15, looks)), axis=1)
    fractions /= fractions[:, -1:]
    reference = sequential._recursion(0.05, fractions, 512)
    ours = np.vstack(obf_boundaries_many(0.05, list(fractions)))
    assert np.nanmax(np.abs(ours - reference)) < 1e-5


def _direct_last_boundary(alpha: float, t1: float, t2: float) -> float:
    """Solve P(|Z1| < c1, |Z2| >= c2) = α(t2) − α(t1) by adaptive quadrature (scipy.quad):
    an independent check of two looks however close, one integral over z1."""
    c1 = -stats.norm.ppf(obf_spending(alpha, t1) / 2)
    rho, sd = np.sqrt(t1 / t2), np.sqrt(1 - t1 / t2)
    target = (alpha if t2 >= 1 else obf_spending(alpha, t2)) - obf_spending(alpha, t1)

    def crossing(c2):
        def tail(z):
            return (np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
                    * (special.ndtr((rho * z - c2) / sd) + special.ndtr((-c2 - rho * z) / sd)))
        # Only z within 12 kernel sds of ±c2/ρ can cross: integrate there (both sides
        # alike), and give quad that stretch alone so it cannot step over it.
        low = max((c2 - 12 * sd) / rho, 0.0)
        if low >= c1:
            return 0.0
        near = integrate.quad(tail, low, c1, epsabs=1e-15, epsrel=1e-12, limit=400)[0]
        far = integrate.quad(tail, 0.0, low, epsabs=1e-15, epsrel=1e-12, limit=400)[0]
        return 2 * (near + far)

    return optimize.brentq(lambda c: crossing(c) - target, 0.5, 12, xtol=1e-10)


@pytest.mark.parametrize("step", [0.2, 1e-2, 1e-3, 1e-4, 1e-6, 1e-8])
@pytest.mark.parametrize("first", [0.5, 0.999])
def test_two_looks_however_close_match_a_direct_integral(first, step):
    second = min(first + step, 1.0) if first < 0.99 else 1.0
    first = first if first < 0.99 else 1.0 - step
    ours = obf_boundaries(0.05, [first, second])
    assert ours[1] == pytest.approx(_direct_last_boundary(0.05, first, second), abs=1e-5)


@pytest.mark.slow
def test_a_tiny_middle_step_matches_a_brute_force_integral():
    """0.3, 0.5, 0.50001, 0.8, 1: the third look adds 0.002% of the information.

    The third boundary is checked by a direct two-dimensional trapezoid integration of
    P(|Z1| < c1, |Z2| < c2, |Z3| >= c3); the later two against a Genz multivariate-normal
    integration (scipy, abseps 1e-9), which is unreliable for the third look's
    near-singular correlation but not for the others.
    """
    fractions = [0.3, 0.5, 0.50001, 0.8, 1.0]
    bounds = obf_boundaries(0.05, fractions)
    c1, c2, c3 = bounds[:3]
    r12, r23 = np.sqrt(0.3 / 0.5), np.sqrt(0.5 / 0.50001)
    s12, s23 = np.sqrt(1 - r12**2), np.sqrt(1 - r23**2)
    # The density of Z2 on |Z2| < c2 (after |Z1| < c1) is smooth: compute it on a coarse
    # grid, interpolate it onto the fine grid that resolves the narrow third step.
    x1 = np.linspace(-c1, c1, 4001)
    coarse = np.linspace(0, c2, 301)
    f2 = integrate.trapezoid(stats.norm.pdf(x1)[None, :] * stats.norm.pdf(
        (coarse[:, None] - r12 * x1[None, :]) / s12) / s12, x1, axis=1)
    z2 = np.linspace(c2 - 0.08, c2, 40001)
    tail = special.ndtr((r23 * z2 - c3) / s23) + special.ndtr((-c3 - r23 * z2) / s23)
    crossing = 2 * integrate.trapezoid(interpolate.CubicSpline(coarse, f2)(z2) * tail, z2)
    spent = obf_spending(0.05, np.array(fractions))
    assert crossing == pytest.approx(spent[2] - spent[1], rel=2e-3)
    assert bounds[3:] == pytest.approx([2.26630, 2.02783], abs=1e-4)


def test_a_tiny_step_keeps_the_error_rate():
    """A look adding 0.001% of the information (5.22% type I error before the fix)."""
    rng = np.random.default_rng(12)
    fractions = np.array([0.2, 0.4, 0.40001, 0.6, 0.8, 1.0])
    bounds = obf_boundaries(0.05, fractions)
    increments = rng.normal(0, np.sqrt(np.diff(fractions, prepend=0)), (400_000, 6))
    z = increments.cumsum(axis=1) / np.sqrt(fractions)
    assert (np.abs(z) >= bounds).any(axis=1).mean() == pytest.approx(0.05, abs=0.0015)


def test_the_two_solvers_agree_where_both_apply():
    rng = np.random.default_rng(5)
    for _ in range(20):
        fractions = np.cumsum(rng.uniform(0.3, 1.7, int(rng.integers(2, 14))))
        fractions /= fractions[-1]
        spent = obf_spending(0.05, fractions)
        spent[-1] = 0.05
        robust = integration.boundaries(0.05, fractions, spent)
        assert robust == pytest.approx(obf_boundaries(0.05, fractions), abs=1e-6)


def test_a_repeated_fraction_repeats_the_boundary():
    bounds = obf_boundaries(0.05, [0.3, 0.3, 0.7, 1.0])
    assert bounds[0] == bounds[1]
    assert bounds[2:] == pytest.approx(obf_boundaries(0.05, [0.3, 0.7, 1.0])[1:], abs=1e-9)


def test_boundaries_are_cached_and_copies_are_returned():
    sequential.clear_cache()
    first = obf_boundaries(0.05, [0.25, 0.5, 1.0])
    first[0] = -1
    assert obf_boundaries(0.05, [0.25, 0.5, 1.0])[0] > 2
    assert len(sequential._CACHE) == 1


@pytest.mark.parametrize("bad", [[0.5, 0.4], [0.0, 1.0], [0.5, 1.2], [np.nan]])
def test_impossible_fractions_are_refused(bad):
    with pytest.raises(ValueError, match="information fractions"):
        obf_boundaries(0.05, bad)


def test_repeated_intervals_cover_under_the_null_across_all_looks():
    rng = np.random.default_rng(11)
    fractions = np.arange(1, 9) / 8
    bounds = obf_boundaries(0.05, fractions)
    increments = rng.normal(0, np.sqrt(np.diff(fractions, prepend=0)), (40_000, 8))
    z = increments.cumsum(axis=1) / np.sqrt(fractions)
    crossed = (np.abs(z) >= bounds).any(axis=1).mean()
    assert crossed == pytest.approx(0.05, abs=0.005)
