"""Bonuses (a written reason, paid once however often the form is sent) and paid assessment time."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.assessments.models import Assessment, Attempt, Qualification
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.models import Notice
from marketplace.extensions import db
from marketplace.pay import bonuses, periodic
from marketplace.pay.models import Bonus, WorkSession
from marketplace.payments import ledger, services as money
from tests.factories import give_funds, make_requester, make_trainer

from .helpers import MONDAY, Clock, beat, trainer_with_task, working_job

REASON = "Thoughtful justifications on the hardest posts."


def test_a_bonus_is_paid_once_with_its_reason_even_when_the_form_is_sent_twice():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        escrow = money.escrow_balance(job.id)
        for _ in range(2):
            bonuses.award(job.requester, job, trainer.id, 1500, REASON, "escrow", "form-token-1", clock.now)
            db.session.commit()
        assert money.trainer_balances(trainer).payable == 1500
        assert money.escrow_balance(job.id) == escrow - 1500
        assert db.session.scalar(sa.select(sa.func.count(Bonus.id))) == 1
        [notice] = db.session.scalars(sa.select(Notice).where(Notice.user_id == trainer.id)).all()
        assert REASON in notice.body
        with pytest.raises(Conflict):  # the same token for a different bonus pays nothing
            bonuses.award(job.requester, job, trainer.id, 9900, REASON, "escrow", "form-token-1", clock.now)


def test_a_bonus_from_the_requesters_funds_leaves_the_escrow_alone():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        give_funds(job.requester, 10_000)
        escrow = money.escrow_balance(job.id)
        bonuses.award(job.requester, job, trainer.id, 2500, REASON, "funds", "form-token-2", clock.now)
        db.session.commit()
        assert money.escrow_balance(job.id) == escrow
        assert money.requester_available(job.requester) == 7500
        assert money.trainer_balances(trainer).payable == 2500


def test_bonus_rules_reason_amount_owner_and_someone_who_worked_on_the_job():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        with pytest.raises(ValidationFailed):
            bonuses.award(job.requester, job, trainer.id, 1500, "thanks", "escrow", "k1", clock.now)
        with pytest.raises(ValidationFailed):
            bonuses.award(job.requester, job, trainer.id, 0, REASON, "escrow", "k2", clock.now)
        with pytest.raises(Forbidden):
            bonuses.award(make_requester(), job, trainer.id, 1500, REASON, "escrow", "k3", clock.now)
        with pytest.raises(NotFound):
            bonuses.award(job.requester, job, make_trainer().id, 1500, REASON, "escrow", "k4", clock.now)


def submitted_attempt(trainer, *, status: str, seconds: int, now):
    qualification = Qualification(key=f"q{trainer.id}", name="Hate speech judgement", kind="task_skill")
    db.session.add(qualification)
    db.session.flush()
    assessment = Assessment(key=f"a{trainer.id}", qualification_id=qualification.id, title="Hate speech",
                            items_per_attempt=5, pass_mark_percent=80, time_limit_minutes=30, max_attempts=3,
                            cooldown_hours=24)
    db.session.add(assessment)
    db.session.flush()
    attempt = Attempt(user_id=trainer.id, assessment_id=assessment.id, qualification_id=qualification.id, number=1,
                      status=status, started_at=now - timedelta(seconds=seconds), deadline_at=now,
                      submitted_at=now, time_limit_seconds=1800, pass_mark_percent=80, paid_seconds=seconds)
    db.session.add(attempt)
    db.session.commit()
    return attempt


def test_assessment_time_is_paid_at_the_onboarding_rate_once_pass_or_fail():
    with Clock(MONDAY) as clock:
        passed, failed = make_trainer(), make_trainer()
        submitted_attempt(passed, status="passed", seconds=1500, now=clock.now)
        attempt = submitted_attempt(failed, status="failed", seconds=900, now=clock.now)
        clock.advance(minutes=1)
        assert periodic.sweep_sessions(clock.now) == 2
        db.session.commit()
        assert periodic.sweep_sessions(clock.now) == 0  # a second run pays nothing more
        db.session.commit()
        # $18/h: 25 minutes = $7.50, 15 minutes = $4.50, from the platform's onboarding cost account.
        assert money.trainer_balances(passed).payable == 750
        assert money.trainer_balances(failed).payable == 450
        assert ledger.balance(ledger.ONBOARDING_COST) == -1200
        assert ledger.find(f"onboarding:{attempt.id}") is not None
        session = db.session.scalar(sa.select(WorkSession).where(WorkSession.attempt_id == attempt.id))
        assert (session.kind, session.seconds, session.job_id) == ("assessment", 900, None)


def test_assessment_time_does_not_count_against_the_work_clock_twice():
    with Clock(MONDAY) as clock:
        job = working_job()
        trainer = trainer_with_task(job)
        submitted_attempt(trainer, status="passed", seconds=600, now=clock.now)
        periodic.sweep_sessions(clock.now)
        beat(trainer, job)
        clock.advance(seconds=60)
        beat(trainer, job, final=True)
        from marketplace.pay.clock import work_time
        assert work_time(trainer.id, clock.now).week_seconds == 60  # job work only; tests are paid apart
