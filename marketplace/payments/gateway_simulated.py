"""The simulated PaymentGateway: in-memory, thread-safe, Stripe-shaped; nothing it makes is live."""
from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any, Callable, Optional, TypeVar

import stripe

from marketplace.payments.gateway import (
    TRANSFER_KEY_METADATA, AccountLinkResult, CardDeclined, ConnectedAccountResult,
    GatewayError, GatewayUnavailable, IdempotencyConflict, InvalidWebhook, NotFound, PaymentGateway,
    PaymentIntentResult, RefundResult, TransferPage, TransferResult, check_amount_cents,
    string_metadata,
)
from marketplace.payments.gateway_stripe import verify_stripe_webhook

T = TypeVar("T")

# Stripe test payment methods whose charge is declined, with the decline code each gives.
DECLINED_PAYMENT_METHODS = {
    "pm_card_chargeCustomerFail": "generic_decline",
    "pm_card_visa_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclined": "generic_decline",
    "pm_card_chargeDeclinedInsufficientFunds": "insufficient_funds",
}

FAILURE_MODES = ("unavailable", "lost_response")


def _new_id(prefix: str) -> str:
    return f"sim_{prefix}_{secrets.token_hex(8)}"


class SimulatedState:
    """The simulated gateway's store. Process-local: share one instance between gateways that
    must see the same records (several gunicorn workers never do)."""

    def __init__(self, *, auto_complete_onboarding: bool = True):
        self.lock = threading.RLock()
        # In the demo, creating an onboarding link counts as the trainer finishing onboarding,
        # so the click-through flow works without Stripe.
        self.auto_complete_onboarding = auto_complete_onboarding
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.payment_intents: dict[str, dict[str, Any]] = {}
            self.refunds: dict[str, dict[str, Any]] = {}
            self.accounts: dict[str, dict[str, Any]] = {}
            self.transfers: dict[str, dict[str, Any]] = {}  # insertion order = creation order
            # key -> (request fingerprint, result or exception); Stripe replays both.
            self.idempotency: dict[str, tuple[str, Any]] = {}
            self._transfer_failures: list[str] = []

    @property
    def transfers_created(self) -> int:
        with self.lock:
            return len(self.transfers)

    def fail_next_transfers(self, count: int = 1, mode: str = "lost_response") -> None:
        """Make the next ``count`` create_transfer calls fail: "unavailable" fails before anything
        happens; "lost_response" creates the transfer, then raises as if the response was lost."""
        if mode not in FAILURE_MODES:
            raise ValueError(f"mode must be one of {FAILURE_MODES}")
        with self.lock:
            self._transfer_failures.extend([mode] * count)

    def _next_transfer_failure(self) -> Optional[str]:
        return self._transfer_failures.pop(0) if self._transfer_failures else None

    def complete_onboarding(self, account_id: str) -> None:
        with self.lock:
            account = self.accounts.get(account_id)
            if account is None:
                raise NotFound(detail=f"No such account: {account_id!r}")
            account.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)


