"""Synthetic-control weights and placebo inference across scopes, against their oracles.

pysyncon's `Synth` (the R Synth package's method in Python) for the weights, with the
before-period outcomes as predictors and V fixed so its objective is plain least squares;
its `PlaceboTest` for the placebo gaps; and Monte Carlo for the placebo test's exact size.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from lab.stats import synthetic

RNG = np.random.default_rng(20261201)


def scopes(units: int, periods: int, rho: float = 0.0, shared: float = 1.0,
           rng=RNG) -> np.ndarray:
    """Return (units, periods) levels: a shared AR(1) time effect plus own AR(1) noise."""
    def ar1(rows):
        e = rng.normal(0, np.sqrt(1 - rho**2), (rows, periods))
        out = np.empty((rows, periods))
        out[:, 0] = rng.normal(0, 1, rows)
        for t in range(1, periods):
            out[:, t] = rho * out[:, t - 1] + e[:, t]
        return out
    return 10 + rng.normal(0, 2, (units, 1)) + shared * ar1(1) + ar1(units)


def pysyncon_weights(target: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """Fit pysyncon's Synth with V undoing its row scaling: the plain least squares."""
    from pysyncon import Synth

    periods = [f"t{i}" for i in range(len(target))]
    z0 = pd.DataFrame(donors, index=periods, columns=[f"u{j}" for j in range(donors.shape[1])])
    z1 = pd.Series(target, index=periods, name="treated")
    # Synth divides each predictor row by its sd across units; V = sd² undoes that.
    scale = pd.concat([z0, z1], axis=1).std(axis=1).to_numpy()
    synth = Synth()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth.fit(X0=z0, X1=z1, Z0=z0, Z1=z1, custom_V=scale**2)
    return np.asarray(synth.W)


@pytest.mark.parametrize("seed", range(6))
def test_weights_match_pysyncon(seed):
    rng = np.random.default_rng(seed)
    units, before = 1 + 2 + seed * 3, 26
    y = scopes(units, before, rho=0.5, rng=rng)
    centred = y - y.mean(axis=1, keepdims=True)
    ours = synthetic.simplex_weights(centred[0], centred[1:].T)
    theirs = pysyncon_weights(centred[0], centred[1:].T)
    assert ours.min() >= 0 and ours.sum() == pytest.approx(1, abs=1e-12)
    assert ours == pytest.approx(theirs, abs=2e-4)
    loss = lambda w: np.sum((centred[0] - centred[1:].T @ w) ** 2)  # noqa: E731
    assert loss(ours) <= loss(theirs) + 1e-9


def test_a_treated_series_inside_the_hull_is_reproduced_exactly():
    donors = RNG.normal(size=(12, 4))
    truth = np.array([0.5, 0.0, 0.3, 0.2])
    w = synthetic.simplex_weights(donors @ truth, donors)
    assert w == pytest.approx(truth, abs=1e-8)


def test_placebo_fits_are_pysyncon_fits_of_each_scope_from_the_comparisons():
    y = scopes(6, 30, rho=0.5)
    before = np.arange(30) < 20
    centred = y - y[:, before].mean(axis=1, keepdims=True)
    ours = synthetic.placebo_fits(y, before)
    for i in range(6):
        # As pysyncon's PlaceboTest: a placebo's donors are the other comparisons only.
        donors = [j for j in range(1, 6) if j != i]
        w = pysyncon_weights(centred[i, before], centred[donors][:, before].T)
        assert ours.weights[i, donors] == pytest.approx(w, abs=2e-4)
        assert ours.weights[i, [j for j in range(6) if j not in donors]] == pytest.approx(0)
        assert ours.gaps[i] == pytest.approx(centred[i] - w @ centred[donors], abs=2e-3)
    rmspe = np.sqrt(np.mean(ours.gaps[:, before] ** 2, axis=1))
    assert ours.rmspe == pytest.approx(rmspe)


def test_the_weights_refuse_what_they_cannot_fit():
    with pytest.raises(ValueError, match="finite"):
        synthetic.simplex_weights(np.array([1.0, np.nan]), np.ones((2, 2)))
    with pytest.raises(ValueError, match="donors must be"):
        synthetic.simplex_weights(np.ones(3), np.ones((2, 2)))
    with pytest.raises(ValueError, match="at least 2 comparison"):
        synthetic.placebo_fits(np.ones((2, 10)), np.arange(10) < 5)
    with pytest.raises(ValueError, match="2 before-periods"):
        synthetic.placebo_fits(RNG.normal(size=(4, 10)), np.arange(10) < 1)


def test_the_smallest_p_value_is_one_over_j_plus_one():
    assert synthetic.minimum_p(5) == pytest.approx(1 / 6)
    assert synthetic.comparisons_needed(0.05) == 19
    assert synthetic.comparisons_needed(0.1) == 9
    assert synthetic.comparisons_needed(0.5) == 2
    placebo = np.array([3.0, -2.0, 1.0, 0.5])  # J = 4, N = 5
    assert np.isinf(synthetic.placebo_critical(placebo, 0.05))  # 0.05·5 < 1
    assert synthetic.placebo_critical(placebo, 0.2) == 3.0  # beat every placebo
    assert synthetic.placebo_critical(placebo, 0.4) == 2.0  # one placebo may tie or beat
    assert synthetic.placebo_p_value(np.array([3.5, *placebo])) == pytest.approx(0.2)
    assert synthetic.placebo_p_value(np.array([-2.0, *placebo])) == pytest.approx(0.6)


@pytest.mark.parametrize("rho", [0.0, 0.5])
def test_the_placebo_test_has_its_exact_size_with_exchangeable_scopes(rho):
    runs, units, level = 2000, 11, 0.2  # N·level = 2.2: the exact size is 2/11
    rejected = 0
    before = np.arange(38) < 26
    for _ in range(runs):
        fit = synthetic.placebo_fits(scopes(units, 38, rho=rho), before)
        _, _, s = synthetic.studentised(fit, ~before)
        rejected += abs(s[0]) > synthetic.placebo_critical(s[1:], level)
        assert (abs(s[0]) > synthetic.placebo_critical(s[1:], level)) == (
            synthetic.placebo_p_value(s) <= level)
    size, band = 2 / 11, 3.5 * np.sqrt(2 / 11 * 9 / 11 / runs)
    assert abs(rejected / runs - size) < band


def test_the_placebo_mde_is_larger_with_fewer_usable_placebos():
    y = scopes(21, 26, rho=0.5)
    wide = synthetic.placebo_mde(y, 12, 0.1, 0.8)
    assert np.isfinite(wide) and wide > 0
    assert np.isnan(synthetic.placebo_mde(y[:6], 12, 0.05, 0.8))  # 1/6 > 0.05
