"""grouped_cumsum: the per-series running sums of the holdout looks, bit for bit pandas'.

The stored answers must equal a fresh recompute, and earlier answers were computed with
pandas' compensated groupby cumsum: plain np.cumsum differs in the last digits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.stats.moments import grouped_cumsum


def pandas_sums(values: np.ndarray, lengths: list[int]) -> np.ndarray:
    groups = np.repeat(np.arange(len(lengths)), lengths)
    return pd.DataFrame(values).groupby(groups).cumsum().to_numpy()


def starts_of(lengths: list[int]) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(int)


@settings(max_examples=200, deadline=None)
@given(lengths=st.lists(st.integers(1, 30), min_size=1, max_size=12),
       seed=st.integers(0, 2**32 - 1), scale=st.sampled_from([1e-3, 1.0, 1e6, 1e12]))
def test_sums_equal_pandas_compensated_cumsum_to_the_bit(lengths, seed, scale):
    rng = np.random.default_rng(seed)
    values = rng.standard_normal((sum(lengths), 3)) * scale + rng.integers(0, 3) * scale
    assert np.array_equal(grouped_cumsum(values, starts_of(lengths)),
                          pandas_sums(values, lengths))


def test_each_series_restarts_and_compensation_keeps_small_terms():
    # 1e16 then many 1.0s: plain summation loses every 1.0, compensated does not.
    values = np.array([[1e16]] + [[1.0]] * 10 + [[5.0], [7.0]])
    summed = grouped_cumsum(values, np.array([0, 11]))
    assert summed[10, 0] == 1e16 + 10 and np.cumsum(values[:11, 0])[-1] == 1e16
    assert summed[11:, 0].tolist() == [5.0, 12.0]  # the second series starts again
    assert grouped_cumsum(np.empty((0, 2)), np.array([], dtype=int)).shape == (0, 2)
