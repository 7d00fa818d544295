"""Requester top-ups: a PaymentIntent per charge, credited to requester funds once, when it has succeeded.

The confirm response and the webhook both credit through credit_payment_intent, under one ledger key
(`topup:<payment_intent_id>`), so whichever arrives second changes nothing.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, ValidationFailed
from ..core.money import format_cents
from ..core.time import utcnow
from ..extensions import db
from . import ledger
from .gateway import CardDeclined, GatewayError, PaymentGateway
from .models import Charge

log = logging.getLogger(__name__)

TOPUP_MIN_CENTS = 500
TOPUP_MAX_CENTS = 1_000_000


def top_up_key(charge: Charge) -> str:
    """The ledger key both credit paths use."""
    return f"topup:{charge.payment_intent_id}"


def start_top_up(requester, amount_cents: int, request_key: str, *, currency: str) -> Charge:
    """Record the requester's wish to add funds (no money moves yet). The same form token returns the same charge.

    Rules: between $5 and $10,000 per top-up. The caller commits, then calls create_intent.
    """
    if not TOPUP_MIN_CENTS <= amount_cents <= TOPUP_MAX_CENTS:
        message = (f"Add between {format_cents(TOPUP_MIN_CENTS, currency)} and "
                   f"{format_cents(TOPUP_MAX_CENTS, currency)} at a time.")
        raise ValidationFailed(message, field="amount", errors={"amount": message})
    key = f"topup-request:{requester.id}:{request_key}"
    existing = db.session.scalar(sa.select(Charge).where(Charge.request_key == key))
    if existing is None:
        charge = Charge(requester_id=requester.id, amount_cents=amount_cents, currency=currency.lower(),
                        request_key=key, created_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(charge)
                db.session.flush()
            return charge
        except IntegrityError:
            existing = db.session.scalar(sa.select(Charge).where(Charge.request_key == key))
    if existing.amount_cents != amount_cents:
        raise Conflict("This form was already sent with another amount. Reload the page to start a new top-up.")
    return existing


def create_intent(charge: Charge, gateway: PaymentGateway) -> Charge:
    """Create the charge's PaymentIntent (idempotency key `charge:<id>`) if it has none; the caller commits."""
    if charge.payment_intent_id:
        return charge
    intent = gateway.create_payment_intent(
        charge.amount_cents, charge.currency, customer_ref=f"user:{charge.requester_id}",
        idempotency_key=f"charge:{charge.id}", metadata={"charge_id": charge.id, "requester_id": charge.requester_id})
    charge.payment_intent_id = intent.id
    charge.client_secret = intent.client_secret
    charge.is_live = intent.live
    return charge


@dataclass(frozen=True)
class PaymentOutcome:
    charge: Charge
    succeeded: bool
    message: str


def pay_with_card(charge: Charge, payment_method: str, gateway: PaymentGateway) -> PaymentOutcome:
    """Confirm the charge's PaymentIntent with a card on the server (the simulated card form).

    A decline leaves the charge payable with another card and is returned, not raised, so the caller can
    commit the note; an unexpected state (a confirm whose reply was lost) is settled by asking Stripe.
    """
    if charge.status == "succeeded":
        return PaymentOutcome(charge, True, "This payment was already received.")
    create_intent(charge, gateway)
    try:
        intent = gateway.confirm_payment_intent(charge.payment_intent_id, payment_method)
    except CardDeclined as exc:
        charge.last_error = exc.message[:500]
        return PaymentOutcome(charge, False, exc.message)
    except GatewayError as exc:
        if exc.retryable:
            return PaymentOutcome(charge, False, exc.message)
        return check_payment(charge, gateway)
    if intent.succeeded:
        credit_payment_intent(intent.id, intent.amount_cents, intent.currency, via="confirmation")
        return PaymentOutcome(charge, True, f"{format_cents(charge.amount_cents, charge.currency)} added to your funds.")
    return PaymentOutcome(charge, False, "The payment is not complete yet. We will add the funds when it is.")


