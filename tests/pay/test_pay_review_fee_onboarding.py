"""Review work is paid like task time; the fee is on top everywhere; paid assessment time is on the timesheet."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.jobs import budget as job_budget, services as jobs
from marketplace.pay import periodic, timesheets
from marketplace.pay.models import Timesheet, WorkSession
from marketplace.payments import ledger, services as money
from marketplace.quality import peer, rules
from tests.factories import answer_task, job_tasks, make_trainer

from .helpers import MONDAY, Clock, beat, trainer_with_task, work, working_job
from .test_pay_bonus_and_onboarding import submitted_attempt

NEXT_MONDAY = MONDAY.replace(hour=0) + timedelta(days=7)
REVIEWER_KEY = "pay-test-reviewer"


@pytest.fixture
def qualified(monkeypatch):
    held: dict[int, set[str]] = {}
    monkeypatch.setattr(jobs, "held_qualification_keys", lambda user_id, now=None: frozenset(held.get(user_id, ())))
    return held


def test_reviewing_is_a_paid_session_at_the_jobs_rate_on_the_reviewers_timesheet(qualified, client, login):
    with Clock(MONDAY) as clock:
        job = working_job(rate_cents=3000, review_policy="peer")
        rules.update_settings(job, job.requester, is_rule_enabled=False, min_accuracy=0.8, min_gold_items=10,
                              window=50, return_text="", iou_threshold=0.5, rating_tolerance=1,
                              reviewer_qualification=REVIEWER_KEY)
        author, reviewer = make_trainer(), make_trainer()
        qualified[reviewer.id] = {REVIEWER_KEY}
        answer_task(job_tasks(job)[0], author, {"labels": ["Neither"], "justification": "Nothing hateful here."})
        db.session.commit()
        review = peer.claim_review(job, reviewer)  # quality.review_started: the clock starts
        db.session.commit()
        [session] = db.session.scalars(sa.select(WorkSession).where(WorkSession.trainer_id == reviewer.id)).all()
        assert (session.kind, session.job_id, session.closed_at) == ("review", job.id, None)
        for _ in range(4):  # the review page's heartbeats, kind "review"
            clock.advance(seconds=60)
            assert beat(reviewer, job, kind="review").session_id == session.id
        clock.advance(seconds=60)
        peer.decide(review.id, reviewer, "accept")  # quality.review_finished: the final beat
        db.session.commit()
        db.session.refresh(session)
        assert session.seconds == 300
        # Billed like task time: the week closes, the requester approves, escrow pays rate + fee.
        clock.at(NEXT_MONDAY + timedelta(hours=1))
        periodic.close_pay_weeks(clock.now)
        sheet = db.session.scalar(sa.select(Timesheet).where(Timesheet.trainer_id == reviewer.id))
        assert (sheet.job_id, sheet.recorded_seconds) == (job.id, 300)
        timesheets.approve(sheet, job.requester, clock.now)
        db.session.commit()
        assert money.trainer_balances(reviewer).payable == 250  # 5 minutes at $30/h
        login(reviewer)
        page = client.get(f"/pay/timesheets/{sheet.id}").get_data(as_text=True)
        assert f"session-{session.id}" in page and "review" in page.lower()


def test_a_review_without_a_hold_records_no_time():
    with Clock(MONDAY):
        job = working_job(review_policy="peer")
        outcome = beat(trainer_with_task(job), job, kind="review")
        assert outcome.refused == "no_task" and "review" in outcome.message


def test_an_approved_hour_moves_rate_plus_fee_out_of_escrow_rate_to_the_trainer_fee_to_the_platform(app):
    fee_bps = app.config["PLATFORM_FEE_BASIS_POINTS"]
    with Clock(MONDAY) as clock:
        job = working_job(rate_cents=2000)
        trainer = trainer_with_task(job)
        work(trainer, job, clock, beats=60, every=60)
        escrow, fees = money.escrow_balance(job.id), ledger.balance(ledger.PLATFORM_FEES)
        clock.at(NEXT_MONDAY + timedelta(hours=1))
        periodic.close_pay_weeks(clock.now)
        sheet = db.session.scalar(sa.select(Timesheet).where(Timesheet.trainer_id == trainer.id))
        timesheets.approve(sheet, job.requester, clock.now)
        db.session.commit()
        fee = 2000 * fee_bps // 10_000
        assert money.trainer_balances(trainer).payable == 2000  # the full rate: the pay floor is what they get
        assert ledger.balance(ledger.PLATFORM_FEES) - fees == fee
        assert escrow - money.escrow_balance(job.id) == 2000 + fee
        # The jobs room says the same: what an hour costs, what the trainer earns.
        assert jobs.cost_per_hour(job) == 2000 + fee == job_budget.cost_per_hour_cents(2000, fee_bps)
        assert ledger.integrity_problems() == []


def test_paid_assessment_time_is_a_session_on_the_trainers_timesheets_page_pass_or_fail(client, login, app):
    with Clock(MONDAY) as clock:
        trainer = make_trainer()
        attempt = submitted_attempt(trainer, status="failed", seconds=1200, now=clock.now)
        clock.advance(minutes=1)
        periodic.sweep_sessions(clock.now)
        db.session.commit()
        rate = app.config["ONBOARDING_RATE_CENTS_PER_HOUR"]
        assert money.trainer_balances(trainer).payable == rate // 3  # 20 minutes, from the platform
        txn = ledger.find(f"onboarding:{attempt.id}")
        assert ledger.entries_of(txn.id) == {ledger.ONBOARDING_COST: -(rate // 3),
                                             ledger.trainer_payable(trainer.id): rate // 3}
        login(trainer)
        page = client.get("/pay/timesheets").get_data(as_text=True)
        assert 'id="assessment-sessions"' in page and "failed" in page and "20 min" in page.replace("\xa0", " ")


def test_a_suspension_closes_the_session_at_its_start_and_the_time_up_to_it_is_paid():
    from marketplace.moderation import services as moderation
    from marketplace.payments import payroll_run
    from tests.factories import make_admin
    from tests.moderation.test_sanctions import issue
    with Clock(MONDAY) as clock:
        job = working_job(rate_cents=2400)
        trainer = trainer_with_task(job)
        work(trainer, job, clock, beats=10, every=60, final=False)
        clock.advance(seconds=30)  # working, between two beats, when the suspension starts
        issue(trainer, make_admin(), level="temporary", ends_at=clock.now + timedelta(days=7), is_severe=True,
              severity_justification="Forty answers in ninety seconds cannot be honest work at all.")
        db.session.commit()
        [session] = db.session.scalars(sa.select(WorkSession).where(WorkSession.trainer_id == trainer.id)).all()
        assert (session.closed_at, session.seconds) == (clock.now, 630)  # closed at the suspension: 10.5 min
        clock.advance(seconds=30)
        assert beat(trainer, job).refused == "standing"  # no new time while suspended
        clock.at(NEXT_MONDAY + timedelta(hours=1))
        periodic.close_pay_weeks(clock.now)
        sheet = db.session.scalar(sa.select(Timesheet).where(Timesheet.trainer_id == trainer.id))
        timesheets.approve(sheet, job.requester, clock.now)
        db.session.commit()
        assert money.trainer_balances(trainer).payable == 420  # 10.5 minutes at $24/h
        assert not moderation.standing_for(trainer, clock.now).ok
