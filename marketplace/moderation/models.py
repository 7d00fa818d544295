"""Due-process models: code of conduct, sanctions with clauses and evidence, appeals, blocks, country rules."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..core.time import UTCDateTime, utcnow
from ..extensions import db

# The minimum lengths below repeat rules.SANCTION_REASON_MIN_CHARS (50) and WRITTEN_REASON_MIN_CHARS (20).


def _written(column: str, minimum: int) -> str:
    return f"length(trim({column})) >= {minimum}"


class ConductVersion(db.Model):
    """One published version of the code of conduct; the newest is the one in force."""

    __tablename__ = "conduct_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Null when loaded from the repository's data file (the first version).
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    summary: Mapped[str] = mapped_column(sa.Text, default="")

    clauses: Mapped[list[ConductClause]] = relationship(
        back_populates="version", order_by="ConductClause.position", cascade="all, delete-orphan")

    __table_args__ = (sa.CheckConstraint("number >= 1", name="number_positive"),)


class ConductClause(db.Model):
    """A numbered clause of one version. Sanctions cite these rows, so a citation never changes meaning."""

    __tablename__ = "conduct_clauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("conduct_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    number: Mapped[str] = mapped_column(sa.String(16))
    title: Mapped[str] = mapped_column(sa.String(200))
    text: Mapped[str] = mapped_column(sa.Text)

    version: Mapped[ConductVersion] = relationship(back_populates="clauses")

    __table_args__ = (
        sa.UniqueConstraint("version_id", "number"),
        sa.CheckConstraint("length(trim(title)) > 0 AND length(trim(text)) > 0", name="written"),
    )

    @property
    def label(self) -> str:
        return f"{self.number} {self.title}"


sanction_clauses = sa.Table(
    "sanction_clauses", db.metadata,
    sa.Column("sanction_id", sa.ForeignKey("sanctions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("clause_id", sa.ForeignKey("conduct_clauses.id"), primary_key=True),
)


class Sanction(db.Model):
    """A warning, temporary suspension or permanent deactivation, platform-wide or for one job or requester."""

    __tablename__ = "sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    level: Mapped[str] = mapped_column(sa.String(16))
    scope: Mapped[str] = mapped_column(sa.String(16), default="platform")
    # A job id or a requester's user id; plain integers because jobs live in a room above this one.
    scope_id: Mapped[int | None] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.Text)
    # Set when a suspension skips the warning for a cited clause; the justification says why.
    is_severe: Mapped[bool] = mapped_column(default=False)
    severity_justification: Mapped[str] = mapped_column(sa.Text, default="")
    issued_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="active", index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    end_reason: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    issued_by: Mapped[User] = relationship(foreign_keys=[issued_by_id])
    ended_by: Mapped[User | None] = relationship(foreign_keys=[ended_by_id])
    clauses: Mapped[list[ConductClause]] = relationship(secondary=sanction_clauses, order_by=ConductClause.position)
    evidence: Mapped[list[SanctionEvidence]] = relationship(
        back_populates="sanction", order_by="SanctionEvidence.position", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("level IN ('warning', 'temporary', 'permanent')", name="level"),
        sa.CheckConstraint("scope IN ('platform', 'job', 'requester')", name="scope"),
        sa.CheckConstraint("status IN ('active', 'expired', 'lifted', 'overturned')", name="status"),
        sa.CheckConstraint(_written("reason", 50), name="reason_written"),
        sa.CheckConstraint("(scope = 'platform' AND scope_id IS NULL) OR (scope <> 'platform' AND scope_id IS NOT NULL)",
                           name="scope_id"),
        sa.CheckConstraint("(level = 'temporary' AND ends_at IS NOT NULL AND ends_at > starts_at)"
                           " OR (level <> 'temporary' AND ends_at IS NULL)", name="end_date"),
        sa.CheckConstraint("NOT is_severe OR " + _written("severity_justification", 20), name="severity_justified"),
        sa.CheckConstraint("issued_by_id <> user_id", name="not_self"),
        sa.CheckConstraint("status = 'active' OR ended_at IS NOT NULL", name="ended_at"),
        sa.Index("ix_sanctions_user_status", "user_id", "status"),
    )

    @property
    def is_active(self) -> bool:
        return self.status == "active"


class SanctionEvidence(db.Model):
    """One piece of evidence behind a sanction: a link (task, gold failure, review, report) and/or words."""

    __tablename__ = "sanction_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    sanction_id: Mapped[int] = mapped_column(sa.ForeignKey("sanctions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column()
    url: Mapped[str | None] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    sanction: Mapped[Sanction] = relationship(back_populates="evidence")

    __table_args__ = (sa.CheckConstraint("url IS NOT NULL OR length(trim(description)) > 0", name="not_empty"),)


class Appeal(db.Model):
    """A written objection to one decision of any registered kind, decided in writing by another admin."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int] = mapped_column()
    appellant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Copied from the decision when filed: who made it (null for an automatic rule) and when.
    decision_maker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision_made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    window_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    description: Mapped[str] = mapped_column(sa.String(300))
    link: Mapped[str | None] = mapped_column(sa.String(300))
    text: Mapped[str] = mapped_column(sa.Text)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="open", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # What an overturn gave back, in words the appellant reads.
    restored_summary: Mapped[str] = mapped_column(sa.Text, default="")

    appellant: Mapped[User] = relationship(foreign_keys=[appellant_id])
    decision_maker: Mapped[User | None] = relationship(foreign_keys=[decision_maker_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    attachments: Mapped[list[AppealAttachment]] = relationship(
        back_populates="appeal", order_by="AppealAttachment.id", cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("kind", "subject_id"),  # one appeal per decision
        sa.CheckConstraint("status IN ('open', 'upheld', 'overturned')", name="status"),
        sa.CheckConstraint(_written("text", 20), name="text_written"),
        sa.CheckConstraint("filed_at <= window_closes_at", name="within_window"),
        sa.CheckConstraint("deadline_at > filed_at", name="deadline"),
        sa.CheckConstraint("(status = 'open' AND decided_by_id IS NULL AND decided_at IS NULL) OR "
                           "(status <> 'open' AND decided_by_id IS NOT NULL AND decided_at IS NOT NULL AND "
                           + _written("decision_reason", 20) + ")", name="decided_in_writing"),
        # Four eyes: nobody decides an appeal against their own decision, or their own appeal.
        sa.CheckConstraint("decided_by_id IS NULL OR decision_maker_id IS NULL OR decided_by_id <> decision_maker_id",
                           name="four_eyes"),
        sa.CheckConstraint("decided_by_id IS NULL OR decided_by_id <> appellant_id", name="not_own_appeal"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == "open"


class AppealAttachment(db.Model):
    """A screenshot or PDF attached to an appeal; the bytes live in the upload storage under `storage_key`."""

    __tablename__ = "appeal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size_bytes: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    appeal: Mapped[Appeal] = relationship(back_populates="attachments")

    __table_args__ = (
        sa.CheckConstraint("content_type IN ('image/png', 'image/jpeg', 'image/gif', 'image/webp', "
                           "'application/pdf')", name="content_type"),
        sa.CheckConstraint("size_bytes > 0", name="size_positive"),
    )


class AppealEscalation(db.Model):
    """An admin told that an appeal nears its deadline; the primary key makes it once per admin."""

    __tablename__ = "appeal_escalations"

    appeal_id: Mapped[int] = mapped_column(sa.ForeignKey("appeals.id", ondelete="CASCADE"), primary_key=True)
    admin_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    notified_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RequesterBlock(db.Model):
    """A requester keeping one trainer off their jobs, with a written reason the trainer reads."""

    __tablename__ = "requester_blocks"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    trainer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    end_reason: Mapped[str] = mapped_column(sa.Text, default="")

    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    trainer: Mapped[User] = relationship(foreign_keys=[trainer_id])

    __table_args__ = (
        sa.CheckConstraint("status IN ('active', 'lifted', 'overturned')", name="status"),
        sa.CheckConstraint(_written("reason", 20), name="reason_written"),
        sa.CheckConstraint("requester_id <> trainer_id", name="not_self"),
        sa.CheckConstraint("status = 'active' OR ended_at IS NOT NULL", name="ended_at"),
        # At most one active block per pair; a lifted block may be followed by a new one.
        sa.Index("uq_requester_blocks_active_pair", "requester_id", "trainer_id", unique=True,
                 sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'")),
    )


class CountryWithdrawal(db.Model):
    """The platform leaving a country after a notice period; work stops only at `effective_at`."""

    __tablename__ = "country_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(sa.String(2))
    reason: Mapped[str] = mapped_column(sa.Text)
    announced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    announced_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="scheduled")
    took_effect_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancel_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Earned money must be paid in full; the payments room marks this when every trainer there is paid.
    payouts_settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    announced_by: Mapped[User] = relationship(foreign_keys=[announced_by_id])

    __table_args__ = (
        sa.CheckConstraint("status IN ('scheduled', 'effective', 'cancelled')", name="status"),
        sa.CheckConstraint(_written("reason", 20), name="reason_written"),
        sa.CheckConstraint("effective_at > announced_at", name="notice_period"),
        sa.CheckConstraint("status <> 'effective' OR took_effect_at IS NOT NULL", name="took_effect"),
        sa.Index("uq_country_withdrawals_live_country", "country", unique=True,
                 sqlite_where=sa.text("status <> 'cancelled'"), postgresql_where=sa.text("status <> 'cancelled'")),
    )


class ExposureSetting(db.Model):
    """A trainer's protection from harmful content: opt out of content-warning jobs, or a lower daily limit."""

    __tablename__ = "exposure_settings"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    is_opted_out: Mapped[bool] = mapped_column(default=False)
    daily_limit_minutes: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("daily_limit_minutes IS NULL OR daily_limit_minutes BETWEEN 0 AND 1440",
                           name="daily_limit"),
    )
