"""The payment gateway port: result types, errors, the PaymentGateway interface and the factory."""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, Optional

# Transfers carry their idempotency key in metadata under this name, so that recovery can find a
# transfer whose create response was lost (Stripe keeps idempotency keys only for 24 hours).
TRANSFER_KEY_METADATA = "idempotency_key"

WEBHOOK_TOLERANCE_SECONDS = 300


def check_amount_cents(amount_cents: int) -> None:
    """Money is positive integer cents; anything else is a programming error, not a decline."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise ValueError(f"amount must be a positive integer number of cents, got {amount_cents!r}")


def string_metadata(metadata: Optional[dict[str, Any]]) -> dict[str, str]:
    """Stripe stores metadata values as strings; convert here so both adapters agree."""
    return {str(k): str(v) for k, v in (metadata or {}).items()}


# --- results ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class PaymentIntentResult:
    id: str
    status: str  # Stripe's status: requires_payment_method, requires_confirmation, succeeded, ...
    amount_cents: int
    currency: str
    client_secret: Optional[str]
    live: bool
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class RefundResult:
    id: str
    payment_intent_id: Optional[str]
    amount_cents: int
    currency: str
    status: str
    live: bool
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ConnectedAccountResult:
    id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    live: bool
    email: Optional[str] = None

    @property
    def ready(self) -> bool:
        """A trainer can be paid once Stripe has enabled both charges and payouts on the account."""
        return self.charges_enabled and self.payouts_enabled


@dataclass(frozen=True)
class AccountLinkResult:
    url: str
    expires_at: Optional[int] = None


@dataclass(frozen=True)
class TransferResult:
    id: str
    amount_cents: int
    currency: str
    destination: str
    live: bool
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> Optional[str]:
        return self.metadata.get(TRANSFER_KEY_METADATA)


@dataclass(frozen=True)
class TransferPage:
    transfers: list[TransferResult]
    has_more: bool


# --- errors ----------------------------------------------------------------------------------

class GatewayError(Exception):
    """A payment provider failure. `message` can be shown to a person; `retryable` says whether the
    same call (with the same idempotency key) may succeed later."""

    default_message = "The payment could not be processed."
    default_code = "gateway_error"
    default_retryable = False

    def __init__(self, message: Optional[str] = None, *, code: Optional[str] = None,
                 retryable: Optional[bool] = None, detail: Optional[str] = None):
        self.message = message or self.default_message
        self.code = code or self.default_code
        self.retryable = self.default_retryable if retryable is None else retryable
        self.detail = detail  # provider's raw text, for logs only
        super().__init__(self.message)


class CardDeclined(GatewayError):
    default_message = "Your card was declined."
    default_code = "card_declined"

    def __init__(self, message: Optional[str] = None, *, decline_code: Optional[str] = None,
                 payment_intent_id: Optional[str] = None, **kw: Any):
        super().__init__(message, **kw)
        self.decline_code = decline_code
        self.payment_intent_id = payment_intent_id


class IdempotencyConflict(GatewayError):
    default_message = "This request conflicts with an earlier one using the same idempotency key."
    default_code = "idempotency_error"


class GatewayUnavailable(GatewayError):
    default_message = "The payment provider is unavailable right now. Please try again shortly."
    default_code = "gateway_unavailable"
    default_retryable = True


class NotFound(GatewayError):
    default_message = "The payment record was not found."
    default_code = "resource_missing"


class InvalidWebhook(GatewayError):
    default_message = "The webhook signature could not be verified."
    default_code = "invalid_webhook"


# --- the port --------------------------------------------------------------------------------

class PaymentGateway(abc.ABC):
    """Everything FairTrain asks of Stripe. Amounts are integer cents; currencies are lower-case.

    Every create takes an idempotency key that the caller derives from its own record
    (e.g. ``payout:<id>``), so a retried call can never move money twice.
    """

    #: True for the in-memory adapter; the UI shows a demo banner when set.
    simulated: bool = False

    @abc.abstractmethod
    def create_payment_intent(self, amount_cents: int, currency: str, customer_ref: str,
                              idempotency_key: str, payment_method: Optional[str] = None,
                              confirm: bool = False,
                              metadata: Optional[dict[str, str]] = None) -> PaymentIntentResult:
        """Create a card PaymentIntent on the platform account; ``confirm`` charges at once."""

    @abc.abstractmethod
    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntentResult: ...

    @abc.abstractmethod
    def confirm_payment_intent(self, payment_intent_id: str,
                               payment_method: str) -> PaymentIntentResult:
        """Attach ``payment_method`` and confirm; raises CardDeclined when the charge fails."""

    @abc.abstractmethod
    def refund(self, payment_intent_id: str, amount_cents: int,
               idempotency_key: str) -> RefundResult: ...

    @abc.abstractmethod
    def list_refunds_for(self, payment_intent_id: str) -> list[RefundResult]:
        """All refunds of one PaymentIntent, for reconciliation."""

    @abc.abstractmethod
    def create_connected_account(self, email: str, country: str,
                                 idempotency_key: str) -> ConnectedAccountResult: ...

    @abc.abstractmethod
    def create_account_link(self, account_id: str, refresh_url: str,
                            return_url: str) -> AccountLinkResult: ...

    @abc.abstractmethod
    def retrieve_account(self, account_id: str) -> ConnectedAccountResult: ...

    @abc.abstractmethod
    def create_transfer(self, amount_cents: int, currency: str, destination: str,
                        idempotency_key: str,
                        metadata: Optional[dict[str, str]] = None) -> TransferResult:
        """Send money to a connected account. The key is also stored in the transfer's metadata."""

    @abc.abstractmethod
    def retrieve_transfer(self, transfer_id: str) -> TransferResult: ...

    @abc.abstractmethod
    def list_transfers(self, *, destination: Optional[str] = None, limit: int = 100,
                       starting_after: Optional[str] = None) -> TransferPage:
        """One page of transfers, newest first (Stripe's order)."""

    def find_transfer_by_key(self, idempotency_key: str, *, destination: Optional[str] = None,
                             max_scan: int = 10_000) -> Optional[TransferResult]:
        """The transfer created with this idempotency key, or None.

        Used by recovery after a lost response. Transfers are listed newest first, so a recent
        one is found on the first page; ``max_scan`` bounds the walk through older history.
        """
        starting_after: Optional[str] = None
        scanned = 0
        while scanned < max_scan:
            page = self.list_transfers(destination=destination, limit=100,
                                       starting_after=starting_after)
            for transfer in page.transfers:
                if transfer.idempotency_key == idempotency_key:
                    return transfer
            scanned += len(page.transfers)
            if not page.has_more or not page.transfers:
                return None
            starting_after = page.transfers[-1].id
        return None

    @abc.abstractmethod
    def verify_webhook(self, payload: bytes, sig_header: Optional[str]) -> dict[str, Any]:
        """Check the Stripe-Signature header (tolerance 300 s) and return the event as a plain dict;
        raises InvalidWebhook otherwise."""


def build_gateway(*, secret_key: Optional[str], webhook_secret: Optional[str],
                  api_base: Optional[str] = None, connect_api_base: Optional[str] = None,
                  simulated_state: Any = None, max_network_retries: int = 2,
                  timeout_seconds: float = 30.0) -> PaymentGateway:
    """Build the gateway from plain config values: no secret key means the simulated adapter.

    Empty strings count as unset so that config read from the environment can be passed as is.
    ``simulated_state`` (a SimulatedState) lets several simulated gateways share one store.
    """
    if not secret_key:
        from marketplace.payments.gateway_simulated import SimulatedGateway

        return SimulatedGateway(webhook_secret=webhook_secret or None, state=simulated_state)
    from marketplace.payments.gateway_stripe import StripeGateway

    return StripeGateway(secret_key=secret_key, webhook_secret=webhook_secret or None,
                         api_base=api_base or None, connect_api_base=connect_api_base or None,
                         max_network_retries=max_network_retries,
                         timeout_seconds=timeout_seconds)
