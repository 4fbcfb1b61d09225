"""The lines of an uploaded or imported text, capped: no NUL, none past a length.

Both importers (observations and raw exports) read their files through capped_lines
before the csv module sees them. Lines end at \\n, \\r or \\r\\n, as a file opened with
newline="" reads them. A file is read a block at a time: a block whose every line is
plainly within the cap is handed on whole (the csv module then splits it, at C speed);
only a block that holds a NUL or might hold a long line is read line by line, which
names the line. Memory holds a block, however long a line is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO

BLOCK_CHARS = 1 << 20


class Unreadable(csv.Error):
    """A line the reader refuses before the csv module sees it; `line` says which."""

    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


def capped_lines(stream: IO[str], limit: int, what: str,
                 block_chars: int = BLOCK_CHARS) -> Iterator[str]:
    """Yield the stream's lines, refusing a NUL or a line past `limit` characters."""
    lines = _Counted(limit, what)
    carry = ""
    while block := stream.read(block_chars):
        text = carry + block
        # Cut after the last line's end: a \n, or a \r not last (a \r last in the text
        # may begin a \r\n, so it waits for the next block).
        cut = max(text.rfind("\n"), text.rfind("\r", 0, len(text) - 1)) + 1
        piece, carry = text[:cut], text[cut:]
        if len(carry) > limit:  # a line not ended yet, already past the cap
            yield from lines.exact(piece)
            raise lines.too_long(lines.number + 1)
        yield from lines.plain(piece)
    yield from lines.exact(carry)


class _Counted:
    """Hand on pieces of text as lines, counting them."""

    def __init__(self, limit: int, what: str):
        self.limit, self.what, self.number = limit, what, 0

    def plain(self, piece: str) -> Iterator[str]:
        """Yield a piece's lines, whole if plainly within the cap: a newline in every
        stretch of half the cap bounds each line below the cap."""
        half = self.limit // 2
        if "\x00" in piece or ("\r" in piece and "\r" in piece.replace("\r\n", "")) or not all(
                piece.find("\n", start, start + half) >= 0
                for start in range(0, len(piece), half)):
            yield from self.exact(piece)
            return
        self.number += piece.count("\n")
        yield from io.StringIO(piece, newline="")

    def exact(self, piece: str) -> Iterator[str]:
        """Yield a piece's lines one by one, naming the first NUL or overlong one."""
        source = io.StringIO(piece, newline="")
        while line := source.readline(self.limit + 1):
            self.number += 1
            if len(line) > self.limit:
                raise self.too_long(self.number)
            if "\x00" in line:
                raise Unreadable(self.number, "contains a NUL character, which no database "
                                              "can store")
            yield line

    def too_long(self, number: int) -> Unreadable:
        return Unreadable(number, f"is longer than {self.limit:,} characters; no "
                                  f"{self.what} needs that many")
