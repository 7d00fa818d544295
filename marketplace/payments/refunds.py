"""Refunds of unused funds, decided by an admin in writing; outbox like payouts (ledger first, then Stripe)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, ValidationFailed
from ..core.money import format_cents
from ..core.time import utcnow
from ..extensions import db
from . import ledger
from .gateway import GatewayError, PaymentGateway
from .models import Charge, Refund
from .provider import begin_write

log = logging.getLogger(__name__)
LOCK_SECONDS = 300


def refundable_by_charge(requester_id: int) -> list[tuple[Charge, int]]:
    """Succeeded charges, newest first, with what is left to refund on each (refunds not failed count)."""
    refunded = (sa.select(Refund.charge_id, sa.func.sum(Refund.amount_cents).label("done"))
                .where(Refund.status != "failed").group_by(Refund.charge_id).subquery())
    rows = db.session.execute(
        sa.select(Charge, sa.func.coalesce(refunded.c.done, 0))
        .outerjoin(refunded, refunded.c.charge_id == Charge.id)
        .where(Charge.requester_id == requester_id, Charge.status == "succeeded")
        .order_by(Charge.id.desc())).all()
    return [(charge, charge.amount_cents - int(done)) for charge, done in rows if charge.amount_cents > done]


def refund_unused_funds(requester, amount_cents: int, *, actor, reason: str, request_key: str) -> list[Refund]:
    """Give a requester's unused funds back to their card(s), newest payment first.

    Rules: an admin decides, with a written reason the requester reads; only available funds (not escrow)
    and only what the card payments can still take back. Side effects: one Refund row per card payment used,
    each reserved in the ledger (requester_funds -> refunds) before any Stripe call; an audit row; a notice.
    The caller commits, then calls send_refund for each. The same request_key returns the same refunds.
    """
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationFailed("Write the reason for the refund; the requester reads it (at least 10 characters).",
                               field="reason", errors={"reason": "Write the reason (at least 10 characters)."})
    if amount_cents <= 0:
        raise ValidationFailed("Enter an amount above zero.", field="amount", errors={"amount": "Enter an amount above zero."})
    existing = _by_request(request_key)
    if existing:
        if sum(r.amount_cents for r in existing) != amount_cents:
            raise Conflict("This refund form was already sent with another amount. Reload the page.")
        return existing
    available = ledger.balance(ledger.requester_funds(requester.id))
    if amount_cents > available:
        message = f"Only {format_cents(available)} of this requester's funds is unused (money in escrow stays there)."
        raise ValidationFailed(message, field="amount", errors={"amount": message})
    plan, left = [], amount_cents
    for charge, refundable in refundable_by_charge(requester.id):
        piece = min(left, refundable)
        plan.append((charge, piece))
        left -= piece
        if left == 0:
            break
    if left:
        message = f"The card payments can take back only {format_cents(amount_cents - left)} more."
        raise ValidationFailed(message, field="amount", errors={"amount": message})
    refunds = []
    try:
        with db.session.begin_nested():
            for charge, piece in plan:
                refund = Refund(charge_id=charge.id, requester_id=requester.id, amount_cents=piece, reason=reason,
                                actor_id=actor.id, request_key=f"{request_key}:{charge.id}", created_at=utcnow())
                db.session.add(refund)
                db.session.flush()
                ledger.post(f"refund:{refund.id}", {ledger.requester_funds(requester.id): -piece, ledger.REFUNDS: piece},
                            kind="refund", actor=actor, data={"refund_id": refund.id, "charge_id": charge.id},
                            description=f"Refund to your card: {reason}")
                refunds.append(refund)
    except IntegrityError:
        existing = _by_request(request_key)
        if not existing:
            raise
        return existing
    total = format_cents(amount_cents)
    audit.record("payments.refund_issued", actor=actor, subject_user=requester, reason=reason,
                 data={"amount_cents": amount_cents, "refund_ids": [r.id for r in refunds]})
    notices.notify(requester, f"{total} is being refunded to your card",
                   f"An admin is refunding {total} of your unused funds to the card you paid with. Reason: {reason}\n"
                   "Refunds usually reach your card within 5 to 10 business days.", category="money")
    return refunds


def _by_request(request_key: str) -> list[Refund]:
    return list(db.session.scalars(sa.select(Refund).where(Refund.request_key.like(f"{request_key}:%"))
                                   .order_by(Refund.id)))


def send_refund(refund_id: int, gateway: PaymentGateway, *, now: datetime | None = None,
                look_first: bool = False) -> Refund | None:
    """Carry out one reserved refund at Stripe (key `refund:<id>`). Owns its transactions, like the e-mail
    sender: the claim is committed before the call and the result after it."""
    now = now or utcnow()
    begin_write()
    claimed = db.session.execute(
        sa.update(Refund).where(Refund.id == refund_id, Refund.status == "pending",
                                sa.or_(Refund.locked_until.is_(None), Refund.locked_until < now))
        .values(locked_until=now + timedelta(seconds=LOCK_SECONDS), attempts=Refund.attempts + 1)).rowcount
    db.session.commit()
    refund = db.session.get(Refund, refund_id)
    if not claimed:
        return refund
    key = f"refund:{refund.id}"
    pi_id = refund.charge.payment_intent_id
    try:
        made = _find_refund(gateway, pi_id, key) if look_first else None
        made = made or gateway.refund(pi_id, refund.amount_cents, key)
    except GatewayError as exc:
        log.warning("refund %s: %s (%s)", refund.id, exc.message, exc.detail)
        begin_write()
        if exc.retryable:
            refund.last_error = exc.message[:500]
            refund.locked_until = None
        else:
            found = _find_refund_quietly(gateway, pi_id, key)
            if found is not None:
                _record_refunded(refund, found.id, now)
            else:
                _fail_refund(refund, exc.message, now)
        db.session.commit()
        return refund
    begin_write()
    _record_refunded(refund, made.id, now)
    db.session.commit()
    return refund


def _find_refund(gateway: PaymentGateway, pi_id: str, key: str):
    for found in gateway.list_refunds_for(pi_id):
        if found.metadata.get("idempotency_key") == key:
            return found
    return None


def _find_refund_quietly(gateway: PaymentGateway, pi_id: str, key: str):
    try:
        return _find_refund(gateway, pi_id, key)
    except GatewayError:
        return None


def _record_refunded(refund: Refund, stripe_refund_id: str, now: datetime) -> None:
    db.session.execute(sa.update(Refund).where(Refund.id == refund.id, Refund.status == "pending")
                       .values(status="succeeded", stripe_refund_id=stripe_refund_id, finished_at=now,
                               locked_until=None, last_error=None))


def _fail_refund(refund: Refund, message: str, now: datetime) -> None:
    """Stripe refused the refund for good: the money goes back to the requester's funds and admins are told."""
    moved = db.session.execute(sa.update(Refund).where(Refund.id == refund.id, Refund.status == "pending")
                               .values(status="failed", finished_at=now, locked_until=None,
                                       last_error=message[:500])).rowcount
    if not moved:
        return
    ledger.post(f"refund:{refund.id}:returned", {ledger.REFUNDS: -refund.amount_cents,
                                                 ledger.requester_funds(refund.requester_id): refund.amount_cents},
                kind="refund_return", data={"refund_id": refund.id},
                description="Refund could not be made; the money is back in your funds")
    requester = db.session.get(User, refund.requester_id)
    audit.record("payments.refund_failed", subject_user=requester, subject=refund, reason=message)
    notices.notify(requester, "A refund could not be made",
                   f"Stripe could not refund {format_cents(refund.amount_cents)} to your card ({message}). "
                   "The money is back in your available funds; contact us to arrange another way.", category="money")


def due_refunds(now: datetime, limit: int = 100) -> list[int]:
    return list(db.session.scalars(
        sa.select(Refund.id).where(Refund.status == "pending",
                                   sa.or_(Refund.locked_until.is_(None), Refund.locked_until < now))
        .order_by(Refund.id).limit(limit)))


def refunds_of(requester_id: int, limit: int = 50) -> list[Refund]:
    return list(db.session.scalars(sa.select(Refund).where(Refund.requester_id == requester_id)
                                   .order_by(Refund.id.desc()).limit(limit)))
