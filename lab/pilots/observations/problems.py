"""What an import reports: the problems that refuse it, or what it did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from lab.errors import Invalid

# Past this many problems an import stops looking: the file needs fixing anyway, and a
# message of thousands of lines helps nobody.
PROBLEM_LIMIT = 50


class Problem(NamedTuple):
    """One reason a row (or the header) is refused."""

    line: int
    column: str
    message: str

    def describe(self) -> str:
        """Say where and what: 'line 12, column trials: must be a whole number'."""
        where = [f"line {self.line}"] if self.line else []
        where += [f"column {self.column}"] if self.column else []
        return ": ".join(filter(None, (", ".join(where), self.message)))


class ObservationError(Invalid):
    """An import refused as a whole; `problems` says which line, column and why."""

    def __init__(self, source: str, problems: list[Problem], *, truncated: bool = False):
        self.source = source
        self.truncated = truncated
        lines = [f"{source}: {problem.describe()}" for problem in problems]
        if truncated:
            lines.append(f"{source}: stopped looking after {len(problems)} problems")
        super().__init__("\n".join(lines), problems)

    @classmethod
    def combine(cls, errors: list[ObservationError]) -> ObservationError:
        """Merge the refusals of several files; the message names each file."""
        if len(errors) == 1:
            return errors[0]
        merged = cls(", ".join(error.source for error in errors),
                     [problem for error in errors for problem in error.problems])
        merged.args = ("\n".join(str(error) for error in errors),)
        merged.truncated = any(error.truncated for error in errors)
        return merged


@dataclass
class ImportResult:
    """What an accepted import did, row by row."""

    rows: int = 0
    inserted: int = 0
    unchanged: int = 0
    corrected: int = 0
    source: str = ""
    raw_rows: int | None = None  # a raw export's rows, when a mapping aggregated them

    def describe(self) -> str:
        """Summarise in one line: '120 rows: 100 inserted, 20 unchanged, 0 corrected'."""
        raw = f"{self.raw_rows} raw rows into " if self.raw_rows is not None else ""
        return (f"{self.source}: {raw}{self.rows} rows: {self.inserted} inserted, "
                f"{self.unchanged} unchanged, {self.corrected} corrected")


class Problems:
    """Collect problems up to PROBLEM_LIMIT."""

    def __init__(self, limit: int = PROBLEM_LIMIT):
        self.found: list[Problem] = []
        self.limit = limit
        self.truncated = False

    def add(self, line: int, column: str, message: str) -> None:
        """Note one problem, or that there were more than the limit."""
        if len(self.found) < self.limit:
            self.found.append(Problem(line, column, message))
        else:
            self.truncated = True

    @property
    def full(self) -> bool:
        """Tell whether looking further is pointless."""
        return self.truncated

    def __bool__(self) -> bool:
        return bool(self.found)

    def error(self, source: str) -> ObservationError:
        """Return the refusal these problems make."""
        return ObservationError(source, sorted(self.found), truncated=self.truncated)
