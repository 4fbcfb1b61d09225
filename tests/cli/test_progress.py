"""lab.cli.progress: rows, rate and time left on a terminal; silence in scripts."""

from __future__ import annotations

import io

from lab.cli.progress import Progress


class Terminal(io.StringIO):
    """A text stream that says it is a terminal, as stderr does in a shell."""

    def isatty(self) -> bool:
        return True


class Clock:
    """A clock the test moves by hand: the lines shown depend on time passed."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_terminal_sees_rows_rate_share_and_time_left():
    stream, clock = Terminal(), Clock()
    with Progress("importing", total=1000, stream=stream, clock=clock) as progress:
        clock.now += 2
        progress.update(250, 40_000)
        assert stream.getvalue() == \
            "\rimporting: 40,000 rows, 20,000 rows/s, 25%, 6 s left\x1b[K"
        clock.now += 0.1
        progress.update(10, 100)  # redrawn at most four times a second
        assert stream.getvalue().count("\r") == 1
        clock.now += 200
        progress.update(740, 119_900)
    assert stream.getvalue().endswith("\rimporting: 160,000 rows, 792 rows/s, 3 min 22 s "
                                      "in all\x1b[K\n")


def test_a_script_sees_nothing():
    stream, clock = io.StringIO(), Clock()
    with Progress("importing", total=1000, stream=stream, clock=clock) as progress:
        clock.now += 5
        progress.update(1000, 5000)
    assert stream.getvalue() == ""


def test_without_a_total_there_is_no_time_left():
    clock = Clock()
    progress = Progress("exporting", stream=Terminal(), clock=clock)
    clock.now += 4000
    progress.update(0, 8000)
    assert progress.line() == "exporting: 8,000 rows, 2 rows/s"
    assert progress.line(final=True) == "exporting: 8,000 rows, 2 rows/s, 1 h 6 min in all"
