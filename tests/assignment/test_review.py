"""Review: approve, reject with a written reason (audit + notice, slot given back), automatic approval after
the review window, and who may review."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.assignment import periodic, review, services
from marketplace.assignment.models import Assignment
from marketplace.core.errors import Conflict, DomainError, ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.jobs.models import Job, Task
from marketplace.scheduler import SCHEDULE
from tests.assignment.conftest import GOOD
from tests.factories import make_admin, make_open_job, make_requester, make_trainer


def submitted(job, trainer=None, now=None):
    trainer = trainer or make_trainer()
    a = services.claim_next(job, trainer, now=now)[0]
    services.submit(a.id, trainer, GOOD, now=now)
    db.session.commit()
    return a


def test_requester_approves_a_submitted_answer_and_it_is_audited():
    requester = make_requester()
    job = make_open_job(requester, review_policy="requester")
    a = submitted(job)
    review.approve(a.id, requester)
    db.session.commit()
    assert db.session.get(Assignment, a.id).status == "approved"
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "assignment.approved"))
    assert event.actor_id == requester.id and event.subject_user_id == a.worker_id


def test_rejection_needs_a_written_reason():
    requester = make_requester()
    job = make_open_job(requester, review_policy="requester")
    a = submitted(job)
    for reason in ("", "   ", "bad"):
        with pytest.raises(ValidationFailed):
            review.reject(a.id, requester, reason)
    db.session.rollback()
    assert db.session.get(Assignment, a.id).status == "submitted"


def test_rejection_tells_the_trainer_why_is_audited_and_reopens_the_task():
    requester = make_requester()
    job = make_open_job(requester, tasks=1, overlap=1, review_policy="requester")
    trainer = make_trainer()
    a = submitted(job, trainer)
    assert db.session.get(Job, job.id).tasks_done == 1
    reason = "The post attacks a religion; the guideline calls that hate speech."
    review.reject(a.id, requester, reason)
    db.session.commit()
    stored = db.session.get(Assignment, a.id)
    assert stored.status == "rejected" and stored.review_reason == reason and stored.reviewer_id == requester.id
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id))
    assert reason in notice.body and "appeal" in notice.body
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "assignment.rejected"))
    assert event.reason == reason and event.subject_user_id == trainer.id
    task = db.session.scalar(sa.select(Task).where(Task.job_id == job.id))
    assert (task.holders, task.answers_done, task.is_open) == (0, 0, True)
    assert db.session.get(Job, job.id).tasks_done == 0
    other = make_trainer()
    assert services.claim_next(job, other)[0].task_id == task.id  # another trainer can answer it now


def test_an_answer_is_reviewed_once():
    requester = make_requester()
    job = make_open_job(requester, review_policy="requester")
    a = submitted(job)
    review.approve(a.id, requester)
    db.session.commit()
    with pytest.raises(Conflict):
        review.reject(a.id, requester, "Changed my mind about this answer.")
    with pytest.raises(Conflict):
        review.approve(a.id, requester)


def test_a_reserved_task_cannot_be_reviewed():
    requester = make_requester()
    job = make_open_job(requester, review_policy="requester")
    a = services.claim_next(job, make_trainer())[0]
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        review.approve(a.id, requester)
    assert "still being worked on" in refused.value.message


def test_only_the_jobs_requester_or_an_admin_reviews():
    requester = make_requester()
    job = make_open_job(requester, review_policy="requester")
    a = submitted(job)
    for outsider in (make_requester(), make_trainer()):
        with pytest.raises(DomainError) as refused:
            review.approve(a.id, outsider)
        assert refused.value.status == 404
    review.approve(a.id, make_admin())


def test_answers_are_approved_automatically_when_the_review_window_passes():
    job = make_open_job(tasks=3, review_policy="requester", review_window_hours=72)
    start = utcnow()
    early = submitted(job, now=start)
    late = submitted(job, now=start + timedelta(hours=10))
    assert periodic.auto_approve(start + timedelta(hours=71)) == 0
    assert periodic.auto_approve(start + timedelta(hours=72)) == 1
    db.session.commit()
    assert db.session.get(Assignment, early.id).status == "approved"
    assert db.session.get(Assignment, early.id).reviewer_id is None
    assert db.session.get(Assignment, late.id).status == "submitted"
    assert periodic.auto_approve(start + timedelta(hours=72)) == 0  # idempotent
    assert periodic.auto_approve(start + timedelta(hours=83)) == 1


def test_both_scheduled_jobs_are_in_the_schedule():
    ids = {job.id: job.func for job in SCHEDULE}
    assert ids["sweep_reservations"] == "marketplace.assignment.periodic:sweep_reservations"
    assert ids["auto_approve"] == "marketplace.assignment.periodic:auto_approve"


def test_a_rejected_answer_can_be_appealed_and_overturning_approves_it(client, login):
    from marketplace.moderation import appeals
    requester = make_requester()
    job = make_open_job(requester, tasks=1, overlap=1, review_policy="requester")
    trainer = make_trainer()
    a = submitted(job, trainer)
    review.reject(a.id, requester, "The post attacks a religion; the guideline calls that hate speech.")
    db.session.commit()
    login(trainer)
    page = client.get(f"/work/tasks/{a.id}").get_data(as_text=True)
    assert "appeal the decision" in page and f"/appeals/new/answer_rejection/{a.id}" in page
    appeal = appeals.file_appeal(trainer, "answer_rejection", a.id,
                                 "The post criticises a policy, not believers; the guideline's example 4 says so.")
    db.session.commit()
    admin = make_admin()
    appeals.decide_appeal(appeal, admin, outcome="overturned",
                          reason="Criticism of a policy is not hate speech under the guideline; the answer stands.")
    db.session.commit()
    stored = db.session.get(Assignment, a.id)
    assert stored.status == "approved" and stored.reviewer_id == admin.id
    task = db.session.scalar(sa.select(Task).where(Task.job_id == job.id))
    assert (task.holders, task.answers_done, task.is_open) == (1, 1, False)
    assert db.session.get(Job, job.id).tasks_done == 1
