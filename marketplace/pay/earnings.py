"""Earnings and spend, as people read them: per pay week (last 12), per job, pending against approved; CSV rows.

Amounts come from the pay room's own records (timesheets, bonuses, paid test time); what has left the platform
(payouts) is the payments room's, which adds it on the trainer's earnings page.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time

import sqlalchemy as sa
from flask import current_app

from ..assignment.worktime import work_time
from ..core.money import fee_cents, pay_for_seconds
from ..core.time import week_start
from ..extensions import db
from ..jobs.models import Job
from . import calculations, timesheets
from .calculations import WEEK
from .models import Bonus, Timesheet, WorkSession

WEEKS_SHOWN = 12


def _amount(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def weeks_ending(now: datetime, count: int = WEEKS_SHOWN) -> list[datetime]:
    last = week_start(now)
    return [last - WEEK * i for i in range(count - 1, -1, -1)]


@dataclass
class WeekFigures:
    week: datetime
    seconds: int = 0
    approved_cents: int = 0   # settled timesheets, bonuses and paid test time
    pending_cents: int = 0    # recorded, not yet approved (or under dispute)

    @property
    def earned_cents(self) -> int:
        return self.approved_cents + self.pending_cents


@dataclass
class JobFigures:
    job: Job
    seconds: int = 0
    pay_cents: int = 0        # approved and pending pay for the billable time
    bonus_cents: int = 0
    approved_cents: int = 0
    pending_cents: int = 0

    @property
    def effective_rate_cents(self) -> int | None:
        return calculations.effective_hourly_rate_cents(self.pay_cents + self.bonus_cents, self.seconds)


@dataclass
class TrainerEarnings:
    weeks: list[WeekFigures]
    jobs: list[JobFigures]
    pending_cents: int
    approved_cents: int       # everything approved so far (timesheets, bonuses, test time)
    next_payday: datetime
    goal: calculations.GoalProgress | None
    limit: calculations.LimitStatus
    week_seconds: int
    onboarding_cents: int = 0
    notes: list[str] = field(default_factory=list)

    def chart_data(self, tz_name: str | None) -> dict:
        """The chart's series (Chart.js): each week by its first day in the trainer's zone, dollars and hours."""
        zone = calculations.zone(tz_name)
        return {"labels": [f"{w.week.astimezone(zone):%-d %b}" for w in self.weeks],
                "approved": [w.approved_cents / 100 for w in self.weeks],
                "pending": [w.pending_cents / 100 for w in self.weeks],
                "hours": [round(w.seconds / 3600, 2) for w in self.weeks]}


def _sheet_money(sheet: Timesheet) -> tuple[int, int, int]:
    """(billable seconds, approved pay, pending pay) of one timesheet, rounded once on its total."""
    current = timesheets.sheet(sheet)
    if sheet.status == "approved":
        pending_seconds = current.on_hold_seconds
        total = pay_for_seconds(current.rate_cents, sheet.settled_seconds + pending_seconds)
        return current.amounts.billable_seconds, sheet.settled_pay_cents, max(0, total - sheet.settled_pay_cents)
    return current.amounts.billable_seconds, 0, current.amounts.pay_cents


def trainer_earnings(trainer, now: datetime) -> TrainerEarnings:
    config = current_app.config
    weeks = {w: WeekFigures(w) for w in weeks_ending(now)}
    first = min(weeks)
    for week, seconds in db.session.execute(
            sa.select(WorkSession.week_start, sa.func.sum(WorkSession.seconds))
            .where(WorkSession.trainer_id == trainer.id, WorkSession.week_start >= first)
            .group_by(WorkSession.week_start)):
        if week in weeks:
            weeks[week].seconds = int(seconds or 0)
    jobs: dict[int, JobFigures] = {}
    pending = approved = 0
    for sheet in db.session.scalars(sa.select(Timesheet).where(Timesheet.trainer_id == trainer.id)):
        seconds, paid, waiting = _sheet_money(sheet)
        figures = jobs.setdefault(sheet.job_id, JobFigures(sheet.job))
        figures.seconds += seconds
        figures.pay_cents += paid + waiting
        figures.approved_cents += paid
        figures.pending_cents += waiting
        pending, approved = pending + waiting, approved + paid
        if sheet.week_start in weeks:
            weeks[sheet.week_start].approved_cents += paid
            weeks[sheet.week_start].pending_cents += waiting
    for bonus in db.session.scalars(sa.select(Bonus).where(Bonus.trainer_id == trainer.id)):
        approved += bonus.amount_cents
        jobs.setdefault(bonus.job_id, JobFigures(db.session.get(Job, bonus.job_id))).bonus_cents += bonus.amount_cents
        if week_start(bonus.created_at) in weeks:
            weeks[week_start(bonus.created_at)].approved_cents += bonus.amount_cents
    onboarding = 0
    rate = config["ONBOARDING_RATE_CENTS_PER_HOUR"]
    for week, seconds in db.session.execute(sa.select(WorkSession.week_start, WorkSession.seconds).where(
            WorkSession.trainer_id == trainer.id, WorkSession.kind == "assessment")):
        pay = pay_for_seconds(rate, seconds)
        onboarding += pay
        if week in weeks:
            weeks[week].approved_cents += pay
    approved += onboarding
    time_now = work_time(trainer.id, now)
    payday = calculations.next_payday(now, config["PAYROLL_WEEKDAY"], "UTC", time(config["PAYROLL_HOUR_UTC"]))
    return TrainerEarnings(
        weeks=list(weeks.values()), jobs=sorted(jobs.values(), key=lambda j: -j.seconds), pending_cents=pending,
        approved_cents=approved, next_payday=payday, onboarding_cents=onboarding,
        goal=calculations.goal_progress(time_now.week_seconds, trainer.weekly_goal_minutes),
        limit=calculations.weekly_limit_status(time_now.week_seconds, 0, trainer.weekly_cap_minutes, None),
        week_seconds=time_now.week_seconds)


# --- requesters --------------------------------------------------------------------------------------------

@dataclass
class SpendLine:
    job: Job
    seconds: int = 0
    approved_cents: int = 0   # pay + fee that has left escrow
    pending_cents: int = 0    # recorded time not yet approved, with its fee
    bonus_cents: int = 0

    @property
    def total_cents(self) -> int:
        return self.approved_cents + self.pending_cents + self.bonus_cents


@dataclass
class RequesterSpend:
    jobs: list[SpendLine]
    weeks: list[tuple[datetime, int, int]]  # (week, approved cents, pending cents)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.jobs)


def requester_spend(requester, now: datetime) -> RequesterSpend:
    lines: dict[int, SpendLine] = {}
    weeks = {w: [0, 0] for w in weeks_ending(now)}
    rows = db.session.scalars(sa.select(Timesheet).join(Job, Job.id == Timesheet.job_id)
                              .where(Job.requester_id == requester.id))
    for sheet in rows:
        seconds, paid, waiting = _sheet_money(sheet)
        line = lines.setdefault(sheet.job_id, SpendLine(sheet.job))
        approved_cost = sheet.settled_pay_cents + sheet.settled_fee_cents
        pending_cost = waiting + fee_cents(waiting, sheet.fee_basis_points)
        line.seconds += seconds
        line.approved_cents += approved_cost
        line.pending_cents += pending_cost
        if sheet.week_start in weeks:
            weeks[sheet.week_start][0] += approved_cost
            weeks[sheet.week_start][1] += pending_cost
    for bonus in db.session.scalars(sa.select(Bonus).where(Bonus.requester_id == requester.id)):
        lines.setdefault(bonus.job_id, SpendLine(db.session.get(Job, bonus.job_id))).bonus_cents += bonus.amount_cents
        if week_start(bonus.created_at) in weeks:
            weeks[week_start(bonus.created_at)][0] += bonus.amount_cents
    return RequesterSpend(sorted(lines.values(), key=lambda line: -line.total_cents),
                          [(week, a, p) for week, (a, p) in sorted(weeks.items())])


SPEND_COLUMNS = ["week", "job_id", "job", "trainer", "hours", "status", "pay", "fee", "pending_pay"]


def spend_csv_rows(requester):
    """One row per timesheet of the requester's jobs (text cells are made formula-safe by the CSV writer)."""
    rows = db.session.scalars(sa.select(Timesheet).join(Job, Job.id == Timesheet.job_id)
                              .where(Job.requester_id == requester.id)
                              .order_by(Timesheet.week_start, Timesheet.job_id, Timesheet.id))
    for sheet in rows:
        seconds, paid, waiting = _sheet_money(sheet)
        yield [calculations.iso_week_name(sheet.week_start), sheet.job_id, sheet.job.title,
               sheet.trainer.display_name, f"{seconds / 3600:.2f}", sheet.status, _amount(sheet.settled_pay_cents),
               _amount(sheet.settled_fee_cents), _amount(waiting)]


