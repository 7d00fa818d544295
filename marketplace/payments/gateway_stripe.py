"""The real PaymentGateway adapter, built on the official stripe library's StripeClient."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Optional

import stripe

from marketplace.payments.gateway import (
    TRANSFER_KEY_METADATA, WEBHOOK_TOLERANCE_SECONDS, AccountLinkResult, CardDeclined,
    ConnectedAccountResult, GatewayError, GatewayUnavailable, IdempotencyConflict,
    InvalidWebhook, NotFound, PaymentGateway, PaymentIntentResult, RefundResult, TransferPage,
    TransferResult, check_amount_cents, string_metadata,
)


def verify_stripe_webhook(payload: bytes, sig_header: Optional[str],
                          secret: Optional[str]) -> dict[str, Any]:
    """Verify a Stripe-Signature header with the library's own code and return the event dict.

    Shared with the simulated adapter: the signature scheme is pure HMAC and needs no network.
    """
    if not secret:
        raise InvalidWebhook("Webhook signing secret is not configured.",
                             code="webhook_secret_missing")
    if not sig_header:
        raise InvalidWebhook("The Stripe-Signature header is missing.", code="missing_signature")
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, secret,
                                               tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook(detail=str(exc)) from exc
    except (ValueError, TypeError, AttributeError) as exc:  # signed but not a JSON event object
        raise InvalidWebhook("The webhook payload is not a valid event.",
                             code="invalid_payload", detail=str(exc)) from exc
    return event.to_dict()


def _error_body(exc: stripe.StripeError) -> dict[str, Any]:
    body = exc.json_body if isinstance(exc.json_body, dict) else {}
    error = body.get("error")
    return error if isinstance(error, dict) else {}


def translate_error(exc: stripe.StripeError) -> GatewayError:
    """Map a stripe exception onto the port's errors; the stripe text goes to ``detail`` only."""
    detail = str(exc)
    err = _error_body(exc)
    if isinstance(exc, stripe.CardError):
        pi = err.get("payment_intent")
        pi_id = pi.get("id") if isinstance(pi, dict) else pi
        # Stripe's card error messages are written for the cardholder, so they are shown as is.
        return CardDeclined(exc.user_message or None, code=exc.code or "card_declined",
                            decline_code=err.get("decline_code"), payment_intent_id=pi_id,
                            detail=detail)
    if isinstance(exc, stripe.IdempotencyError):
        return IdempotencyConflict(detail=detail)
    if isinstance(exc, stripe.APIConnectionError):
        return GatewayUnavailable(detail=detail)
    if isinstance(exc, stripe.RateLimitError):
        return GatewayUnavailable(code="rate_limited", detail=detail)
    if isinstance(exc, stripe.APIError):  # 5xx: Stripe's own trouble; safe to retry with the key
        return GatewayUnavailable(code="api_error", detail=detail)
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        return GatewayError("Payments are not configured correctly. Please contact support.",
                            code="gateway_misconfigured", detail=detail)
    if exc.http_status == 404 or exc.code == "resource_missing":
        return NotFound(code="resource_missing", detail=detail)
    return GatewayError(code=exc.code or "invalid_request", detail=detail)


@contextmanager
def _stripe_errors() -> Iterator[None]:
    try:
        yield
    except stripe.StripeError as exc:
        raise translate_error(exc) from exc


def _pi(d: dict[str, Any]) -> PaymentIntentResult:
    return PaymentIntentResult(id=d["id"], status=d["status"], amount_cents=int(d["amount"]),
                               currency=d["currency"], client_secret=d.get("client_secret"),
                               live=bool(d.get("livemode")), metadata=dict(d.get("metadata") or {}))


def _refund(d: dict[str, Any]) -> RefundResult:
    return RefundResult(id=d["id"], payment_intent_id=d.get("payment_intent"),
                        amount_cents=int(d["amount"]), currency=d["currency"],
                        status=d.get("status") or "succeeded", live=bool(d.get("livemode")),
                        metadata=dict(d.get("metadata") or {}))


def _account(d: dict[str, Any]) -> ConnectedAccountResult:
    return ConnectedAccountResult(id=d["id"], charges_enabled=bool(d.get("charges_enabled")),
                                  payouts_enabled=bool(d.get("payouts_enabled")),
                                  details_submitted=bool(d.get("details_submitted")),
                                  live=bool(d.get("livemode")), email=d.get("email"))


def _transfer(d: dict[str, Any]) -> TransferResult:
    dest = d.get("destination")
    if isinstance(dest, dict):  # when expanded
        dest = dest.get("id")
    return TransferResult(id=d["id"], amount_cents=int(d["amount"]), currency=d["currency"],
                          destination=dest, live=bool(d.get("livemode")),
                          metadata=dict(d.get("metadata") or {}))


