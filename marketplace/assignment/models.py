"""Work engine models: an Assignment is one trainer holding one Task, from reservation to review."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.time import UTCDateTime, utcnow
from ..extensions import db
from ..jobs.models import BigId, Task
from . import states
from .sandbox_report import STATUSES as CODE_RUN_STATUSES


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Assignment(db.Model):
    """One trainer holding one task: reserved -> submitted -> approved / rejected, or expired / returned.

    Rows are created only by the claim statement (claims.py) and change state only by compare-and-set
    updates in services.py; UNIQUE(task_id, worker_id) is the backstop that no trainer gets a task twice.
    """

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id", ondelete="CASCADE"))
    task_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("tasks.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=states.RESERVED)
    reserved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Work in progress, autosaved from the work page; never shown to anyone but its author.
    draft: Mapped[dict | None] = mapped_column(sa.JSON)
    draft_saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer: Mapped[dict | None] = mapped_column(sa.JSON)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Review: reviewer NULL with reviewed_at set means approved automatically (policy or review window).
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    review_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Returned or expired: when, and (returns only) why, for the requester's aggregate view.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_reason: Mapped[str | None] = mapped_column(sa.String(24))
    return_note: Mapped[str] = mapped_column(sa.Text, default="")

    task = relationship(Task, lazy="joined")
    job = relationship("Job")

    __table_args__ = (
        sa.UniqueConstraint("task_id", "worker_id"),
        sa.CheckConstraint(f"status IN ({_in(states.STATUSES)})", name="status"),
        sa.CheckConstraint(f"return_reason IS NULL OR return_reason IN ({_in(states.RETURN_REASONS)})",
                           name="return_reason"),
        sa.CheckConstraint("status <> 'rejected' OR review_reason <> ''", name="rejection_has_reason"),
        sa.CheckConstraint("status IN ('reserved', 'expired', 'returned') OR answer IS NOT NULL",
                           name="answered"),
        # Releasing expired reservations at every claim reads only this small index (reserved rows).
        sa.Index("ix_assignments_reserved", "job_id", "expires_at",
                 postgresql_where=sa.text("status = 'reserved'"), sqlite_where=sa.text("status = 'reserved'")),
        sa.Index("ix_assignments_worker_status", "worker_id", "status"),
        # A trainer's rows on one job (the gold-mix position counted at every claim, their progress, their
        # live reservations): index-only, even for a trainer with thousands of answers on other jobs.
        sa.Index("ix_assignments_worker_job", "worker_id", "job_id"),
        sa.Index("ix_assignments_job_status", "job_id", "status", "submitted_at"),
    )

    @property
    def is_reserved(self) -> bool:
        return self.status == states.RESERVED


# The claim walks a job's open tasks in order; this partial index holds only open tasks, so a job that is
# mostly done costs no more to claim from than a fresh one. It belongs to the claim, hence declared here.
CLAIM_INDEX = sa.Index("ix_tasks_claim", Task.job_id, Task.seq,
                       postgresql_where=sa.text("is_open"), sqlite_where=sa.text("is_open"))


class CodeRun(db.Model):
    """One press of "Run tests" on a code-review task: the sandbox's result, kept so the answer can carry the
    last run (attached by the server at submission, so a trainer cannot claim tests passed that did not)."""

    __tablename__ = "code_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(BigId, sa.ForeignKey("assignments.id", ondelete="CASCADE"))
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(20))
    passed: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    result: Mapped[dict] = mapped_column(sa.JSON)  # codetests.stored_result(): what the answer carries

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(CODE_RUN_STATUSES)})", name="status"),
        sa.Index("ix_code_runs_assignment", "assignment_id", "id"),
    )
