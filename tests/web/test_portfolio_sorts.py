"""The portfolio's orders by effect and by spend: largest first, rows without one last."""

from __future__ import annotations

import math

from lab.web.portfolio import select_rows
from tests.factories import portfolio_row


def primary(estimate):
    return {"kind": "proportion", "estimate": estimate, "minimum_effect": 0.01}


def keys(rows):
    return [row.key for row in rows]


def test_effect_order_puts_the_largest_effect_first_and_missing_ones_last():
    rows = [portfolio_row("small", primary=primary(0.005)),
            portfolio_row("none"),
            portfolio_row("large", primary=primary(0.03)),
            portfolio_row("harm", primary=primary(-0.02)),
            portfolio_row("nan", primary=primary(math.nan))]
    assert keys(select_rows(rows, {}, sort="effect")) == [
        "large", "small", "harm", "nan", "none"]


def test_spend_order_puts_the_largest_share_of_budget_first_and_no_budget_last():
    rows = [portfolio_row("half", spend=50, budget=100),
            portfolio_row("over", spend=300, budget=200),
            portfolio_row("unbudgeted", spend=999),
            portfolio_row("little", spend=1, budget=100)]
    assert keys(select_rows(rows, {}, sort="spend")) == [
        "over", "half", "little", "unbudgeted"]
