"""Quality room models: per-job quality settings, gold scores, contests and corrections, quality removals,
peer review (items, reviews, disputes), and the stored agreement/aggregation snapshot."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.time import UTCDateTime, utcnow
from ..extensions import db
from ..jobs.models import BigId, Task

# SQL NULL for a missing value, never the JSON text 'null' (so IS NULL filters mean what they say).
NullableJSON = sa.JSON(none_as_null=True)

SCORE_SOURCES = ("answer", "review")
CONTEST_STATUSES = ("open", "upheld", "corrected")
RESTRICTION_STATUSES = ("active", "lifted")
LIFT_KINDS = ("rescore", "manual", "appeal", "qualification")
ITEM_STATUSES = ("open", "claimed", "done", "closed")
REVIEW_STATUSES = ("reserved", "done", "expired")
DECISIONS = ("accept", "reject", "correct")
DISPUTE_STATUSES = ("open", "upheld", "overturned")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class JobQualitySettings(db.Model):
    """A job's quality rule, scoring tolerances and reviewer qualification (defaults when no row exists)."""

    __tablename__ = "job_quality_settings"

    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    is_rule_enabled: Mapped[bool] = mapped_column(default=True)
    min_accuracy: Mapped[float] = mapped_column(default=0.8)
    min_gold_items: Mapped[int] = mapped_column(default=10)
    gold_window: Mapped[int | None] = mapped_column(default=50)  # "window" is reserved in PostgreSQL
    return_text: Mapped[str] = mapped_column(sa.Text, default="")
    iou_threshold: Mapped[float] = mapped_column(default=0.5)
    rating_tolerance: Mapped[float] = mapped_column(default=1.0)
    reviewer_qualification: Mapped[str | None] = mapped_column(sa.String(80))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("min_accuracy > 0 AND min_accuracy <= 1", name="min_accuracy"),
        sa.CheckConstraint("min_gold_items >= 1", name="min_gold_items"),
        sa.CheckConstraint("gold_window IS NULL OR gold_window >= min_gold_items", name="window"),
        sa.CheckConstraint("iou_threshold > 0 AND iou_threshold <= 1", name="iou_threshold"),
        sa.CheckConstraint("rating_tolerance >= 0", name="rating_tolerance"),
    )


class GoldScore(db.Model):
    """One scored known-answer item: a trainer's answer to a gold task, or a reviewer's decision on a review
    item with a known decision. Re-scored in place when the requester corrects the gold answer."""

    __tablename__ = "gold_scores"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(sa.String(8), default="answer")
    assignment_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("assignments.id", ondelete="CASCADE"),
                                                      unique=True)
    peer_review_id: Mapped[int | None] = mapped_column(sa.ForeignKey("peer_reviews.id", ondelete="CASCADE"),
                                                       unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))  # the task kind, or "review" for reviewers
    passed: Mapped[bool] = mapped_column()
    score: Mapped[float] = mapped_column()
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    rescored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(f"source IN ({_in(SCORE_SOURCES)})", name="source"),
        sa.CheckConstraint("(source = 'answer' AND assignment_id IS NOT NULL) OR "
                           "(source = 'review' AND peer_review_id IS NOT NULL)", name="source_row"),
        sa.CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        sa.Index("ix_gold_scores_job_worker", "job_id", "worker_id", "source", "scored_at"),
        sa.Index("ix_gold_scores_worker", "worker_id", "source"),
    )


class GoldContest(db.Model):
    """A trainer's written objection to a gold answer they were scored against, and the requester's answer."""

    __tablename__ = "gold_contests"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    score_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("gold_scores.id", ondelete="CASCADE"), unique=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    response: Mapped[str] = mapped_column(sa.Text, default="")
    responder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    score = relationship(GoldScore)

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(CONTEST_STATUSES)})", name="status"),
        sa.CheckConstraint("status = 'open' OR response <> ''", name="decided_in_writing"),
        sa.Index("ix_gold_contests_job_status", "job_id", "status"),
    )


class GoldCorrection(db.Model):
    """The requester changed a task's gold answer (or its explanation): what, why, and whom it re-scored."""

    __tablename__ = "gold_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    contest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gold_contests.id", ondelete="SET NULL"))
    old_gold: Mapped[dict | None] = mapped_column(NullableJSON)
    new_gold: Mapped[dict] = mapped_column(sa.JSON)
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    n_rescored: Mapped[int] = mapped_column(default=0)
    n_changed: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QualityRestriction(db.Model):
    """A trainer removed from one job by its quality rule: the rule, the evidence and the way back."""

    __tablename__ = "quality_restrictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(8), default="active")
    rule: Mapped[dict] = mapped_column(sa.JSON)
    evidence: Mapped[dict] = mapped_column(sa.JSON)
    how_to_return: Mapped[dict] = mapped_column(sa.JSON)
    message: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    lift_kind: Mapped[str | None] = mapped_column(sa.String(16))
    lift_reason: Mapped[str] = mapped_column(sa.Text, default="")

    job = relationship("Job")

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(RESTRICTION_STATUSES)})", name="status"),
        sa.CheckConstraint(f"lift_kind IS NULL OR lift_kind IN ({_in(LIFT_KINDS)})", name="lift_kind"),
        sa.CheckConstraint("status = 'active' OR lift_reason <> ''", name="lifted_in_writing"),
        # At most one active removal per trainer and job: the backstop when two submits evaluate at once.
        sa.Index("ux_quality_restrictions_active", "job_id", "worker_id", unique=True,
                 postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'")),
    )


