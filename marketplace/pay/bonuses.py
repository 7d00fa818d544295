"""Bonuses: a requester pays a trainer extra on a job, with a written reason the trainer reads; a retry never
pays twice (UNIQUE idempotency key here, and the same key on the ledger movement the payments room posts)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..assignment.models import Assignment
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.events import emit
from ..core.money import format_cents
from ..extensions import db
from ..jobs.models import Job
from . import policies
from .models import BONUS_SOURCES, Bonus, WorkSession

MIN_REASON_CHARS = 10


def trainers_on_job(job_id: int) -> list[User]:
    """Trainers who have worked on the job (a session or an assignment): the people a bonus can go to."""
    worked = sa.select(WorkSession.trainer_id).where(WorkSession.job_id == job_id).union(
        sa.select(Assignment.worker_id).where(Assignment.job_id == job_id))
    return list(db.session.scalars(sa.select(User).where(User.id.in_(worked)).order_by(User.display_name)))


def award(requester, job: Job, trainer_id: int, amount_cents: int, reason: str, source: str,
          idempotency_key: str, now: datetime) -> Bonus:
    """Pay a bonus to a trainer who worked on the requester's job, from the job's escrow or the requester's
    available funds.

    Rules: a written reason (the trainer reads it); an amount above zero and at most BONUS_MAX_CENTS; the same
    key returns the first bonus and pays nothing more (a different bonus under a used key is refused).
    Side effects: the Bonus row, and `bonus.awarded` (payments moves the money, audits it and tells the trainer).
    """
    if not policies.can_pay_bonus(requester, job):
        raise Forbidden("Only the job's requester can pay bonuses on it.")
    if not idempotency_key or len(idempotency_key) > 150:
        raise ValidationFailed("The form has expired; reload the page and try again.")
    existing = db.session.scalar(sa.select(Bonus).where(Bonus.idempotency_key == idempotency_key))
    if existing is not None:
        return _same(existing, requester, job, trainer_id, amount_cents)
    trainer = db.session.get(User, trainer_id)
    if trainer is None or trainer not in trainers_on_job(job.id):
        raise NotFound("Bonuses go to trainers who worked on this job; choose one from the list.")
    maximum = current_app.config["BONUS_MAX_CENTS"]
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or not 0 < amount_cents <= maximum:
        raise ValidationFailed(f"Enter an amount above zero and at most {format_cents(maximum)}.", field="amount",
                               errors={"amount": f"must be above zero and at most {format_cents(maximum)}"})
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationFailed(f"Write the reason for the bonus (at least {MIN_REASON_CHARS} characters); the "
                               "trainer reads it.", field="reason",
                               errors={"reason": f"must be at least {MIN_REASON_CHARS} characters"})
    if source not in BONUS_SOURCES:
        raise ValidationFailed("Pay the bonus from the job's escrow or from your funds.", field="source",
                               errors={"source": "must be escrow or funds"})
    bonus = Bonus(requester_id=requester.id, trainer_id=trainer.id, job_id=job.id, amount_cents=amount_cents,
                  source=source, reason=reason[:2000], idempotency_key=idempotency_key, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(bonus)
            db.session.flush()
    except IntegrityError:  # the same form sent twice at once: the first one pays
        existing = db.session.scalar(sa.select(Bonus).where(Bonus.idempotency_key == idempotency_key))
        return _same(existing, requester, job, trainer_id, amount_cents)
    emit("bonus.awarded", bonus=bonus, requester=requester, trainer=trainer, job=job)
    return bonus


def _same(existing: Bonus, requester, job: Job, trainer_id: int, amount_cents: int) -> Bonus:
    if (existing.requester_id, existing.job_id, existing.trainer_id, existing.amount_cents) != (
            requester.id, job.id, trainer_id, amount_cents):
        raise Conflict("This bonus form was already used for another bonus; nothing was paid. Reload the page.")
    return existing


def for_job(job_id: int) -> list[Bonus]:
    return list(db.session.scalars(sa.select(Bonus).where(Bonus.job_id == job_id).order_by(Bonus.id.desc())))


def for_trainer(trainer_id: int) -> list[Bonus]:
    return list(db.session.scalars(sa.select(Bonus).where(Bonus.trainer_id == trainer_id).order_by(Bonus.id.desc())))
