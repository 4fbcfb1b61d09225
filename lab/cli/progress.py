"""Progress of long work on a terminal: rows so far, their rate, and the time left.

Shown only when stderr is a terminal, so scripts and scheduled jobs stay quiet (their
output is the summary line each command prints at the end). One line, redrawn in
place at most a few times a second: the import's inner loop calls it every chunk,
never per row.
"""

from __future__ import annotations

import sys
import time
from typing import IO

REDRAW_SECONDS = 0.25


class Progress:
    """Report work done as `update(bytes, rows)`; `total` bytes, when known, gives time left."""

    def __init__(self, label: str, total: int | None = None, stream: IO[str] | None = None,
                 clock=time.monotonic):
        self.label, self.total = label, total or None
        self.stream = stream if stream is not None else sys.stderr
        self.shown = self.stream.isatty()
        self.clock = clock
        self.started = self.drawn = clock()
        self.done = self.rows = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self.shown and self.rows:
            self._draw(final=True)

    def update(self, done: int, rows: int = 0) -> None:
        """Add bytes (or other units of `total`) and rows done since the last call."""
        self.done += done
        self.rows += rows
        now = self.clock()
        if self.shown and now - self.drawn >= REDRAW_SECONDS:
            self.drawn = now
            self._draw()

    def line(self, final: bool = False) -> str:
        """Return the line shown: '420,000 rows, 160,000 rows/s, 38%, 4 s left'."""
        elapsed = max(self.clock() - self.started, 1e-9)
        parts = [f"{self.rows:,} rows", f"{self.rows / elapsed:,.0f} rows/s"]
        if self.total and not final:
            share = min(self.done / self.total, 1.0)
            parts.append(f"{share:.0%}")
            if share > 0:
                parts.append(f"{_duration(elapsed * (1 - share) / share)} left")
        elif final:
            parts.append(f"{_duration(elapsed)} in all")
        return f"{self.label}: {', '.join(parts)}"

    def _draw(self, final: bool = False) -> None:
        # \r and a clear-to-end: the line is redrawn where it stands.
        self.stream.write(f"\r{self.line(final)}\x1b[K" + ("\n" if final else ""))
        self.stream.flush()


def _duration(seconds: float) -> str:
    """Say a duration briefly: '4 s', '3 min 20 s', '1 h 5 min'."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"
