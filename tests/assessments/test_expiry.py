"""Expiry under frozen time: a warning N days before, expiry at the end of validity, re-certification."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.assessments import periodic, services
from marketplace.assessments.models import QualificationDecision, TrainerQualification
from marketplace.core.errors import Conflict
from marketplace.core.models import AuditEvent, Notice
from marketplace.scheduler import run_job
from tests.assessments.helpers import T0, take
from tests.factories import make_assessment, make_trainer

PASSED_AT = T0 + timedelta(minutes=5)


@pytest.fixture
def holder(app, db):
    app.config["QUALIFICATION_EXPIRY_WARNING_DAYS"] = 14
    assessment = make_assessment(validity_days=90, per_attempt=2, cooldown=24)
    trainer = make_trainer(timezone="UTC")
    attempt = take(assessment, trainer, at=T0)
    assert attempt.status == "passed"
    return assessment, trainer


def db_notices(trainer):
    from marketplace.extensions import db
    return db.session.scalars(sa.select(Notice).where(Notice.user_id == trainer.id).order_by(Notice.id)).all()


def test_holding_expires_after_its_validity(db, holder):
    _, trainer = holder
    holding = db.session.scalars(sa.select(TrainerQualification)).one()
    assert holding.expires_at == PASSED_AT + timedelta(days=90)
    assert services.active_qualification_keys(trainer.id, PASSED_AT + timedelta(days=89)) == {"test-skill"}
    # even before the scheduled job runs, an expired holding no longer counts
    assert services.active_qualification_keys(trainer.id, PASSED_AT + timedelta(days=90)) == set()


def test_warning_is_sent_once_n_days_before_expiry(db, holder):
    _, trainer = holder
    with time_machine.travel(PASSED_AT + timedelta(days=75, seconds=-1), tick=False):
        assert periodic.expire_qualifications(PASSED_AT + timedelta(days=75, seconds=-1)) == 0  # 14 d + 1 s left
    day_76 = PASSED_AT + timedelta(days=76)
    with time_machine.travel(day_76, tick=False):
        assert periodic.expire_qualifications(day_76) == 1
        assert periodic.expire_qualifications(day_76 + timedelta(hours=1)) == 0  # once only
    db.session.commit()
    warning = db_notices(trainer)[-1]
    assert warning.subject == "Skill test-skill expires in 14 days"
    assert "re-certify now" in warning.body and warning.link == "/assessments/test-skill-v1"


def test_expiry_job_expires_records_and_notifies(app, db, holder):
    _, trainer = holder
    trainer_id = trainer.id
    at = PASSED_AT + timedelta(days=90, minutes=1)
    with time_machine.travel(at, tick=False):
        assert run_job("expire_qualifications") >= 1   # through the scheduler table, lease and all
    from marketplace.accounts.models import User
    trainer = db.session.get(User, trainer_id)  # the job ran in its own session
    holding = db.session.scalars(sa.select(TrainerQualification)).one()
    assert holding.status == "expired" and holding.expired_at == at
    decision = db.session.scalars(sa.select(QualificationDecision).where(QualificationDecision.kind == "expiry")).one()
    assert decision.actor_id is None and "valid for 90 days" in decision.reason
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.action == "qualification.expired"))
    assert "has expired" in db_notices(trainer)[-1].subject
    states = services.my_qualifications(trainer.id, at)
    assert [(s.state, s.expires_at) for s in states] == [("expired", PASSED_AT + timedelta(days=90))]
    with time_machine.travel(at + timedelta(hours=1), tick=False):
        assert periodic.expire_qualifications(at + timedelta(hours=1)) == 0  # idempotent


def test_re_certification_opens_in_the_warning_window_and_renews_from_the_new_pass(db, holder):
    assessment, trainer = holder
    with time_machine.travel(PASSED_AT + timedelta(days=30), tick=False), pytest.raises(Conflict):
        services.start_attempt(assessment, trainer)   # too early: the holding has 60 days left
    renewal = PASSED_AT + timedelta(days=80)
    attempt = take(assessment, trainer, at=renewal)
    assert attempt.status == "passed" and attempt.number == 2
    holding = db.session.scalars(sa.select(TrainerQualification)).one()
    assert holding.status == "active" and holding.expires_at == renewal + timedelta(minutes=5, days=90)
    assert holding.expiry_warned_at is None  # the next expiry gets its own warning


def test_after_expiry_a_new_attempt_re_certifies_with_a_fresh_set_of_attempts(db, app, holder):
    assessment, trainer = holder
    expired_at = PASSED_AT + timedelta(days=91)
    with time_machine.travel(expired_at, tick=False):
        periodic.expire_qualifications(expired_at)
    db.session.commit()
    failed = take(assessment, trainer, at=expired_at + timedelta(hours=1), right=set())
    assert failed.status == "failed"
    standing = services.standing_for(trainer.id, assessment, expired_at + timedelta(hours=2))
    assert standing.code == "cooldown" and standing.attempts_used == 1 and standing.attempts_left == 2
    passed = take(assessment, trainer, at=expired_at + timedelta(days=2))
    assert passed.status == "passed"
    assert services.active_qualification_keys(trainer.id, expired_at + timedelta(days=3)) == {"test-skill"}


def test_trainer_page_shows_expired_state_and_why(db, client, login, holder):
    assessment, trainer = holder
    at = PASSED_AT + timedelta(days=95)
    with time_machine.travel(at, tick=False):
        periodic.expire_qualifications(at)
        db.session.commit()
        login(trainer)
        page = client.get("/assessments").get_data(as_text=True)
    assert "expired" in page and "Expired after 90 days. Pass the assessment again to re-certify." in page
    assert "Your qualification expired. Pass the test again to re-certify." in page
