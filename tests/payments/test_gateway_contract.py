"""Contract tests: the simulated and Stripe adapters (localstripe + fake Connect) behave alike."""
from __future__ import annotations

import json
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import stripe

from marketplace.payments.gateway import (
    CardDeclined, GatewayError, GatewayUnavailable, IdempotencyConflict, InvalidWebhook, NotFound,
    build_gateway,
)
from marketplace.payments.gateway_simulated import SimulatedGateway, SimulatedState
from marketplace.payments.gateway_stripe import StripeGateway

# The same values as conftest.py's (not imported: a top-level tests/conftest.py may shadow it).
TEST_SECRET_KEY = "sk_test_fairtrain_local"
TEST_WEBHOOK_SECRET = "whsec_test_contract_secret"
RETURN_URL = "https://fairtrain.test/trainer/payouts/return"
REFRESH_URL = "https://fairtrain.test/trainer/payouts/refresh"


def _ready_account(harness, n: int = 1) -> str:
    account = harness.gateway.create_connected_account(f"trainer{n}@example.com", "US",
                                                       f"account:{n}")
    harness.complete_onboarding(account.id)
    return account.id


# --- payment intents -----------------------------------------------------------------------

def test_payment_intent_create_then_confirm_succeeds(gateway):
    pi = gateway.create_payment_intent(2500, "usd", "user:1", "pi:order:1",
                                       metadata={"order_id": 1})
    assert (pi.status, pi.amount_cents, pi.currency, pi.live) == (
        "requires_payment_method", 2500, "usd", False)
    assert pi.client_secret and pi.metadata["order_id"] == "1"
    assert pi.metadata["customer_ref"] == "user:1"

    confirmed = gateway.confirm_payment_intent(pi.id, "pm_card_visa")
    assert confirmed.id == pi.id and confirmed.succeeded
    assert gateway.retrieve_payment_intent(pi.id).status == "succeeded"


def test_payment_intent_confirmed_at_creation(gateway):
    pi = gateway.create_payment_intent(999, "USD", "user:2", "pi:order:2",
                                       payment_method="pm_card_visa", confirm=True)
    assert pi.succeeded and pi.amount_cents == 999 and pi.currency == "usd"


def test_declined_card_raises_card_declined(gateway):
    with pytest.raises(CardDeclined) as excinfo:
        gateway.create_payment_intent(2500, "usd", "user:3", "pi:order:3",
                                      payment_method="pm_card_chargeCustomerFail", confirm=True)
    assert excinfo.value.retryable is False
    assert excinfo.value.code == "card_declined" and "declined" in excinfo.value.message


def test_declined_on_confirm_leaves_intent_payable(gateway_harness):
    gateway = gateway_harness.gateway
    pi = gateway.create_payment_intent(1200, "usd", "user:4", "pi:order:4")
    with pytest.raises(CardDeclined):
        gateway.confirm_payment_intent(pi.id, "pm_card_chargeCustomerFail")
    assert gateway.retrieve_payment_intent(pi.id).status == "requires_payment_method"
    if gateway_harness.kind == "localstripe+fake":
        pytest.skip("localstripe cannot confirm a PaymentIntent again after a decline")
    assert gateway.confirm_payment_intent(pi.id, "pm_card_visa").succeeded


def test_unknown_payment_intent_is_not_found(gateway):
    with pytest.raises(NotFound):
        gateway.retrieve_payment_intent("pi_does_not_exist")


def test_amount_must_be_positive_integer_cents(gateway):
    for bad in (0, -5, 12.5, True, "100"):
        with pytest.raises(ValueError):
            gateway.create_payment_intent(bad, "usd", "user:5", f"pi:bad:{bad!r}")


# --- refunds -------------------------------------------------------------------------------

