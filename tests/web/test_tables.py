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
        ("decided_at", "updated_at")
    assert tables["observations"]["incremental_on"] == "recorded_at"


def test_a_table_is_paged_through_to_its_end(signed_in, running):
    client = signed_in("analyst")
    seen, offset = [], 0
    for _ in range(10):  # 4 pages; a bound, so that a broken next_offset fails, not hangs
        if offset is None:
            break
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


def natural(row: dict) -> tuple:
    return (row["pilot"], row["metric"], row["arm"], row["phase"], row["period"])


def test_page_boundaries_last_page_exact_end_and_past_the_end(signed_in, running):
    client = signed_in("analyst")

    def get(query: str) -> dict:
        reply = client.get(f"{API}/observations?{query}")
        assert reply.status_code == 200, reply.json
        return reply.json

    whole = get("limit=36")
    assert (len(whole["rows"]), whole["next_offset"]) == (36, None)  # exactly all: last page
    assert get("limit=35")["next_offset"] == 35
    last = get("limit=10&offset=30")
    assert (len(last["rows"]), last["next_offset"], last["total"]) == (6, None, 36)
    assert (len(get("limit=1&offset=35")["rows"]), get("limit=1&offset=35")["next_offset"]) \
        == (1, None)
    past = get("limit=10&offset=36")
    assert (past["rows"], past["next_offset"], past["total"], past["offset"]) == \
        ([], None, 36, 36)
    assert get("offset=1000")["rows"] == []
    paged = [row for offset in (0, 7, 14, 21, 28, 35)
             for row in get(f"limit=7&offset={offset}")["rows"]]
    assert len(paged) == 36 and {natural(row) for row in paged} == \
        {natural(row) for row in whole["rows"]}


def test_since_on_the_api_includes_a_row_written_at_that_time(signed_in, running):
    client = signed_in("analyst")
    rows = client.get(f"{API}/observations?limit=1").json["rows"]
    stamp = rows[0]["recorded_at"]  # one import wrote them all at one time
    assert client.get(f"{API}/observations", query_string={"since": stamp}).json["total"] == 36
    assert client.get(f"{API}/observations?since=2999-01-01T00:00:00Z").json["total"] == 0
    plan = client.get(f"{API}/metrics?limit=1").json["rows"][0]["updated_at"]
    assert client.get(f"{API}/metrics", query_string={"since": plan}).json["total"] == 3


def test_a_bad_limit_offset_or_since_is_refused_naming_the_parameter(signed_in, running):
    client = signed_in("analyst")
    for query, name in (("limit=0", "limit"), ("limit=1001", "limit"), ("limit=ten", "limit"),
                        ("offset=-1", "offset"), ("offset=next", "offset"),
                        ("since=yesterday", "since")):
        reply = client.get(f"{API}/observations?{query}")
        assert reply.status_code == 422, query
        assert [problem["field"] for problem in reply.json["problems"]] == [name], query