class SimulatedGateway(PaymentGateway):
    """Same behaviour as StripeGateway, without a network. Every record has ``live=False``."""

    simulated = True

    def __init__(self, *, webhook_secret: Optional[str] = None,
                 state: Optional[SimulatedState] = None):
        self.webhook_secret = webhook_secret
        self.state = state if state is not None else SimulatedState()

    # --- idempotency, as Stripe does it: same key + same request replays the first outcome ----

    def _idempotent(self, key: str, endpoint: str, params: dict[str, Any],
                    action: Callable[[], T]) -> T:
        fingerprint = json.dumps([endpoint, params], sort_keys=True, default=str)
        with self.state.lock:
            if key in self.state.idempotency:
                stored_fingerprint, outcome = self.state.idempotency[key]
                if stored_fingerprint != fingerprint:
                    raise IdempotencyConflict(detail=f"Key {key!r} was used with other parameters")
                if isinstance(outcome, GatewayError):
                    raise outcome
                return outcome
            try:
                result = action()
            except CardDeclined as exc:
                # Stripe saves a decline (the charge was attempted) but not a validation error,
                # so the same key works again once, say, the trainer has finished onboarding.
                self.state.idempotency[key] = (fingerprint, exc)
                raise
            self.state.idempotency[key] = (fingerprint, result)
            return result

    # --- payments ----------------------------------------------------------------------------

    @staticmethod
    def _pi_result(pi: dict[str, Any]) -> PaymentIntentResult:
        return PaymentIntentResult(id=pi["id"], status=pi["status"], amount_cents=pi["amount"],
                                   currency=pi["currency"], client_secret=pi["client_secret"],
                                   live=False, metadata=dict(pi["metadata"]))

    def _get_pi(self, payment_intent_id: str) -> dict[str, Any]:
        pi = self.state.payment_intents.get(payment_intent_id)
        if pi is None:
            raise NotFound(detail=f"No such payment_intent: {payment_intent_id!r}")
        return pi

    @staticmethod
    def _check_payment_method(payment_method: str) -> None:
        if not str(payment_method).startswith("pm_"):
            raise NotFound("The payment method was not found.",
                           detail=f"No such PaymentMethod: {payment_method!r}")

    def _charge(self, pi: dict[str, Any]) -> None:
        decline_code = DECLINED_PAYMENT_METHODS.get(pi["payment_method"])
        if decline_code:
            # Like Stripe: the intent goes back to requires_payment_method for another card.
            pi.update(status="requires_payment_method", last_error=decline_code)
            raise CardDeclined(decline_code=decline_code, payment_intent_id=pi["id"])
        pi.update(status="succeeded", last_error=None)

    def create_payment_intent(self, amount_cents: int, currency: str, customer_ref: str,
                              idempotency_key: str, payment_method: Optional[str] = None,
                              confirm: bool = False,
                              metadata: Optional[dict[str, str]] = None) -> PaymentIntentResult:
        check_amount_cents(amount_cents)
        meta = {**string_metadata(metadata), "customer_ref": str(customer_ref)}
        params = {"amount": amount_cents, "currency": currency.lower(), "metadata": meta,
                  "payment_method": payment_method, "confirm": bool(confirm)}

        def create() -> PaymentIntentResult:
            if confirm and not payment_method:
                raise GatewayError(code="parameter_missing",
                                   detail="confirm=true needs a payment_method")
            if payment_method:
                self._check_payment_method(payment_method)
            pi_id = _new_id("pi")
            pi = {"id": pi_id, "amount": amount_cents, "currency": currency.lower(),
                  "client_secret": f"{pi_id}_secret_{secrets.token_hex(8)}", "metadata": meta,
                  "payment_method": payment_method, "created": int(time.time()),
                  "status": ("requires_confirmation" if payment_method
                             else "requires_payment_method"), "last_error": None}
            self.state.payment_intents[pi_id] = pi
            if confirm:
                self._charge(pi)
            return self._pi_result(pi)

        return self._idempotent(idempotency_key, "payment_intents.create", params, create)

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentResult:
        with self.state.lock:
            return self._pi_result(self._get_pi(payment_intent_id))

    def confirm_payment_intent(self, payment_intent_id: str,
                               payment_method: str) -> PaymentIntentResult:
        with self.state.lock:
            pi = self._get_pi(payment_intent_id)
            if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
                raise GatewayError("This payment cannot be confirmed again.",
                                   code="payment_intent_unexpected_state",
                                   detail=f"PaymentIntent status is {pi['status']}")
            self._check_payment_method(payment_method)
            pi["payment_method"] = payment_method
            pi["status"] = "requires_confirmation"
            self._charge(pi)
            return self._pi_result(pi)

    @staticmethod
    def _refund_result(refund: dict[str, Any]) -> RefundResult:
        return RefundResult(id=refund["id"], payment_intent_id=refund["payment_intent"],
                            amount_cents=refund["amount"], currency=refund["currency"],
                            status="succeeded", live=False, metadata=dict(refund["metadata"]))

    def refund(self, payment_intent_id: str, amount_cents: int,
               idempotency_key: str) -> RefundResult:
        check_amount_cents(amount_cents)
        params = {"payment_intent": payment_intent_id, "amount": amount_cents}

        def create() -> RefundResult:
            pi = self._get_pi(payment_intent_id)
            if pi["status"] != "succeeded":
                raise GatewayError("Only a completed payment can be refunded.",
                                   code="charge_not_refundable")
            refunded = sum(r["amount"] for r in self.state.refunds.values()
                           if r["payment_intent"] == payment_intent_id)
            if amount_cents > pi["amount"] - refunded:
                raise GatewayError("The refund is larger than what is left of the payment.",
                                   code="amount_too_large")
            refund = {"id": _new_id("re"), "payment_intent": payment_intent_id,
                      "amount": amount_cents, "currency": pi["currency"],
                      "metadata": {TRANSFER_KEY_METADATA: idempotency_key}}
            self.state.refunds[refund["id"]] = refund
            return self._refund_result(refund)

        return self._idempotent(idempotency_key, "refunds.create", params, create)

    def list_refunds_for(self, payment_intent_id: str) -> list[RefundResult]:
        with self.state.lock:
            found = [self._refund_result(r) for r in self.state.refunds.values()
                     if r["payment_intent"] == payment_intent_id]
        return found[::-1]  # newest first, as Stripe lists them

    # --- Connect -----------------------------------------------------------------------------

    @staticmethod
    def _account_result(account: dict[str, Any]) -> ConnectedAccountResult:
        return ConnectedAccountResult(id=account["id"],
                                      charges_enabled=account["charges_enabled"],
                                      payouts_enabled=account["payouts_enabled"],
                                      details_submitted=account["details_submitted"],
                                      live=False, email=account["email"])

    def _get_account(self, account_id: str) -> dict[str, Any]:
        account = self.state.accounts.get(account_id)
        if account is None:
            raise NotFound("The trainer's payout account was not found.",
                           detail=f"No such account: {account_id!r}")
        return account

    def create_connected_account(self, email: str, country: str,
                                 idempotency_key: str) -> ConnectedAccountResult:
        params = {"email": email, "country": country.upper()}

        def create() -> ConnectedAccountResult:
            account = {"id": _new_id("acct"), "email": email, "country": country.upper(),
                       "charges_enabled": False, "payouts_enabled": False,
                       "details_submitted": False}
            self.state.accounts[account["id"]] = account
            return self._account_result(account)

        return self._idempotent(idempotency_key, "accounts.create", params, create)

    def complete_onboarding(self, account_id: str) -> None:
        """Mark the account as fully onboarded (charges and payouts enabled)."""
        self.state.complete_onboarding(account_id)

    def create_account_link(self, account_id: str, refresh_url: str,
                            return_url: str) -> AccountLinkResult:
        with self.state.lock:
            self._get_account(account_id)
            if self.state.auto_complete_onboarding:
                self.state.complete_onboarding(account_id)
        # There is no hosted onboarding page to visit: send the trainer straight back.
        return AccountLinkResult(url=return_url, expires_at=int(time.time()) + 300)

    def retrieve_account(self, account_id: str) -> ConnectedAccountResult:
        with self.state.lock:
            return self._account_result(self._get_account(account_id))

    @staticmethod
    def _transfer_result(transfer: dict[str, Any]) -> TransferResult:
        return TransferResult(id=transfer["id"], amount_cents=transfer["amount"],
                              currency=transfer["currency"], destination=transfer["destination"],
                              live=False, metadata=dict(transfer["metadata"]))

    def create_transfer(self, amount_cents: int, currency: str, destination: str,
                        idempotency_key: str,
                        metadata: Optional[dict[str, str]] = None) -> TransferResult:
        check_amount_cents(amount_cents)
        meta = {**string_metadata(metadata), TRANSFER_KEY_METADATA: idempotency_key}
        params = {"amount": amount_cents, "currency": currency.lower(),
                  "destination": destination, "metadata": meta}

        with self.state.lock:
            failure = self.state._next_transfer_failure()
            if failure == "unavailable":
                raise GatewayUnavailable(detail="injected failure before the transfer")

            def create() -> TransferResult:
                account = self._get_account(destination)
                if not account["payouts_enabled"]:
                    raise GatewayError("The trainer has not finished setting up payouts.",
                                       code="insufficient_capabilities_for_transfer")
                transfer = {"id": _new_id("tr"), "amount": amount_cents,
                            "currency": currency.lower(), "destination": destination,
                            "metadata": meta, "created": int(time.time())}
                self.state.transfers[transfer["id"]] = transfer
                return self._transfer_result(transfer)

            result = self._idempotent(idempotency_key, "transfers.create", params, create)
            if failure == "lost_response":
                raise GatewayUnavailable(detail="injected failure after the transfer was made")
            return result

    def retrieve_transfer(self, transfer_id: str) -> TransferResult:
        with self.state.lock:
            transfer = self.state.transfers.get(transfer_id)
            if transfer is None:
                raise NotFound(detail=f"No such transfer: {transfer_id!r}")
            return self._transfer_result(transfer)

    def list_transfers(self, *, destination: Optional[str] = None, limit: int = 100,
                       starting_after: Optional[str] = None) -> TransferPage:
        limit = max(1, min(limit, 100))
        with self.state.lock:
            newest_first = [t for t in reversed(self.state.transfers.values())
                            if destination is None or t["destination"] == destination]
        if starting_after:
            ids = [t["id"] for t in newest_first]
            start = ids.index(starting_after) + 1 if starting_after in ids else len(ids)
            newest_first = newest_first[start:]
        page = newest_first[:limit]
        return TransferPage(transfers=[self._transfer_result(t) for t in page],
                            has_more=len(newest_first) > limit)

    # --- webhooks ----------------------------------------------------------------------------

    def verify_webhook(self, payload: bytes, sig_header: Optional[str]) -> dict[str, Any]:
        return verify_stripe_webhook(payload, sig_header, self.webhook_secret)

    def sign_webhook(self, payload: bytes | str, timestamp: Optional[int] = None) -> str:
        """A Stripe-Signature header for ``payload`` with this gateway's secret (demo and tests)."""
        if not self.webhook_secret:
            raise InvalidWebhook("Webhook signing secret is not configured.",
                                 code="webhook_secret_missing")
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        return stripe.WebhookSignature.generate_signature_header(text, self.webhook_secret,
                                                                 timestamp=timestamp)
