"""The export's tables over the API: listed, paginated, filtered, for analysts and above."""

from __future__ import annotations

from lab.portfolio.exports import TABLES

API = "/api/v1/tables"


def test_the_tables_are_listed_with_their_columns(signed_in):
    reply = signed_in("analyst").get(API)
    assert reply.status_code == 200
    tables = {table["name"]: table for table in reply.json["tables"]}
    assert list(tables) == list(TABLES)
    assert tables["observations"]["columns"]["period"] == "date"
    assert (tables["decisions"]["incremental_on"], tables["pilots"]["incremental_on"]) == \
        ("decided_at", None)


def test_a_table_is_paged_through_to_its_end(signed_in, running):
    client = signed_in("analyst")
    seen, offset = [], 0
    while offset is not None:
        page = client.get(f"{API}/observations?limit=10&offset={offset}").json
        assert page["total"] == 36 and len(page["rows"]) <= 10
        seen += page["rows"]
        offset = page["next_offset"]
    assert len(seen) == 36
    first = seen[0]
    assert (first["pilot"], first["period"], first["successes"], first["mean"]) == \
        ("x-care-1h", "2026-01-05", 48, None)


def test_rows_are_filtered_by_pilot_and_since(signed_in, running):
    client = signed_in("analyst")
    assert client.get(f"{API}/metrics?pilot=x-care-1h").json["total"] == 3
    assert client.get(f"{API}/metrics?pilot=nope").json["total"] == 0
    assert client.get(f"{API}/pilots?pilot=x-care-1h").json["total"] == 1
    assert client.get(f"{API}/hypotheses?pilot=x-care-1h").json["total"] == 0
    assert client.get(f"{API}/hypotheses?since=2000-01-01T00:00:00Z").json["total"] == 1
    assert client.get(f"{API}/hypotheses?since=2999-01-01T00:00:00Z").json["total"] == 0


def test_bad_requests_are_refused_clearly(signed_in, running):
    client = signed_in("analyst")
    missing = client.get(f"{API}/nope")
    assert missing.status_code == 404 and "no table 'nope'" in missing.json["message"]
    assert client.get(f"{API}/observations?limit=0").status_code == 422
    assert client.get(f"{API}/observations?limit=1001").status_code == 422
    assert client.get(f"{API}/observations?colour=red").status_code == 422
    assert signed_in("member").get(API).status_code == 403
