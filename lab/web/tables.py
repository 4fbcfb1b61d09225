"""The export's tables over the API: paginated and filterable, for BI tools that poll.

`GET /api/v1/tables` lists them with their columns; `GET /api/v1/tables/<name>` pages
through one (`limit`, `offset`; `next_offset` is null on the last page), filtered by
`pilot` and, for the stamped tables, by `since`. The filters and the page run in SQL
(lab.portfolio.exports.page), in the order of the rows' ids. The rows are those `lab export`
writes (lab.portfolio.exports), typed as docs/EXPORTS.md says. Analysts and above.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from lab import db
from lab.errors import NotFound
from lab.portfolio import exports
from lab.web.openapi import Api
from lab.web.schemas import Reply, Request, Timestamp

MAX_PAGE = 1000


class TableQuery(Request):
    limit: int = Field(100, ge=1, le=MAX_PAGE, description="rows per page")
    offset: int = Field(0, ge=0, le=2**31 - 1, description="rows to skip")
    pilot: str | None = Field(None, min_length=1, max_length=80,
                              description="only this pilot's rows")
    since: Timestamp | None = Field(None, description="tables with incremental_on only: "
                                                      "rows written (or corrected) at or "
                                                      "after this time")


class TableInfo(Reply):
    name: str
    about: str
    incremental_on: str | None = Field(description="the column `since` filters; null: "
                                                   "a computed table, served whole")
    columns: dict[str, str]


class TableList(Reply):
    tables: list[TableInfo]


class TablePage(Reply):
    table: str
    total: int = Field(description="rows matching the filters, all pages together")
    offset: int
    limit: int
    next_offset: int | None
    rows: list[dict[str, Any]]


def register(api: Api) -> None:
    """Route the tables' operations on the API (lab.web.api calls this once)."""

    @api.route("GET", "/tables", summary="List the exported tables and their columns",
               reply=TableList, role="analyst", tag="tables")
    def list_tables():
        """List the tables `lab export` writes, with their columns' types."""
        return TableList(tables=[
            TableInfo(name=table.name, about=table.about, incremental_on=table.stamp,
                      columns={name: exports.dtype_name(dtype)
                               for name, dtype in table.schema.items()})
            for table in exports.TABLES.values()])

    @api.route("GET", "/tables/<name>", summary="Page through one exported table",
               reply=TablePage, role="analyst", query=TableQuery, tag="tables")
    def get_table(name: str, query: TableQuery):
        """Return one page of a table's rows, filtered."""
        if name not in exports.TABLES:
            raise NotFound(f"no table '{name}' (the tables are {', '.join(exports.TABLES)})")
        page, total = exports.page(db.session(), name, limit=query.limit,
                                   offset=query.offset, since=query.since, pilot=query.pilot)
        after = query.offset + len(page)
        return TablePage(table=name, total=total, offset=query.offset, limit=query.limit,
                         next_offset=after if after < total else None,
                         rows=exports.records(page))
