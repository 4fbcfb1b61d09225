"""Plain exports: the files the columnar path reads, and their cells read as arrays.

A file is plain when it has no quote, NUL, lone carriage return, blank line or line
past the cap, is UTF-8, and every cell the mapping reads is what Python and Arrow read
alike: times as ISO 8601 without offset (YYYY-MM-DD HH:MM[:SS[.ffffff]], a space or T
between), numbers as Arrow's float parser takes them (a subset of what float() takes,
read to the same nearest double). Whatever is not plain raises Declined: the row path
(raw.py) then reads the file and names any problem by line and column.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from lab.pilots.observations import cells

# A blank cell is what str.strip() leaves empty: every character Python calls a space.
BLANK = "^[" + "".join(f"\\x{{{c:x}}}" for c in range(0x110000) if chr(c).isspace()) + "]*$"
# The byte widths of a plain time: minutes, seconds, and one to six digits of fraction.
TIME_WIDTHS = frozenset([16, 19, *range(21, 27)])
DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15]
BLOCK_BYTES = 1 << 20  # text per batch: ~12,500 rows of a ticket export; memory stays flat
MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
DAY_US, MICROSECOND = 86_400_000_000, timedelta(microseconds=1)
EPOCH = date(1970, 1, 1).toordinal()
# Days far enough from year 1 and 9999 (datetime's range) to be moved by an offset.
FIRST_DAY, LAST_DAY = date(1, 1, 2).toordinal() - EPOCH, date(9999, 12, 30).toordinal() - EPOCH


class Declined(Exception):
    """The file is not plain: raw.py reads it row by row."""


class PlainFile:
    """The file read a block at a time, checked on the way for anything not plain."""

    def __init__(self, handle, limit: int, columns: int):
        self.handle, self.limit, self.columns = handle, limit, columns
        self.bytes = self.lines = self.since = self.lone_returns = 0
        self.ends_return = False
        self.decoder = codecs.getincrementaldecoder("utf-8")()

    def header(self, delimiter: str) -> list[str]:
        """Return the header's names (as csv.reader reads them) and rewind."""
        line = self.handle.readline(self.limit + 1)
        self.handle.seek(0)
        if b'"' in line or len(line) > self.limit:
            raise Declined
        names = next(csv.reader([line.decode("utf-8-sig").rstrip("\r\n")], strict=True,
                                delimiter=delimiter), [])
        if not 2 <= len(names) <= self.columns or \
                len({name.strip() for name in names}) != len(names):
            raise Declined  # one column (blank lines would be rows), too many, or one twice
        return names

    def batches(self, width: int, at: dict[str, str], delimiter: str):
        """Yield the rows a block at a time, the columns `at` names (c0, c1…) as text.

        Each block is cut at its last newline and parsed alone, so memory holds one
        block, however long the file (pyarrow's own streaming reader reads ahead).
        """
        names = sorted(set(at.values()))
        options = {"parse_options": pcsv.ParseOptions(delimiter=delimiter,
                                                      ignore_empty_lines=False),
                   "convert_options": pcsv.ConvertOptions(
                       include_columns=names, strings_can_be_null=False,
                       column_types=dict.fromkeys(names, pa.string()))}
        carry, header = b"", True
        while chunk := self.read(BLOCK_BYTES):
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            piece, carry = data[:cut], data[cut:]
            if header and piece:
                piece, header = piece[piece.find(b"\n") + 1:], False
            if piece:
                yield self._parse(piece, width, options)
        if carry and not header:
            yield self._parse(carry, width, options)

    @staticmethod
    def _parse(piece: bytes, width: int, options: dict) -> pa.RecordBatch:
        table = pcsv.read_csv(pa.py_buffer(piece), read_options=pcsv.ReadOptions(
            column_names=[f"c{i}" for i in range(width)], use_threads=False,
            block_size=len(piece) + 1), **options)
        return table.combine_chunks().to_batches()[0]  # a piece holds at least a line

    def read(self, size: int = -1) -> bytes:
        """Return the next bytes, declining what is not plain."""
        chunk = self.handle.read(size)
        if b'"' in chunk or b"\x00" in chunk:
            raise Declined
        self.lone_returns += chunk.count(b"\r") - chunk.count(b"\r\n") - \
            (self.ends_return and chunk[:1] == b"\n")
        self.ends_return = chunk[-1:] == b"\r"
        first, last = chunk.find(b"\n"), chunk.rfind(b"\n")
        if first < 0:
            self.since += len(chunk)
        elif self.since + first + 1 > self.limit or not self._short(chunk, first, last):
            raise Declined
        else:
            self.since = len(chunk) - last - 1
        if self.since > self.limit:
            raise Declined
        if not chunk.isascii():
            self.decoder.decode(chunk)
        self.lines += chunk.count(b"\n")
        self.bytes += len(chunk)
        return chunk

    def _short(self, chunk: bytes, first: int, last: int) -> bool:
        """Tell whether every line between two newlines is within the cap, in bytes (so
        in characters). A newline in every stretch of half the cap bounds each line
        below the cap; only a chunk without one is measured line by line."""
        half = self.limit // 2
        if all(chunk.find(b"\n", start, start + half) >= 0
               for start in range(first + 1, last, half)):
            return True
        ends = np.flatnonzero(np.frombuffer(chunk, np.uint8) == 10)
        return int(np.diff(ends).max(initial=0)) <= self.limit

    def finish(self, rows: int) -> None:
        """Decline unless every line but the header was one row (no blank line)."""
        self.decoder.decode(b"", final=True)
        if self.lone_returns or self.lines + (self.since > 0) != rows + 1:
            raise Declined


