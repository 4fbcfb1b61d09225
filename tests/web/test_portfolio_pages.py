"""The portfolio page in pages: boundaries, bad page numbers, filters with pages, and
the counts and the order a manager reads first; the kept portfolio never goes stale."""

from __future__ import annotations

import re
from datetime import date

import pytest

from lab.pilots import evidence
from lab.pilots.observations import record_observations
from lab.web import portfolio
from tests.factories import observation_rows, register_pilot, start_pilot
from tests.web.conftest import write

DRAFTS = ["d1", "d2", "d3", "d4"]  # on channels of their own: no overlaps
RUNNING = "x-care-1h"  # ended 2026-03-29: its decision is overdue


def shown_keys(html: str) -> list[str]:
    return re.findall(r'<div class="small muted mono">([a-z0-9.-]+)', html)


def tile(html: str, label: str) -> int:
    found = re.search(r'<div class="value">([^<]+)</div><div class="label">' + label, html)
    assert found, label
    return int(found.group(1).replace(",", ""))


@pytest.fixture
def five(app, session, monkeypatch) -> list[str]:
    """The running x-care-1h (six weeks logged) and four drafts; two rows a page."""
    monkeypatch.setattr(portfolio, "PER_PAGE", 2)
    start_pilot(session)
    write(app, lambda s: record_observations(s, rows=observation_rows(periods=6),
                                             actor="test"))
    for key in DRAFTS:
        register_pilot(session, key=key, pilot={"channel": f"ch-{key}"})
    return sorted([*DRAFTS, RUNNING])


def test_pages_split_the_sorted_rows_with_no_row_lost_or_repeated(signed_in, five):
    client = signed_in("viewer")
    pages = [client.get(f"/?sort=key&page={n}").get_data(as_text=True) for n in (1, 2, 3)]
    assert [shown_keys(html) for html in pages] == [five[0:2], five[2:4], five[4:5]]
    for html in pages:  # the tiles count every page, not the one shown
        assert tile(html, "pilots") == 5 and tile(html, "running") == 1
        assert tile(html, "overdue") == 1
    assert "Page 1 of 3" in pages[0] and "Page 3 of 3" in pages[2]
    assert "showing 5–5 of 5" in pages[2]
    assert 'rel="next"' in pages[0] and 'rel="prev"' not in pages[0]
    assert 'rel="prev"' in pages[2] and 'rel="next"' not in pages[2]
    for first in ("/?sort=key", "/?sort=key&page=", "/?sort=key&page=%201"):
        assert shown_keys(client.get(first).get_data(as_text=True)) == five[0:2]


def test_one_page_has_no_pager(signed_in, five, monkeypatch):
    monkeypatch.setattr(portfolio, "PER_PAGE", 5)
    html = signed_in("viewer").get("/?sort=key").get_data(as_text=True)
    assert shown_keys(html) == five and "Page 1 of" not in html
    monkeypatch.setattr(portfolio, "PER_PAGE", 4)
    html = signed_in("viewer").get("/?sort=key&page=2").get_data(as_text=True)
    assert shown_keys(html) == five[4:] and "Page 2 of 2" in html


@pytest.mark.parametrize("asked", ["abc", "0", "-1", "1.5", "²", "1e3"])
def test_a_page_that_is_not_a_page_number_is_refused_by_name(signed_in, five, asked):
    response = signed_in("viewer").get("/", query_string={"page": asked})
    assert response.status_code == 400
    assert "page must be a whole number from 1 to 3" in response.get_data(as_text=True)


def test_a_page_past_the_last_is_not_found_and_says_how_many_there_are(signed_in, five):
    client = signed_in("viewer")
    response = client.get("/?page=4")
    assert response.status_code == 404
    assert "there is no page 4" in response.get_data(as_text=True)
    assert "3 pages of 2" in response.get_data(as_text=True)
    # Filtered to one pilot, the second page does not exist either.
    assert client.get("/?status=running&page=2").status_code == 404


def test_filters_and_sort_page_together_and_the_links_keep_them(signed_in, five):
    client = signed_in("viewer")
    first = client.get("/?status=draft&sort=key&order=desc").get_data(as_text=True)
    second = client.get("/?status=draft&sort=key&order=desc&page=2").get_data(as_text=True)
    assert shown_keys(first) + shown_keys(second) == DRAFTS[::-1]
    assert tile(first, "pilots") == 4 and tile(first, "running") == 0
    assert "4 of 5 match the filters" in first
    nav = re.search(r'<nav class="pager".*?</nav>', first, re.S).group(0)
    link = re.search(r'href="([^"]*page=2[^"]*)"', nav).group(1)
    assert "status=draft" in link and "sort=key" in link and "order=desc" in link
    # The chart follows the page shown.
    assert re.search(r'src="/portfolio/effects.svg[^"]*page=2', second)


def test_the_decisions_waiting_come_first_by_default(app, signed_in, five, session):
    start_pilot(session, key="y-care", pilot={"channel": "y", "start": "2026-02-02",
                                              "end": "2026-04-26"})
    html = signed_in("viewer").get("/").get_data(as_text=True)
    # Both running pilots are overdue; the one overdue longest (ended first) leads.
    assert shown_keys(html) == [RUNNING, "y-care"]
    assert shown_keys(signed_in("viewer").get("/?sort=key").get_data(as_text=True)) == \
        ["d1", "d2"]


def test_grouped_by_process_pages_keep_the_groups_in_lifecycle_order(app, signed_in, five,
                                                                    session):
    register_pilot(session, key="d-acq", pilot={"channel": "ch-acq"},
                   hypothesis={"key": "acq", "statement": "Ads on X bring customers",
                               "process": "acquisition"})
    html = signed_in("viewer").get("/?group=process&sort=key").get_data(as_text=True)
    assert shown_keys(html) == ["d-acq", "d1"]
    assert html.index('id="group-acquisition"') < html.index('id="group-retention"')
    assert "group=process" in re.search(r'<nav class="pager".*?</nav>', html, re.S).group(0)


def test_a_write_is_seen_by_the_next_read_of_the_kept_portfolio(app, signed_in, five):
    client = signed_in("viewer")
    assert "0 / 25,000 EUR" in client.get("/?sort=key&status=running").get_data(as_text=True)
    write(app, lambda s: evidence.add_spend(s, pilot_key=RUNNING, spent_on=date(2026, 1, 20),
                                            amount=8200.0, description="Desk", actor="test"))
    html = client.get("/?sort=key&status=running").get_data(as_text=True)
    assert "8,200 / 25,000 EUR" in html
    write(app, lambda s: register_pilot(s, key="d5", pilot={"channel": "ch-d5"}))
    assert tile(client.get("/").get_data(as_text=True), "pilots") == 6
