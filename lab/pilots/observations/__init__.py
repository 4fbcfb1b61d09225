"""Observations: the metric aggregates a running pilot logs, checked and stored in bulk."""

from lab.pilots.observations.importer import import_csv, import_files, record_observations
from lab.pilots.observations.problems import (
    PROBLEM_LIMIT,
    ImportResult,
    ObservationError,
    Problem,
)

__all__ = [
    "PROBLEM_LIMIT", "ImportResult", "ObservationError", "Problem", "import_csv",
    "import_files", "record_observations",
]
