"""The weekly digest for managers: what changed in the portfolio, and where each pilot stands.

`lab digest` (for a scheduled job, say Monday 07:00) sends one HTML e-mail, with a
plain-text part, to the users who chose the digest: the notices of the last days
(outcome changes, overdue decisions), then every started pilot with its recommendation
in the lab's words and a link to its page.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html import escape

from sqlmodel import Session, col, select

from lab import words
from lab.models import Notice
from lab.portfolio.rows import build
from lab.vocabulary import NoticeKind


def compose(session: Session, base_url: str, *, days: int = 7,
            today: date | None = None) -> tuple[str, str, str]:
    """Return the digest's subject, plain text and HTML."""
    today = today or date.today()
    since = datetime.combine(today - timedelta(days=days), datetime.min.time(), UTC)
    changes = [notice for notice in session.exec(
        select(Notice).where(col(Notice.silent).is_(False),
                             col(Notice.kind) != NoticeKind.digest).order_by(col(Notice.id)))
        if _aware(notice.created_at) >= since]
    rows = [row for row in build(session, today) if row.checked]
    base = base_url.rstrip("/")
    subject = f"Pilot portfolio, week of {words.day(today - timedelta(days=today.weekday()))}"
    change_lines = [f"{notice.payload['title']}: {_change(notice)}" for notice in changes] \
        or [f"No changes in the last {days} days."]
    standings = [words.headline(row.outcome, final=row.final)
                 + (" (decision overdue)" if row.overdue is not None else "") for row in rows]
    text = "\n".join([subject, "", "What changed", *change_lines, "", "Where each pilot stands",
                      *(f"{row.title}: {standing}\n  {base}/pilots/{row.key}"
                        for standing, row in zip(standings, rows, strict=True))]) + "\n"
    html = "".join([
        f"<h1>{escape(subject)}</h1><h2>What changed</h2><ul>",
        *(f"<li>{escape(line)}</li>" for line in change_lines),
        "</ul><h2>Where each pilot stands</h2><ul>",
        *(f'<li><a href="{escape(base)}/pilots/{escape(row.key)}">{escape(row.title)}</a>: '
          f"{escape(standing)}</li>" for standing, row in zip(standings, rows, strict=True)),
        "</ul>"])
    return subject, text, html


def _change(notice: Notice) -> str:
    payload = notice.payload
    if notice.kind == NoticeKind.decision_overdue:
        return "a decision is due"
    previous = payload.get("previous")
    was = f" (was {words.outcome_word(previous).lower()})" if previous else ""
    return f"{payload['words']}{was}"


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; the models store them in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
