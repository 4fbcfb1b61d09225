"""The importers' capped lines: read a block at a time, the same lines as line by line.

lab/pilots/observations/lines.py hands on whole blocks whose lines are plainly within
the cap. These properties hold it to the plain readline loop it replaced: the same
lines (ends kept, at \\n, \\r or \\r\\n), and the same refusal at the same line number.
"""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lab.pilots.observations import lines
from lab.pilots.observations.lines import Unreadable, capped_lines


def line_by_line(text: str, limit: int) -> tuple[list[str], int | None, str]:
    """The reference: readline one character past the cap, checking each line."""
    stream, found, number = io.StringIO(text, newline=""), [], 0
    while line := stream.readline(limit + 1):
        number += 1
        if len(line) > limit:
            return found, number, "longer"
        if "\x00" in line:
            return found, number, "NUL"
        found.append(line)
    return found, None, ""


def by_blocks(text: str, limit: int, block: int = lines.BLOCK_CHARS) -> tuple:
    found = []
    try:
        for line in capped_lines(io.StringIO(text, newline=""), limit, "row", block):
            found.append(line)
    except Unreadable as refused:
        return found, refused.line, "NUL" if "NUL" in str(refused) else "longer"
    return found, None, ""


@settings(max_examples=500, deadline=None)
@given(text=st.text("ab,\r\n\x00", max_size=80), limit=st.integers(2, 12),
       block=st.integers(1, 16))
def test_blocks_give_the_lines_and_refusals_of_line_by_line(text, limit, block):
    # Small blocks cut lines, \r\n pairs and refused lines anywhere.
    assert by_blocks(text, limit, block) == line_by_line(text, limit)


def test_a_long_file_of_short_lines_is_handed_on_in_blocks():
    text = "pilot,metric\r\n" + "x-care-1h,churn-90d\n" * 200_000
    assert by_blocks(text, 10_000) == line_by_line(text, 10_000)


@pytest.mark.parametrize("limit", [4, 10, 10_000])
def test_a_line_one_past_the_cap_between_short_ones_is_refused(limit):
    at_cap, past = "b" * (limit - 1) + "\n", "c" * limit + "\n"
    text = "a\n" + at_cap + past + "a\n"
    assert by_blocks(text, limit) == (["a\n", at_cap], 3, "longer") == line_by_line(text, limit)
