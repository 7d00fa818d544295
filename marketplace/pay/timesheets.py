"""Timesheets: one per trainer per job per UTC pay week; closing the week, lines, approval and settlement.

open (the week runs) -> submitted (the week closed; the requester reviews within TIMESHEET_REVIEW_DAYS)
-> approved (by the requester, or automatically when the window passes). Approval settles every session not
under dispute; a disputed session is settled when its dispute is resolved. Each settlement emits
`timesheet.settled` with the money to move (payments/subscribers.py posts it to the ledger in this same
transaction), keyed so that a retry never pays twice.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..assignment import states as assignment_states
from ..assignment.models import Assignment
from ..core import audit, notices
from ..core.errors import Conflict, Forbidden
from ..core.events import emit
from ..core.money import fee_cents, format_cents, pay_for_seconds
from ..core.time import week_start
from ..extensions import db
from ..jobs.models import Job
from . import calculations, policies, sessions
from .calculations import WEEK
from .models import ADJUSTING, UNRESOLVED, SessionDispute, Timesheet, WorkSession
from .services import close_idle_sessions, idle_gap

log = logging.getLogger(__name__)


# --- reading ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Line:
    """One session on a timesheet, as both sides read it."""

    session: WorkSession
    recorded_seconds: int
    billable_seconds: int       # after a resolved dispute; equal to recorded otherwise
    adjustment_reason: str | None
    tasks_done: int
    dispute: SessionDispute | None

    @property
    def is_on_hold(self) -> bool:
        """Waiting for a dispute to be decided: not paid yet, not removed either."""
        return self.dispute is not None and self.dispute.is_unresolved


@dataclass(frozen=True)
class Sheet:
    timesheet: Timesheet
    lines: list[Line]
    amounts: calculations.TimesheetAmounts
    rate_cents: int
    on_hold_seconds: int

    @property
    def open_disputes(self) -> list[SessionDispute]:
        return [line.dispute for line in self.lines if line.is_on_hold]


def sessions_of(timesheet_id: int) -> list[WorkSession]:
    return list(db.session.scalars(sa.select(WorkSession).where(WorkSession.timesheet_id == timesheet_id)
                                   .order_by(WorkSession.started_at, WorkSession.id)))


def disputes_of(timesheet_id: int) -> dict[int, SessionDispute]:
    return {d.session_id: d for d in db.session.scalars(
        sa.select(SessionDispute).where(SessionDispute.timesheet_id == timesheet_id))}


def rate_of(timesheet: Timesheet) -> int:
    """The rate the sheet is paid at: fixed when the week closed; the job's current rate while it runs."""
    return timesheet.rate_cents or timesheet.job.hourly_rate_cents


def _tasks_per_session(timesheet: Timesheet, rows: list[WorkSession]) -> dict[int, int]:
    """Answers submitted during each session (a final beat lands at the submission, so it is inside)."""
    if not rows:
        return {}
    times = db.session.scalars(sa.select(Assignment.submitted_at).where(
        Assignment.job_id == timesheet.job_id, Assignment.worker_id == timesheet.trainer_id,
        Assignment.submitted_at >= rows[0].started_at, Assignment.submitted_at <= rows[-1].last_activity_at + idle_gap(),
        Assignment.status.in_(assignment_states.ANSWERED + (assignment_states.REJECTED,)))).all()
    counts: dict[int, int] = defaultdict(int)
    for at in times:
        # A submission belongs to the session it was made in; submit beats coalesce, so one may land a little
        # after the session's stored last activity (never more than the idle gap, or a new session began).
        owner = next((row for row in reversed(rows)
                      if row.kind == "job" and row.started_at <= at <= row.last_activity_at + idle_gap()), None)
        if owner is not None:
            counts[owner.id] += 1
    return counts


def sheet(timesheet: Timesheet) -> Sheet:
    """The timesheet with its lines, adjustments and amounts (pay rounded once on the total)."""
    rows = sessions_of(timesheet.id)
    disputes = disputes_of(timesheet.id)
    tasks = _tasks_per_session(timesheet, rows)
    adjustments = []
    for dispute in disputes.values():
        if dispute.status in ADJUSTING:
            reason = dispute.admin_reason if dispute.status == "upheld" else dispute.reason
            adjustments.append(calculations.Adjustment(dispute.session_id, dispute.adjusted_seconds, reason))
    rate = rate_of(timesheet)
    amounts = calculations.timesheet_amounts([(row.id, row.seconds) for row in rows], rate,
                                             timesheet.fee_basis_points, adjustments)
    by_key = {line.key: line for line in amounts.lines}
    lines = [Line(row, row.seconds, by_key[row.id].billable_seconds, by_key[row.id].reason, tasks.get(row.id, 0),
                  disputes.get(row.id)) for row in rows]
    on_hold = sum(line.billable_seconds for line in lines if line.is_on_hold)
    return Sheet(timesheet, lines, amounts, rate, on_hold)


