"""Announcements to many people at once (code of conduct, country withdrawals): set-based inbox and outbox rows."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core.models import Notice, OutboundEmail
from ..core.time import UTCDateTime
from ..extensions import db


def announce(where, subject: str, body: str, *, now: datetime, link: str | None = None,
             category: str = "general", banner: bool = False, email: bool = True) -> int:
    """Put the same notice in the inbox of every user matching `where` (a clause over User), and queue the e-mail.

    Two INSERT ... SELECT statements, so announcing to every trainer costs two queries, not two per person.
    Same rule as core.notices.notify: the caller commits, so nothing is sent for a decision rolled back.
    """
    subject = subject[:200]
    notices = sa.insert(Notice).from_select(
        ["user_id", "created_at", "category", "subject", "body", "link", "is_banner"],
        sa.select(User.id, sa.literal(now, UTCDateTime), sa.literal(category), sa.literal(subject),
                  sa.literal(body), sa.literal(link, sa.String), sa.literal(banner)).where(where))
    count = db.session.execute(notices).rowcount
    if email:
        text = body + (f"\n\nOpen FairTrain to read more: {link}" if link else "")
        db.session.execute(sa.insert(OutboundEmail).from_select(
            ["to_address", "subject", "body", "status", "attempts", "next_attempt_at", "created_at"],
            sa.select(User.email, sa.literal(subject), sa.literal(text), sa.literal("pending"), sa.literal(0),
                      sa.literal(now, UTCDateTime), sa.literal(now, UTCDateTime)).where(where, User.email != "")))
    return count


def clear_banners(user_id: int, link: str, now: datetime) -> None:
    """Stop showing banners about a decision that has ended (the notices stay in the inbox, marked read)."""
    db.session.execute(sa.update(Notice).where(
        Notice.user_id == user_id, Notice.link == link, Notice.is_banner.is_(True), Notice.read_at.is_(None)
    ).values(read_at=now))
