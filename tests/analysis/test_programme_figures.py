"""Programme figures per start quarter, from portfolio rows (a pure computation)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from lab.portfolio.figures import ALL, figures, figures_frame
from tests.factories import portfolio_row as row

WIN = {"kind": "proportion", "estimate": 0.02, "ci_low": 0.01, "ci_high": 0.03,
       "n_pilot": 1000}


def test_quarters_count_decisions_wins_weeks_spend_and_summed_extra_outcomes():
    rows = [row("a", date(2026, 1, 5), "scaled_up", "scaled_up", (2026, 3, 2), 100, WIN),
            row("b", date(2026, 2, 2), "withdrawn", "withdrawn", (2026, 4, 13), 50),
            row("c", date(2026, 4, 6), spend=30),
            row("d", date(2026, 5, 4), "scaled_up", "scaled_up", (2026, 8, 3), 20,
                {**WIN, "n_pilot": 3000}),
            row("e", date(2026, 6, 1), "draft", spend=999)]
    q1, q2, total = figures(rows)
    assert (q1.quarter, q1.started, q1.decided, q1.win_rate) == ("2026-Q1", 2, 2, 0.5)
    assert q1.median_weeks == pytest.approx((8 + 10) / 2)
    assert q1.spend == {"scaled_up": 100, "revised": 0, "withdrawn": 50, "undecided": 0}
    assert (q2.share_decided, q2.extra) == (0.5, pytest.approx(60))
    assert total.quarter == ALL and total.started == 4  # the draft counts nowhere
    assert total.extra == pytest.approx(80)
    low, high = total.extra_interval
    half = 1.959964 * math.sqrt((0.01 / 1.959964 * 1000) ** 2 +
                                (0.01 / 1.959964 * 3000) ** 2)
    assert (low, high) == (pytest.approx(80 - half), pytest.approx(80 + half))
    frame = figures_frame([q1, q2, total])
    assert frame["quarter"].tolist() == ["2026-Q1", "2026-Q2", "all"]
    assert frame["extra_outcomes"].isna().tolist() == [False, False, False]
    assert str(frame["started"].dtype) == "Int64"


def test_no_pilots_gives_an_empty_total_and_a_mean_primary_adds_no_outcomes():
    [total] = figures([])
    assert (total.started, total.win_rate, total.median_weeks, total.extra_interval) == \
        (0, None, None, None)
    mean = row("m", date(2026, 1, 5), "scaled_up", "scaled_up", (2026, 2, 2),
               primary={**WIN, "kind": "mean"})
    assert figures([mean])[-1].extra_interval is None
