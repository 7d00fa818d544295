"""Weekly payroll: pay each trainer's payable balance through the payout outbox, once per trainer per week.

1. Read, set-based: every trainer with a non-zero payable balance (its guard row), their status and payout
   account; the week's worked hours (one aggregate over the sessions); who this week's payroll already handled.
2. Plan with the pure rules (pay/payroll.py): paid, or held with the reason the trainer reads (no ready payout
   account: told what to do, the money waits; below the minimum: carried over). Suspended trainers are paid.
3. Write, in batches, each batch one transaction: Payout rows (request key `payroll:<trainer>:<ISO week>`, unique)
   with their ledger reservations (payable -> pending), a pay statement per trainer (unique per week), notices
   for the held ones, audit rows. A second scheduler run or a restart mid-run finds the keys and statements
   and does nothing twice.
4. Send the payouts (each one its own transactions, send_payout); anything interrupted is finished by the
   money room's recovery job, looked up by key first.
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import NamedTuple
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, bulk, notices
from ..core.errors import DomainError
from ..core.time import week_start
from ..extensions import db
from ..pay import calculations, payroll, statements
from . import ledger, ledger_batch, payouts
from .models import LedgerAccount, Payout, PayoutAccount
from .provider import begin_write, currency, gateway

log = logging.getLogger(__name__)
BATCH = 2000


def payday(now: datetime) -> datetime:
    """This week's payday: PAYROLL_WEEKDAY (0 = Monday) at PAYROLL_HOUR_UTC."""
    config = current_app.config
    return week_start(now) + timedelta(days=config["PAYROLL_WEEKDAY"], hours=config["PAYROLL_HOUR_UTC"])


def weekly_payroll(now: datetime) -> int:
    """Scheduled hourly: from this week's payday on, pay last week's payroll (catching up after an outage or a
    restart; each trainer at most once per week). Returns how many payouts were made now."""
    if now < payday(now):
        return 0
    return len(run(now).payout_ids)


@dataclass
class PayrollResult:
    week: datetime
    payout_ids: list[int] = field(default_factory=list)
    held: int = 0
    skipped: int = 0  # already handled by an earlier run this week
    read_seconds: float = 0.0   # reading balances and the week's sessions, planning
    write_seconds: float = 0.0  # writing the outbox, statements, notices and audit rows (committed)


class Payee(NamedTuple):
    trainer_id: int
    payable_cents: int
    status: str
    email: str
    account_status: str | None
    destination: str | None
    is_live: bool


def payees() -> list[Payee]:
    """Every trainer whose payable balance is not zero, with what payroll needs to know (one query)."""
    rows = db.session.execute(
        sa.select(LedgerAccount.user_id, LedgerAccount.balance_cents, User.status, User.email, PayoutAccount.status,
                  PayoutAccount.stripe_account_id, PayoutAccount.is_live)
        .join(User, User.id == LedgerAccount.user_id)
        .outerjoin(PayoutAccount, PayoutAccount.user_id == LedgerAccount.user_id)
        .where(LedgerAccount.kind == ledger.TRAINER_PAYABLE, LedgerAccount.balance_cents != 0)).all()
    return [Payee(r[0], r[1], r[2], r[3], r[4], r[5], bool(r[6])) for r in rows]


def run(now: datetime, *, week: datetime | None = None, send: bool = True) -> PayrollResult:
    """Run (or resume) the payroll of the pay week before `now` (or `week`)."""
    started = time.perf_counter()
    week = week_start(week) if week is not None else calculations.payroll_week(now)
    name = calculations.iso_week_name(week)
    handled = statements.handled_trainers(week)
    people = {p.trainer_id: p for p in payees()}
    used = set(db.session.scalars(sa.select(Payout.request_key).where(Payout.request_key.like(f"payroll:%:{name}"))))
    result = PayrollResult(week, skipped=len(handled))
    plan = payroll.plan_payroll(
        [payroll.TrainerBalance(p.trainer_id, p.payable_cents, p.account_status == "ready",
                                is_suspended=p.status == "suspended", is_leaving=p.status == "deactivated")
         for p in people.values() if p.trainer_id not in handled],
        now, current_app.config["PAYOUT_MINIMUM_CENTS"], already_paid_keys=used, currency=currency(), week=week)
    worked = statements.week_seconds_by_trainer(week)
    run_id = uuid.uuid4().hex
    result.read_seconds = time.perf_counter() - started
    for start in range(0, max(len(plan.payouts), len(plan.held)), BATCH):
        paid = list(plan.payouts[start:start + BATCH])
        held = list(plan.held[start:start + BATCH])
        begin_write()  # SQLite: take the write lock before writing what was read (PostgreSQL: no-op)
        result.payout_ids += _write_batch(paid, held, people, worked, plan, now, run_id)
        result.held += len(held)
        db.session.commit()
    result.write_seconds = time.perf_counter() - started - result.read_seconds
    log.info("payroll %s: %d payouts, %d held, %d already handled", name, len(result.payout_ids), result.held,
             result.skipped)
    if send:
        # This run's payouts, and any an interrupted run reserved but never sent (the recovery job would too).
        unsent = set(db.session.scalars(sa.select(Payout.id).where(
            Payout.request_key.like(f"payroll:%:{name}"), Payout.status == "pending", Payout.attempts == 0)))
        gw = gateway()
        for payout_id in sorted(unsent | set(result.payout_ids)):
            payouts.send_payout(payout_id, gw, now=now)
    return result


