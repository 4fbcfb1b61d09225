"""Overlaps: running pilots on the same channel or segment at the same time.

Two such pilots can contaminate each other's results (a customer in both scopes sees
both changes), so the lab warns about each pair on sync, on start and on the portfolio.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations

from sqlmodel import Session, col, select

from lab.models import Channel, Pilot, Segment


@dataclass(frozen=True)
class Overlap:
    """Two pilots sharing a scope over a stretch of dates."""

    pilot_a: str
    pilot_b: str
    scope: str  # e.g. "channel 'x'" or "channel 'x' and segment 'retail'"
    start: date
    end: date
    status_a: str = "running"
    status_b: str = "running"
    message: str = field(init=False)

    def __post_init__(self) -> None:
        a = self.pilot_a + ("" if self.status_a == "running" else f" ({self.status_a})")
        b = self.pilot_b + ("" if self.status_b == "running" else f" ({self.status_b})")
        text = (f"pilots {a} and {b} overlap on {self.scope} from {self.start} to "
                f"{self.end}: each may contaminate the other's results")
        object.__setattr__(self, "message", text)


def overlaps(session: Session, *, include_drafts: bool = False,
             history: bool = False) -> list[Overlap]:
    """Return every pair of running pilots whose scopes and dates overlap.

    With include_drafts, drafts count as well when paired with a running pilot, so a
    plan can be warned about before it starts. With history, pilots already decided
    count too, so an overlap stays on record after one of the pair is decided.
    """
    finished = ["scaled_up", "revised", "withdrawn"] if history else []
    # A paused pilot still holds its scope: it resumes on the same customers.
    statuses = ["running", "paused", *finished, *(["draft"] if include_drafts else [])]
    # The six columns compared, not whole pilots: a pilot row carries its whole plan.
    return among(session.exec(
        select(Pilot.key, Pilot.status, Pilot.start_date, Pilot.end_date,
               Channel.name, Segment.name)
        .outerjoin(Channel, col(Pilot.channel_id) == Channel.id)
        .outerjoin(Segment, col(Pilot.segment_id) == Segment.id)
        .where(col(Pilot.status).in_(statuses))
        .order_by(col(Pilot.key))).all(), history=history)


def among(scoped: Iterable[tuple], *, history: bool = False) -> list[Overlap]:
    """Return the overlaps among these (key, status, start, end, channel, segment) rows.

    `overlaps` reads the rows; the portfolio, which has read them already, passes its own.
    """
    rows = [(_Scoped(key, status, start, end), channel, segment)
            for key, status, start, end, channel, segment in scoped]
    pilots = {pilot.key: pilot for pilot, _, _ in rows}
    shared: dict[tuple[str, str], list[str]] = defaultdict(list)
    for scope, members in _by_scope(rows).items():
        for a, b in combinations(members, 2):
            if {"running", "paused"} & {a.status, b.status} or (
                    history and "draft" not in (a.status, b.status)):
                shared[a.key, b.key].append(scope)
    found = []
    for (key_a, key_b), scopes in shared.items():
        a, b = pilots[key_a], pilots[key_b]
        start, end = max(a.start_date, b.start_date), min(a.end_date, b.end_date)
        if start <= end:
            found.append(Overlap(a.key, b.key, " and ".join(scopes), start, end,
                                 a.status, b.status))
    return sorted(found, key=lambda overlap: (overlap.pilot_a, overlap.pilot_b))


@dataclass(frozen=True)
class _Scoped:
    """What an overlap compares of a pilot."""

    key: str
    status: str
    start_date: date
    end_date: date


def _by_scope(rows) -> dict[str, list[_Scoped]]:
    """Group pilots by each channel and each segment they run on."""
    groups: dict[str, list[_Scoped]] = defaultdict(list)
    for pilot, channel, segment in rows:
        if channel is not None:
            groups[f"channel '{channel}'"].append(pilot)
        if segment is not None:
            groups[f"segment '{segment}'"].append(pilot)
    return groups
