"""Payouts: a trainer's payable balance sent by Connect transfer, exactly once, through an outbox.

1. pay_trainer (a service; the caller commits): the Payout row and its ledger reservation
   (trainer_payable -> trainer_pending) are committed before Stripe hears of it.
2. send_payout: claims the payout (committed), creates the transfer with idempotency key `payout:<id>`, and
   records the result (trainer_pending -> trainer_paid_out). A lost reply leaves the payout pending.
3. recover_payouts (scheduled): finishes pending payouts whose sender died or failed, first looking for a
   transfer already made under the key (find_transfer_by_key), so a crash at any point ends in one transfer.
Never Stripe's payouts API: Stripe pays connected accounts out to their banks on its own schedule.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, DomainError, ValidationFailed
from ..core.money import format_cents
from ..core.time import utcnow
from ..extensions import db
from . import ledger
from .freezes import payouts_frozen
from .gateway import GatewayError, PaymentGateway, TransferResult
from .models import Payout
from .payout_accounts import payout_account_of, readiness
from .payout_accounts import refresh as refresh_account
from .provider import begin_write, setting
from .provider import currency as config_currency

log = logging.getLogger(__name__)
LOCK_SECONDS = 300  # longer than the gateway's timeout x retries, so a live sender is never overtaken
RETRY_BACKOFF = (60, 300, 900, 3600)  # seconds before retrying after a gateway outage
# Stripe refusals that pass with time: the platform's available balance is short (card payments settle
# after a few days). The payout waits and is retried; it is not failed back to the trainer.
RETRY_LATER_CODES = {"balance_insufficient"}


class PayoutAccountNotReady(DomainError):
    code = "payout_account_not_ready"
    status = 409


def pay_trainer(trainer, amount_cents: int | None = None, *, actor, reason: str, idempotency_key: str,
                currency: str | None = None, minimum_cents: int = 0) -> Payout | None:
    """Reserve a payout of the trainer's payable balance (all of it when `amount_cents` is None).

    Rules: the trainer needs a ready payout account (else PayoutAccountNotReady says why; the money stays in
    payable); an amount larger than payable raises InsufficientFunds; with amount None, a balance below
    `minimum_cents` pays nothing and returns None. Suspended trainers are paid what they earned. The same key
    returns the same payout. Side effects: Payout row, ledger reservation, audit row. The caller commits, then
    calls send_payout(payout.id).
    """
    existing = _by_key(idempotency_key)
    if existing is not None:
        return _same_request(existing, trainer, amount_cents)
    ready, why = readiness(trainer)
    if not ready:
        raise PayoutAccountNotReady(why)
    if amount_cents is None:
        amount = ledger.balance(ledger.trainer_payable(trainer.id))
        if amount <= 0 or amount < minimum_cents:
            return None
    else:
        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
            raise ValueError(f"amounts are integer cents, got {amount_cents!r}")
        if amount_cents <= 0:
            raise ValidationFailed("Enter an amount above zero.", field="amount",
                                   errors={"amount": "Enter an amount above zero."})
        amount = amount_cents
    account = payout_account_of(trainer)
    payout = Payout(trainer_id=trainer.id, amount_cents=amount, currency=(currency or config_currency()).lower(),
                    request_key=idempotency_key, destination=account.stripe_account_id, reason=reason or "",
                    actor_id=getattr(actor, "id", actor), is_live=account.is_live, created_at=utcnow(),
                    next_attempt_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(payout)
            db.session.flush()  # a concurrent twin with the same key waits here, then fails on the unique key
            ledger.post(f"payout:{payout.id}:reserve", {ledger.trainer_payable(trainer.id): -amount,
                                                         ledger.trainer_pending(trainer.id): amount},
                        kind="payout_reserve", actor=actor, data={"payout_id": payout.id},
                        description=f"Payout #{payout.id} to your payout account")
    except IntegrityError:
        existing = _by_key(idempotency_key)
        if existing is None:
            raise
        return _same_request(existing, trainer, amount_cents)
    audit.record("payments.payout_requested", actor=actor, subject_user=trainer, subject=payout, reason=reason or "",
                 data={"amount_cents": amount})
    return payout


def request_payout(trainer, amount_cents: int | None = None, *, actor, reason: str, idempotency_key: str,
                   gateway: PaymentGateway) -> Payout | None:
    """Reserve, commit and send a payout in one call, for scheduled bodies and CLI commands (the weekly payroll).

    Owns its transactions. With amount None the whole payable balance is paid if it reaches
    PAYOUT_MINIMUM_CENTS (else None: it waits for next time). A payout account Stripe has enabled since we last
    looked is refreshed first. Raises PayoutAccountNotReady (nothing reserved) so the caller can tell the trainer.
    """
    account = payout_account_of(trainer)
    if account is not None and not account.is_ready:
        try:
            refresh_account(account, gateway)
            db.session.commit()
        except GatewayError:
            db.session.rollback()
    begin_write()
    minimum = setting("PAYOUT_MINIMUM_CENTS", 0) if amount_cents is None else 0
    try:
        payout = pay_trainer(trainer, amount_cents, actor=actor, reason=reason, idempotency_key=idempotency_key,
                             minimum_cents=minimum)
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    if payout is None:
        return None
    return send_payout(payout.id, gateway)


def _by_key(key: str) -> Payout | None:
    return db.session.scalar(sa.select(Payout).where(Payout.request_key == key))


def _same_request(existing: Payout, trainer, amount_cents: int | None) -> Payout:
    if existing.trainer_id != trainer.id or (amount_cents is not None and amount_cents != existing.amount_cents):
        raise Conflict("This payout request was already made with other details; nothing was changed.")
    return existing


def send_payout(payout_id: int, gateway: PaymentGateway, *, now: datetime | None = None,
                look_first: bool = False) -> Payout | None:
    """Send one reserved payout. Owns its transactions (like the e-mail sender): the claim is committed before
    the Stripe call and the outcome after it. Does nothing while payouts are frozen or another sender holds it.

    `look_first` (recovery) asks Stripe for a transfer already made under the key before creating one.
    """
    now = now or utcnow()
    begin_write()
    if payouts_frozen():
        db.session.commit()  # release SQLite's write lock: nothing to send
        return db.session.get(Payout, payout_id)
    claimed = db.session.execute(
        sa.update(Payout).where(Payout.id == payout_id, Payout.status == "pending",
                                sa.or_(Payout.locked_until.is_(None), Payout.locked_until < now))
        .values(locked_until=now + timedelta(seconds=LOCK_SECONDS), attempts=Payout.attempts + 1)).rowcount
    db.session.commit()
    payout = db.session.get(Payout, payout_id)
    if not claimed:
        return payout
    key = payout.transfer_key
    try:
        transfer = gateway.find_transfer_by_key(key, destination=payout.destination) if look_first else None
        transfer = transfer or gateway.create_transfer(
            payout.amount_cents, payout.currency, payout.destination, key,
            metadata={"payout_id": payout.id, "trainer_id": payout.trainer_id})
    except GatewayError as exc:
        log.warning("payout %s: %s (%s)", payout.id, exc.message, exc.detail)
        begin_write()
        if exc.retryable or exc.code in RETRY_LATER_CODES:
            # The transfer may or may not exist: recovery looks it up before trying again.
            _note_retry(payout, exc.message, now)
        else:
            found = _find_quietly(gateway, key, payout.destination)
            if found is not None:
                record_transfer(payout, found, now=now)
            else:
                fail_payout(payout, exc.message, now=now)
        db.session.commit()
        return payout
    begin_write()
    record_transfer(payout, transfer, now=now)
    db.session.commit()
    return payout


def _find_quietly(gateway: PaymentGateway, key: str, destination: str) -> TransferResult | None:
    try:
        return gateway.find_transfer_by_key(key, destination=destination)
    except GatewayError:
        return None


def _note_retry(payout: Payout, message: str, now: datetime) -> None:
    wait = RETRY_BACKOFF[min(payout.attempts, len(RETRY_BACKOFF)) - 1]
    db.session.execute(sa.update(Payout).where(Payout.id == payout.id, Payout.status == "pending")
                       .values(last_error=message[:500], locked_until=None,
                               next_attempt_at=now + timedelta(seconds=wait)))


def record_transfer(payout: Payout, transfer: TransferResult, *, now: datetime | None = None) -> bool:
    """Record that Stripe made the payout's transfer (from the call, recovery or a webhook); True the first time.

    Rule: the transfer must match the payout (amount, currency, destination); a mismatch is left pending for an
    admin and shows in reconciliation. Side effects: ledger trainer_pending -> trainer_paid_out, audit, notice.
    """
    now = now or utcnow()
    if (transfer.amount_cents, transfer.currency, transfer.destination) != (
            payout.amount_cents, payout.currency, payout.destination):
        log.error("payout %s: transfer %s does not match (%s %s to %s)", payout.id, transfer.id,
                  transfer.amount_cents, transfer.currency, transfer.destination)
        db.session.execute(sa.update(Payout).where(Payout.id == payout.id).values(
            last_error=f"Transfer {transfer.id} does not match this payout; an admin must check it."))
        return False
    moved = db.session.execute(
        sa.update(Payout).where(Payout.id == payout.id, Payout.status == "pending")
        .values(status="paid", transfer_id=transfer.id, paid_at=now, locked_until=None, last_error=None,
                is_live=transfer.live)).rowcount
    if not moved:
        return False
    ledger.post(f"payout:{payout.id}:settle", {ledger.trainer_pending(payout.trainer_id): -payout.amount_cents,
                                                ledger.trainer_paid_out(payout.trainer_id): payout.amount_cents},
                kind="payout_settle", data={"payout_id": payout.id, "transfer_id": transfer.id},
                description=f"Payout #{payout.id} sent by Stripe transfer")
    trainer = db.session.get(User, payout.trainer_id)
    amount = format_cents(payout.amount_cents, payout.currency)
    audit.record("payments.payout_paid", subject_user=trainer, subject=payout,
                 reason=f"Payout #{payout.id} of {amount} sent to the trainer's payout account by Stripe transfer "
                        f"{transfer.id}.",
                 data={"amount_cents": payout.amount_cents, "transfer_id": transfer.id})
    notices.notify(trainer, f"We sent you {amount}",
                   f"{amount} is on its way to your payout account. Stripe pays it out to your bank on your "
                   "account's payout schedule (usually within 2 business days).", category="money")
    return True


def fail_payout(payout: Payout, message: str, *, now: datetime | None = None) -> bool:
    """Stripe refused the transfer for good: the money goes back to the trainer's payable, and they are told."""
    now = now or utcnow()
    moved = db.session.execute(
        sa.update(Payout).where(Payout.id == payout.id, Payout.status == "pending")
        .values(status="failed", failed_at=now, locked_until=None, last_error=message[:500])).rowcount
    if not moved:
        return False
    ledger.post(f"payout:{payout.id}:return", {ledger.trainer_pending(payout.trainer_id): -payout.amount_cents,
                                                ledger.trainer_payable(payout.trainer_id): payout.amount_cents},
                kind="payout_return", data={"payout_id": payout.id},
                description=f"Payout #{payout.id} could not be sent; the money is back in your balance")
    trainer = db.session.get(User, payout.trainer_id)
    amount = format_cents(payout.amount_cents, payout.currency)
    audit.record("payments.payout_failed", subject_user=trainer, subject=payout, reason=message)
    notices.notify(trainer, f"Your payout of {amount} could not be sent",
                   f"Stripe refused the transfer: {message} The money is back in your FairTrain balance and "
                   "will go out with the next payout once your payout account is in order.", category="money")
    return True