def _write_batch(paid, held, people, worked, plan, now, run_id: str) -> list[int]:
    try:
        with db.session.begin_nested():
            created = _create_payouts(paid, people, plan.week_name, now)
    except (IntegrityError, DomainError) as exc:
        # A balance moved under us (an admin's manual payout at the same moment): pay this batch one by one.
        log.warning("payroll batch fell back to one payout at a time: %s", exc)
        created = _one_by_one(paid, people, plan.week_name)
    rows = [_statement(p.trainer_id, plan.week, "paid", p.amount_cents, worked, None, p.note, created.get(p.trainer_id),
                       now) for p in paid if p.trainer_id in created]
    rows += [_statement(h.trainer_id, plan.week, "held", h.amount_cents, worked, h.reason, h.message, None, now)
             for h in held]
    new = statements.record(rows, run_id)
    notices.notify_many([
        {"user_id": h.trainer_id, "email": people[h.trainer_id].email, "link": "/wallet/payout-account"
         if h.reason == payroll.ACCOUNT_NOT_READY else "/wallet",
         "subject": f"Payday {plan.week_name}: your money waits", "body": h.message}
        for h in held if h.trainer_id in new and h.reason != payroll.ALREADY_PAID], category="money")
    audit.record_many("pay.payroll_held", [
        {"subject_user": h.trainer_id, "reason": h.message, "data": {"amount_cents": h.amount_cents,
                                                                     "code": h.reason, "week": plan.week_name}}
        for h in held if h.trainer_id in new])
    return list(created.values())


def _statement(trainer_id, week, outcome, amount, worked, code, message, payout_id, now) -> dict:
    return {"trainer_id": trainer_id, "week_start": week, "outcome": outcome, "amount_cents": amount,
            "worked_seconds": worked.get(trainer_id, 0), "reason_code": code, "message": message or "",
            "payout_id": payout_id, "created_at": now}


def _create_payouts(paid, people, week_name: str, now: datetime) -> dict[int, int]:
    """Payout rows (the outbox) and their reservations for a batch; returns trainer id -> payout id for the
    payouts this run reserved. The request key is unique; the reservation's ledger key (payout:<id>:reserve)
    is the proof this run made the payout, so a concurrent run can neither pay nor count one twice."""
    if not paid:
        return {}
    bulk.insert_rows(Payout.__table__, [
        {"trainer_id": p.trainer_id, "amount_cents": p.amount_cents, "currency": currency().lower(),
         "status": "pending", "request_key": p.idempotency_key, "destination": people[p.trainer_id].destination,
         "reason": f"Weekly payroll {week_name}", "actor_id": None, "is_live": people[p.trainer_id].is_live,
         "attempts": 0, "next_attempt_at": now, "created_at": now} for p in paid],
        on_conflict_do_nothing=["request_key"])
    found = bulk.select_where_in([Payout.id, Payout.trainer_id, Payout.amount_cents], Payout.request_key,
                                 [p.idempotency_key for p in paid])
    posted = ledger_batch.post_many([
        ledger_batch.Posting(f"payout:{payout_id}:reserve",
                             {ledger.trainer_payable(trainer_id): -int(amount),
                              ledger.trainer_pending(trainer_id): int(amount)},
                             kind="payout_reserve", description=f"Payout #{payout_id} to your payout account",
                             data={"payout_id": payout_id})
        for payout_id, trainer_id, amount in found])
    created = {trainer_id: payout_id for payout_id, trainer_id, _ in found
               if f"payout:{payout_id}:reserve" in posted}
    amounts = {trainer_id: int(amount) for _, trainer_id, amount in found}
    audit.record_many("payments.payout_requested", [
        {"subject_user": trainer_id, "subject_type": "payouts", "subject_id": payout_id,
         "reason": f"Weekly payroll {week_name}", "data": {"amount_cents": amounts[trainer_id]}}
        for trainer_id, payout_id in created.items()])
    return created


def _one_by_one(paid, people, week_name: str) -> dict[int, int]:
    created = {}
    for planned in paid:
        trainer = db.session.get(User, planned.trainer_id)
        try:
            with db.session.begin_nested():
                payout = payouts.pay_trainer(trainer, actor=None, reason=f"Weekly payroll {week_name}",
                                             idempotency_key=planned.idempotency_key, currency=currency(),
                                             minimum_cents=0)
        except DomainError as exc:
            log.warning("payroll: trainer %s not paid this run: %s", planned.trainer_id, exc.message)
            continue
        if payout is not None:
            created[planned.trainer_id] = payout.id
    return created