def for_trainer(trainer_id: int, limit: int = 200) -> list[Timesheet]:
    return list(db.session.scalars(sa.select(Timesheet).where(Timesheet.trainer_id == trainer_id)
                                   .order_by(Timesheet.week_start.desc(), Timesheet.id.desc()).limit(limit)))


def for_requester(requester_id: int, limit: int = 300) -> list[Timesheet]:
    return list(db.session.scalars(
        sa.select(Timesheet).join(Job, Job.id == Timesheet.job_id).where(Job.requester_id == requester_id)
        .order_by(sa.case((Timesheet.status == "submitted", 0), else_=1), Timesheet.week_start.desc(),
                  Timesheet.id.desc()).limit(limit)))


# --- closing the week -------------------------------------------------------------------------------------

def close_weeks(now: datetime) -> int:
    """Close the timesheets of every pay week that is over (and past the idle gap, so no session of it can
    still be running): attribute overlapping time (no double counting), fix the rate, open the review window.
    Idempotent; returns how many timesheets closed."""
    close_idle_sessions(now)
    cutoff = week_start(now - idle_gap() - timedelta(seconds=60))
    due = list(db.session.scalars(sa.select(Timesheet).where(Timesheet.status == "open",
                                                             Timesheet.week_start < cutoff)
                                  .order_by(Timesheet.week_start, Timesheet.trainer_id)))
    review_days = current_app.config["TIMESHEET_REVIEW_DAYS"]
    per_requester: dict[int, list[Timesheet]] = defaultdict(list)
    for week, trainer_id in sorted({(t.week_start, t.trainer_id) for t in due}):
        _attribute_week(trainer_id, week)
    closed = 0
    for timesheet in due:
        recorded = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(WorkSession.seconds), 0))
                                     .where(WorkSession.timesheet_id == timesheet.id)) or 0
        values = {"status": "submitted", "recorded_seconds": recorded, "submitted_at": now,
                  "rate_cents": timesheet.job.hourly_rate_cents,
                  "review_due_at": max(now, timesheet.week_start + WEEK) + timedelta(days=review_days)}
        if recorded == 0:  # nothing to review: a page opened and left at once
            values.update(status="approved", approved_at=now)
        moved = db.session.execute(sa.update(Timesheet).where(Timesheet.id == timesheet.id,
                                                              Timesheet.status == "open")
                                   .values(**values).execution_options(synchronize_session=False)).rowcount
        if moved and recorded:
            per_requester[timesheet.job.requester_id].append(timesheet)
        closed += moved
    db.session.expire_all()
    for timesheets in per_requester.values():
        _tell_requester(timesheets, review_days)
    return closed


def _attribute_week(trainer_id: int, week: datetime) -> None:
    """Apply sessions.attribute_time to the trainer's week: writing one open session per trainer keeps
    sessions apart, so this changes nothing unless two overlapped (then each instant goes to one job)."""
    rows = db.session.execute(sa.select(WorkSession.id, WorkSession.started_at, WorkSession.last_activity_at,
                                        WorkSession.seconds)
                              .where(WorkSession.trainer_id == trainer_id, WorkSession.week_start == week,
                                     WorkSession.kind != "assessment")).all()
    attributed = sessions.attribute_time(sessions.WorkInterval(r.id, r.started_at, r.last_activity_at) for r in rows)
    for row in rows:
        seconds = sessions.whole_seconds(attributed[row.id])
        if seconds != row.seconds:
            log.warning("session %s overlapped another: billed %s s instead of %s s", row.id, seconds, row.seconds)
            db.session.execute(sa.update(WorkSession).where(WorkSession.id == row.id).values(seconds=seconds)
                               .execution_options(synchronize_session=False))


def _tell_requester(timesheets: list[Timesheet], review_days: int) -> None:
    job = timesheets[0].job
    label = calculations.iso_week_name(timesheets[0].week_start)
    count = len(timesheets)
    hours = calculations.format_hours(sum(t.recorded_seconds for t in timesheets))
    notices.notify(job.requester, f"{count} timesheet{'s' if count != 1 else ''} to review ({label})",
                   f"Trainers recorded {hours} hours on your jobs in pay week {label}. Review the sessions and approve "
                   f"them, or dispute a session with a written reason. Timesheets not reviewed within {review_days} "
                   "days are approved automatically and paid from escrow.", link="/pay/timesheets", category="pay")


# --- approval and settlement ------------------------------------------------------------------------------