class StripeGateway(PaymentGateway):
    """PaymentIntents and refunds on the platform account; Connect accounts and transfers for
    trainers. Never calls /v1/payouts: Stripe pays connected accounts out on their own schedule."""

    simulated = False

    def __init__(self, *, secret_key: str, webhook_secret: Optional[str] = None,
                 api_base: Optional[str] = None, connect_api_base: Optional[str] = None,
                 max_network_retries: int = 2, timeout_seconds: float = 30.0):
        self._webhook_secret = webhook_secret
        # The library retries network errors and 5xx itself, re-sending the same idempotency key.
        self._payments = self._client(secret_key, api_base, max_network_retries, timeout_seconds)
        # Connect endpoints may live elsewhere: localstripe has no accounts or transfers, so the
        # tests point this client at a fake Connect server.
        self._connect = self._payments
        if connect_api_base and connect_api_base != api_base:
            self._connect = self._client(secret_key, connect_api_base, max_network_retries,
                                         timeout_seconds)

    @staticmethod
    def _client(secret_key: str, api_base: Optional[str], retries: int,
                timeout: float) -> stripe.StripeClient:
        bases: dict[str, Any] = {"api": api_base.rstrip("/")} if api_base else {}
        return stripe.StripeClient(secret_key, base_addresses=bases,  # type: ignore[arg-type]
                                   max_network_retries=retries,
                                   http_client=stripe.RequestsClient(timeout=timeout))

    # --- payments on the platform account -----------------------------------------------------

    def create_payment_intent(self, amount_cents: int, currency: str, customer_ref: str,
                              idempotency_key: str, payment_method: Optional[str] = None,
                              confirm: bool = False,
                              metadata: Optional[dict[str, str]] = None) -> PaymentIntentResult:
        check_amount_cents(amount_cents)
        params: dict[str, Any] = {
            "amount": amount_cents,
            "currency": currency.lower(),
            # Card only: with automatic payment methods a server-side confirm would need a
            # return_url for redirect-based methods.
            "payment_method_types": ["card"],
            "metadata": {**string_metadata(metadata), "customer_ref": str(customer_ref)},
        }
        if str(customer_ref).startswith("cus_"):
            params["customer"] = customer_ref
        if payment_method:
            params["payment_method"] = payment_method
        if confirm:
            params["confirm"] = True
        with _stripe_errors():
            obj = self._payments.v1.payment_intents.create(
                params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        return _pi(obj.to_dict())

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentResult:
        with _stripe_errors():
            return _pi(self._payments.v1.payment_intents.retrieve(payment_intent_id).to_dict())

    def confirm_payment_intent(self, payment_intent_id: str,
                               payment_method: str) -> PaymentIntentResult:
        with _stripe_errors():
            # Set the method first, then confirm without parameters: Stripe accepts either form,
            # and localstripe only implements this one.
            self._payments.v1.payment_intents.update(
                payment_intent_id, {"payment_method": payment_method})
            obj = self._payments.v1.payment_intents.confirm(payment_intent_id)
        return _pi(obj.to_dict())

    def refund(self, payment_intent_id: str, amount_cents: int,
               idempotency_key: str) -> RefundResult:
        check_amount_cents(amount_cents)
        params = {"payment_intent": payment_intent_id, "amount": amount_cents,
                  "metadata": {TRANSFER_KEY_METADATA: idempotency_key}}
        with _stripe_errors():
            obj = self._payments.v1.refunds.create(
                params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        return _refund(obj.to_dict())

    def list_refunds_for(self, payment_intent_id: str) -> list[RefundResult]:
        with _stripe_errors():
            page = self._payments.v1.refunds.list(
                {"payment_intent": payment_intent_id, "limit": 100})
            return [_refund(r.to_dict()) for r in page.auto_paging_iter()]

    # --- Connect: trainers' accounts and transfers ---------------------------------------------

    def create_connected_account(self, email: str, country: str,
                                 idempotency_key: str) -> ConnectedAccountResult:
        params = {
            "type": "express",
            "country": country.upper(),
            "email": email,
            "capabilities": {"card_payments": {"requested": True},
                             "transfers": {"requested": True}},
        }
        with _stripe_errors():
            obj = self._connect.v1.accounts.create(
                params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        return _account(obj.to_dict())

    def create_account_link(self, account_id: str, refresh_url: str,
                            return_url: str) -> AccountLinkResult:
        params = {"account": account_id, "refresh_url": refresh_url, "return_url": return_url,
                  "type": "account_onboarding"}
        with _stripe_errors():
            d = self._connect.v1.account_links.create(params).to_dict()  # type: ignore[arg-type]
        return AccountLinkResult(url=d["url"], expires_at=d.get("expires_at"))

    def retrieve_account(self, account_id: str) -> ConnectedAccountResult:
        with _stripe_errors():
            return _account(self._connect.v1.accounts.retrieve(account_id).to_dict())

    def create_transfer(self, amount_cents: int, currency: str, destination: str,
                        idempotency_key: str,
                        metadata: Optional[dict[str, str]] = None) -> TransferResult:
        check_amount_cents(amount_cents)
        params = {
            "amount": amount_cents,
            "currency": currency.lower(),
            "destination": destination,
            # The key goes last so caller metadata cannot hide it from find_transfer_by_key.
            "metadata": {**string_metadata(metadata), TRANSFER_KEY_METADATA: idempotency_key},
        }
        with _stripe_errors():
            obj = self._connect.v1.transfers.create(
                params, {"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        return _transfer(obj.to_dict())

    def retrieve_transfer(self, transfer_id: str) -> TransferResult:
        with _stripe_errors():
            return _transfer(self._connect.v1.transfers.retrieve(transfer_id).to_dict())

    def list_transfers(self, *, destination: Optional[str] = None, limit: int = 100,
                       starting_after: Optional[str] = None) -> TransferPage:
        params: dict[str, Any] = {"limit": max(1, min(limit, 100))}
        if destination:
            params["destination"] = destination
        if starting_after:
            params["starting_after"] = starting_after
        with _stripe_errors():
            d = self._connect.v1.transfers.list(params).to_dict()  # type: ignore[arg-type]
        return TransferPage(transfers=[_transfer(t) for t in d.get("data") or []],
                            has_more=bool(d.get("has_more")))

    # --- webhooks ----------------------------------------------------------------------------

    def verify_webhook(self, payload: bytes, sig_header: Optional[str]) -> dict[str, Any]:
        return verify_stripe_webhook(payload, sig_header, self._webhook_secret)
