"""Taking an attempt: limits at start, saving as you go, the time limit, submitting once, paid time."""
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
import time_machine

from marketplace.assessments import periodic, services
from marketplace.assessments.models import Attempt, AttemptItem
from marketplace.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from marketplace.extensions import db
from tests.factories import answer_attempt, make_assessment, make_trainer

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=timezone.utc)


def start(assessment, trainer, at=T0):
    with time_machine.travel(at, tick=False):
        attempt, created = services.start_attempt(assessment, trainer)
    db.session.commit()
    return attempt


def submit(attempt, trainer, at):
    with time_machine.travel(at, tick=False):
        return services.submit_attempt(attempt, trainer)


def test_start_draws_n_distinct_bank_items_copied_into_the_attempt(db):
    assessment = make_assessment(items=10, per_attempt=4)
    trainer = make_trainer()
    attempt = start(assessment, trainer)
    db.session.commit()
    assert [i.position for i in attempt.items] == [1, 2, 3, 4]
    assert len({i.item_id for i in attempt.items}) == 4
    assert attempt.started_at == T0 and attempt.deadline_at == T0 + timedelta(minutes=10)
    assert all(i.answer == ["a"] and i.explanation for i in attempt.items)  # the copy, kept for grading later


def test_starting_again_resumes_the_attempt_in_progress(db):
    assessment = make_assessment()
    trainer = make_trainer()
    first = start(assessment, trainer)
    again, created = services.start_attempt(assessment, trainer)
    assert again.id == first.id and created is False
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id))) == 1


def test_a_suspended_trainer_cannot_start(db):
    assessment = make_assessment()
    with pytest.raises(Forbidden):
        services.start_attempt(assessment, make_trainer(status="suspended"))


def test_retake_during_cooldown_is_refused_with_the_time_it_ends_and_changes_nothing(db):
    assessment = make_assessment(cooldown=24)
    trainer = make_trainer(timezone="UTC")
    attempt = start(assessment, trainer)
    answer_attempt(attempt, right=set(), now=T0 + timedelta(minutes=1))
    submit(attempt, trainer, T0 + timedelta(minutes=5))
    db.session.commit()
    assert attempt.status == "failed"
    with time_machine.travel(T0 + timedelta(hours=23), tick=False), pytest.raises(Conflict) as exc:
        services.start_attempt(assessment, trainer)
    assert exc.value.code == "cooldown"
    assert "5 May 2026, 09:05 UTC" in exc.value.message
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id))) == 1
    assert start(assessment, trainer, T0 + timedelta(hours=24, minutes=6)).number == 2


def test_no_attempt_beyond_the_maximum(db):
    assessment = make_assessment(max_attempts=2, cooldown=0)
    trainer = make_trainer()
    for n in range(2):
        attempt = start(assessment, trainer, T0 + timedelta(hours=n))
        submit(attempt, trainer, T0 + timedelta(hours=n, minutes=3))
    db.session.commit()
    with time_machine.travel(T0 + timedelta(days=3), tick=False), pytest.raises(Conflict) as exc:
        services.start_attempt(assessment, trainer)
    assert exc.value.code == "max_attempts" and "all 2 attempts" in exc.value.message


def test_a_trainer_who_holds_the_qualification_cannot_retake_before_the_renewal_window(db):
    assessment = make_assessment(per_attempt=2)
    trainer = make_trainer()
    attempt = start(assessment, trainer)
    answer_attempt(attempt, now=T0 + timedelta(minutes=1))
    submit(attempt, trainer, T0 + timedelta(minutes=2))
    assert attempt.status == "passed"
    with time_machine.travel(T0 + timedelta(days=30), tick=False), pytest.raises(Conflict) as exc:
        services.start_attempt(assessment, trainer)
    assert exc.value.code == "already_qualified"


