"""Notices: the in-app inbox and the e-mail outbox. Other rooms tell people things through notify()."""
from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa

from ..extensions import db
from . import bulk
from .models import Notice, OutboundEmail
from .time import utcnow

log = logging.getLogger(__name__)


def notify(user, subject: str, body: str, *, link: str | None = None, category: str = "general",
           email: bool = True, banner: bool = False) -> Notice:
    """Put a notice in the person's inbox and, unless told not to, queue the same text as an e-mail.

    Side effects: one Notice row, one OutboundEmail row; the caller commits, so the e-mail is sent only
    if the decision it reports was committed.
    """
    notice = Notice(user_id=user.id, subject=subject[:200], body=body, link=link, category=category,
                    is_banner=banner, created_at=utcnow())
    db.session.add(notice)
    if email and user.email:
        text = body + (f"\n\nOpen FairTrain to read more: {link}" if link else "")
        db.session.add(OutboundEmail(to_address=user.email, subject=subject[:200], body=text,
                                     created_at=utcnow(), next_attempt_at=utcnow()))
    return notice


def notify_many(messages: list[dict], *, category: str = "general") -> int:
    """Bulk paths (weekly payroll): many notices in one insert, each with its e-mail (rows give user_id,
    email, subject, body and optionally link). Returns how many."""
    if not messages:
        return 0
    now = utcnow()
    bulk.insert_rows(Notice.__table__, [
        {"user_id": m["user_id"], "subject": m["subject"][:200], "body": m["body"], "link": m.get("link"),
         "category": category, "is_banner": False, "created_at": now} for m in messages])
    emails = [{"to_address": m["email"], "subject": m["subject"][:200],
               "body": m["body"] + (f"\n\nOpen FairTrain to read more: {m['link']}" if m.get("link") else ""),
               "status": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now}
              for m in messages if m.get("email")]
    if emails:
        bulk.insert_rows(OutboundEmail.__table__, emails)
    return len(messages)


def notify_select(source: str, params: dict, *, category: str, now) -> int:
    """Bulk paths (weekly payroll): notices and their e-mails straight from a SELECT, as notify_many would write
    them. `source` selects, in order: user_id, email, subject, body, link. Returns how many notices."""
    when = sa.bindparam("now", type_=Notice.__table__.c.created_at.type)
    values = {**params, "now": now, "category": category, "more": "\n\nOpen FairTrain to read more: ",
              "no": False}
    count = db.session.execute(sa.text(
        f"INSERT INTO notices (user_id, subject, body, link, category, is_banner, created_at) SELECT user_id, "
        f"substr(subject, 1, 200), body, link, :category, :no, :now FROM ({source}) AS rows_to_notify"
    ).bindparams(when), values).rowcount
    db.session.execute(sa.text(
        f"INSERT INTO outbound_emails (to_address, subject, body, status, attempts, created_at, next_attempt_at) "
        f"SELECT email, substr(subject, 1, 200), CASE WHEN link IS NULL THEN body ELSE body || :more || link END, "
        f"'pending', 0, :now, :now FROM ({source}) AS rows_to_email WHERE email IS NOT NULL"
    ).bindparams(when), values)
    return count


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notice.id)).where(Notice.user_id == user_id, Notice.read_at.is_(None))
    ) or 0


def inbox(user_id: int, limit: int = 200) -> list[Notice]:
    return list(db.session.scalars(
        sa.select(Notice).where(Notice.user_id == user_id)
        .order_by(Notice.created_at.desc(), Notice.id.desc()).limit(limit)
    ))


def banners(user_id: int) -> list[Notice]:
    """Unread banner notices, shown at the top of every page until read."""
    return list(db.session.scalars(
        sa.select(Notice).where(Notice.user_id == user_id, Notice.is_banner.is_(True),
                                Notice.read_at.is_(None)).order_by(Notice.created_at.desc())
    ))


def mark_read(notice: Notice) -> None:
    if notice.read_at is None:
        notice.read_at = utcnow()


def mark_all_read(user_id: int) -> int:
    result = db.session.execute(
        sa.update(Notice).where(Notice.user_id == user_id, Notice.read_at.is_(None)).values(read_at=utcnow())
    )
    return result.rowcount or 0


def backoff(attempts: int) -> timedelta:
    """Wait before retrying a failed e-mail: 1, 2, 4 ... minutes, at most a day."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 24 * 60))


def send_due_emails(now, config, transport=None, batch: int = 100) -> int:
    """Send outbox e-mails that are due; returns how many were sent.

    Each row is claimed by a compare-and-set (pending -> sending) so two senders never send one e-mail
    twice; failures go back to pending with a backoff, and to failed after OUTBOX_MAX_ATTEMPTS.
    """
    transport = transport or _transport_for(config)
    due_ids = list(db.session.scalars(
        sa.select(OutboundEmail.id).where(OutboundEmail.status == "pending", OutboundEmail.next_attempt_at <= now)
        .order_by(OutboundEmail.id).limit(batch)
    ))
    sent = 0
    for email_id in due_ids:
        claimed = db.session.execute(
            sa.update(OutboundEmail).where(OutboundEmail.id == email_id, OutboundEmail.status == "pending")
            .values(status="sending", attempts=OutboundEmail.attempts + 1)
        ).rowcount
        db.session.commit()
        if not claimed:
            continue
        row = db.session.get(OutboundEmail, email_id)
        try:
            transport(row, config)
        except Exception as exc:  # any transport failure is retried later, never lost
            log.warning("e-mail %s failed: %s", email_id, exc)
            failed_for_good = row.attempts >= config["OUTBOX_MAX_ATTEMPTS"]
            row.status = "failed" if failed_for_good else "pending"
            row.last_error = str(exc)[:2000]
            row.next_attempt_at = now + backoff(row.attempts)
        else:
            row.status = "sent"
            row.sent_at = now
            sent += 1
        db.session.commit()
    return sent


def _transport_for(config):
    return _smtp_transport if config.get("SMTP_HOST") else _console_transport


def _console_transport(row: OutboundEmail, config) -> None:
    log.info("e-mail (no SMTP_HOST set, not sent) to=%s subject=%r\n%s", row.to_address, row.subject, row.body)


def _smtp_transport(row: OutboundEmail, config) -> None:
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message.set_content(row.body)
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
        if config.get("SMTP_USE_TLS"):
            smtp.starttls()
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