def test_partial_refunds_are_listed_for_reconciliation(gateway):
    pi = gateway.create_payment_intent(5000, "usd", "user:6", "pi:order:6",
                                       payment_method="pm_card_visa", confirm=True)
    first = gateway.refund(pi.id, 2000, "refund:1")
    assert (first.payment_intent_id, first.amount_cents, first.currency, first.live) == (
        pi.id, 2000, "usd", False)
    assert first.status == "succeeded"
    gateway.refund(pi.id, 3000, "refund:2")

    refunds = gateway.list_refunds_for(pi.id)
    assert sorted(r.amount_cents for r in refunds) == [2000, 3000]
    assert {r.id for r in refunds} >= {first.id}


# --- Connect accounts ----------------------------------------------------------------------

def test_connected_account_onboarding(gateway_harness):
    gateway = gateway_harness.gateway
    account = gateway.create_connected_account("trainer@example.com", "us", "account:42")
    assert account.id and not account.ready and account.live is False
    again = gateway.create_connected_account("trainer@example.com", "us", "account:42")
    assert again.id == account.id  # same key, same account

    link = gateway.create_account_link(account.id, REFRESH_URL, RETURN_URL)
    assert link.url.startswith("http")
    gateway_harness.complete_onboarding(account.id)
    ready = gateway.retrieve_account(account.id)
    assert ready.ready and ready.charges_enabled and ready.payouts_enabled


def test_unknown_account_is_not_found(gateway):
    with pytest.raises(NotFound):
        gateway.retrieve_account("acct_missing")


# --- transfers -----------------------------------------------------------------------------

def test_transfer_idempotency_replay(gateway_harness):
    gateway = gateway_harness.gateway
    dest = _ready_account(gateway_harness)
    first = gateway.create_transfer(1500, "usd", dest, "payout:1", {"payout_id": 1})
    assert (first.amount_cents, first.currency, first.destination, first.live) == (
        1500, "usd", dest, False)
    assert first.metadata == {"payout_id": "1", "idempotency_key": "payout:1"}

    replay = gateway.create_transfer(1500, "usd", dest, "payout:1", {"payout_id": 1})
    assert replay.id == first.id
    assert gateway_harness.transfers_created() == 1

    with pytest.raises(IdempotencyConflict) as excinfo:
        gateway.create_transfer(1600, "usd", dest, "payout:1", {"payout_id": 1})
    assert excinfo.value.retryable is False
    assert gateway_harness.transfers_created() == 1
    assert gateway.retrieve_transfer(first.id).amount_cents == 1500


def test_transfer_to_unfinished_account_fails_then_same_key_works(gateway_harness):
    gateway = gateway_harness.gateway
    account = gateway.create_connected_account("new@example.com", "US", "account:9")
    with pytest.raises(GatewayError) as excinfo:
        gateway.create_transfer(700, "usd", account.id, "payout:9")
    assert excinfo.value.code == "insufficient_capabilities_for_transfer"
    gateway_harness.complete_onboarding(account.id)
    assert gateway.create_transfer(700, "usd", account.id, "payout:9").amount_cents == 700
    assert gateway_harness.transfers_created() == 1


def test_find_transfer_after_lost_response(gateway_harness):
    gateway = gateway_harness.gateway
    dest = _ready_account(gateway_harness)
    gateway_harness.fail_next_transfers(1, "lost_response")
    with pytest.raises(GatewayUnavailable) as excinfo:
        gateway.create_transfer(4200, "usd", dest, "payout:7", {"payout_id": 7})
    assert excinfo.value.retryable is True

    found = gateway.find_transfer_by_key("payout:7")
    assert found is not None and found.amount_cents == 4200 and found.destination == dest
    assert found.metadata["payout_id"] == "7"
    assert gateway.find_transfer_by_key("payout:8") is None
    # Retrying with the same key returns the transfer that was made, not a second one.
    assert gateway.create_transfer(4200, "usd", dest, "payout:7", {"payout_id": 7}).id == found.id
    assert gateway_harness.transfers_created() == 1


def test_unavailable_before_transfer_creates_nothing(gateway_harness):
    gateway = gateway_harness.gateway
    dest = _ready_account(gateway_harness)
    gateway_harness.fail_next_transfers(1, "unavailable")
    with pytest.raises(GatewayUnavailable):
        gateway.create_transfer(300, "usd", dest, "payout:3")
    assert gateway.find_transfer_by_key("payout:3") is None
    assert gateway.create_transfer(300, "usd", dest, "payout:3").amount_cents == 300
    assert gateway_harness.transfers_created() == 1