def test_answers_are_saved_and_a_reload_shows_them(db, client, login):
    assessment = make_assessment(items=4, per_attempt=4)
    trainer = make_trainer()
    attempt = start(assessment, trainer, datetime.now(timezone.utc))
    services.save_answers(attempt, trainer, {1: services.Answer(selected=["b"])})
    db.session.commit()
    login(trainer)
    page = client.get(f"/assessments/attempts/{attempt.id}").get_data(as_text=True)
    assert 'name="item-1" value="b" checked' in page
    assert "1 of 4 answered" in page


def test_answering_an_item_not_in_the_attempt_is_refused_and_nothing_is_saved(db):
    assessment = make_assessment()
    trainer = make_trainer()
    attempt = start(assessment, trainer, datetime.now(timezone.utc))
    with pytest.raises(ValidationFailed) as exc:
        services.save_answers(attempt, trainer, {1: services.Answer(selected=["a"]),
                                                 99: services.Answer(selected=["a"])})
    assert exc.value.code == "unknown_item" and "Item 99 is not part of this attempt" in exc.value.message
    db.session.rollback()
    assert db.session.get(AttemptItem, attempt.items[0].id).selected == []


@pytest.mark.parametrize("answer, message", [
    (services.Answer(selected=["z"]), "not one of this item's options"),
    (services.Answer(selected=["a", "b"]), "Choose one option only"),
    (services.Answer(rationale="I think so"), "does not ask for a written answer"),
])
def test_invalid_answers_get_a_clear_error(db, answer, message):
    assessment = make_assessment()
    trainer = make_trainer()
    attempt = start(assessment, trainer, datetime.now(timezone.utc))
    with pytest.raises(ValidationFailed) as exc:
        services.save_answers(attempt, trainer, {1: answer})
    assert message in exc.value.message


def test_an_answer_longer_than_the_limit_is_refused(db):
    assessment = make_assessment(rationale_items=6, requires_review=True)
    trainer = make_trainer()
    attempt = start(assessment, trainer, datetime.now(timezone.utc))
    with pytest.raises(ValidationFailed) as exc:
        services.save_answers(attempt, trainer, {1: services.Answer(selected=["a"], rationale="x" * 3001)})
    assert "at most 3000 characters" in exc.value.message


def test_saving_after_the_time_limit_is_refused(db):
    assessment = make_assessment(time_limit=10)
    trainer = make_trainer()
    attempt = start(assessment, trainer)
    with time_machine.travel(T0 + timedelta(minutes=10, seconds=5), tick=False):  # within the grace: saved
        services.save_answers(attempt, trainer, {1: services.Answer(selected=["a"])})
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False), pytest.raises(Conflict) as exc:
        services.save_answers(attempt, trainer, {2: services.Answer(selected=["a"])})
    assert exc.value.code == "time_up"


def test_late_submission_is_graded_on_saved_answers_marked_late_and_paid_up_to_the_limit(db):
    assessment = make_assessment(items=4, per_attempt=4, pass_mark=50, time_limit=10)
    trainer = make_trainer()
    attempt = start(assessment, trainer)
    with time_machine.travel(T0 + timedelta(minutes=4), tick=False):
        services.save_answers(attempt, trainer, {1: services.Answer(selected=["a"])})
    with time_machine.travel(T0 + timedelta(minutes=25), tick=False):
        # answers sent with a late submission are ignored: only what was saved in time counts
        services.submit_attempt(attempt, trainer, answers={2: services.Answer(selected=["a"]),
                                                           3: services.Answer(selected=["a"])})
    assert attempt.is_late and attempt.status == "failed"
    assert attempt.correct_items == 1 and attempt.paid_seconds == 600


def test_paid_time_is_start_to_submit_pass_or_fail(db):
    assessment = make_assessment(time_limit=30)
    trainer = make_trainer()
    attempt = start(assessment, trainer)
    submit(attempt, trainer, T0 + timedelta(minutes=12, seconds=30))
    db.session.commit()
    assert attempt.status == "failed" and attempt.paid_seconds == 750
    entries = services.onboarding_time(user_id=trainer.id)
    assert [(e.attempt_id, e.paid_seconds, e.idempotency_key) for e in entries] == \
        [(attempt.id, 750, f"onboarding:{attempt.id}")]
    body = db.session.scalars(sa.select(Notice.body).where(Notice.user_id == trainer.id)).one()
    assert "12 min 30 s" in body and "$3.75" in body  # 1800 cents/h x 750 s


