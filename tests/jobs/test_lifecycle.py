"""Publishing, pausing, resuming, closing and adding funds: each change announces itself to the payments
room in the same transaction, so a refusal there leaves the job exactly as it was."""
import pytest
import sqlalchemy as sa

from marketplace.core.errors import Conflict, ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from marketplace.jobs import services
from marketplace.jobs.models import Job, Task
from tests.factories import make_job


def fresh(db, job):
    db.session.expire_all()
    return db.session.get(Job, job.id)


def test_publishing_needs_tasks_a_funded_hour_and_the_pay_floor(db, fake_money):
    job = make_job(budget_cents=10_000)
    with pytest.raises(Conflict, match="Add tasks before publishing"):
        services.publish_job(job, job.requester)
    job = make_job(tasks=2, budget_cents=2199, hourly_rate_cents=2000)  # an hour costs $20.00 + the 10% fee
    with pytest.raises(ValidationFailed, match=r"at least one hour of work \(\$22.00"):
        services.publish_job(job, job.requester)
    job = make_job(tasks=2, hourly_rate_cents=1000)
    with pytest.raises(ValidationFailed, match="under the platform minimum"):
        services.publish_job(job, job.requester)
    assert fake_money.calls == []


def test_publish_moves_the_budget_to_escrow_in_the_same_transaction(db, fake_money):
    job = make_job(tasks=2, budget_cents=10_000)
    fake_money.funds[job.requester_id] = 25_000
    services.publish_job(job, job.requester)
    db.session.commit()
    assert fresh(db, job).status == "published" and fresh(db, job).published_at is not None
    assert fake_money.escrow[job.id] == 10_000 and fake_money.funds[job.requester_id] == 15_000
    # The decision reads as money in the audit log and the requester's record, not as a count of cents.
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "jobs.published"))
    assert event.reason == "Published with a budget of $100.00."


def test_budget_beyond_the_requesters_funds_leaves_the_job_a_draft(db, client, login, fake_money):
    job = make_job(tasks=2, budget_cents=10_000)
    fake_money.funds[job.requester_id] = 500
    login(job.requester)
    response = client.post(f"/jobs/{job.id}/publish", follow_redirects=True)
    assert "Your funds do not cover this job&#39;s budget." in response.get_data(as_text=True)
    assert fresh(db, job).status == "draft" and fresh(db, job).published_at is None


def test_without_the_payments_room_nothing_can_be_published(db, no_money):
    job = make_job(tasks=2)
    with pytest.raises(Conflict, match="trainers must never work on an unfunded job"):
        services.publish_job(job, job.requester)
    services.close_job(job, job.requester)  # a draft holds no money, so it can still be closed
    assert job.status == "closed"


def test_pause_resume_and_close_through_the_pages(db, client, login, fake_money):
    job = make_job(tasks=3, status="published")
    fake_money.escrow[job.id] = 10_000
    login(job.requester)
    client.post(f"/jobs/{job.id}/pause")
    assert fresh(db, job).status == "paused" and fresh(db, job).paused_reason == "requester"
    client.post(f"/jobs/{job.id}/resume")
    assert fresh(db, job).status == "published" and fresh(db, job).paused_reason is None
    client.post(f"/jobs/{job.id}/close")
    assert fresh(db, job).status == "closed" and ("closed", job.id) in fake_money.calls
    assert fake_money.funds[job.requester_id] == 10_000  # unused escrow returned
    assert db.session.scalar(sa.select(sa.func.count(Task.id)).where(Task.is_open.is_(True))) == 0
    response = client.post(f"/jobs/{job.id}/resume", follow_redirects=True)
    assert "A closed job cannot be reopened" in response.get_data(as_text=True)


def test_resume_is_refused_when_the_escrow_cannot_pay_another_hour(db, fake_money):
    job = make_job(tasks=3, status="paused", paused_reason="requester")
    fake_money.escrow[job.id] = 100
    with pytest.raises(Conflict, match="another hour"):
        services.resume_job(job, job.requester)
    db.session.rollback()
    assert fresh(db, job).status == "paused"


def test_a_job_out_of_budget_pauses_itself_tells_the_requester_and_resumes_when_funds_are_added(db, fake_money):
    job = make_job(tasks=3, status="published", budget_cents=10_000)
    assert services.pause_for_budget(job, escrow_cents=500)
    db.session.commit()
    job = fresh(db, job)
    assert (job.status, job.paused_reason) == ("paused", "budget")
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == job.requester_id))
    assert "paused" in notice.subject and "$5.00 left in escrow" in notice.body and "Add funds" in notice.body
    fake_money.escrow[job.id] = 500
    assert services.add_budget(job, job.requester, 5_000, "key-1") is True
    db.session.commit()
    job = fresh(db, job)
    assert job.status == "published" and job.budget_cents == 15_000


def test_adding_too_little_keeps_the_money_and_the_pause(db, fake_money):
    job = make_job(tasks=3, status="paused", paused_reason="budget", budget_cents=10_000, hourly_rate_cents=2000)
    assert services.add_budget(job, job.requester, 100, "small") is False
    db.session.commit()
    job = fresh(db, job)
    assert job.status == "paused" and job.budget_cents == 10_100 and fake_money.escrow[job.id] == 100


def test_adding_funds_twice_with_one_key_adds_once(db, client, login, fake_money):
    job = make_job(tasks=3, status="published", budget_cents=10_000)
    login(job.requester)
    for _ in range(2):
        client.post(f"/jobs/{job.id}/add-funds", data={"amount": "50.00", "idempotency_key": "form-key-123"})
    assert fresh(db, job).budget_cents == 15_000 and fake_money.escrow[job.id] == 5_000


def test_budget_cannot_be_edited_after_publishing_only_added(db, fake_money):
    job = make_job(tasks=1, status="published")
    with pytest.raises(Conflict, match="adding funds"):
        services.update_job(job, job.requester, {"budget_cents": 99_999})


def test_two_tabs_cannot_both_move_a_job(db, fake_money):
    job = make_job(tasks=1, status="published")
    stale = db.session.get(Job, job.id)
    db.session.execute(sa.update(Job).where(Job.id == job.id).values(status="paused", paused_reason="requester"))
    with pytest.raises(Conflict):
        services.pause_job(stale, job.requester)
