"""Assessment models: qualifications, item banks, attempts with copied items, holdings, contests, decisions."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.time import UTCDateTime, utcnow
from ..extensions import db
from .kinds import (ATTEMPT_STATUSES, CONTEST_STATUSES, DECISION_KINDS, HOLDING_STATUSES, ITEM_KINDS,
                    QUALIFICATION_KIND_LABELS, QUALIFICATION_KINDS, RATIONALE_MARKS)


def _in(values) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


class Qualification(db.Model):
    """A proven skill that unlocks jobs: a language, an expertise or a task skill; may expire."""

    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # None: never expires. Otherwise a holding lasts this many days from the day it was earned.
    validity_days: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {_in(QUALIFICATION_KINDS)}", name="kind"),
        sa.CheckConstraint("validity_days IS NULL OR validity_days > 0", name="validity_days"),
    )

    @property
    def kind_label(self) -> str:
        return QUALIFICATION_KIND_LABELS.get(self.kind, self.kind)


class Assessment(db.Model):
    """An onboarding test for one qualification; each attempt draws `items_per_attempt` items from the bank."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    qualification_id: Mapped[int] = mapped_column(sa.ForeignKey("qualifications.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    content_warning: Mapped[str] = mapped_column(sa.Text, default="")
    items_per_attempt: Mapped[int] = mapped_column()
    pass_mark_percent: Mapped[int] = mapped_column()
    time_limit_minutes: Mapped[int] = mapped_column()
    max_attempts: Mapped[int] = mapped_column()
    cooldown_hours: Mapped[int] = mapped_column()
    requires_review: Mapped[bool] = mapped_column(default=False)
    # One active assessment per qualification; importing a new key for it retires the old one.
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped whenever an import changes the settings or the bank; attempts remember the version they drew.
    bank_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    qualification: Mapped[Qualification] = relationship(lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("items_per_attempt > 0", name="items_per_attempt"),
        sa.CheckConstraint("pass_mark_percent BETWEEN 1 AND 100", name="pass_mark"),
        sa.CheckConstraint("time_limit_minutes > 0", name="time_limit"),
        sa.CheckConstraint("max_attempts > 0", name="max_attempts"),
        sa.CheckConstraint("cooldown_hours >= 0", name="cooldown"),
    )


class AssessmentItem(db.Model):
    """One item in a bank. Attempts copy it when drawn, so later edits never change a past attempt silently."""

    __tablename__ = "assessment_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(16))
    prompt: Mapped[str] = mapped_column(sa.Text, default="")
    question: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"key": ..., "text": ...}]
    answer: Mapped[list] = mapped_column(sa.JSON, default=list)  # gold option keys; empty for free text
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    rationale_required: Mapped[bool] = mapped_column(default=False)
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Hash of what the trainer sees (kind, prompt, question, options): gold corrections re-grade attempts
    # whose snapshot shows exactly this content.
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    version: Mapped[int] = mapped_column(default=1)
    is_active: Mapped[bool] = mapped_column(default=True)  # retired items stay for the attempts that drew them
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("assessment_id", "key"),
        sa.CheckConstraint(f"kind IN {_in(ITEM_KINDS)}", name="kind"),
    )


class Attempt(db.Model):
    """One try at an assessment. Paid test time is `paid_seconds`: start to submit, capped at the time limit.

    The pay room pays each submitted attempt once, with the idempotency key `onboarding:<id>`.
    """

    __tablename__ = "assessment_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(sa.ForeignKey("assessments.id"), index=True)
    # Denormalised so attempt limits count across versions of an assessment for one qualification.
    qualification_id: Mapped[int] = mapped_column(sa.ForeignKey("qualifications.id"), index=True)
    number: Mapped[int] = mapped_column()  # 1, 2, 3 ... per trainer and qualification; unique (the backstop)
    status: Mapped[str] = mapped_column(sa.String(16), default="in_progress")
    bank_version: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_late: Mapped[bool] = mapped_column(default=False)
    is_auto_submitted: Mapped[bool] = mapped_column(default=False)
    # Rules copied at start, so an import that changes them never changes a running attempt.
    time_limit_seconds: Mapped[int] = mapped_column()
    pass_mark_percent: Mapped[int] = mapped_column()
    requires_review: Mapped[bool] = mapped_column(default=False)
    scored_items: Mapped[int] = mapped_column(default=0)
    correct_items: Mapped[int] = mapped_column(default=0)
    paid_seconds: Mapped[int | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")

    assessment: Mapped[Assessment] = relationship(lazy="joined")
    items: Mapped[list[AttemptItem]] = relationship(back_populates="attempt", order_by="AttemptItem.position",
                                                    cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "qualification_id", "number"),
        sa.CheckConstraint(f"status IN {_in(ATTEMPT_STATUSES)}", name="status"),
        sa.CheckConstraint("paid_seconds IS NULL OR (paid_seconds >= 0 AND paid_seconds <= time_limit_seconds)",
                           name="paid_seconds"),
        sa.CheckConstraint("correct_items >= 0 AND correct_items <= scored_items", name="score"),
        sa.Index("ix_assessment_attempts_status_submitted", "status", "submitted_at"),
    )

    @property
    def is_submitted(self) -> bool:
        return self.status != "in_progress"

    @property
    def score_percent(self) -> int:
        return (100 * self.correct_items) // self.scored_items if self.scored_items else 0


