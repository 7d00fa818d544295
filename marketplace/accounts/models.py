"""Account models: users with a role, trainers' languages and expertise."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.permissions import ROLE_LABELS, Role
from ..core.time import UTCDateTime, utcnow
from ..extensions import db

USER_STATUSES = ("active", "suspended", "deactivated")


class User(UserMixin, db.Model):
    """A person: trainer (role `worker`), requester or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored normalised (lower-case, trimmed) so uniqueness ignores case; see services.normalise_email.
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), index=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    # Platform-wide standing, kept by the moderation room: only `active` may take new work.
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped to log a person out everywhere (password change); part of the session identity.
    session_version: Mapped[int] = mapped_column(default=1)
    # Bumped by the database itself (triggers, assignment/facts_cache.py) whenever a row that eligibility reads
    # about this person changes: a sanction, block, language, expertise, qualification, quality removal,
    # content-warning acceptance, or a withdrawal of their country. Claims reuse facts while it stands still.
    eligibility_version: Mapped[int] = mapped_column(default=0, server_default="0")

    # Trainer profile.
    country: Mapped[str | None] = mapped_column(sa.String(2))
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    weekly_goal_minutes: Mapped[int | None] = mapped_column()
    weekly_cap_minutes: Mapped[int | None] = mapped_column()

    # Requester profile.
    organisation: Mapped[str | None] = mapped_column(sa.String(200))
    billing_email: Mapped[str | None] = mapped_column(sa.String(320))

    languages: Mapped[list[TrainerLanguage]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="TrainerLanguage.id")
    expertise: Mapped[list[TrainerExpertise]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="TrainerExpertise.id")

    __table_args__ = (
        sa.CheckConstraint("role IN ('worker', 'requester', 'admin')", name="role"),
        sa.CheckConstraint("status IN ('active', 'suspended', 'deactivated')", name="status"),
        sa.CheckConstraint("weekly_cap_minutes IS NULL OR weekly_cap_minutes BETWEEN 0 AND 10080",
                           name="weekly_cap"),
        sa.CheckConstraint("weekly_goal_minutes IS NULL OR weekly_goal_minutes BETWEEN 0 AND 10080",
                           name="weekly_goal"),
    )

    def get_id(self) -> str:
        # The session version makes old sessions invalid after a password change.
        return f"{self.id}:{self.session_version}"

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[Role(self.role)]

    @property
    def is_worker(self) -> bool:
        return self.role == Role.WORKER

    @property
    def is_requester(self) -> bool:
        return self.role == Role.REQUESTER

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def in_good_standing(self) -> bool:
        return self.status == "active"

    @property
    def is_active(self) -> bool:
        # Flask-Login: suspended and deactivated people can still log in to read why and appeal.
        return True


class TrainerLanguage(db.Model):
    """A language a trainer states, with proficiency (ISO 639-1 code)."""

    __tablename__ = "trainer_languages"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(3))
    proficiency: Mapped[str] = mapped_column(sa.String(16))

    user: Mapped[User] = relationship(back_populates="languages")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "code"),
        sa.CheckConstraint("proficiency IN ('native', 'fluent', 'professional', 'basic')", name="proficiency"),
    )


class TrainerExpertise(db.Model):
    """An expertise area from core.taxonomy; `detail` lists programming languages for software work."""

    __tablename__ = "trainer_expertise"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    area: Mapped[str] = mapped_column(sa.String(40))
    detail: Mapped[list] = mapped_column(sa.JSON, default=list)

    user: Mapped[User] = relationship(back_populates="expertise")

    __table_args__ = (sa.UniqueConstraint("user_id", "area"),)


class ApiToken(db.Model):
    """A personal API token: only its SHA-256 is stored; the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(16))  # the first characters, so people can tell tokens apart
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scopes: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class IdempotencyRecord(db.Model):
    """The stored response to a creating API request, replayed when the same Idempotency-Key comes again."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(200))
    request_fingerprint: Mapped[str] = mapped_column(sa.String(64))  # method, path and body, hashed
    status_code: Mapped[int] = mapped_column()
    response_body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)
