"""Delivering notices: one e-mail per event to its subscribers, and a signed webhook.

The webhook body is JSON; its HMAC-SHA256 under LAB_WEBHOOK_SECRET is sent as
`X-Lab-Signature: sha256=<hex>`, so the receiver can tell the lab sent it and nobody
changed it (compare with hmac.compare_digest). A failed POST (no answer, or not 2xx) is
retried LAB_WEBHOOK_ATTEMPTS times in all, waiting LAB_WEBHOOK_BACKOFF_MS, then twice
that, and so on; what failed last is kept on the notice for admins (`lab notify
failures`), and the next run tries again. Network work happens outside any database
transaction: the writes before and after it are short.

Two runs at once (a cron job overlapping a manual run) never send a notice twice: a
run first claims the notice with a conditional UPDATE that only one can win (a lease,
`claimed_until`, long enough for every attempt), sends, then records and releases it.
A run that died mid-way leaves a lease that expires, and the next run sends again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from html import escape

from sqlalchemy.engine import Engine
from sqlmodel import col, or_, select, update

from lab import db
from lab.config import Settings
from lab.models import Notice
from lab.notify import events
from lab.vocabulary import NoticeKind

TIMEOUT_SECONDS = 10
SUBJECTS = {NoticeKind.outcome_changed: "{title}: the recommendation is now {outcome}",
            NoticeKind.decision_overdue: "{title}: a decision is due",
            NoticeKind.standby_fired: "{title}: a stand-by rule fired",
            NoticeKind.plan_awaiting: "{title}: the plan awaits your approval"}


def signature(secret: str, body: bytes) -> str:
    """Return the X-Lab-Signature value of a body: 'sha256=' and the HMAC's hex."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass
class Sent:
    """What one delivery run did."""

    emails: int = 0
    webhooks: int = 0
    failures: int = 0


def deliver(engine: Engine, settings: Settings,
            sleep: Callable[[float], None] = time.sleep) -> Sent:
    """Send every notice not yet delivered (e-mail and webhook), recording the outcome."""
    with db.reading(engine) as session:
        pending = [notice.id for notice in session.exec(
            select(Notice).where(col(Notice.silent).is_(False)).order_by(col(Notice.id)))
            if _owes(notice, settings)]
        recipients = {kind: events.subscribers(session, kind) for kind in NoticeKind}
    sent = Sent()
    for notice_id in pending:
        notice = _claim(engine, notice_id, settings)
        if notice is None:
            continue  # another run is sending it, or has sent it meanwhile
        changes: dict = {"claimed_until": None}
        if _owes_email(notice, settings):
            to = _addressed(recipients[notice.kind], notice)
            try:
                if to:
                    send_email(settings, to, *_email(notice))
                changes.update(emails_sent=len(to) or -1, email_error=None)
                sent.emails += bool(to)
            except (OSError, smtplib.SMTPException) as error:
                changes["email_error"] = _short(error)
                sent.failures += 1
        if _owes_webhook(notice, settings):
            attempts, error = post_webhook(settings, notice, sleep)
            changes["webhook_attempts"] = notice.webhook_attempts + attempts
            if error is None:
                changes.update(webhook_delivered_at=datetime.now(UTC), webhook_error=None)
                sent.webhooks += 1
            else:
                changes["webhook_error"] = error
                sent.failures += 1
        with db.writing(engine) as session:
            stored = session.get(Notice, notice.id)
            for name, value in changes.items():
                setattr(stored, name, value)
    return sent


def _addressed(subscribed: list[str], notice: Notice) -> list[str]:
    """Return the subscribers and the people the notice itself names (a rule's owner)."""
    named = [email for email in notice.payload.get("recipients") or []
             if email not in subscribed]
    return sorted(subscribed + named)


