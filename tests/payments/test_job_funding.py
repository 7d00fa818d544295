"""Job budgets in the ledger: publishing moves the budget into escrow, adding funds moves more (once per key)
and resumes a job paused for budget, closing returns unused escrow, and a job that cannot pay for another
hour pauses itself and tells its requester."""
import pytest
import sqlalchemy as sa

from marketplace.core.errors import Conflict
from marketplace.core.models import Notice
from marketplace.core.time import utcnow
from marketplace.core import events
from marketplace.jobs import services as jobs
from marketplace.jobs.models import Job
from marketplace.payments import job_funding, ledger
from marketplace.payments import services as money
from tests.factories import give_funds, make_job, make_trainer


def balances(job):
    return money.requester_available(job.requester), money.escrow_balance(job.id)


def fresh(db, job):
    db.session.expire_all()
    return db.session.get(Job, job.id)


def test_publishing_moves_the_budget_from_funds_to_escrow(db):
    job = make_job(tasks=3, budget_cents=40_000)
    give_funds(job.requester, 100_000)
    jobs.publish_job(job, job.requester)
    db.session.commit()
    assert balances(job) == (60_000, 40_000)
    assert fresh(db, job).status == "published"
    assert ledger.integrity_problems() == []


def test_a_budget_beyond_the_requesters_funds_is_refused_and_nothing_moves(db, client, login):
    job = make_job(tasks=3, budget_cents=40_000)
    give_funds(job.requester, 10_000)
    login(job.requester)
    page = client.post(f"/jobs/{job.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "Your available funds ($100.00) do not cover this job&#39;s budget ($400.00)" in page
    assert fresh(db, job).status == "draft" and balances(job) == (10_000, 0)


def test_adding_funds_moves_money_once_per_key_and_resumes_a_job_paused_for_budget(db):
    job = make_job(tasks=3, budget_cents=4_000, hourly_rate_cents=2000)
    give_funds(job.requester, 50_000)
    jobs.publish_job(job, job.requester)
    trainer = make_trainer()
    money.earn_from_escrow(job.id, trainer, 3_000, 1000, "earning-1")  # 1.5 hours of work paid, fee on top
    assert job_funding.pause_underfunded_jobs(utcnow()) == 1
    db.session.commit()
    job = fresh(db, job)
    assert (job.status, job.paused_reason) == ("paused", "budget")
    assert jobs.add_budget(job, job.requester, 10_000, "add-1") is True
    assert jobs.add_budget(job, job.requester, 10_000, "add-1") is False  # a retry moves nothing
    db.session.commit()
    job = fresh(db, job)
    assert job.status == "published" and job.budget_cents == 14_000
    assert balances(job) == (36_000, 10_700)  # 4,000 - (3,000 pay + 300 fee) + 10,000


def test_adding_more_than_the_funds_is_refused(db):
    job = make_job(tasks=3, status="published", budget_cents=4_000)
    give_funds(job.requester, 1_000)
    with pytest.raises(Conflict, match="do not cover this addition"):
        jobs.add_budget(job, job.requester, 5_000, "too-much")


def test_a_job_that_cannot_pay_another_hour_pauses_itself_once_and_tells_the_requester(db):
    job = make_job(tasks=3, budget_cents=5_000, hourly_rate_cents=2000)
    give_funds(job.requester, 5_000)
    jobs.publish_job(job, job.requester)
    money.earn_from_escrow(job.id, make_trainer(), 3_000, 1000, "earning-1")  # 3,000 pay + 300 fee
    db.session.commit()
    assert job_funding.pause_underfunded_jobs(utcnow()) == 1
    assert job_funding.pause_underfunded_jobs(utcnow()) == 0
    db.session.commit()
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == job.requester_id))
    # An hour costs the rate plus the 10% fee: $22.00, and $17.00 is left.
    assert "$17.00 left in escrow, less than one hour of work ($22.00)" in notice.body
    with pytest.raises(Conflict, match="cannot pay for another hour"):
        jobs.resume_job(fresh(db, job), job.requester)


def test_closing_returns_unused_escrow_less_work_still_to_be_approved(db, monkeypatch):
    job = make_job(tasks=3, budget_cents=40_000)
    give_funds(job.requester, 40_000)
    jobs.publish_job(job, job.requester)
    money.earn_from_escrow(job.id, make_trainer(), 10_000, 1000, "earning-1")  # 11,000 with the fee
    monkeypatch.setitem(events._subscribers, "job.escrow_holdback", [lambda job: 2_000])
    jobs.close_job(job, job.requester)
    db.session.commit()
    assert balances(job) == (27_000, 2_000)
    assert ledger.integrity_problems() == []


def test_budget_summary_shows_hours_bought_used_and_left(db, client, login):
    job = make_job(tasks=3, budget_cents=66_000, hourly_rate_cents=2000)  # an hour costs $22.00 with the fee
    give_funds(job.requester, 66_000)
    jobs.publish_job(job, job.requester)
    money.earn_from_escrow(job.id, make_trainer(), 45_000, 1000, "earning-1")  # 22.5 h: 45,000 + 4,500 fee
    db.session.commit()
    summary = job_funding.budget_summary(fresh(db, job))
    assert (summary.hours_bought, summary.hours_used, summary.hours_left) == (30.0, 22.5, 7.5)
    login(job.requester)
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "7.5 h</span> left of 30.0 h bought · 22.5 h used" in page
    assert "22.5 / 30.0 h" in client.get("/jobs/").get_data(as_text=True)
    from marketplace.accounts import tokens
    _, raw = tokens.create_token(job.requester, name="t", scopes=["jobs:read"])
    db.session.commit()
    progress = client.get(f"/api/v1/jobs/{job.id}/progress", headers={"Authorization": f"Bearer {raw}"}).json
    assert progress["budget"]["hours_left"] == 7.5 and progress["budget"]["escrow_cents"] == 16_500