EARNINGS_COLUMNS = ["week", "kind", "job", "hours", "status", "amount", "note"]


def earnings_csv_rows(trainer):
    """The trainer's earnings, one row per timesheet, bonus and paid assessment."""
    for sheet in db.session.scalars(sa.select(Timesheet).where(Timesheet.trainer_id == trainer.id)
                                    .order_by(Timesheet.week_start, Timesheet.id)):
        seconds, paid, waiting = _sheet_money(sheet)
        yield [calculations.iso_week_name(sheet.week_start), "timesheet", sheet.job.title, f"{seconds / 3600:.2f}",
               sheet.status, _amount(paid + waiting), "pending approval" if waiting else ""]
    for bonus in db.session.scalars(sa.select(Bonus).where(Bonus.trainer_id == trainer.id).order_by(Bonus.id)):
        job = db.session.get(Job, bonus.job_id)
        yield [calculations.iso_week_name(bonus.created_at), "bonus", job.title if job else "", "", "paid",
               _amount(bonus.amount_cents), bonus.reason]
    rate = current_app.config["ONBOARDING_RATE_CENTS_PER_HOUR"]
    for row in db.session.scalars(sa.select(WorkSession).where(WorkSession.trainer_id == trainer.id,
                                                               WorkSession.kind == "assessment")
                                  .order_by(WorkSession.started_at)):
        yield [calculations.iso_week_name(row.week_start), "assessment", "", f"{row.seconds / 3600:.2f}", "paid",
               _amount(pay_for_seconds(rate, row.seconds)), f"attempt #{row.attempt_id}"]


