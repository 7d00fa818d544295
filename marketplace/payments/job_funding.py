"""Job budgets in escrow: the payments side of the jobs room's events, budgets as hours, and the check that
pauses a job whose escrow can no longer pay for an hour of work.

The jobs room announces `job.published`, `job.resumed`, `job.closed` and `job.budget_added` in the caller's
transaction (core/events.py); these subscribers move the money in that same transaction, so a refusal here
(not enough funds) leaves the job exactly as it was. Every movement has a stable idempotency key.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from ..core import audit, events
from ..core.errors import Conflict
from ..core.money import format_cents
from ..extensions import db
from ..jobs import services as jobs
from ..jobs import states
from ..jobs.budget import BudgetSummary
from ..jobs.models import Job
from . import ledger
from . import services as money

log = logging.getLogger(__name__)


def publish_key(job_id: int) -> str:
    return f"job:{job_id}:publish"


def close_key(job_id: int) -> str:
    return f"job:{job_id}:close"


def _check_available(job: Job, needed: int, what: str) -> None:
    available = money.requester_available(job.requester)
    if available < needed:
        raise Conflict(f"Your available funds ({format_cents(available)}) do not cover {what} "
                       f"({format_cents(needed)}). Add funds on the Funds page first.", code="insufficient_funds")


@events.subscribe("job.published")
def fund_on_publish(job: Job, actor) -> None:
    """Publishing moves the whole budget from the requester's funds into the job's escrow."""
    _check_available(job, job.budget_cents, "this job's budget")
    money.fund_job_escrow(job.requester, job.id, job.budget_cents, publish_key(job.id),
                          description=f"Budget for “{job.title}” moved into escrow")


@events.subscribe("job.budget_added")
def fund_addition(job: Job, actor, amount_cents: int, idempotency_key: str) -> bool:
    """More budget for a live job, once per key; returns False when this key already moved the money."""
    key = f"job:{job.id}:budget:{idempotency_key}"[:200]
    if ledger.find(key) is not None:
        return False
    _check_available(job, amount_cents, "this addition")
    money.fund_job_escrow(job.requester, job.id, amount_cents, key,
                          description=f"More budget for “{job.title}” moved into escrow")
    return True


@events.subscribe("job.resumed")
def refuse_unfunded_resume(job: Job, actor) -> None:
    """A job resumes only when its escrow pays for at least one more hour of work."""
    escrow, per_hour = money.escrow_balance(job.id), jobs.cost_per_hour(job)
    if escrow < per_hour:
        raise Conflict(f"The job's escrow ({format_cents(escrow)}) cannot pay for another hour of work "
                       f"({format_cents(per_hour)}). Add funds to the job: it resumes by itself.",
                       code="insufficient_escrow")


@events.subscribe("job.closed")
def return_unused_escrow(job: Job, actor) -> int:
    """Closing returns the escrow to the requester, less what rooms above report as owed for work already done
    (`job.escrow_holdback`: e.g. time recorded but not yet approved); that part is settled when approved."""
    escrow = money.escrow_balance(job.id)
    held = sum(amount or 0 for amount in events.emit("job.escrow_holdback", job=job))
    amount = max(0, escrow - held)
    if amount:
        money.release_job_escrow(job.requester, job.id, close_key(job.id), amount,
                                 description=f"Unused budget of “{job.title}” returned")
        audit.record("payments.job_escrow_returned", actor=actor, subject=job, subject_user=job.requester_id,
                     reason=f"Job closed: {format_cents(amount)} of unused escrow returned to the requester's funds.",
                     data={"amount_cents": amount, "held_back_cents": held})
    return amount


def budget_summary(job: Job) -> BudgetSummary:
    """The job's money as hours: bought (everything moved into escrow), used, and left."""
    funded = job.budget_cents if job.published_at else 0
    return BudgetSummary(funded_cents=funded, escrow_cents=money.escrow_balance(job.id),
                         per_hour_cents=jobs.cost_per_hour(job))


def check_job_budget(job: Job) -> bool:
    """Pause a published job whose escrow cannot pay for another hour (the requester is told); True if paused.

    Called after money leaves a job's escrow, and every few minutes by the scheduler as a safety net.
    """
    if job.status != states.PUBLISHED:
        return False
    escrow = money.escrow_balance(job.id)
    if escrow >= jobs.cost_per_hour(job):
        return False
    return jobs.pause_for_budget(job, escrow_cents=escrow)


def pause_underfunded_jobs(now) -> int:
    """Scheduled body: pause every published job that can no longer pay for an hour of work."""
    paused = 0
    for job_id in list(db.session.scalars(sa.select(Job.id).where(Job.status == states.PUBLISHED))):
        job = db.session.get(Job, job_id)
        try:
            with db.session.begin_nested():
                paused += check_job_budget(job)
        except Conflict:  # the job changed meanwhile (someone paused or closed it): nothing to do
            log.info("job %s changed while checking its budget", job_id)
    return paused
