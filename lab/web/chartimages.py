"""Chart images for the pages: drawn by lab.charts, cached until the data change.

The cache key carries the data version (latest observation id, count and checksum,
decision count, pilot updates), so a new observation or decision makes a new key and
an old image is never served for new data. The same key is the HTTP ETag, so a browser
that has the image gets a 304 without anything being drawn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Response, abort, request
from matplotlib.axes import Axes
from sqlmodel import Session

from lab import charts
from lab.caching import SharedLRU
from lab.models import Pilot
from lab.pilots.observations.summaries import period_summaries
from lab.pilots.reads import data_version
from lab.portfolio import recommendations, with_thresholds

MIMETYPES = {"svg": "image/svg+xml", "png": "image/png"}
# Inches: a phone gets a narrower drawing (bigger type for its width), not a shrunk one.
SIZES = {"wide": (7.0, 3.6), "narrow": (4.2, 3.9)}
# Rendered images by ETag, shared by the server's threads.
cache: SharedLRU[str, bytes] = SharedLRU(256)


def draw(chart: Callable[[Axes], Axes], fmt: str, size: tuple[float, float]) -> bytes:
    """Draw one chart on a fresh Figure (never pyplot) and return its bytes."""
    figure = charts.new_figure(*size)
    chart(figure.add_subplot())
    return charts.figure_bytes(figure, fmt)


def respond(parts: tuple, fmt: str, make: Callable[[], bytes]) -> Response:
    """Answer with a cached or freshly drawn image, or 304 when the browser has it."""
    if fmt not in MIMETYPES:
        abort(404, f"charts come as svg or png, not {fmt!r}")
    etag = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    if etag in request.if_none_match:
        response = Response(status=304)
    else:
        image = cache.get(etag)
        if image is None:
            image = make()
            cache.put(etag, image)
        response = Response(image, mimetype=MIMETYPES[fmt])
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _recommendation(session: Session, key: str, plan: dict) -> dict:
    found = recommendations(session, [key]).get(key)
    if found is None:
        abort(404, f"pilot '{key}' has no recommendation yet (it is a draft)")
    return with_thresholds(found, plan)


def looks(session: Session, pilot: Pilot, metric_key: str, fmt: str,
          size: tuple[float, float] = SIZES["wide"]) -> Response:
    """Answer the chart of a metric's estimate and interval over the looks."""
    parts = ("looks", pilot.key, metric_key, fmt, size, data_version(session, pilot.id))
    return respond(parts, fmt, lambda: draw(
        lambda ax: charts.looks_chart(ax, _recommendation(session, pilot.key, pilot.plan),
                                      metric_key),
        fmt, size))


def periods(session: Session, pilot: Pilot, metric_key: str, kind: str, fmt: str,
            size: tuple[float, float] = SIZES["wide"]) -> Response:
    """Answer the chart of a metric's value per period for each arm."""
    parts = ("periods", pilot.key, metric_key, fmt, size, data_version(session, pilot.id))
    planned = next((m for m in pilot.plan.get("metrics", []) if m.get("key") == metric_key),
                   {})
    return respond(parts, fmt, lambda: draw(
        lambda ax: charts.periods_chart(ax, period_summaries(session, [pilot.key]),
                                        metric_key, kind, label=planned.get("label"),
                                        target=planned.get("target")),
        fmt, size))


def portfolio(session: Session, selection: tuple, fmt: str,
              rows: Callable[[], list], width: float = 11.0) -> Response:
    """Answer the chart of the selected pilots' primary effects against their minimum."""
    parts = ("portfolio", selection, fmt, width, data_version(session))

    def make() -> bytes:
        # Each recommendation carries its plan's minimum effect (the read model adds it).
        checked = [row.recommendation for row in rows() if row.checked]
        height = max(3.0, 1.2 + 0.5 * len(checked))
        return draw(lambda ax: charts.portfolio_chart(ax, checked), fmt, (width, height))

    return respond(parts, fmt, make)