def test_find_transfer_by_key_pages_through_history(gateway_harness):
    gateway = gateway_harness.gateway
    dest, other = _ready_account(gateway_harness, 1), _ready_account(gateway_harness, 2)
    made = [gateway.create_transfer(100 + i, "usd", dest if i % 2 else other, f"payout:{i}")
            for i in range(130)]
    page = gateway.list_transfers(limit=100)
    assert len(page.transfers) == 100 and page.has_more
    assert page.transfers[0].id == made[-1].id  # newest first
    oldest = gateway.find_transfer_by_key("payout:0")
    assert oldest is not None and oldest.id == made[0].id
    assert gateway.find_transfer_by_key("payout:1", destination=other) is None
    assert gateway.find_transfer_by_key("payout:1", destination=dest).id == made[1].id
    assert gateway.find_transfer_by_key("payout:0", max_scan=100) is None


def test_concurrent_transfers_with_one_key_move_money_once(gateway_harness):
    gateway = gateway_harness.gateway
    dest = _ready_account(gateway_harness)

    def pay(_: int) -> str:
        return gateway.create_transfer(2500, "usd", dest, "payout:77", {"payout_id": 77}).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(pay, range(16)))
    assert len(ids) == 1 and gateway_harness.transfers_created() == 1


# --- webhooks ------------------------------------------------------------------------------

def _event_payload() -> bytes:
    event = {"id": "evt_test_1", "object": "event", "type": "payment_intent.succeeded",
             "created": int(time.time()), "livemode": False, "api_version": "2025-01-01",
             "data": {"object": {"id": "pi_123", "object": "payment_intent", "amount": 2500,
                                 "currency": "usd", "status": "succeeded"}}}
    return json.dumps(event).encode()


def _sign(payload: bytes, secret: str = TEST_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    # stripe 16 exposes the signer publicly: it is what the test-mode CLI uses too.
    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret,
                                                             timestamp=timestamp)


def test_webhook_signed_with_secret_verifies(gateway):
    payload = _event_payload()
    event = gateway.verify_webhook(payload, _sign(payload))
    assert isinstance(event, dict) and event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["id"] == "pi_123"


@pytest.mark.parametrize("case", ["tampered", "wrong_secret", "stale", "missing_header",
                                  "garbage_header", "not_json"])
def test_webhook_rejections(gateway, case):
    payload = _event_payload()
    header = _sign(payload)
    if case == "tampered":
        payload = payload.replace(b"2500", b"9999")
    elif case == "wrong_secret":
        header = _sign(payload, secret="whsec_someone_else")
    elif case == "stale":
        header = _sign(payload, timestamp=int(time.time()) - 301)
    elif case == "missing_header":
        header = ""
    elif case == "garbage_header":
        header = "not-a-signature"
    elif case == "not_json":
        payload = b"this is not json"
        header = _sign(payload)
    with pytest.raises(InvalidWebhook) as excinfo:
        gateway.verify_webhook(payload, header)
    assert isinstance(excinfo.value, GatewayError) and not excinfo.value.retryable


def test_webhook_without_configured_secret_is_rejected():
    gateway = build_gateway(secret_key="", webhook_secret="")
    payload = _event_payload()
    with pytest.raises(InvalidWebhook):
        gateway.verify_webhook(payload, _sign(payload))


# --- adapter-specific behaviour ------------------------------------------------------------

def test_build_gateway_picks_adapter_from_config():
    assert isinstance(build_gateway(secret_key=None, webhook_secret=None), SimulatedGateway)
    sim = build_gateway(secret_key="", webhook_secret="whsec_x", api_base="")
    assert sim.simulated is True
    real = build_gateway(secret_key=TEST_SECRET_KEY, webhook_secret="whsec_x", api_base="",
                         connect_api_base="")
    assert isinstance(real, StripeGateway) and real.simulated is False


