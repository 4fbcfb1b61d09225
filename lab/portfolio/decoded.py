"""The stored summaries, each decoded once per process for the stamp the database gives it.

After a write the portfolio is built again (`lab.portfolio.kept`), and decoding every
pilot's JSON summary is most of that: ten thousand of them take a second. A stored
answer is rewritten whole with a new `computed_at` and the `inputs` it was computed
from, so (pilot, computed_at, inputs) names one summary for good: each read fetches
those stamps (small columns, before the document in the row), and fetches and decodes
only the summaries this process has not seen yet. The database still decides what is
current; the memory only saves decoding the same text twice.

What is kept of a summary is a `Summary`: what the portfolio sorts, filters and counts
by (outcome, final, evidence, guardrails, targets, reasons, the primary metric's entry)
and the stored text itself, compressed. The whole answer is decoded again from the
text where one is shown (a pilot's page, the API, the reports, the notebook frames):
a portfolio of thirty thousand pilots holds a few hundred bytes a pilot, not the
answers decoded (about 3 KB each). The kept summaries are those of the last read,
so their memory is bounded by the portfolio, whatever its size.

The summaries are shared: whoever reads them must not change them.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import String, cast
from sqlmodel import Session, col, select

from lab.models import Pilot, StoredRecommendation
from lab.pilots.reads import PLANNED, planned_columns
from lab.portfolio import standing
from lab.portfolio.measures import primary_of, with_thresholds

CHUNK = 500  # ids per IN list

# A pilot's planned metrics, each the PLANNED columns of `lab.pilots.reads.planned_metrics`
# in a tuple: everything of the plan `with_thresholds` reads, and what a draft's primary
# shows. Part of a kept summary's key, so a label or minimum effect changed without a
# refresh is another key: a kept summary always carries the plan's current thresholds.
Plan = tuple[tuple, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Summary:
    """One pilot's stored summary as the portfolio's rows hold it (shared: never changed).

    The fields are what the list page, its counts and the programme figures read of
    every row; `answer()` is the whole summary, its plan's thresholds added, decoded
    afresh on each call from the stored text (or the document, for one read whole).
    """

    outcome: str | None
    final: bool
    evidence: str | None  # as the answer states it (None: the design's, `evidence_of`)
    guardrails: str
    attainment: str | None
    targets: tuple[dict, ...]
    reasons: tuple[str, ...]
    primary: dict  # the primary metric's entry, with its thresholds (empty if none)
    plan: Plan
    packed: bytes | None = None  # the stored text, compressed
    document: dict | None = None  # or the answer itself, when it came as a dict

    def answer(self) -> dict:
        """Return the whole summary with its plan's thresholds, decoded afresh."""
        if self.document is not None:
            return self.document
        return with_thresholds(json.loads(_unpack(self.packed)), plan_of(self.plan))


def summary(answer: Mapping, plan: Plan, text: str | None = None) -> Summary:
    """Return the `Summary` of an answer that has its thresholds (`with_thresholds`).

    With ``text`` (the stored JSON `answer` was decoded from) the text is kept, packed,
    and the answer dropped; without, the answer itself is kept.
    """
    metrics = answer.get("metrics") or []
    return Summary(
        outcome=_shared(answer.get("outcome")), final=bool(answer.get("final")),
        evidence=_shared(answer.get("evidence")), guardrails=standing.guardrails_status(metrics),
        attainment=standing.target_attainment(metrics),
        targets=tuple(_shared(standing.targets_of(metrics))),
        reasons=tuple(_shared(list(answer.get("reasons", [])))),
        primary=_shared(primary_of(answer)), plan=plan,
        packed=None if text is None else _pack(text),
        document=dict(answer) if text is None else None)


def plans(session: Session) -> dict[int, Plan]:
    """Return every pilot's planned metrics (`Plan`), by pilot id.

    Read as tuples from the rows, never as the dicts `planned_metrics` gives: those
    cost two kilobytes a pilot while the portfolio is built.
    """
    found: dict[int, list[tuple]] = {}
    # One tuple for the metrics (and plans) pilots share. Found by the values and
    # their types and signs: equal values that print apart (1 and 1.0, 0.0 and -0.0)
    # are not the same plan.
    shared: dict[tuple, tuple] = {}
    for pilot_id, *values in planned_columns(session):
        metric = tuple(sys.intern(value) if type(value) is str else value
                       for value in values)
        key = (metric, tuple(type(value) for value in metric),
               tuple(math.copysign(1.0, value) for value in metric
                     if type(value) is float and value == 0))
        found.setdefault(pilot_id, []).append(shared.setdefault(key, metric))
    plans: dict[tuple, Plan] = {}  # by the metrics' identities, for the same reason
    return {pilot_id: plans.setdefault(tuple(map(id, metrics)), tuple(metrics))
            for pilot_id, metrics in found.items()}


