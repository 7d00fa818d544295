"""Kernel models: the audit log, notices (inbox + e-mail outbox) and the scheduler lease."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .time import UTCDateTime, utcnow


class AuditEvent(db.Model):
    """One decision about a person or money. Rows are only ever inserted (see core.audit)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Null actor means the platform itself (a scheduled job); the action names the rule.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    subject_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    subject_type: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[str | None] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    request_id: Mapped[str | None] = mapped_column(sa.String(40))

    __table_args__ = (sa.Index("ix_audit_events_subject", "subject_type", "subject_id"),)


class Notice(db.Model):
    """A message in a person's in-app inbox."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    category: Mapped[str] = mapped_column(sa.String(40), default="general")
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str | None] = mapped_column(sa.String(500))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A notice shown as a banner until read (suspensions, country withdrawals).
    is_banner: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (sa.Index("ix_notices_user_unread", "user_id", "read_at"),)


class OutboundEmail(db.Model):
    """An e-mail waiting in the outbox; the scheduler's sender delivers it (at least once, tracked)."""

    __tablename__ = "outbound_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
    )


class SchedulerLease(db.Model):
    """Which scheduler process may run jobs; a second process waits until the lease lapses."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
