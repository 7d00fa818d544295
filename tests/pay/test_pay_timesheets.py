"""Timesheets: the week closes, the requester approves (or the window passes), escrow pays the trainer."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.core.errors import Conflict, Forbidden
from marketplace.core.models import AuditEvent, Notice
from marketplace.extensions import db
from marketplace.pay import periodic, timesheets
from marketplace.pay.models import Timesheet
from marketplace.payments import ledger, services as money
from tests.factories import make_requester

from .helpers import MONDAY, Clock, beat, trainer_with_task, working_job

NEXT_MONDAY = MONDAY.replace(hour=0) + timedelta(days=7)  # Mon 13 Mar 00:00 UTC: the week ends


def work(clock, trainer, job, minutes: int):
    """`minutes` of steady work (a beat every 30 s), ended by a final beat."""
    beat(trainer, job)
    for _ in range(minutes * 2):
        clock.advance(seconds=30)
        beat(trainer, job)
    beat(trainer, job, final=True)


def the_sheet(trainer, job) -> Timesheet:
    db.session.expire_all()
    return db.session.scalar(sa.select(Timesheet).where(Timesheet.trainer_id == trainer.id,
                                                        Timesheet.job_id == job.id))


def test_the_week_closes_into_a_timesheet_with_the_recorded_time_and_a_review_window():
    with Clock(MONDAY) as clock:
        job = working_job(rate_cents=2400)
        trainer = trainer_with_task(job)
        work(clock, trainer, job, 90)
        clock.at(NEXT_MONDAY + timedelta(minutes=2))
        assert periodic.close_pay_weeks(clock.now) == 0  # the idle gap after the week end has not passed yet
        clock.at(NEXT_MONDAY + timedelta(minutes=10))
        assert periodic.close_pay_weeks(clock.now) == 1
        db.session.commit()
        sheet = the_sheet(trainer, job)
        assert (sheet.status, sheet.recorded_seconds, sheet.rate_cents) == ("submitted", 90 * 60, 2400)
        assert sheet.review_due_at == clock.now + timedelta(days=3)
        assert db.session.scalar(sa.select(Notice).where(Notice.user_id == job.requester_id)) is not None


def test_approval_moves_escrow_to_the_trainer_with_the_platform_fee_on_top():
    with Clock(MONDAY) as clock:
        job = working_job(rate_cents=2400)
        trainer = trainer_with_task(job)
        work(clock, trainer, job, 90)
        escrow_before = money.escrow_balance(job.id)
        clock.at(NEXT_MONDAY + timedelta(hours=1))
        periodic.close_pay_weeks(clock.now)
        sheet = the_sheet(trainer, job)
        timesheets.approve(sheet, job.requester, clock.now)
        db.session.commit()
        sheet = the_sheet(trainer, job)
        assert (sheet.status, sheet.settled_pay_cents, sheet.settled_fee_cents) == ("approved", 3600, 360)
        assert money.trainer_balances(trainer).payable == 3600  # 1.5 h at $24: the full rate
        assert money.escrow_balance(job.id) == escrow_before - 3960
        assert ledger.balance(ledger.PLATFORM_FEES) == 360
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "pay.timesheet_approved"))
        # Approving twice pays nothing more.
        with pytest.raises(Conflict):
            timesheets.approve(sheet, job.requester, clock.now)
        db.session.rollback()
        assert money.trainer_balances(trainer).payable == 3600


def test_only_the_jobs_requester_approves_and_not_while_the_week_runs():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        work(clock, trainer, job, 10)
        sheet = the_sheet(trainer, job)
        with pytest.raises(Conflict):
            timesheets.approve(sheet, job.requester, clock.now)
        clock.at(NEXT_MONDAY + timedelta(hours=1))
        periodic.close_pay_weeks(clock.now)
        with pytest.raises(Forbidden):
            timesheets.approve(the_sheet(trainer, job), make_requester(), clock.now)


def test_a_timesheet_not_reviewed_in_the_window_is_approved_automatically_and_paid():
    with Clock(MONDAY) as clock:
        job = working_job(rate_cents=3000)
        trainer = trainer_with_task(job)
        work(clock, trainer, job, 60)
        clock.at(NEXT_MONDAY + timedelta(hours=1))
        periodic.close_pay_weeks(clock.now)
        db.session.commit()
        clock.advance(days=2, hours=23)
        assert periodic.auto_approve_timesheets(clock.now) == 0
        clock.advance(hours=1)
        assert periodic.auto_approve_timesheets(clock.now) == 1
        db.session.commit()
        sheet = the_sheet(trainer, job)
        assert (sheet.status, sheet.approved_by_id, sheet.settled_pay_cents) == ("approved", None, 3000)
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "pay.timesheet_approved"))
        assert event.actor_id is None and "automatically" in event.reason
        assert periodic.auto_approve_timesheets(clock.now + timedelta(hours=1)) == 0  # idempotent
        assert money.trainer_balances(trainer).payable == 3000


def test_lines_list_sessions_with_the_tasks_done_in_each_and_the_idle_time_after_them():
    from marketplace.assignment.services import claim_next, submit
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        beat(trainer, job)
        for _ in range(3):
            clock.advance(seconds=40)
            [held] = claim_next(job, trainer)
            submit(held.id, trainer, {"labels": ["Neither"], "justification": "No group is attacked here."})
            db.session.commit()
            beat(trainer, job, final=True)
            claim_next(job, trainer)
            db.session.commit()
        clock.advance(minutes=20)  # a long break, then one more stretch
        work(clock, trainer, job, 5)
        clock.at(NEXT_MONDAY + timedelta(hours=1))
        periodic.close_pay_weeks(clock.now)
        current = timesheets.sheet(the_sheet(trainer, job))
        assert [(line.recorded_seconds, line.tasks_done) for line in current.lines] == [(120, 3), (300, 0)]
        assert current.lines[0].session.idle_seconds == 20 * 60
        assert current.amounts.billable_seconds == 420