def test_simulated_records_are_marked_and_shared_through_state():
    state = SimulatedState()
    one = build_gateway(secret_key="", webhook_secret=None, simulated_state=state)
    two = build_gateway(secret_key="", webhook_secret=None, simulated_state=state)
    pi = one.create_payment_intent(100, "usd", "user:1", "pi:1", "pm_card_visa", confirm=True)
    account = one.create_connected_account("t@example.com", "US", "account:1")
    link = one.create_account_link(account.id, REFRESH_URL, RETURN_URL)
    assert link.url == RETURN_URL  # no hosted page: onboarding completes at once in the demo
    assert two.retrieve_account(account.id).ready
    transfer = two.create_transfer(100, "usd", account.id, "payout:1")
    for record in (pi, account, transfer):
        assert record.id.startswith("sim_") and record.live is False
    assert two.retrieve_payment_intent(pi.id).succeeded


def test_simulated_payment_intent_idempotency():
    gateway = build_gateway(secret_key="", webhook_secret=None)
    first = gateway.create_payment_intent(100, "usd", "user:1", "pi:1")
    assert gateway.create_payment_intent(100, "usd", "user:1", "pi:1").id == first.id
    with pytest.raises(IdempotencyConflict):
        gateway.create_payment_intent(200, "usd", "user:1", "pi:1")
    for _ in range(2):  # a decline is replayed, like Stripe replays the saved 402
        with pytest.raises(CardDeclined) as excinfo:
            gateway.create_payment_intent(100, "usd", "user:1", "pi:2",
                                          "pm_card_visa_chargeDeclined", confirm=True)
    assert excinfo.value.payment_intent_id.startswith("sim_pi_")


def test_stripe_adapter_sends_idempotency_keys_and_never_payouts(localstripe, fake_connect):
    gateway = build_gateway(secret_key=TEST_SECRET_KEY, webhook_secret=None, api_base=localstripe,
                            connect_api_base=fake_connect.url, max_network_retries=0)
    account = gateway.create_connected_account("t@example.com", "US", "account:5")
    fake_connect.complete_onboarding(account.id)
    gateway.create_transfer(500, "usd", account.id, "payout:5")
    posts = [r for r in fake_connect.requests if r["method"] == "POST"]
    assert [(r["path"], r["idempotency_key"]) for r in posts] == [
        ("/v1/accounts", "account:5"), ("/v1/transfers", "payout:5")]
    source = Path(__file__).resolve().parents[2] / "marketplace/payments/gateway_stripe.py"
    # No code path may reach the payouts API (the docstring may name it).
    assert not re.search(r"\.payouts\b|Payout\.", source.read_text())


@pytest.mark.parametrize("mode", ["500", "drop_after"])
def test_library_retry_reuses_the_key(localstripe, fake_connect, mode):
    gateway = build_gateway(secret_key=TEST_SECRET_KEY, webhook_secret=None, api_base=localstripe,
                            connect_api_base=fake_connect.url, max_network_retries=1)
    account = gateway.create_connected_account("t@example.com", "US", "account:6")
    fake_connect.complete_onboarding(account.id)
    fake_connect.fail_next_transfers(1, mode)
    transfer = gateway.create_transfer(800, "usd", account.id, "payout:6")
    assert fake_connect.transfers_created == 1
    assert gateway.find_transfer_by_key("payout:6").id == transfer.id


def test_unreachable_stripe_is_retryable_unavailable():
    with socket.socket() as s:  # bound, never listening: connections are refused
        s.bind(("127.0.0.1", 0))
        gateway = build_gateway(secret_key=TEST_SECRET_KEY, webhook_secret=None,
                                api_base=f"http://127.0.0.1:{s.getsockname()[1]}",
                                max_network_retries=0, timeout_seconds=2)
        with pytest.raises(GatewayUnavailable) as excinfo:
            gateway.create_payment_intent(100, "usd", "user:1", "pi:1")
    assert excinfo.value.retryable and excinfo.value.detail