def check_payment(charge: Charge, gateway: PaymentGateway) -> PaymentOutcome:
    """Ask Stripe how the charge's PaymentIntent stands and credit it if it has succeeded (after Stripe.js)."""
    if charge.status == "succeeded":
        return PaymentOutcome(charge, True, "This payment was already received.")
    if not charge.payment_intent_id:
        return PaymentOutcome(charge, False, "This top-up has not been started yet.")
    intent = gateway.retrieve_payment_intent(charge.payment_intent_id)
    if intent.succeeded:
        credit_payment_intent(intent.id, intent.amount_cents, intent.currency, via="confirmation")
        return PaymentOutcome(charge, True, f"{format_cents(charge.amount_cents, charge.currency)} added to your funds.")
    if intent.status == "processing":
        return PaymentOutcome(charge, False, "Your bank is still processing the payment. We will add the funds "
                                             "as soon as it succeeds.")
    return PaymentOutcome(charge, False, "The payment has not gone through. Try again, or use another card.")


def credit_payment_intent(payment_intent_id: str, amount_cents: int, currency: str, *, via: str) -> str:
    """Credit a succeeded PaymentIntent to its requester's funds, once. Returns what happened.

    Rules: the amount and currency must match the charge we created (otherwise nothing is credited and the
    mismatch is logged for reconciliation); a charge already succeeded is not credited again. Side effects:
    ledger stripe_clearing -> requester_funds under `topup:<pi>`, an audit row and a notice (first time only).
    """
    charge = db.session.scalar(sa.select(Charge).where(Charge.payment_intent_id == payment_intent_id))
    if charge is None:
        return "unknown_payment"
    if amount_cents != charge.amount_cents or (currency or "").lower() != charge.currency:
        log.error("payment %s: Stripe says %s %s, the charge says %s %s; not credited", payment_intent_id,
                  amount_cents, currency, charge.amount_cents, charge.currency)
        return "amount_mismatch"
    moved = db.session.execute(
        sa.update(Charge).where(Charge.id == charge.id, Charge.status != "succeeded")
        .values(status="succeeded", succeeded_at=utcnow(), last_error=None)).rowcount
    if not moved:
        return "already_credited"
    ledger.post(top_up_key(charge), {ledger.STRIPE_CLEARING: -charge.amount_cents,
                                     ledger.requester_funds(charge.requester_id): charge.amount_cents},
                kind="top_up", data={"charge_id": charge.id, "payment_intent_id": payment_intent_id, "via": via},
                description="Funds added by card" + ("" if charge.is_live else " (test payment, no real money)"))
    requester = db.session.get(User, charge.requester_id)
    amount = format_cents(charge.amount_cents, charge.currency)
    audit.record("payments.top_up_credited", subject_user=requester, subject=charge,
                 reason=f"Card payment of {amount} credited to the requester's funds (charge #{charge.id}).",
                 data={"amount_cents": charge.amount_cents, "via": via})
    notices.notify(requester, f"{amount} added to your funds",
                   f"Your card payment of {amount} has gone through and is now in your available funds.",
                   category="money")
    return "credited"


def note_payment_failed(payment_intent_id: str, message: str | None) -> str:
    """A failed attempt (webhook): note it on a charge that has not succeeded; never undo a success."""
    moved = db.session.execute(
        sa.update(Charge).where(Charge.payment_intent_id == payment_intent_id, Charge.status == "created")
        .values(last_error=(message or "The card was declined.")[:500])).rowcount
    return "noted" if moved else "ignored"


def note_payment_canceled(payment_intent_id: str) -> str:
    moved = db.session.execute(
        sa.update(Charge).where(Charge.payment_intent_id == payment_intent_id, Charge.status == "created")
        .values(status="canceled")).rowcount
    return "canceled" if moved else "ignored"


def charges_of(requester, limit: int = 20) -> list[Charge]:
    return list(db.session.scalars(sa.select(Charge).where(Charge.requester_id == requester.id)
                                   .order_by(Charge.id.desc()).limit(limit)))
