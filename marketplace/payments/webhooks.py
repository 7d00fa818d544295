"""Stripe webhooks: verified, recorded once by event id, effects applied in the same transaction.

Handlers are written so that events in any order reach the same state: a success is never undone by a later
failure, and account events re-read the account from Stripe instead of trusting the event's copy.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..core.time import utcnow
from ..extensions import db
from . import payout_accounts, payouts, topups
from .gateway import GatewayError, InvalidWebhook, PaymentGateway, TRANSFER_KEY_METADATA
from .models import Payout, StripeEvent

log = logging.getLogger(__name__)


def verify(payload: bytes, sig_header: str | None, gateway: PaymentGateway,
           connect_gateway: PaymentGateway | None = None) -> dict[str, Any]:
    """The event, if the Stripe-Signature header proves Stripe sent this payload within 300 s.

    Raises InvalidWebhook for unsigned, tampered, stale or wrongly signed deliveries. Connect events may be
    signed by a second endpoint's secret (STRIPE_CONNECT_WEBHOOK_SECRET).
    """
    try:
        event = gateway.verify_webhook(payload, sig_header)
    except InvalidWebhook:
        if connect_gateway is None:
            raise
        event = connect_gateway.verify_webhook(payload, sig_header)
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise InvalidWebhook("The webhook payload is not a Stripe event.", code="invalid_payload")
    return event


def handle_event(event: dict[str, Any], gateway: PaymentGateway) -> str:
    """Apply one verified event, once. Returns the outcome ("duplicate" for a replay). The caller commits,
    so the event row and its effects land together (or, on an error, neither does and Stripe retries)."""
    event_id = event["id"]
    if db.session.scalar(sa.select(StripeEvent.id).where(StripeEvent.event_id == event_id)) is not None:
        return "duplicate"
    obj = (event.get("data") or {}).get("object") or {}
    row = StripeEvent(event_id=event_id, type=event["type"][:100], object_id=str(obj.get("id") or "")[:255] or None,
                      is_live=bool(event.get("livemode")), outcome="received", received_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(row)
            db.session.flush()
    except IntegrityError:  # the same event delivered twice at once: the other delivery applies it
        return "duplicate"
    handler = HANDLERS.get(event["type"])
    if handler is None:
        outcome = "ignored"
    elif not isinstance(obj.get("id"), str):
        outcome = "malformed"
    else:
        outcome = handler(obj, event, gateway)
    row.outcome = outcome[:200]
    log.info("stripe event %s (%s): %s", event_id, event["type"], outcome)
    return outcome


def _payment_succeeded(obj: dict, event: dict, gateway: PaymentGateway) -> str:
    return topups.credit_payment_intent(obj["id"], int(obj.get("amount") or 0), obj.get("currency") or "",
                                        via="webhook")


def _payment_failed(obj: dict, event: dict, gateway: PaymentGateway) -> str:
    error = obj.get("last_payment_error") or {}
    return topups.note_payment_failed(obj["id"], error.get("message") if isinstance(error, dict) else None)


def _payment_canceled(obj: dict, event: dict, gateway: PaymentGateway) -> str:
    return topups.note_payment_canceled(obj["id"])


def _account_updated(obj: dict, event: dict, gateway: PaymentGateway) -> str:
    account = payout_accounts.by_stripe_id(obj["id"])
    if account is None:
        return "unknown_account"
    try:
        payout_accounts.refresh(account, gateway)  # Stripe's current state, whatever order events came in
    except GatewayError as exc:
        # Not knowing the state is not worth a retry storm: the payout account page asks again on each visit.
        log.warning("account.updated %s: could not refresh (%s)", obj["id"], exc.detail)
        return "refresh_failed"
    return f"account_{account.status}"


def _transfer_created(obj: dict, event: dict, gateway: PaymentGateway) -> str:
    key = (obj.get("metadata") or {}).get(TRANSFER_KEY_METADATA) or ""
    if not key.startswith("payout:") or not key[len("payout:"):].isdigit():
        return "unknown_transfer"
    payout = db.session.get(Payout, int(key[len("payout:"):]))
    if payout is None:
        return "unknown_transfer"
    if payout.status == "paid":
        return "already_recorded"
    return "recorded" if payouts.record_transfer(payout, payouts.transfer_from_event(obj)) else "not_recorded"


HANDLERS: dict[str, Callable[[dict, dict, PaymentGateway], str]] = {
    "payment_intent.succeeded": _payment_succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "payment_intent.canceled": _payment_canceled,
    "account.updated": _account_updated,
    "transfer.created": _transfer_created,
    "transfer.updated": _transfer_created,
}