def approve(timesheet: Timesheet, actor, now: datetime) -> Timesheet:
    """The requester approves a closed timesheet: every session not under dispute is paid from escrow now
    (disputed ones when their dispute is decided). Side effects: audit row, notice to the trainer, ledger."""
    if actor is not None and not policies.can_review_timesheet(actor, timesheet):
        raise Forbidden("Only the job's requester approves its timesheets.")
    if timesheet.status == "open":
        raise Conflict("This pay week is still running; its timesheet can be approved once the week has ended.")
    _mark_approved(timesheet, actor, now)
    current = sheet(timesheet)
    settle(timesheet, f"timesheet:{timesheet.id}:approval", actor=actor)
    held = (f" {calculations.format_hours(current.on_hold_seconds)} hours under dispute are paid when the "
            "dispute is decided.") if current.on_hold_seconds else ""
    reason = "Approved by the requester." if actor is not None else (
        f"Approved automatically: not reviewed within {current_app.config['TIMESHEET_REVIEW_DAYS']} days.")
    audit.record("pay.timesheet_approved", actor=actor, subject_user=timesheet.trainer_id, subject=timesheet,
                 reason=reason, data={"pay_cents": timesheet.settled_pay_cents, "seconds": timesheet.settled_seconds})
    notices.notify(timesheet.trainer, f"Timesheet approved: {timesheet.job.title}"[:200],
                   f"{reason} Your time on “{timesheet.job.title}” in {calculations.iso_week_name(timesheet.week_start)} "
                   f"({calculations.format_hours(timesheet.settled_seconds)} hours) earned "
                   f"{format_cents(timesheet.settled_pay_cents)}; it is in your balance and goes out with the next "
                   f"payout.{held}", link=f"/pay/timesheets/{timesheet.id}", category="pay")
    return timesheet


def _mark_approved(timesheet: Timesheet, actor, now: datetime) -> None:
    moved = db.session.execute(sa.update(Timesheet).where(Timesheet.id == timesheet.id,
                                                          Timesheet.status == "submitted")
                               .values(status="approved", approved_at=now, approved_by_id=getattr(actor, "id", None))
                               .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(timesheet)
    if not moved:
        raise Conflict("This timesheet was already approved.", code="already_approved")


def settle(timesheet: Timesheet, key: str, *, actor=None) -> int:
    """Pay what is now settleable on an approved timesheet: every session not under dispute, at its billable
    seconds. Cumulative: pay on all settled seconds, minus what was already paid (one rounding on the total).
    Emits `timesheet.settled` for the difference. Returns the pay moved (cents)."""
    if timesheet.status != "approved":
        return 0
    current = sheet(timesheet)
    seconds = sum(line.billable_seconds for line in current.lines if not line.is_on_hold)
    pay = pay_for_seconds(current.rate_cents, seconds)
    fee = fee_cents(pay, timesheet.fee_basis_points)
    pay_delta, fee_delta = pay - timesheet.settled_pay_cents, fee - timesheet.settled_fee_cents
    if pay_delta < 0 or fee_delta < 0:
        # A settlement only ever adds (disputes are raised before approval); never claw back silently.
        raise Conflict("This timesheet was paid for more time than it now shows; an admin must correct it.")
    if (seconds, pay, fee) == (timesheet.settled_seconds, timesheet.settled_pay_cents, timesheet.settled_fee_cents):
        return 0
    moved = db.session.execute(
        sa.update(Timesheet).where(Timesheet.id == timesheet.id,
                                   Timesheet.settled_pay_cents == timesheet.settled_pay_cents,
                                   Timesheet.settled_fee_cents == timesheet.settled_fee_cents)
        .values(settled_seconds=seconds, settled_pay_cents=pay, settled_fee_cents=fee)
        .execution_options(synchronize_session=False)).rowcount
    if not moved:
        raise Conflict("This timesheet changed while it was being paid; try again.")
    db.session.refresh(timesheet)
    if pay_delta or fee_delta:
        emit("timesheet.settled", timesheet=timesheet, pay_cents=pay_delta, fee_cents=fee_delta,
             idempotency_key=key, actor=actor,
             description=f"{calculations.format_hours(seconds)} h on “{timesheet.job.title}”, "
                         f"{calculations.week_label(timesheet.week_start)}")  # both sides read it: UTC dates
    return pay_delta


def auto_approve_due(now: datetime) -> int:
    """Approve every closed timesheet whose review window has passed (scheduled; idempotent)."""
    due = list(db.session.scalars(sa.select(Timesheet).where(Timesheet.status == "submitted",
                                                             Timesheet.review_due_at <= now)
                                  .order_by(Timesheet.id)))
    for timesheet in due:
        approve(timesheet, None, now)
    return len(due)


def unresolved_disputes_for_admin() -> list[SessionDispute]:
    return list(db.session.scalars(sa.select(SessionDispute).where(SessionDispute.status.in_(("contested",
                                                                                           "escalated")))
                                   .order_by(SessionDispute.created_at)))


__all__ = ["Line", "Sheet", "approve", "auto_approve_due", "close_weeks", "for_requester", "for_trainer",
           "settle", "sheet", "UNRESOLVED"]
