"""The budget guarantee: a session starts only when the job's escrow covers it until the next check.

The escrow balance lives in the payments room, above this one. The pay room asks for it with the in-transaction
event `escrow.balance` (job_id=...): payments/subscribers.py answers with the balance in cents. Without an
answer (no money room installed) the escrow counts as empty, so nothing starts unpaid.

What the escrow must cover ("committed"): recorded time not yet settled (at the job's rate plus the platform fee),
plus one reserve (calculations.session_reserve_cents over BUDGET_CHECK_SECONDS) for every trainer who holds a
task of the job or has a session open on it, so a task in hand can always be finished and paid.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from ..assignment import states as assignment_states
from ..assignment.models import Assignment
from ..core.events import emit
from ..core.money import fee_cents, pay_for_seconds
from ..extensions import db, execute
from ..jobs import services as jobs
from ..jobs import states as job_states
from ..jobs.models import Job
from . import calculations
from .models import UNRESOLVED, SessionDispute, Timesheet, WorkSession


def escrow_cents(job_id: int) -> int:
    """The job's escrow balance, from whichever room answers `escrow.balance` (0 when none does)."""
    for answer in emit("escrow.balance", job_id=job_id):
        if answer is not None:
            return int(answer)
    return 0


def fee_bps() -> int:
    return current_app.config["PLATFORM_FEE_BASIS_POINTS"]


def cost_cents(rate_cents: int, seconds: int, fee_basis_points: int) -> int:
    """What `seconds` of work cost the requester: pay rounded once, plus the fee on it."""
    pay = pay_for_seconds(rate_cents, seconds)
    return pay + fee_cents(pay, fee_basis_points)


def reserve_cents(job: Job) -> int:
    return calculations.session_reserve_cents(job.hourly_rate_cents, current_app.config["BUDGET_CHECK_SECONDS"],
                                              fee_bps())


_UNSETTLED = (
    sa.select(Timesheet.fee_basis_points, Timesheet.settled_pay_cents, Timesheet.settled_fee_cents,
              sa.func.coalesce(sa.func.sum(WorkSession.seconds), 0))
    .join(WorkSession, WorkSession.timesheet_id == Timesheet.id)
    .where(Timesheet.job_id == sa.bindparam("job_id"),
           sa.or_(Timesheet.status != "approved",
                  sa.exists().where(SessionDispute.timesheet_id == Timesheet.id, SessionDispute.status.in_(UNRESOLVED))))
    .group_by(Timesheet.id, Timesheet.fee_basis_points, Timesheet.settled_pay_cents, Timesheet.settled_fee_cents))

_HOLDING = sa.union(
    sa.select(Assignment.worker_id).where(Assignment.job_id == sa.bindparam("job_id"),
                                          Assignment.status == assignment_states.RESERVED,
                                          Assignment.expires_at > sa.bindparam("now")),
    sa.select(WorkSession.trainer_id).where(WorkSession.job_id == sa.bindparam("job_id"),
                                            WorkSession.closed_at.is_(None)))


def unsettled_cents(job: Job) -> int:
    """Recorded time on the job that has not left escrow yet: timesheets not approved, and approved ones with a
    dispute still open (counted in full until it is decided)."""
    rows = execute(_UNSETTLED, {"job_id": job.id}).all()  # built once: read at every claim
    total = 0
    for bps, settled_pay, settled_fee, seconds in rows:
        total += max(0, cost_cents(job.hourly_rate_cents, int(seconds), bps) - settled_pay - settled_fee)
    return total


def trainers_holding(job: Job, now: datetime) -> set[int]:
    """Trainers with a live reservation or an open session on the job: each holds one reserve."""
    return set(execute(_HOLDING, {"job_id": job.id, "now": now}).scalars())  # built once: every claim


@dataclass(frozen=True)
class BudgetState:
    escrow_cents: int
    committed_cents: int   # unsettled time + reserves of the trainers already holding work
    reserve_cents: int     # what one more session needs until the next check

    @property
    def available_cents(self) -> int:
        return self.escrow_cents - self.committed_cents

    @property
    def can_start_another(self) -> bool:
        return self.available_cents >= self.reserve_cents


def budget_state(job: Job, now: datetime, *, without_trainer: int | None = None,
                 holders: set[int] | None = None) -> BudgetState:
    """The job's escrow against what is committed; `without_trainer` leaves out that trainer's own reserve
    (they are the one asking to start, so their reserve is the one being checked). `holders`: trainers_holding
    when the caller has just read it (the claim path)."""
    holders = set(trainers_holding(job, now) if holders is None else holders)
    holders.discard(without_trainer)
    reserve = reserve_cents(job)
    return BudgetState(escrow_cents(job.id), unsettled_cents(job) + reserve * len(holders), reserve)


def can_start(job: Job, trainer_id: int, now: datetime, *, holders: set[int] | None = None) -> bool:
    """calculations.can_start_session over the database facts (the trainer's own reserve left out)."""
    state = budget_state(job, now, without_trainer=trainer_id, holders=holders)
    return calculations.can_start_session(state.escrow_cents, job.hourly_rate_cents,
                                          current_app.config["BUDGET_CHECK_SECONDS"], state.committed_cents,
                                          fee_basis_points=fee_bps())


def pause_if_low(job: Job, now: datetime) -> bool:
    """Pause a published job (new claims stop; tasks in hand are finished and paid) when its escrow could not
    start one more session. Returns True when it paused the job now. The requester is told why."""
    if job.status != job_states.PUBLISHED:
        return False
    state = budget_state(job, now)
    if state.can_start_another:
        return False
    return jobs.pause_for_budget(job, escrow_cents=max(0, state.available_cents))


def budget_message(job: Job) -> str:
    return (f"The budget of “{job.title}” cannot pay for more work right now, so it is paused and no new session "
            "can start. Nobody works unpaid: the requester has been told to add funds. Any task you already hold "
            "can still be finished, and that time is paid.")


def check_budgets(now: datetime) -> int:
    """Pause every published job whose escrow cannot start one more session (scheduled). Returns how many."""
    paused = 0
    for job in db.session.scalars(sa.select(Job).where(Job.status == job_states.PUBLISHED).order_by(Job.id)):
        paused += pause_if_low(job, now)
    return paused