def _claim(engine: Engine, notice_id: int, settings: Settings) -> Notice | None:
    """Take the lease on a notice still owed; return it as it stands, or None when
    another run holds it or nothing is owed any more."""
    now = datetime.now(UTC)
    with db.writing(engine) as session:
        # PostgreSQL re-reads a row another transaction changed before updating it: of
        # two runs, the second finds the lease taken and updates nothing.
        taken = session.execute(update(Notice).where(
            col(Notice.id) == notice_id,
            or_(col(Notice.claimed_until).is_(None), col(Notice.claimed_until) < now))
            .values(claimed_until=now + _lease(settings))).rowcount
        if taken != 1:
            return None
        notice = session.get(Notice, notice_id)
        session.refresh(notice)
        if not _owes(notice, settings):
            notice.claimed_until = None
            return None
        session.expunge(notice)  # kept as read, for the sending outside the transaction
        return notice


def _lease(settings: Settings) -> timedelta:
    """Return how long a run may hold a notice: every attempt timing out, and waits."""
    attempts = settings.webhook_attempts
    waits = settings.webhook_backoff_ms / 1000 * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=TIMEOUT_SECONDS * (attempts + 2) + waits + 60)


def _owes(notice: Notice, settings: Settings) -> bool:
    return _owes_email(notice, settings) or _owes_webhook(notice, settings)


def _owes_email(notice: Notice, settings: Settings) -> bool:
    # emails_sent is -1 once an event found nobody subscribed: done, and never retried.
    return bool(settings.smtp_host) and notice.emails_sent == 0


def _owes_webhook(notice: Notice, settings: Settings) -> bool:
    return bool(settings.webhook_url) and notice.webhook_delivered_at is None


def _email(notice: Notice) -> tuple[str, str, str]:
    """Return the subject, plain text and HTML of a notice's e-mail."""
    payload = notice.payload
    subject = SUBJECTS[notice.kind].format(title=payload["title"],
                                           outcome=str(payload.get("outcome")).replace("_", " "))
    lines = [payload["words"]]
    if notice.kind == NoticeKind.outcome_changed and payload.get("previous"):
        lines.append(f"It was {payload['previous'].replace('_', ' ')} before.")
    if notice.kind == NoticeKind.standby_fired:
        lines.append(f"The rule, set before the start: {payload['rule_words']}")
    if notice.kind == NoticeKind.plan_awaiting:
        lines.append(f"Owner: {payload['owner']}. Plan version {payload['plan_hash'][:12]}.")
    if notice.kind == NoticeKind.decision_overdue:
        days = payload["days_overdue"]
        lines.append("The decision is due today." if not days else
                     f"The decision is {days} day{'s' if days != 1 else ''} overdue.")
    lines += payload.get("reasons") or []
    text = "\n".join(lines + ["", payload["url"]]) + "\n"
    html = ("<p>" + "</p><p>".join(escape(line) for line in lines) + "</p>"
            f'<p><a href="{escape(payload["url"])}">Open {escape(payload["title"])}</a></p>')
    return subject, text, html


def send_email(settings: Settings, to: list[str], subject: str, text: str,
               html: str | None = None) -> None:
    """Send one message to the recipients (Bcc: they do not see each other)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        settings.smtp_from, "undisclosed-recipients:;", subject)
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user and settings.smtp_password:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(message, to_addrs=to)


def post_webhook(settings: Settings, notice: Notice,
                 sleep: Callable[[float], None] = time.sleep) -> tuple[int, str | None]:
    """POST the notice, retrying with back-off; return attempts made and the last error."""
    body = json.dumps({"event": notice.kind, "id": notice.key, "created_at":
                       notice.created_at.isoformat(), **notice.payload},
                      sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", "User-Agent": "lab-notify",
               "X-Lab-Event": notice.kind, "X-Lab-Delivery": notice.key}
    if settings.webhook_secret is not None:
        headers["X-Lab-Signature"] = signature(settings.webhook_secret.get_secret_value(), body)
    error = None
    for attempt in range(settings.webhook_attempts):
        if attempt:
            sleep(settings.webhook_backoff_ms / 1000 * 2 ** (attempt - 1))
        request = urllib.request.Request(settings.webhook_url, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:
                reply.read()
            return attempt + 1, None
        except urllib.error.HTTPError as failed:
            error = f"HTTP {failed.code} from the webhook"
        except (OSError, ValueError) as failed:
            error = _short(failed)
    return settings.webhook_attempts, error


def _short(error: Exception) -> str:
    """Say what failed in a line that fits the notice's column."""
    return f"{type(error).__name__}: {error}"[:500]
