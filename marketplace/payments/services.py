"""Money verbs other rooms call: escrow, earnings, onboarding pay, bonuses, and the balances people see.

Every verb takes an idempotency key (a retry never moves money twice), writes through ledger.post in the
caller's transaction and never commits. A guarded balance that would go negative raises InsufficientFunds.
Payouts (pay_trainer) live in payouts.py; top-ups and refunds in topups.py and refunds.py.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..core import audit, notices
from ..core.errors import Forbidden, ValidationFailed
from ..core.money import fee_cents, format_cents
from ..extensions import db
from ..jobs.models import Job
from . import ledger
from .models import LedgerAccount, LedgerTransaction


def _positive(amount_cents: int, field: str = "amount") -> int:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise ValueError(f"amounts are integer cents, got {amount_cents!r}")
    if amount_cents <= 0:
        raise ValidationFailed("Enter an amount above zero.", field=field, errors={field: "Enter an amount above zero."})
    return amount_cents


def _escrow_owner(job_id: int) -> int | None:
    return db.session.scalar(sa.select(LedgerAccount.user_id).where(LedgerAccount.name == ledger.job_escrow(job_id)))


def fund_job_escrow(requester, job_id: int, amount_cents: int, idempotency_key: str, *,
                    description: str | None = None) -> LedgerTransaction:
    """Move money from the requester's available funds into the job's escrow.

    Rule: only the requester who first funded a job adds to its escrow; funds cannot go negative.
    """
    _positive(amount_cents)
    owner = _escrow_owner(job_id)
    if owner is not None and owner != requester.id:
        raise Forbidden("This job's escrow belongs to another requester.")
    ledger.ensure_account(ledger.job_escrow(job_id), user_id=requester.id)
    return ledger.post(idempotency_key, {ledger.requester_funds(requester.id): -amount_cents,
                                         ledger.job_escrow(job_id): amount_cents},
                       kind="escrow_fund", actor=requester, data={"job_id": job_id},
                       description=description or f"Budget moved into escrow for job #{job_id}")


def release_job_escrow(requester, job_id: int, idempotency_key: str, amount_cents: int | None = None, *,
                       description: str | None = None) -> LedgerTransaction | None:
    """Return unused escrow to the requester's available funds: all of it when `amount_cents` is None.

    Returns None when there was nothing to return; that writes nothing, so the key stays unused. A retry with
    the key of a movement that was made returns that movement and moves nothing more.
    """
    already = ledger.find(idempotency_key)
    if already is not None:
        return already
    owner = _escrow_owner(job_id)
    if owner is not None and owner != requester.id:
        raise Forbidden("This job's escrow belongs to another requester.")
    amount = escrow_balance(job_id) if amount_cents is None else _positive(amount_cents)
    if amount == 0:
        return None
    return ledger.post(idempotency_key, {ledger.job_escrow(job_id): -amount,
                                         ledger.requester_funds(requester.id): amount},
                       kind="escrow_release", actor=requester, data={"job_id": job_id},
                       description=description or f"Unused budget returned from job #{job_id}")


def earn_from_escrow(job_id: int, trainer, pay_cents: int, fee_bps: int, idempotency_key: str, *,
                     actor=None, description: str | None = None) -> LedgerTransaction:
    """Pay approved work out of a job's escrow, the platform fee ON TOP (as pay/calculations.py and
    jobs/budget.py): the trainer's payable gets `pay_cents` (the work's value at the job's rate, so never less
    than the pay floor), platform_fees gets `fee_bps` basis points of it (core.money.fee_cents), and the escrow
    pays both. Refused (InsufficientFunds, nothing written) when the escrow cannot cover pay plus fee.
    """
    _positive(pay_cents)
    if not 0 <= fee_bps <= 10_000:
        raise ValueError("fee_bps must be between 0 and 10000")
    fee = fee_cents(pay_cents, fee_bps)
    entries = {ledger.job_escrow(job_id): -(pay_cents + fee), ledger.trainer_payable(trainer.id): pay_cents}
    if fee:
        entries[ledger.PLATFORM_FEES] = fee
    return ledger.post(idempotency_key, entries, kind="earning", actor=actor,
                       data={"job_id": job_id, "trainer_id": trainer.id, "gross_cents": pay_cents + fee,
                             "pay_cents": pay_cents, "fee_cents": fee},
                       description=description or f"Earnings from job #{job_id}")


def pay_onboarding(trainer, amount_cents: int, idempotency_key: str, *,
                   description: str | None = None) -> LedgerTransaction:
    """Pay assessment time from the platform (onboarding_cost) into the trainer's payable, pass or fail."""
    _positive(amount_cents)
    return ledger.post(idempotency_key, {ledger.ONBOARDING_COST: -amount_cents,
                                         ledger.trainer_payable(trainer.id): amount_cents},
                       kind="onboarding_pay", data={"trainer_id": trainer.id},
                       description=description or "Paid assessment time")