class ReviewItem(db.Model):
    """An answer waiting for peer review: a trainer's submitted answer, or a requester-seeded answer with a
    known correct decision (is_known) that measures reviewers, mixed in like gold tasks."""

    __tablename__ = "review_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("tasks.id", ondelete="CASCADE"))
    assignment_id: Mapped[int | None] = mapped_column(BigId, sa.ForeignKey("assignments.id", ondelete="CASCADE"),
                                                      unique=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answer: Mapped[dict | None] = mapped_column(NullableJSON)  # seeded items only; others read the assignment
    is_known: Mapped[bool] = mapped_column(default=False)
    expected_decision: Mapped[str | None] = mapped_column(sa.String(8))
    explanation: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(8), default="open")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task = relationship("Task")

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(ITEM_STATUSES)})", name="status"),
        sa.CheckConstraint("(is_known AND expected_decision IN ('accept', 'reject') AND answer IS NOT NULL) OR "
                           "(NOT is_known AND assignment_id IS NOT NULL)", name="known_or_real"),
        sa.Index("ix_review_items_queue", "job_id", "is_known", "status", "id"),
    )


class PeerReview(db.Model):
    """One reviewer's hold on, and decision about, one review item (accept, reject with a reason, correct)."""

    __tablename__ = "peer_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("review_items.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(8), default="reserved")
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decision: Mapped[str | None] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    corrected_answer: Mapped[dict | None] = mapped_column(NullableJSON)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    item = relationship(ReviewItem, lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("item_id", "reviewer_id"),
        sa.CheckConstraint(f"status IN ({_in(REVIEW_STATUSES)})", name="status"),
        sa.CheckConstraint(f"decision IS NULL OR decision IN ({_in(DECISIONS)})", name="decision"),
        sa.CheckConstraint("status <> 'done' OR decision IS NOT NULL", name="done_has_decision"),
        sa.CheckConstraint("decision IS NULL OR decision = 'accept' OR reason <> ''", name="reason_written"),
        sa.CheckConstraint("decision IS NULL OR decision <> 'correct' OR corrected_answer IS NOT NULL",
                           name="correction_given"),
    )


class ReviewDispute(db.Model):
    """A trainer's written dispute of a peer review of their answer, decided by the requester or an admin."""

    __tablename__ = "review_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("peer_reviews.id", ondelete="CASCADE"), unique=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    review = relationship(PeerReview, lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(DISPUTE_STATUSES)})", name="status"),
        sa.CheckConstraint("status = 'open' OR decision_reason <> ''", name="decided_in_writing"),
    )


class QualitySnapshot(db.Model):
    """Agreement and aggregation of one job at one moment, stored so the results page is fast."""

    __tablename__ = "quality_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    n_answers: Mapped[int] = mapped_column(default=0)
    n_tasks: Mapped[int] = mapped_column(default=0)  # tasks with at least one answer
    alpha: Mapped[float | None] = mapped_column()
    alpha_note: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_quality_snapshots_job", "job_id", "computed_at"),)


class TaskAggregate(db.Model):
    """The aggregated answer of one task by one method, with its confidence (rewritten with each snapshot)."""

    __tablename__ = "task_aggregates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("tasks.id", ondelete="CASCADE"))
    method: Mapped[str] = mapped_column(sa.String(16))
    value: Mapped[dict] = mapped_column(sa.JSON)  # {"answer": ...} so any shape fits
    confidence: Mapped[float] = mapped_column()
    n_answers: Mapped[int] = mapped_column()
    is_tie: Mapped[bool] = mapped_column(default=False)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("task_id", "method"),
        sa.Index("ix_task_aggregates_job", "job_id", "method", "task_id"),
    )


# Gold claims (assignment/claims.py, want_gold=True) walk a job's gold tasks in order; this partial index holds
# only them, so a gold slot costs a few index reads however many ordinary tasks the job has.
GOLD_TASK_INDEX = sa.Index("ix_tasks_gold", Task.job_id, Task.seq,
                           postgresql_where=sa.text("gold IS NOT NULL"), sqlite_where=sa.text("gold IS NOT NULL"))