class AttemptItem(db.Model):
    """A copy of one bank item as drawn into an attempt, with the trainer's answer and its grade."""

    __tablename__ = "attempt_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_attempts.id", ondelete="CASCADE"),
                                            index=True)
    position: Mapped[int] = mapped_column()  # 1..N, the order shown to the trainer (shuffled at draw)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("assessment_items.id"), index=True)
    item_version: Mapped[int] = mapped_column()
    content_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    prompt: Mapped[str] = mapped_column(sa.Text, default="")
    question: Mapped[str] = mapped_column(sa.Text)
    options: Mapped[list] = mapped_column(sa.JSON, default=list)
    answer: Mapped[list] = mapped_column(sa.JSON, default=list)  # gold: never sent before submission
    explanation: Mapped[str] = mapped_column(sa.Text, default="")  # never sent before submission
    rationale_required: Mapped[bool] = mapped_column(default=False)
    selected: Mapped[list] = mapped_column(sa.JSON, default=list)
    rationale: Mapped[str] = mapped_column(sa.Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    is_correct: Mapped[bool | None] = mapped_column()  # the choice's grade; None for free text
    rationale_mark: Mapped[str | None] = mapped_column(sa.String(16))

    attempt: Mapped[Attempt] = relationship(back_populates="items")

    __table_args__ = (
        sa.UniqueConstraint("attempt_id", "position"),
        sa.UniqueConstraint("attempt_id", "item_id"),
        sa.CheckConstraint(f"kind IN {_in(ITEM_KINDS)}", name="kind"),
        sa.CheckConstraint(f"rationale_mark IS NULL OR rationale_mark IN {_in(RATIONALE_MARKS)}",
                           name="rationale_mark"),
    )

    @property
    def needs_writing(self) -> bool:
        return self.kind == "free_text" or self.rationale_required


class TrainerQualification(db.Model):
    """A trainer's holding of a qualification: one row per trainer and qualification, its current state."""

    __tablename__ = "trainer_qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(sa.ForeignKey("qualifications.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    source: Mapped[str] = mapped_column(sa.String(16))  # 'assessment' or 'admin'
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment_attempts.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")  # why it is held, in words the trainer reads
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    expiry_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Attempt limits count from here: set when a holding expires, so re-certifying starts afresh.
    cycle_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    qualification: Mapped[Qualification] = relationship(lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("user_id", "qualification_id"),
        sa.CheckConstraint(f"status IN {_in(HOLDING_STATUSES)}", name="status"),
        sa.CheckConstraint("source IN ('assessment', 'admin')", name="source"),
    )


class ItemContest(db.Model):
    """A trainer's written objection to one graded item; an admin answers in writing, maybe correcting gold."""

    __tablename__ = "item_contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_item_id: Mapped[int] = mapped_column(sa.ForeignKey("attempt_items.id", ondelete="CASCADE"),
                                                 unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    comment: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16), default="open", index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    response: Mapped[str] = mapped_column(sa.Text, default="")
    previous_answer: Mapped[list | None] = mapped_column(sa.JSON)
    corrected_answer: Mapped[list | None] = mapped_column(sa.JSON)  # set when the admin corrected the gold
    regraded_attempts: Mapped[int] = mapped_column(default=0)

    attempt_item: Mapped[AttemptItem] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint(f"status IN {_in(CONTEST_STATUSES)}", name="status"),)


class QualificationDecision(db.Model):
    """One decision about a trainer's qualification or attempt: who, when, what, and the written reason.

    Rows are only inserted. The appeals registry (moderation room) can point at them by id.
    """

    __tablename__ = "qualification_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    qualification_id: Mapped[int] = mapped_column(sa.ForeignKey("qualifications.id"))
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment_attempts.id"))
    kind: Mapped[str] = mapped_column(sa.String(24))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # None: the platform's rule
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    qualification: Mapped[Qualification] = relationship(lazy="joined")

    __table_args__ = (sa.CheckConstraint(f"kind IN {_in(DECISION_KINDS)}", name="kind"),)
