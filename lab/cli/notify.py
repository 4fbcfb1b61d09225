"""`lab notify` and `lab digest`: notices by e-mail and webhook, for a scheduled job."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import col, select

from lab import config, db
from lab.cli.common import fail
from lab.errors import DomainError
from lab.vocabulary import NoticeKind, values


def _settings() -> config.Settings:
    try:
        return config.load()
    except config.ConfigError as error:
        fail(str(error))


@click.group("notify")
def notify_group() -> None:
    """Tell people what needs them: outcome changes, overdue decisions, plans awaiting
    approval (e-mail, webhook)."""


@notify_group.command("send")
@with_appcontext
def send_command() -> None:
    """Find what changed since the last run and deliver it, each event exactly once."""
    from lab.notify import delivery, events

    settings = _settings()
    if not settings.smtp_host and not settings.webhook_url:
        fail("nothing to send with: set LAB_SMTP_HOST (e-mail) or LAB_WEBHOOK_URL (webhook)")
    if settings.webhook_url and settings.webhook_secret is None:
        fail("set LAB_WEBHOOK_SECRET (16+ characters): webhooks are always signed")
    with db.reading(db.engine()) as session:
        found = events.detect(session, settings.base_url,
                              approval_required=bool(current_app.config["APPROVAL"]))
    with db.writing(db.engine()) as session:
        new = sum(not notice.silent for notice in events.record(session, found))
    sent = delivery.deliver(db.engine(), settings)
    click.echo(f"{new} new notices; {sent.emails} e-mails and {sent.webhooks} webhooks sent"
               + (f"; {sent.failures} failed (lab notify failures)" if sent.failures else ""))
    if sent.failures:
        raise SystemExit(1)


@notify_group.command("failures")
@with_appcontext
def failures_command() -> None:
    """List the notices whose e-mail or webhook failed last time (for admins)."""
    from lab.models import Notice

    with db.reading(db.engine()) as session:
        failed = session.exec(select(Notice).where(
            col(Notice.email_error).is_not(None) | col(Notice.webhook_error).is_not(None))
            .order_by(col(Notice.id))).all()
        for notice in failed:
            problems = [f"e-mail: {notice.email_error}" if notice.email_error else "",
                        f"webhook ({notice.webhook_attempts} attempts): {notice.webhook_error}"
                        if notice.webhook_error else ""]
            click.echo(f"{notice.key}: " + "; ".join(filter(None, problems)))
    if not failed:
        click.echo("no failed deliveries")


@notify_group.command("subscribe")
@click.argument("email")
@click.argument("kinds", nargs=-1, required=True, type=click.Choice(values(NoticeKind)))
@click.option("--off", is_flag=True, help="Stop these notices instead.")
@with_appcontext
def subscribe_command(email: str, kinds: tuple[str, ...], off: bool) -> None:
    """Choose what a user receives: outcome_changed, decision_overdue, standby_fired,
    plan_awaiting (managers), digest."""
    from lab.notify import events

    try:
        with db.writing(db.engine()) as session:
            now = events.subscribe(session, email=email, kinds=list(kinds), on=not off)
    except DomainError as error:
        fail(str(error))
    click.echo(f"{email} receives: {', '.join(now) or 'nothing'}")


@click.command("digest")
@click.option("--days", type=click.IntRange(1, 366), default=7, show_default=True,
              help="Report the changes of this many days.")
@with_appcontext
def digest_command(days: int) -> None:
    """E-mail the weekly portfolio digest (HTML) to the users who chose it."""
    from lab.notify import delivery, digest, events

    settings = _settings()
    if not settings.smtp_host:
        fail("set LAB_SMTP_HOST to send the digest")
    with db.reading(db.engine()) as session:
        subject, text, html = digest.compose(session, settings.base_url, days=days)
        to = events.subscribers(session, NoticeKind.digest)
    if not to:
        click.echo("nobody chose the digest (lab notify subscribe EMAIL digest)")
        return
    try:
        delivery.send_email(settings, to, subject, text, html)
    except OSError as error:
        fail(f"the digest was not sent: {error}")
    click.echo(f"digest sent to {len(to)} people")
