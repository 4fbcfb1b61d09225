"""Writing validated rows in bulk, telling new rows from re-sent and contradicting ones.

Each chunk goes in with one `INSERT ... ON CONFLICT DO NOTHING` (SQLite: executemany;
PostgreSQL: COPY into a staging table, then INSERT ... SELECT). When every row went in,
that is all. Otherwise the chunk is staged and joined to the stored rows to sort the
rest out: identical (unchanged), different (refused, or replaced with --correct), or a
repeated key within the import. Row ids tell which stored rows this import inserted:
they are above the largest id seen when it began, because writers are serialized
(BEGIN IMMEDIATE on SQLite, a table lock on PostgreSQL).

Every row written, inserted or corrected, gets the import's time as `recorded_at`
(one literal in the statement, so no cost per row): this is the one place observations
are written, and what `lab export --since` reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import DateTime, insert
from sqlalchemy.engine import Connection

from lab.kinds import COLUMNS_BY_NAME, VALUE_NAMES
from lab.models import AuditEvent
from lab.models.base import utcnow
from lab.pilots.audit import jsonable
from lab.pilots.observations.problems import Problems

# scope ("" but for comparison-scopes control rows) closes the key and each stored tuple.
COLUMNS = ("pilot_id", "metric_id", "arm", "phase", "period") + VALUE_NAMES + ("scope",)
KEY = ("pilot_id", "metric_id", "arm", "phase", "period", "scope")
_LIST = ", ".join(COLUMNS)
_CONFLICT = f"ON CONFLICT ({', '.join(KEY)}) DO NOTHING"
_MATCH = " AND ".join(f"o.{name} = b.{name}" for name in KEY)
_STAGE_KEYS = {
    "sqlite": "line INTEGER, file INTEGER, pilot_id INTEGER, metric_id INTEGER, arm TEXT, "
              "phase TEXT, period TEXT, scope TEXT",
    "postgresql": "line integer, file integer, pilot_id integer, metric_id integer, "
                  "arm varchar(10), phase varchar(10), period date, scope varchar(80)",
}
# (whole, other) number types of the value columns, as the observation table has them.
_NUMBER_TYPES = {"sqlite": ("INTEGER", "REAL"), "postgresql": ("bigint", "double precision")}
_STAGE_TYPES = {
    dialect: ", ".join([keys] + [
        f"{name} {_NUMBER_TYPES[dialect][0 if COLUMNS_BY_NAME[name].whole else 1]}"
        for name in VALUE_NAMES])
    for dialect, keys in _STAGE_KEYS.items()}
# Where a match (see _matches) holds the values sent, then the values stored.
_SENT = slice(3 + len(KEY), 3 + len(KEY) + len(VALUE_NAMES))
_STORED = slice(_SENT.stop, _SENT.stop + len(VALUE_NAMES))


@dataclass
class Counts:
    """What happened to the rows of one chunk."""

    inserted: int = 0
    unchanged: int = 0
    corrected: int = 0
    corrections: list[dict] = field(default_factory=list)


class ObservationStore:
    """Write chunks of validated rows within the caller's transaction."""

    def __init__(self, connection: Connection, *, actor: str, correct: bool,
                 problems: Problems, name_of: Callable[[int, int], tuple[str, str]]):
        self.connection, self.actor, self.correct = connection, actor, correct
        self.problems, self.name_of = problems, name_of
        self.dialect = connection.dialect.name
        self.same = "IS" if self.dialect == "sqlite" else "IS NOT DISTINCT FROM"
        self.sources: list[str] = []
        if self.dialect == "postgresql":
            # Serialize writers of observations (readers go on): see the module docstring.
            connection.exec_driver_sql("LOCK TABLE observation IN SHARE ROW EXCLUSIVE MODE")
        self.start_id = self._max_id()
        self.staging_ready = False
        self.recorded_at = _literal(connection, utcnow())

    @property
    def dates_as_text(self) -> bool:
        """Tell whether periods are passed as ISO text (SQLite) or dates."""
        return self.dialect == "sqlite"

    def add(self, rows: list[tuple], lines: list[int], source: str) -> Counts:
        """Store one chunk; return what happened, noting refusals as problems."""
        if not self.sources or self.sources[-1] != source:
            self.sources.append(source)
        chunk_start = self._max_id()
        if self.dialect == "sqlite":
            inserted = self.connection.exec_driver_sql(
                f"INSERT INTO observation ({_LIST}, recorded_at) "
                f"VALUES ({', '.join('?' * len(COLUMNS))}, {self.recorded_at}) {_CONFLICT}",
                rows).rowcount
            if inserted == len(rows):
                return Counts(inserted=inserted)
            self._stage(rows, lines)
        else:
            self._stage(rows, lines)
            inserted = self.connection.exec_driver_sql(
                f"INSERT INTO observation ({_LIST}, recorded_at) SELECT {_LIST}, "
                f"{self.recorded_at} FROM import_batch ORDER BY line {_CONFLICT}").rowcount
            if inserted == len(rows):
                return Counts(inserted=inserted)
        counts = self._sort_out(chunk_start)
        counts.inserted = inserted
        return counts

    def savepoint(self) -> tuple[int, bool]:
        """Mark where a file's writes begin, so that they can be undone (roll_back)."""
        self.connection.exec_driver_sql("SAVEPOINT lab_import_file")
        return len(self.sources), self.staging_ready

    def roll_back(self, mark: tuple[int, bool]) -> None:
        """Undo every write since the savepoint, and forget what they taught the store."""
        self.connection.exec_driver_sql("ROLLBACK TO SAVEPOINT lab_import_file")
        self.release(mark)
        del self.sources[mark[0]:]
        # Staging tables made since went with the savepoint (DDL is transactional).
        self.staging_ready = mark[1]
        self.problems = Problems()

    def release(self, _mark: tuple[int, bool]) -> None:
        """Keep the writes since the savepoint."""
        self.connection.exec_driver_sql("RELEASE SAVEPOINT lab_import_file")

    def finish(self) -> None:
        """Drop the staging tables so a pooled connection does not keep them."""
        if self.staging_ready and self.dialect == "sqlite":
            self.connection.exec_driver_sql("DROP TABLE temp.import_batch")
            self.connection.exec_driver_sql("DROP TABLE temp.import_seen")

    def _max_id(self) -> int:
        return self.connection.exec_driver_sql("SELECT max(id) FROM observation").scalar() or 0

    def _prepare_staging(self) -> None:
        """Create the temporary tables for the slow path, once per import."""
        if self.staging_ready:
            return
        drop = " ON COMMIT DROP" if self.dialect == "postgresql" else ""
        self.connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE import_batch ({_STAGE_TYPES[self.dialect]}){drop}")
        self.connection.exec_driver_sql(
            "CREATE TEMPORARY TABLE import_seen (observation_id INTEGER PRIMARY KEY, "
            f"line INTEGER, file INTEGER){drop}")
        self.staging_ready = True

    def _stage(self, rows: list[tuple], lines: list[int]) -> None:
        """Put this chunk, with line numbers, into the staging table."""
        self._prepare_staging()
        # TRUNCATE on PostgreSQL: temporary tables get no autovacuum, so deleted rows
        # would pile up and slow every later chunk. SQLite's DELETE without WHERE
        # truncates too.
        empty = "TRUNCATE" if self.dialect == "postgresql" else "DELETE FROM"
        self.connection.exec_driver_sql(f"{empty} import_batch")
        file = len(self.sources) - 1
        if self.dialect == "postgresql":
            with self.connection.connection.driver_connection.cursor() as cursor, \
                    cursor.copy(f"COPY import_batch (line, file, {_LIST}) FROM STDIN") as copy:
                for line, row in zip(lines, rows, strict=True):
                    copy.write_row((line, file) + row)
            return
        self.connection.exec_driver_sql(
            f"INSERT INTO import_batch (line, file, {_LIST}) "
            f"VALUES ({', '.join('?' * (len(COLUMNS) + 2))})",
            [(line, file) + row for line, row in zip(lines, rows, strict=True)])

    def _sort_out(self, chunk_start: int) -> Counts:
        """Classify the staged rows that did not go in: same, different, repeated."""
        seen = self._seen_before()
        counts, first_line, new_seen = Counts(), {}, []
        for match in self._matches():
            observation_id, line = match[0], match[1]
            if observation_id in first_line:
                self._repeat(line, first_line[observation_id])
                continue
            first_line[observation_id] = (line, len(self.sources) - 1)
            if observation_id > chunk_start:
                continue  # this row is the one the chunk inserted
            if observation_id > self.start_id:
                self.problems.add(line, "", "repeats the key (pilot, metric, arm, phase, "
                                            "period) of an earlier row of this import")
            elif observation_id in seen:
                self._repeat(line, seen[observation_id])
            else:
                new_seen.append((observation_id,) + first_line[observation_id])
                self._compare(match, counts)
        self._remember(new_seen)
        self._correct(counts.corrections)
        counts.corrected = len(counts.corrections)
        return counts

    def _matches(self) -> list:
        """Join the staged rows to the stored rows with their keys, grouped by row id.

        Each match: stored id, line, identical (1/0), the key, the values sent and the
        values stored (each in VALUE_NAMES order).
        """
        same = " AND ".join(f"o.{name} {self.same} b.{name}" for name in VALUE_NAMES)
        values = ", ".join(f"b.{name}" for name in VALUE_NAMES)
        stored = ", ".join(f"o.{name}" for name in VALUE_NAMES)
        return self.connection.exec_driver_sql(
            f"SELECT o.id, b.line, CASE WHEN {same} THEN 1 ELSE 0 END, "
            f"b.pilot_id, b.metric_id, b.arm, b.phase, b.period, b.scope, {values}, {stored} "
            f"FROM import_batch b JOIN observation o ON {_MATCH} ORDER BY o.id, b.line").all()

    def _repeat(self, line: int, earlier: tuple[int, int]) -> None:
        """Note that a row repeats the key of an earlier row."""
        earlier_line, file = earlier
        where = (f"line {earlier_line}" if file == len(self.sources) - 1
                 else f"{self.sources[file]} line {earlier_line}")
        self.problems.add(line, "", f"repeats the key (pilot, metric, arm, phase, period) "
                                    f"of {where}")

    def _seen_before(self) -> dict[int, tuple[int, int]]:
        """Return the stored rows earlier chunks matched, with the line that did."""
        found = self.connection.exec_driver_sql(
            "SELECT s.observation_id, s.line, s.file FROM import_seen s "
            f"JOIN observation o ON o.id = s.observation_id JOIN import_batch b ON {_MATCH}")
        return {observation_id: (line, file) for observation_id, line, file in found}

    def _remember(self, new_seen: list[tuple[int, int, int]]) -> None:
        if new_seen:
            marker = "?" if self.dialect == "sqlite" else "%s"
            self.connection.exec_driver_sql(
                f"INSERT INTO import_seen VALUES ({marker}, {marker}, {marker})", new_seen)

    def _compare(self, match, counts: Counts) -> None:
        """Count an identical row; refuse or queue the correction of a different one."""
        if match[2]:
            counts.unchanged += 1
            return
        line, key = match[1], match[3:3 + len(KEY)]
        sent = dict(zip(VALUE_NAMES, match[_SENT], strict=True))
        stored = dict(zip(VALUE_NAMES, match[_STORED], strict=True))
        if self.correct:
            counts.corrections.append({"id": match[0], "key": key, "before": stored,
                                       "after": sent})
            return
        column = next(name for name in VALUE_NAMES if sent[name] != stored[name])
        self.problems.add(line, column, f"contradicts the stored row ({_describe(stored)}; "
                                        f"this row: {_describe(sent)}): to replace it, "
                                        "import it as a correction (lab import --correct)")

    def _correct(self, corrections: list[dict]) -> None:
        """Replace the stored values and audit each change with before and after."""
        if not corrections or self.problems:
            return
        marker = "?" if self.dialect == "sqlite" else "%s"
        assignments = ", ".join(f"{name} = {marker}" for name in VALUE_NAMES)
        self.connection.exec_driver_sql(
            f"UPDATE observation SET {assignments}, recorded_at = {self.recorded_at} "
            f"WHERE id = {marker}",
            [tuple(c["after"][name] for name in VALUE_NAMES) + (c["id"],)
             for c in corrections])
        self.connection.execute(insert(AuditEvent), [self._audit_row(c) for c in corrections])

    def _audit_row(self, correction: dict) -> dict:
        """Describe one correction as an audit event."""
        pilot_id, metric_id, arm, phase, period, scope = correction["key"]
        pilot, metric = self.name_of(pilot_id, metric_id)
        period = period.isoformat() if isinstance(period, date) else period
        return {"at": utcnow(), "actor": self.actor, "action": "correct",
                "object_type": "observation",
                "object_key": "/".join((pilot, metric, arm, phase, period)
                                       + ((scope,) if scope else ())),
                "before": jsonable(_filled(correction["before"])),
                "after": jsonable(_filled(correction["after"]))}


def _literal(connection: Connection, moment) -> str:
    """Write a time as a SQL literal the way the engine stores the column (SQLite keeps
    text, compared as text: it must be SQLAlchemy's own format)."""
    if connection.dialect.name == "postgresql":
        return f"'{moment.isoformat()}'::timestamptz"
    stored = DateTime(timezone=True).dialect_impl(connection.dialect)
    return "'" + stored.bind_processor(connection.dialect)(moment) + "'"


def _filled(values: dict) -> dict:
    """Keep the value columns that hold something."""
    return {name: value for name, value in values.items() if value is not None}


def _describe(values: dict) -> str:
    """Write values as 'successes 40, trials 100'."""
    return ", ".join(f"{name} {value}" for name, value in _filled(values).items())

