"""The budget guarantee (nobody starts unpaid work) and weekly limits fed by the pay room's clock."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.assignment.services import NotEligible, claim_next, submit
from marketplace.core.errors import Conflict
from marketplace.extensions import db
from marketplace.jobs.models import Job
from marketplace.pay import clock as pay_clock
from marketplace.pay import periodic, timesheets
from marketplace.pay.models import Timesheet
from marketplace.payments import services as money
from tests.factories import make_trainer

from .helpers import MONDAY, Clock, beat, trainer_with_task, work, working_job

ANSWER = {"labels": ["Neither"], "justification": "No group is attacked here."}


def test_a_trainer_cannot_start_when_the_escrow_is_empty():
    with Clock(MONDAY):
        job = working_job(escrow=0)
        trainer = make_trainer()
        with pytest.raises(Conflict) as refused:
            claim_next(job, trainer)
        assert refused.value.code == "budget_exhausted" and "budget" in refused.value.message
        db.session.rollback()
        assert periodic.check_budgets(MONDAY) == 1  # and the job leaves the queue: paused for budget
        db.session.commit()
        job = db.session.get(Job, job.id)
        assert (job.status, job.paused_reason) == ("paused", "budget")


def test_low_escrow_lets_the_trainer_in_hand_finish_and_be_paid_but_starts_no_one_else():
    with Clock(MONDAY) as clock:
        # $20/h: one 10-minute reserve costs $3.34 + $0.34 fee = $3.68. The escrow holds $5.00.
        job = working_job(rate_cents=2000, escrow=500)
        first = trainer_with_task(job)
        with pytest.raises(Conflict):
            claim_next(job, make_trainer())  # a second trainer would need a reserve the escrow lacks
        db.session.rollback()
        beat(first, job)
        db.session.expire_all()
        assert db.session.get(Job, job.id).status == "paused"  # new claims stop at once
        for _ in range(20):
            clock.advance(seconds=30)
            beat(first, job)
        assignment_id = db.session.execute(sa.text("SELECT id FROM assignments WHERE worker_id = :w"),
                                           {"w": first.id}).scalar_one()
        submit(assignment_id, first, ANSWER)  # the task in hand is finished ...
        db.session.commit()
        beat(first, job, final=True)
        clock.at(MONDAY.replace(hour=0) + timedelta(days=7, hours=1))
        periodic.close_pay_weeks(clock.now)
        timesheets.approve(db.session.scalar(sa.select(Timesheet)), job.requester, clock.now)
        db.session.commit()
        assert money.trainer_balances(first).payable == 333  # ... and paid: 10 minutes at $20/h
        assert money.escrow_balance(job.id) == 500 - 333 - 33


def test_the_clock_counts_each_instant_once_across_jobs_and_feeds_the_weekly_cap():
    with Clock(MONDAY) as clock:
        job_a, job_b = working_job(), working_job()
        trainer = make_trainer(weekly_cap_minutes=60)
        trainer_with_task(job_a, trainer)
        trainer_with_task(job_b, trainer)
        for job, minutes in ((job_a, 40), (job_b, 20)):
            work(trainer, job, clock, beats=minutes * 2)
        time = pay_clock.work_time(trainer.id, clock.now)
        assert time.week_seconds == 3600 and time.today_seconds == 3600
        assert time.job_week_seconds == {job_a.id: 2400, job_b.id: 1200}
        with pytest.raises(NotEligible) as refused:  # the cap is reached: no new task
            claim_next(working_job(), trainer)
        assert "weekly cap" in refused.value.message


def test_a_jobs_weekly_limit_per_trainer_stops_new_claims_on_that_job_only():
    with Clock(MONDAY) as clock:
        job = working_job(weekly_limit_minutes=30)
        trainer = trainer_with_task(job)
        work(trainer, job, clock, beats=60)
        assignment_id = db.session.execute(sa.text("SELECT id FROM assignments WHERE worker_id = :w"),
                                           {"w": trainer.id}).scalar_one()
        submit(assignment_id, trainer, ANSWER)  # the task in hand is still accepted
        db.session.commit()
        with pytest.raises(NotEligible):
            claim_next(job, trainer)
        db.session.rollback()
        assert claim_next(working_job(), trainer)  # other jobs stay open


def test_today_is_the_trainers_own_day():
    tokyo_evening = MONDAY.replace(hour=14, minute=30)  # 23:30 in Tokyo
    with Clock(tokyo_evening) as clock:
        job = working_job()
        trainer = trainer_with_task(job, timezone="Asia/Tokyo")
        work(trainer, job, clock, beats=120)  # an hour: 30 minutes before Tokyo midnight, 30 after
        time = pay_clock.work_time(trainer.id, clock.now)
        assert (time.today_seconds, time.week_seconds) == (1800, 3600)