class Resumed:
    """A progress callback that stays quiet for what a declined columnar read told it."""

    def __init__(self, progress: Callable[[int, int], None] | None):
        self.progress, self.told = progress, [0, 0]

    def __call__(self, done: int, rows: int) -> None:
        if self.progress is not None:
            self.progress(done, rows)
            self.told[0] += done
            self.told[1] += rows

    def again(self) -> Callable[[int, int], None] | None:
        """Return the callback for the row path's read, skipping what was already told."""
        if self.progress is None:
            return None
        owed, self.told = self.told, [0, 0]

        def told_less(done: int, rows: int) -> None:
            skip_done, skip_rows = min(done, owed[0]), min(rows, owed[1])
            owed[0] -= skip_done
            owed[1] -= skip_rows
            if done - skip_done or rows - skip_rows:
                self.progress(done - skip_done, rows - skip_rows)

        return told_less


# Arrays cross between pyarrow and numpy through their buffers: pyarrow's own converters
# (pa.array, to_numpy, a Python scalar in a kernel) import pandas, which costs the
# import half a second and 90 MB.
def to_numpy(array: pa.Array) -> np.ndarray:
    """Return a null-free numeric or boolean array's values."""
    if array.null_count:
        raise Declined
    if array.type == pa.bool_():
        bits = np.frombuffer(array.buffers()[1], np.uint8)
        return np.unpackbits(bits, bitorder="little")[array.offset:array.offset + len(array)] \
            .astype(bool)
    values = np.frombuffer(array.buffers()[1], array.type.to_pandas_dtype())
    return values[array.offset:array.offset + len(array)]


def from_numpy(values: np.ndarray) -> pa.Array:
    """Return a numpy array of integers or booleans as an Arrow array (no copy of ints)."""
    if values.dtype == bool:
        return pa.Array.from_buffers(pa.bool_(), len(values), [
            None, pa.py_buffer(np.packbits(values, bitorder="little"))])
    values = np.ascontiguousarray(values, np.int64)
    return pa.Array.from_buffers(pa.int64(), len(values), [None, pa.py_buffer(values)])


def strings(values: list[str]) -> pa.Array:
    """Return Python texts as an Arrow string array."""
    data = [value.encode("utf-8") for value in values]
    offsets = np.cumsum([0] + [len(value) for value in data], dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), len(values), [
        None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))])


def blank(text: pa.Array) -> np.ndarray:
    """Return which cells are blank as the row path's `not text.strip()` says."""
    return to_numpy(pc.match_substring_regex(text, BLANK))


def empty(text: pa.Array) -> np.ndarray:
    """Return which cells are empty (no character at all)."""
    return to_numpy(pc.binary_length(text)) == 0