def test_submitting_twice_is_refused(db):
    assessment = make_assessment()
    trainer = make_trainer()
    attempt = start(assessment, trainer)
    submit(attempt, trainer, T0 + timedelta(minutes=3))
    with pytest.raises(Conflict) as exc:
        submit(attempt, trainer, T0 + timedelta(minutes=4))
    assert exc.value.code == "already_submitted"


def test_nobody_can_save_or_submit_someone_elses_attempt(db):
    assessment = make_assessment()
    owner, other = make_trainer(), make_trainer()
    attempt = start(assessment, owner, datetime.now(timezone.utc))
    with pytest.raises(NotFound):
        services.save_answers(attempt, other, {1: services.Answer(selected=["a"])})
    with pytest.raises(NotFound):
        services.submit_attempt(attempt, other)
    assert attempt.status == "in_progress"


def test_passing_without_review_grants_the_qualification_with_a_decision_row_and_audit(db):
    assessment = make_assessment(per_attempt=4, pass_mark=75)
    trainer = make_trainer()
    attempt = start(assessment, trainer)
    answer_attempt(attempt, right={1, 2, 3}, now=T0 + timedelta(minutes=1))
    submit(attempt, trainer, T0 + timedelta(minutes=2))
    db.session.commit()
    assert attempt.status == "passed" and (attempt.correct_items, attempt.scored_items) == (3, 4)
    assert services.active_qualification_keys(trainer.id, T0 + timedelta(minutes=3)) == {"test-skill"}
    decision = services.decisions_for_user(trainer.id)[0]
    assert decision.kind == "passed" and "3 of 4 (75%)" in decision.reason
    assert db.session.scalar(sa.select(AuditEvent.action).where(AuditEvent.subject_user_id == trainer.id)) \
        == "assessment.passed"


def test_abandoned_attempts_are_submitted_late_by_the_scheduled_job(app, db):
    assessment = make_assessment(time_limit=10)
    trainer = make_trainer()
    attempt = start(assessment, trainer)
    db.session.commit()
    assert periodic.close_abandoned_attempts(T0 + timedelta(minutes=20)) == 0  # within the grace period
    assert periodic.close_abandoned_attempts(T0 + timedelta(minutes=30)) == 1
    assert periodic.close_abandoned_attempts(T0 + timedelta(minutes=31)) == 0  # idempotent
    db.session.commit()
    db.session.refresh(attempt)
    assert attempt.status == "failed" and attempt.is_late and attempt.is_auto_submitted
    assert attempt.paid_seconds == 600


@pytest.mark.postgres_only
def test_two_starts_at_the_same_moment_make_one_attempt(app, db, monkeypatch):
    """Two requests pass the rules check together; the unique attempt number lets only one insert."""
    import threading

    from marketplace.assessments import attempts as attempts_module
    assessment = make_assessment()
    trainer = make_trainer()
    assessment_id, trainer_id = assessment.id, trainer.id
    barrier = threading.Barrier(2)
    original = attempts_module.standing_for

    def both_checked(*args, **kwargs):
        result = original(*args, **kwargs)
        barrier.wait(timeout=10)  # both requests have checked the rules before either inserts
        return result

    monkeypatch.setattr(attempts_module, "standing_for", both_checked)
    outcomes = []

    def request():
        with app.app_context():
            from marketplace.accounts.models import User
            from marketplace.assessments.models import Assessment
            try:
                services.start_attempt(db.session.get(Assessment, assessment_id), db.session.get(User, trainer_id))
                db.session.commit()
                outcomes.append("started")
            except Conflict as exc:
                db.session.rollback()
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["attempt_in_progress", "started"]
    assert db.session.scalar(sa.select(sa.func.count(Attempt.id))) == 1
