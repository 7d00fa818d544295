"""Pay room models: work sessions, weekly timesheets, disputes of sessions, bonuses and weekly pay statements."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.time import UTCDateTime, utcnow
from ..extensions import db

SESSION_KINDS = ("job", "review", "assessment")
# Why a session ended: idle gap (closed at its last activity), the trainer stopped or submitted-and-stopped,
# they switched to another job, the pay week ended (the session continues as a new one), or an assessment
# attempt's recorded test time.
CLOSE_REASONS = ("idle", "stopped", "switched", "week_end", "attempt")
TIMESHEET_STATUSES = ("open", "submitted", "approved")
DISPUTE_STATUSES = ("open", "accepted", "contested", "escalated", "withdrawn", "upheld", "rejected", "reversed")
# Disputes still waiting for someone: the trainer (open), an admin (contested, escalated).
UNRESOLVED = ("open", "contested", "escalated")
# Resolved with the session shortened or removed; the other resolved states leave it as recorded.
ADJUSTING = ("accepted", "upheld")
BONUS_SOURCES = ("escrow", "funds")
STATEMENT_OUTCOMES = ("paid", "held")


def _in(values) -> str:
    return ", ".join(f"'{v}'" for v in values)


class Timesheet(db.Model):
    """A trainer's time on one job in one UTC pay week (Monday 00:00 UTC), with its approval and settlement.

    `settled_*` are cumulative: every money movement pays the rate on ALL the seconds settled so far minus
    what was already paid, so pay is rounded once on the total however many steps it is settled in.
    """

    __tablename__ = "timesheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"), index=True)
    week_start: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    fee_basis_points: Mapped[int] = mapped_column()
    # Set when the week closes (timesheets.close_weeks): the sum of its sessions' seconds, which no longer change
    # (every session of the week is closed first, and closed sessions are never re-timed). Payroll's statements
    # read it instead of summing the week's sessions again.
    recorded_seconds: Mapped[int] = mapped_column(default=0)
    settled_seconds: Mapped[int] = mapped_column(default=0)
    settled_pay_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    settled_fee_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rate_cents: Mapped[int | None] = mapped_column()  # the job's rate when the week closed (rates only rise)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # NULL: approved automatically

    trainer = relationship("User", foreign_keys=[trainer_id], lazy="joined")
    job = relationship("Job", lazy="joined")

    __table_args__ = (
        sa.UniqueConstraint("trainer_id", "job_id", "week_start"),
        sa.CheckConstraint(f"status IN ({_in(TIMESHEET_STATUSES)})", name="status"),
        sa.CheckConstraint("settled_seconds >= 0 AND settled_pay_cents >= 0 AND settled_fee_cents >= 0",
                           name="settled_not_negative"),
        sa.CheckConstraint("status <> 'approved' OR approved_at IS NOT NULL", name="approved_has_time"),
        sa.Index("ix_timesheets_trainer_week", "trainer_id", "week_start"),
        sa.Index("ix_timesheets_status_due", "status", "review_due_at"),
        # Payroll: a week's recorded time per trainer, from this index alone (one entry per trainer and job).
        sa.Index("ix_timesheets_week_trainer", "week_start", "trainer_id", "status", "recorded_seconds"),
    )


class WorkSession(db.Model):
    """A measured stretch of a trainer's working time on a job (task work or review) or an assessment attempt.

    Billing runs from `started_at` to `last_activity_at`; `seconds` mirrors that difference (whole seconds)
    so sums are plain SQL. At most one job or review session per trainer is open (partial unique index), so
    time is never counted on two jobs at once; a session never spans two pay weeks.
    """

    __tablename__ = "work_sessions"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True)
    trainer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    job_id: Mapped[int | None] = mapped_column(sa.ForeignKey("jobs.id"))
    attempt_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assessment_attempts.id"), unique=True)
    timesheet_id: Mapped[int | None] = mapped_column(sa.ForeignKey("timesheets.id"), index=True)
    week_start: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_reason: Mapped[str | None] = mapped_column(sa.String(16))
    seconds: Mapped[int] = mapped_column(default=0)
    # Idle time noticed after the last activity (not billed), shown beside the session on its timesheet.
    idle_seconds: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        sa.CheckConstraint(f"kind IN ({_in(SESSION_KINDS)})", name="kind"),
        sa.CheckConstraint(f"close_reason IS NULL OR close_reason IN ({_in(CLOSE_REASONS)})", name="close_reason"),
        sa.CheckConstraint("(kind = 'assessment') = (attempt_id IS NOT NULL)", name="attempt_for_assessment"),
        sa.CheckConstraint("kind = 'assessment' OR (job_id IS NOT NULL AND timesheet_id IS NOT NULL)",
                           name="job_work_has_timesheet"),
        sa.CheckConstraint("last_activity_at >= started_at", name="activity_after_start"),
        sa.CheckConstraint("closed_at IS NULL OR closed_at >= last_activity_at", name="closed_after_activity"),
        sa.CheckConstraint("seconds >= 0 AND idle_seconds >= 0", name="seconds_not_negative"),
        # The backstop of "time belongs to the job being worked on": one open job/review session per trainer.
        sa.Index("uq_work_sessions_one_open", "trainer_id", unique=True,
                 postgresql_where=sa.text("closed_at IS NULL AND kind <> 'assessment'"),
                 sqlite_where=sa.text("closed_at IS NULL AND kind <> 'assessment'")),
        # The idle sweep reads only open sessions.
        sa.Index("ix_work_sessions_open", "last_activity_at",
                 postgresql_where=sa.text("closed_at IS NULL"), sqlite_where=sa.text("closed_at IS NULL")),
        sa.Index("ix_work_sessions_trainer_start", "trainer_id", "started_at"),
        # Payroll statements and dashboards sum a week's seconds per trainer from this index alone.
        sa.Index("ix_work_sessions_week_trainer", "week_start", "trainer_id", "seconds"),
        sa.Index("ix_work_sessions_job_week", "job_id", "week_start"),
        # Payroll: a week's paid assessment time (the sessions on no timesheet) without reading the job sessions.
        sa.Index("ix_work_sessions_assessment_week", "week_start", "trainer_id", "seconds",
                 postgresql_where=sa.text("kind = 'assessment'"), sqlite_where=sa.text("kind = 'assessment'")),
    )

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class SessionDispute(db.Model):
    """A requester's objection to one session on a timesheet, with the trainer's answer and an admin's decision.

    open -> accepted (the trainer agrees) | contested (the trainer answers: an admin decides) | withdrawn;
    open past its answer date -> escalated (an admin decides); contested | escalated -> upheld | rejected;
    upheld -> reversed (an appeal overturned the admin's decision).
    """

    __tablename__ = "session_disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    timesheet_id: Mapped[int] = mapped_column(sa.ForeignKey("timesheets.id"), index=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("work_sessions.id"), unique=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    recorded_seconds: Mapped[int] = mapped_column()
    proposed_seconds: Mapped[int] = mapped_column()  # what the requester would pay: 0 removes the session
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    trainer_answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    admin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    admin_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_seconds: Mapped[int | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(sa.Text)

    timesheet = relationship(Timesheet, lazy="joined")
    session = relationship(WorkSession, lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(f"status IN ({_in(DISPUTE_STATUSES)})", name="status"),
        sa.CheckConstraint("proposed_seconds >= 0 AND proposed_seconds < recorded_seconds", name="proposal_shortens"),
        sa.CheckConstraint("length(reason) > 0", name="has_reason"),
        sa.CheckConstraint("status NOT IN ('upheld', 'rejected') OR (admin_reason IS NOT NULL AND decided_at IS NOT "
                           "NULL)", name="decision_has_reason"),
        sa.Index("ix_session_disputes_status", "status"),
    )

    @property
    def is_unresolved(self) -> bool:
        return self.status in UNRESOLVED

    @property
    def adjusted_seconds(self) -> int | None:
        """The session's billable seconds after this dispute, or None when it leaves the session as recorded."""
        if self.status == "accepted":
            return self.proposed_seconds
        if self.status == "upheld":
            return self.decided_seconds
        return None


class Bonus(db.Model):
    """A bonus a requester paid a trainer on a job, with the written reason the trainer reads."""

    __tablename__ = "bonuses"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    trainer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    job_id: Mapped[int] = mapped_column(sa.ForeignKey("jobs.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    source: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.Text)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="positive"),
        sa.CheckConstraint(f"source IN ({_in(BONUS_SOURCES)})", name="source"),
        sa.CheckConstraint("length(reason) > 0", name="has_reason"),
    )


class PayStatement(db.Model):
    """What one weekly payroll did for one trainer: paid (with the payout) or held (with the reason they read).

    UNIQUE(trainer_id, week_start): a second scheduler run, or a restart mid-run, finds it and does nothing.
    """

    __tablename__ = "pay_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    week_start: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(8))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    worked_seconds: Mapped[int] = mapped_column(default=0)  # the week's recorded time, for the statement
    reason_code: Mapped[str | None] = mapped_column(sa.String(32))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    payout_id: Mapped[int | None] = mapped_column()  # payments.payouts.id (a room above: no foreign key)
    # The payroll run that wrote it: a run tells exactly the trainers it wrote statements for, once.
    run_id: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("trainer_id", "week_start"),
        sa.CheckConstraint(f"outcome IN ({_in(STATEMENT_OUTCOMES)})", name="outcome"),
    )
