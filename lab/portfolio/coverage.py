"""The coverage map: where the lab and the rest of the company test, process × channel.

A cell lists the lab's pilots not yet decided (running or draft) and the initiatives not
ended on that lifecycle process and channel; an empty cell is where nobody tests. Scopes
named by segment only fall in the column SEGMENT_ONLY.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlmodel import Session, col, select

from lab.models import Channel, Hypothesis, Initiative, Pilot
from lab.pilots.frames import INT, TEXT, category, typed
from lab.vocabulary import Process, values

SEGMENT_ONLY = "(segment only)"


@dataclass
class Cell:
    pilots: list[str] = field(default_factory=list)
    initiatives: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.pilots and not self.initiatives


@dataclass
class Coverage:
    channels: list[str]
    processes: list[str]
    cells: dict[tuple[str, str], Cell]

    def cell(self, process: str, channel: str) -> Cell:
        return self.cells.get((process, channel), Cell())


def coverage(session: Session) -> Coverage:
    """Build the map from the pilots still open and the initiatives not ended."""
    cells: dict[tuple[str, str], Cell] = {}
    channels = set(session.exec(select(Channel.name)))
    pilots = session.exec(
        select(Pilot.key, Hypothesis.process, Channel.name)
        .join(Hypothesis, col(Pilot.hypothesis_id) == Hypothesis.id)
        .outerjoin(Channel, col(Pilot.channel_id) == Channel.id)
        .where(col(Pilot.status).in_(["running", "paused", "draft"])).order_by(col(Pilot.key)))
    for key, process, channel in pilots:
        cells.setdefault((process, channel or SEGMENT_ONLY), Cell()).pilots.append(key)
    for initiative in session.exec(select(Initiative).where(Initiative.status != "ended")
                                   .order_by(col(Initiative.key))):
        channel = initiative.channel or SEGMENT_ONLY
        channels.add(channel)
        cells.setdefault((initiative.process, channel), Cell()).initiatives.append(
            initiative.key)
    shown = sorted(channels - {SEGMENT_ONLY})
    if any(channel == SEGMENT_ONLY for _, channel in cells):
        shown.append(SEGMENT_ONLY)
    return Coverage(shown, values(Process), cells)


COVERAGE = {"process": category(Process), "channel": TEXT, "pilots": INT,
            "initiatives": INT, "pilot_keys": TEXT, "initiative_keys": TEXT}


def coverage_frame(found: Coverage) -> pd.DataFrame:
    """Return the map long-form: one row per process and channel, empty cells included."""
    return typed([{"process": process, "channel": channel,
                   "pilots": len(cell.pilots), "initiatives": len(cell.initiatives),
                   "pilot_keys": ",".join(cell.pilots),
                   "initiative_keys": ",".join(cell.initiatives)}
                  for process in found.processes for channel in found.channels
                  for cell in [found.cell(process, channel)]], COVERAGE)