def _job_title(job_id: int) -> str:
    job = db.session.get(Job, job_id)
    return job.title if job is not None else f"job #{job_id}"


def pay_bonus(payer, trainer, amount_cents: int, reason: str, idempotency_key: str, *,
              job_id: int | None = None) -> LedgerTransaction:
    """A requester pays a trainer a bonus, from a job's escrow (job_id) or from available funds.

    Rule: a written reason the trainer reads. Side effects: audit row and a notice to the trainer (only the
    first time: a retry with the same key changes nothing).
    """
    _positive(amount_cents)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ValidationFailed("Write the reason for the bonus; the trainer reads it.", field="reason",
                               errors={"reason": "Write the reason for the bonus; the trainer reads it."})
    if job_id is not None:
        owner = _escrow_owner(job_id)
        if owner is not None and owner != payer.id:
            raise Forbidden("This job's escrow belongs to another requester.")
        source = ledger.job_escrow(job_id)
    else:
        source = ledger.requester_funds(payer.id)
    txn, created = ledger.post_once(idempotency_key, {source: -amount_cents, ledger.trainer_payable(trainer.id): amount_cents},
                      kind="bonus", actor=payer, data={"job_id": job_id, "trainer_id": trainer.id, "reason": reason},
                      description=f"Bonus from {payer.display_name} to {trainer.display_name}"
                      + (f" on “{_job_title(job_id)}”" if job_id else "") + f": {reason}")
    if created:
        audit.record("payments.bonus_paid", actor=payer, subject_user=trainer, reason=reason,
                     data={"amount_cents": amount_cents, "job_id": job_id})
        notices.notify(trainer, f"You received a bonus of {format_cents(amount_cents)}",
                       f"{payer.display_name} paid you a bonus of {format_cents(amount_cents)}. Their reason: {reason}",
                       category="money")
    return txn


# --- balances --------------------------------------------------------------------------------

def escrow_balance(job_id: int) -> int:
    return ledger.balance(ledger.job_escrow(job_id))


def requester_available(requester) -> int:
    """Money the requester can spend on jobs now (not in escrow, not being refunded)."""
    return ledger.balance(ledger.requester_funds(requester.id))


def requester_in_escrow(requester) -> int:
    """Money the requester has put into their jobs' escrow and not yet spent or taken back."""
    return ledger.total_of_kind(ledger.JOB_ESCROW, user_id=requester.id)


@dataclass(frozen=True)
class TrainerBalances:
    payable: int  # earned, waiting for the next payout
    pending: int  # in a payout whose transfer is not yet confirmed
    paid_out: int  # sent to the trainer's payout account

    @property
    def earned(self) -> int:
        return self.payable + self.pending + self.paid_out


def trainer_balances(trainer) -> TrainerBalances:
    found = ledger.balances([ledger.trainer_payable(trainer.id), ledger.trainer_pending(trainer.id),
                             ledger.trainer_paid_out(trainer.id)])
    return TrainerBalances(payable=found[ledger.trainer_payable(trainer.id)],
                           pending=found[ledger.trainer_pending(trainer.id)],
                           paid_out=found[ledger.trainer_paid_out(trainer.id)])