def plan_of(planned: Plan) -> dict:
    """Return the plan (its ``metrics``) a `Plan` stands for."""
    return {"metrics": [dict(zip(PLANNED, metric, strict=True)) for metric in planned]}


class _Kept:
    """The summaries of the last read, by stamp: the next read keeps those it finds.

    Replaced whole by each read, so what is kept is one portfolio's summaries (a
    summary no longer current goes with the read that no longer finds it), however
    many pilots there are: no fixed size to thrash when the portfolio outgrows it.
    """

    def __init__(self) -> None:
        self._entries: dict[tuple, Summary] = {}
        self._lock = threading.Lock()

    def found(self, stamps) -> dict[tuple, Summary]:
        entries = self._entries
        return {stamp: entries[stamp] for stamp in stamps if stamp in entries}

    def keep(self, entries: dict[tuple, Summary]) -> None:
        with self._lock:
            self._entries = entries

    def clear(self) -> None:
        self.keep({})

    def __len__(self) -> int:
        return len(self._entries)


_decoded = _Kept()


def summaries(session: Session, planned: dict[int, Plan]) -> dict[str, Summary]:
    """Return every stored summary's `Summary`, by pilot key in key order.

    `planned` is `plans(session)`; each summary is
    `with_thresholds(summary, plan_of(planned[pilot_id]))`.
    """
    # The connection, not the ORM session: plain rows, and the time as the database
    # writes it (no timestamp parsed ten thousand times).
    connection = session.connection()
    stamps = connection.execute(
        select(Pilot.key, StoredRecommendation.pilot_id, _text(StoredRecommendation.computed_at),
               StoredRecommendation.inputs)
        .join(StoredRecommendation, col(StoredRecommendation.pilot_id) == Pilot.id)
        .order_by(col(Pilot.key))).all()
    named = {key: (pilot_id, at, inputs, planned.get(pilot_id, ()))
             for key, pilot_id, at, inputs in stamps}
    found = _decoded.found(named.values())
    wanted = {stamp[0]: stamp[3] for stamp in named.values() if stamp not in found}
    ids = list(wanted)
    fresh: dict[int, Summary] = {}
    for start in range(0, len(ids), CHUNK):
        for pilot_id, at, inputs, text in connection.execute(
                select(StoredRecommendation.pilot_id, _text(StoredRecommendation.computed_at),
                       StoredRecommendation.inputs, StoredRecommendation.summary)
                .where(col(StoredRecommendation.pilot_id).in_(ids[start:start + CHUNK]))):
            plan = wanted[pilot_id]
            fresh[pilot_id] = summary(with_thresholds(json.loads(text), plan_of(plan)), plan,
                                      text)
            found[(pilot_id, at, inputs, plan)] = fresh[pilot_id]
    _decoded.keep(found)
    # On PostgreSQL (READ COMMITTED) a row rewritten between the two statements comes
    # back newer than its stamp: the newer answer is read, as any statement would.
    return {key: found[stamp] if stamp in found else fresh[stamp[0]]
            for key, stamp in named.items() if stamp in found or stamp[0] in fresh}


# The stored texts repeat one another (the same keys, the sentence naming each method):
# packed with the first text this process packed as their dictionary, a summary's
# 2.2 KB take about 490 bytes, not 950. The dictionary only lives in this process, as
# the packed texts do.
_dictionary: list[bytes] = []
_first = threading.Lock()


def _pack(text: str) -> bytes:
    data = text.encode()
    if not _dictionary:
        with _first:
            if not _dictionary:
                _dictionary.append(data)
    # The fastest level and a small window (the dictionary and a summary fit in it):
    # packing is on the path of the first read after a write, and the fastest level
    # packs a summary only a tenth larger.
    packer = zlib.compressobj(1, zlib.DEFLATED, -WINDOW_BITS, 4, zdict=_dictionary[0])
    return packer.compress(data) + packer.flush()


WINDOW_BITS = 13  # raw deflate (no header: the process knows its own data), 8 KB window


def _unpack(packed: bytes) -> str:
    unpacker = zlib.decompressobj(-WINDOW_BITS, zdict=_dictionary[0])
    return (unpacker.decompress(packed) + unpacker.flush()).decode()


def _shared(value):
    """Return the value with its text shared with the other summaries'.

    Every summary repeats the same words (a metric's key, role and kind, the sentence
    naming its method), and the portfolio holds one summary per pilot: interned, each
    word is held once for all of them, not once per pilot. Interned text is dropped
    with its last summary.
    """
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        return {sys.intern(key): _shared(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shared(item) for item in value]
    return value


def _text(column):
    return cast(column, String)