def week_label(week: datetime, tz_name: str | None) -> str:
    return calculations.week_label(week, tz_name)


__all__ = ["EARNINGS_COLUMNS", "SPEND_COLUMNS", "earnings_csv_rows", "requester_spend", "spend_csv_rows",
           "trainer_earnings", "week_label"]


@dataclass(frozen=True)
class AssessmentSession:
    session: WorkSession
    title: str
    outcome: str
    pay_cents: int


def assessment_sessions(trainer_id: int, limit: int = 50) -> list[AssessmentSession]:
    """The trainer's paid assessment attempts as sessions (newest first): the time paid, at the onboarding rate,
    from the platform, pass or fail; shown on their timesheets page beside the job timesheets."""
    from ..assessments.models import Assessment, Attempt
    rate = current_app.config["ONBOARDING_RATE_CENTS_PER_HOUR"]
    rows = db.session.execute(
        sa.select(WorkSession, Assessment.title, Attempt.status)
        .join(Attempt, Attempt.id == WorkSession.attempt_id).join(Assessment, Assessment.id == Attempt.assessment_id)
        .where(WorkSession.trainer_id == trainer_id, WorkSession.kind == "assessment")
        .order_by(WorkSession.started_at.desc()).limit(limit)).all()
    return [AssessmentSession(row, title, status, pay_for_seconds(rate, row.seconds)) for row, title, status in rows]