def due_payouts(now: datetime, limit: int = 200) -> list[int]:
    """Pending payouts nobody holds whose next attempt is due (crashed or failed senders)."""
    return list(db.session.scalars(
        sa.select(Payout.id).where(Payout.status == "pending", Payout.next_attempt_at <= now,
                                   sa.or_(Payout.locked_until.is_(None), Payout.locked_until < now))
        .order_by(Payout.id).limit(limit)))


def recover_payouts(now: datetime, gateway: PaymentGateway) -> int:
    """Finish interrupted payouts: each is looked up at Stripe by its key, then recorded or sent. Idempotent."""
    if payouts_frozen():
        return 0
    done = 0
    for payout_id in due_payouts(now):
        payout = send_payout(payout_id, gateway, now=now, look_first=True)
        done += payout is not None and payout.status != "pending"
    return done


def stuck_payouts(now: datetime, older_than: timedelta = timedelta(minutes=15)) -> list[Payout]:
    """Pending payouts older than `older_than` (admin overview)."""
    return list(db.session.scalars(sa.select(Payout).where(Payout.status == "pending",
                                                           Payout.created_at < now - older_than)
                                   .order_by(Payout.id)))


def payouts_of(trainer_id: int, limit: int = 50) -> list[Payout]:
    return list(db.session.scalars(sa.select(Payout).where(Payout.trainer_id == trainer_id)
                                   .order_by(Payout.id.desc()).limit(limit)))


def transfer_from_event(obj: dict) -> TransferResult:
    """A transfer object from a webhook, as the gateway would return it."""
    destination = obj.get("destination")
    if isinstance(destination, dict):
        destination = destination.get("id")
    return TransferResult(id=obj["id"], amount_cents=int(obj["amount"]), currency=obj["currency"],
                          destination=destination, live=bool(obj.get("livemode")),
                          metadata={str(k): str(v) for k, v in (obj.get("metadata") or {}).items()})
