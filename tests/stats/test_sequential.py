"""Boundaries for any sequence of information fractions."""

import numpy as np
import pytest

from lab.stats import sequential
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


def test_a_tiny_last_step_stays_accurate():
    fractions = np.append(np.linspace(1 / 24, 23 / 24 * 0.999, 23), 1.0)
    reference = sequential._recursion(0.05, fractions[None], 768)[0]
    assert obf_boundaries(0.05, fractions) == pytest.approx(reference, abs=1e-6)


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
