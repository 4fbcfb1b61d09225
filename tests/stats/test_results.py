"""finite_or_none: what every answer's numbers pass through on their way to JSON."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lab.stats.results import finite_or_none


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float64("nan"),
                                   np.float64("inf"), np.float32("-inf"), None])
def test_nan_infinities_and_none_become_none(value):
    assert finite_or_none(value) is None


@pytest.mark.parametrize("value", [1.5, np.float64(1.5), np.float32(1.5), 3, np.int64(3),
                                   True, 1.7976931348623157e308, 5e-324])
def test_finite_values_come_back_as_plain_floats_of_the_same_value(value):
    found = finite_or_none(value)
    assert type(found) is float
    assert found == float(value)


@pytest.mark.parametrize("value", [-0.0, np.float64(-0.0)])
def test_negative_zero_comes_back_as_zero(value):
    assert math.copysign(1.0, finite_or_none(value)) == 1.0