def numbers(text: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return each cell's number, whether it is empty, and whether it is not finite.

    A cell Arrow cannot read (a word, '1_0', ' 12') declines: float() may take it.
    """
    none = empty(text)
    cells = pc.if_else(from_numpy(none), strings(["0"])[0], text) if none.any() else text
    values = to_numpy(pc.cast(cells, pa.float64()))
    return values, none, ~np.isfinite(values)


def times(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Return each cell's time (microseconds since 1970, wall clock) and whether it is
    empty; decline any other cell not read exactly as datetime.fromisoformat reads it.

    The cells of one width lie back to back in the array's buffer: read as a matrix of
    bytes, checked and converted column by column.
    """
    lengths = to_numpy(pc.binary_length(text))
    none = lengths == 0
    widths = np.unique(lengths[~none])
    found = np.zeros(len(text), np.int64)
    if not widths.size:
        return found, none
    width = int(widths[0])
    if widths.size > 1 or width not in TIME_WIDTHS or text.type != pa.string():
        raise Declined
    offsets = np.frombuffer(text.buffers()[1], np.int32)[text.offset:text.offset + len(text) + 1]
    data = np.frombuffer(text.buffers()[2], np.uint8)[offsets[0]:offsets[-1]]
    cells = data.reshape(-1, width)
    digits = DIGITS + ([17, 18] if width >= 19 else []) + list(range(20, width))
    values = cells[:, digits] - np.uint8(48)  # a byte below '0' wraps round, above 9
    marks = {4: b"-", 7: b"-", 13: b":", 16: b":", 19: b"."}
    if (values > 9).any() or ((cells[:, 10] != 32) & (cells[:, 10] != 84)).any() or \
            any((cells[:, at] != ord(mark)).any() for at, mark in marks.items() if at < width):
        raise Declined
    column = {position: i for i, position in enumerate(digits)}

    def number(*at: int) -> np.ndarray:
        value = values[:, column[at[0]]].astype(np.int64)
        for position in at[1:]:
            value = value * 10 + values[:, column[position]]
        return value

    year, month, day = number(0, 1, 2, 3), number(5, 6), number(8, 9)
    hour, minute = number(11, 12), number(14, 15)
    second = number(17, 18) if width >= 19 else 0
    fraction = number(*range(20, width)) * 10 ** (26 - width) if width > 20 else 0
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = MONTH_DAYS[np.clip(month, 0, 12)] + (leap & (month == 2))
    if ((year < 1) | (month < 1) | (month > 12) | (day < 1) | (day > month_days)
            | (hour > 23) | (minute > 59) | (np.asarray(second) > 59)).any():
        raise Declined
    # Days since 1970 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    shifted = year - (month <= 2)
    era = shifted // 400
    of_era = shifted - era * 400
    of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    days = era * 146097 + of_era * 365 + of_era // 4 - of_era // 100 + of_year - 719468
    found[~none] = (((days * 24 + hour) * 60 + minute) * 60 + second) * 1_000_000 + fraction
    return found, none


class Offsets:
    """A zone's UTC offsets of naive times, as cells.Clock finds them: day by day, and
    time by time on a day the clocks change."""

    def __init__(self, zone: ZoneInfo):
        self.clock, self.zone = cells.Clock("iso", zone, {}), zone
        self.days: dict[int, int | None] = {}  # day since 1970 -> microseconds, or None

    def utc(self, local: np.ndarray) -> np.ndarray:
        """Return naive local times (microseconds) in UTC, as cells.Clock.absolute does."""
        unique, day_of = np.unique(local // DAY_US, return_inverse=True)
        if unique.size and (unique[0] < FIRST_DAY or unique[-1] > LAST_DAY):
            raise Declined
        for day in unique.tolist():
            if day not in self.days:
                offset = self.clock.day_offset(date.fromordinal(EPOCH + day))
                self.days[day] = None if offset is cells.VARIES else offset // MICROSECOND
        fixed = [self.days[day] for day in unique.tolist()]
        found = local - np.array([offset or 0 for offset in fixed], np.int64)[day_of]
        for varies in (i for i, offset in enumerate(fixed) if offset is None):
            for row in np.flatnonzero(day_of == varies).tolist():
                moment = datetime(1970, 1, 1) + int(local[row]) * MICROSECOND
                found[row] -= moment.replace(tzinfo=self.zone).utcoffset() // MICROSECOND
        return found
