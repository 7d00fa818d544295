"""Jobs room models: a requester's Job, its Tasks, task ImportRuns and content-warning acceptances."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.time import UTCDateTime, utcnow
from ..extensions import db
from . import states
from .kinds import KINDS

# Task ids may pass 2**31 across all jobs on PostgreSQL; SQLite's INTEGER PRIMARY KEY is already 64-bit.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

REVIEW_POLICIES = ("auto", "requester", "peer")
IMPORT_STATUSES = ("queued", "running", "succeeded", "failed")
IMPORT_MODES = ("all_or_nothing", "skip_invalid")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Job(db.Model):
    """A requester's paid posting: instructions, task kind and configuration, eligibility, pay and budget."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    instructions: Mapped[str] = mapped_column(sa.Text, default="")  # Markdown, rendered with core.markdown
    kind: Mapped[str] = mapped_column(sa.String(32))
    config: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(16), default=states.DRAFT, index=True)
    paused_reason: Mapped[str | None] = mapped_column(sa.String(16))

    # Eligibility (see eligibility.py): languages as [{"code", "min_proficiency"}], the rest as lists of keys.
    required_languages: Mapped[list] = mapped_column(sa.JSON, default=list)
    required_expertise: Mapped[list] = mapped_column(sa.JSON, default=list)
    required_qualifications: Mapped[list] = mapped_column(sa.JSON, default=list)
    allowed_countries: Mapped[list] = mapped_column(sa.JSON, default=list)
    country_reason: Mapped[str] = mapped_column(sa.Text, default="")
    content_warning: Mapped[str] = mapped_column(sa.Text, default="")

    # Pay and budget (cents); an hour costs the requester rate + platform fee (budget.py).
    hourly_rate_cents: Mapped[int] = mapped_column()
    est_minutes_per_task: Mapped[int] = mapped_column(default=5)
    weekly_limit_minutes: Mapped[int | None] = mapped_column()  # per trainer on this job; None: no limit
    budget_cents: Mapped[int] = mapped_column(default=0)  # total moved (or to move at publish) into escrow

    # Overlap, review and reservation.
    answers_per_task: Mapped[int] = mapped_column(default=1)
    review_policy: Mapped[str] = mapped_column(sa.String(16), default="auto")
    review_window_hours: Mapped[int] = mapped_column(default=72)
    reservation_minutes: Mapped[int] = mapped_column(default=30)
    priority: Mapped[int] = mapped_column(default=0)

    # Counters kept by the services that change them (import, work engine), so lists never count tasks.
    task_count: Mapped[int] = mapped_column(default=0)
    tasks_done: Mapped[int] = mapped_column(default=0)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    requester = relationship("User", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(states.STATUSES)})", name="status"),
        sa.CheckConstraint(f"kind IN ({_in(KINDS)})", name="kind"),
        sa.CheckConstraint(f"paused_reason IS NULL OR paused_reason IN ({_in(states.PAUSE_REASONS)})",
                           name="paused_reason"),
        sa.CheckConstraint(f"review_policy IN ({_in(REVIEW_POLICIES)})", name="review_policy"),
        sa.CheckConstraint("hourly_rate_cents > 0", name="rate_positive"),
        sa.CheckConstraint("budget_cents >= 0", name="budget_not_negative"),
        sa.CheckConstraint("answers_per_task BETWEEN 1 AND 10", name="answers_per_task"),
        sa.CheckConstraint("est_minutes_per_task BETWEEN 1 AND 600", name="est_minutes"),
        sa.CheckConstraint("task_count >= 0 AND tasks_done >= 0", name="counters"),
    )

    @property
    def is_draft(self) -> bool:
        return self.status == states.DRAFT

    @property
    def is_live(self) -> bool:
        return self.status in (states.PUBLISHED, states.PAUSED)


class Task(db.Model):
    """One item of work in a Job: its payload (per the kind's schema), an optional gold answer and metadata."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()  # 1, 2, 3 ... within the job, in import order
    payload: Mapped[dict] = mapped_column(sa.JSON)
    # none_as_null: "no gold answer" is SQL NULL (filterable), not the JSON value null.
    gold: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    meta: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    external_id: Mapped[str | None] = mapped_column(sa.String(200))
    import_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_runs.id", ondelete="SET NULL"))
    # Claimable; the work engine flips it off when the task has all its answers (DESIGN.md section 5).
    is_open: Mapped[bool] = mapped_column(default=True)
    answers_done: Mapped[int] = mapped_column(default=0)
    # Live holds (reserved + submitted + approved assignments), kept by the work engine's claim statement.
    # In NO index on purpose: PostgreSQL then updates it in place (HOT) and re-checks it on the latest row
    # version after a concurrent commit, which is what keeps a task from passing its overlap.
    holders: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("job_id", "seq"),
        sa.Index("ix_tasks_job_open", "job_id", "is_open"),
        sa.Index("ix_tasks_job_external", "job_id", "external_id"),
    )


class ImportRun(db.Model):
    """One upload of tasks into a job: queued, then run (in a thread, the scheduler or the CLI) in one
    transaction; progress and errors are kept here and in its error report."""

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued", index=True)
    mode: Mapped[str] = mapped_column(sa.String(16), default="all_or_nothing")
    file_format: Mapped[str] = mapped_column(sa.String(8))  # jsonl | csv
    original_name: Mapped[str] = mapped_column(sa.String(300), default="")
    file_key: Mapped[str] = mapped_column(sa.String(300))           # in storage
    images_key: Mapped[str | None] = mapped_column(sa.String(300))  # ZIP of images, bounding boxes only
    total_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows_seen: Mapped[int] = mapped_column(default=0)
    rows_imported: Mapped[int] = mapped_column(default=0)
    rows_invalid: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(sa.Text, default="")        # the outcome, in a sentence
    errors_preview: Mapped[list] = mapped_column(sa.JSON, default=list)  # first errors: [{line, field, message}]
    error_report_key: Mapped[str | None] = mapped_column(sa.String(300))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(IMPORT_STATUSES)})", name="status"),
        sa.CheckConstraint(f"mode IN ({_in(IMPORT_MODES)})", name="mode"),
        sa.CheckConstraint("file_format IN ('jsonl', 'csv')", name="file_format"),
    )

    @property
    def is_finished(self) -> bool:
        return self.status in ("succeeded", "failed")

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return min(99, int(100 * self.bytes_read / self.total_bytes)) if self.total_bytes else 0


class ContentWarningAcceptance(db.Model):
    """A trainer read a job's content warning and chose to see its tasks (one row per trainer and job)."""

    __tablename__ = "content_warning_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    warning_text: Mapped[str] = mapped_column(sa.Text)  # what they accepted; a changed warning asks again
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("job_id", "user_id"),)
