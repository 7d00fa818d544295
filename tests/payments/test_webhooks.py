"""Webhooks: signature verified, each event applied once, bad deliveries change nothing, order does not matter."""
from __future__ import annotations

import json
import random
import threading
import time
import urllib.request

import pytest
import sqlalchemy as sa
import stripe
from werkzeug.serving import make_server

from marketplace.extensions import db
from marketplace.payments import ledger, payout_accounts, payouts, services, topups
from marketplace.payments.models import Charge, LedgerTransaction, Payout, PayoutAccount, StripeEvent
from marketplace.core.models import Notice
from tests.factories import make_payout_ready_trainer, make_requester, make_trainer

APP_WEBHOOK_SECRET = "whsec_test_secret"  # TestConfig.STRIPE_WEBHOOK_SECRET (conftest.py is not importable)

URL = "/payments/stripe/webhook"


def sign(payload: bytes, secret: str = APP_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload.decode(), secret, timestamp=timestamp)


def event(event_id: str, type_: str, obj: dict) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": type_, "created": int(time.time()),
                       "livemode": False, "data": {"object": obj}}).encode()


def deliver(client, payload: bytes, header: str | None = "sign"):
    headers = {"Content-Type": "application/json"}
    if header == "sign":
        header = sign(payload)
    if header is not None:
        headers["Stripe-Signature"] = header
    return client.post(URL, data=payload, headers=headers)


def paid_intent(gateway, requester, cents=2_500, token=None):
    """A top-up whose card Stripe.js confirmed in the browser: Stripe knows it succeeded, we have not heard yet."""
    charge = topups.start_top_up(requester, cents, token or f"{random.getrandbits(64):032x}", currency="usd")
    db.session.commit()
    topups.create_intent(charge, gateway)
    db.session.commit()
    intent = gateway.confirm_payment_intent(charge.payment_intent_id, "pm_card_visa")
    return charge, {"id": intent.id, "object": "payment_intent", "amount": intent.amount_cents,
                    "currency": intent.currency, "status": intent.status}


def funds(requester) -> int:
    db.session.rollback()
    return services.requester_available(requester)


def test_a_thousand_replays_of_one_event_credit_once(client, sim_app_gateway):
    requester = make_requester()
    charge, intent = paid_intent(sim_app_gateway.gateway, requester)
    payload = event("evt_replayed", "payment_intent.succeeded", intent)
    header = sign(payload)
    outcomes = [deliver(client, payload, header).get_json()["outcome"] for _ in range(1_000)]
    assert outcomes[0] == "credited" and set(outcomes[1:]) == {"duplicate"}
    assert funds(requester) == 2_500
    assert db.session.scalar(sa.select(sa.func.count(StripeEvent.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(LedgerTransaction.id))) == 1
    assert db.session.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == requester.id)) == 1


def test_concurrent_replays_apply_once(app, sim_app_gateway):
    requester = make_requester()
    charge, intent = paid_intent(sim_app_gateway.gateway, requester)
    payload = event("evt_concurrent", "payment_intent.succeeded", intent)
    header = sign(payload)
    statuses: list[int] = []
    barrier = threading.Barrier(16)

    def replay():
        barrier.wait()
        for _ in range(5):
            statuses.append(deliver(app.test_client(), payload, header).status_code)

    threads = [threading.Thread(target=replay) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 80
    assert funds(requester) == 2_500
    assert db.session.scalar(sa.select(sa.func.count(StripeEvent.id))) == 1


@pytest.mark.parametrize("case", ["tampered", "wrong_secret", "stale", "unsigned", "garbage_header", "not_json",
                                  "not_an_event"])
def test_bad_deliveries_are_refused_and_change_nothing(client, sim_app_gateway, case):
    requester = make_requester()
    charge, intent = paid_intent(sim_app_gateway.gateway, requester)
    payload = event("evt_bad", "payment_intent.succeeded", intent)
    header = sign(payload)
    if case == "tampered":
        payload = payload.replace(b'"amount": 2500', b'"amount": 250000')
    elif case == "wrong_secret":
        header = sign(payload, secret="whsec_someone_else")
    elif case == "stale":
        header = sign(payload, timestamp=int(time.time()) - 301)
    elif case == "unsigned":
        header = None
    elif case == "garbage_header":
        header = "t=1,v1=deadbeef"
    elif case == "not_json":
        payload = b"not json at all"
        header = sign(payload)
    elif case == "not_an_event":
        payload = json.dumps({"hello": "world"}).encode()
        header = sign(payload)
    response = deliver(client, payload, header)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"]
    assert funds(requester) == 0
    assert db.session.scalar(sa.select(sa.func.count(StripeEvent.id))) == 0
    assert db.session.get(Charge, charge.id).status == "created"


def test_webhook_needs_no_csrf_token_but_a_signature(csrf_app, sim_app_gateway):
    requester = make_requester()
    charge, intent = paid_intent(sim_app_gateway.gateway, requester)
    response = deliver(csrf_app.test_client(), event("evt_csrf", "payment_intent.succeeded", intent))
    assert response.status_code == 200 and funds(requester) == 2_500


def test_unknown_event_types_are_recorded_and_ignored(client, sim_app_gateway):
    response = deliver(client, event("evt_other", "customer.created", {"id": "cus_1", "object": "customer"}))
    assert response.status_code == 200 and response.get_json()["outcome"] == "ignored"
    assert db.session.scalar(sa.select(StripeEvent.outcome)) == "ignored"


def test_a_payment_we_did_not_start_credits_nobody(client, sim_app_gateway):
    response = deliver(client, event("evt_foreign", "payment_intent.succeeded",
                                     {"id": "pi_not_ours", "amount": 100, "currency": "usd"}))
    assert response.get_json()["outcome"] == "unknown_payment"
    assert db.session.scalar(sa.select(sa.func.count(LedgerTransaction.id))) == 0


def test_an_amount_that_differs_from_the_charge_is_not_credited(client, sim_app_gateway):
    requester = make_requester()
    charge, intent = paid_intent(sim_app_gateway.gateway, requester)
    intent["amount"] = 9_999
    response = deliver(client, event("evt_amount", "payment_intent.succeeded", intent))
    assert response.get_json()["outcome"] == "amount_mismatch" and funds(requester) == 0


def test_connect_events_may_be_signed_with_their_own_secret(app, client, sim_app_gateway):
    trainer = make_trainer()
    sim_app_gateway.gateway.state.auto_complete_onboarding = False
    account = payout_accounts.connect(trainer, sim_app_gateway.gateway)
    db.session.commit()
    sim_app_gateway.complete_onboarding(account.stripe_account_id)
    payload = event("evt_connect", "account.updated", {"id": account.stripe_account_id, "object": "account"})
    assert deliver(client, payload, sign(payload, "whsec_connect")).status_code == 400
    app.config["STRIPE_CONNECT_WEBHOOK_SECRET"] = "whsec_connect"
    try:
        assert deliver(client, payload, sign(payload, "whsec_connect")).get_json()["outcome"] == "account_ready"
    finally:
        app.config["STRIPE_CONNECT_WEBHOOK_SECRET"] = ""
    db.session.rollback()
    assert db.session.get(PayoutAccount, account.id).status == "ready"


def _round(gateway, state, n: int):
    """One set of events about fresh records: two top-ups (one declined first), an account finishing
    onboarding, and a payout whose transfer was made but whose reply was lost."""
    requester = make_requester()
    _, intent_a = paid_intent(gateway, requester, 1_000)
    charge_b = topups.start_top_up(requester, 2_000, f"{n:032x}", currency="usd")
    db.session.commit()
    topups.create_intent(charge_b, gateway)
    db.session.commit()
    with pytest.raises(Exception):
        gateway.confirm_payment_intent(charge_b.payment_intent_id, "pm_card_chargeDeclined")
    failed_b = {"id": charge_b.payment_intent_id, "amount": 2_000, "currency": "usd",
                "last_payment_error": {"message": "Your card was declined."}}
    gateway.confirm_payment_intent(charge_b.payment_intent_id, "pm_card_visa")
    succeeded_b = {"id": charge_b.payment_intent_id, "amount": 2_000, "currency": "usd"}

    state.auto_complete_onboarding = False
    newcomer = make_trainer()
    account = payout_accounts.connect(newcomer, gateway)
    db.session.commit()
    state.complete_onboarding(account.stripe_account_id)

    paid = make_payout_ready_trainer(gateway, state.complete_onboarding)
    services.pay_onboarding(paid, 3_000, f"onb:{paid.id}")
    payout = payouts.pay_trainer(paid, None, actor=None, reason="payroll", idempotency_key=f"payroll:{n}")
    db.session.commit()
    transfer = gateway.create_transfer(payout.amount_cents, "usd", payout.destination, payout.transfer_key,
                                       metadata={"payout_id": payout.id})
    transfer_obj = {"id": transfer.id, "object": "transfer", "amount": transfer.amount_cents, "currency": "usd",
                    "destination": transfer.destination, "metadata": transfer.metadata, "livemode": False}
    events = [event(f"evt_{n}_a", "payment_intent.succeeded", intent_a),
              event(f"evt_{n}_bf", "payment_intent.payment_failed", failed_b),
              event(f"evt_{n}_bs", "payment_intent.succeeded", succeeded_b),
              event(f"evt_{n}_acct", "account.updated", {"id": account.stripe_account_id, "object": "account"}),
              event(f"evt_{n}_tr", "transfer.created", transfer_obj)]
    return requester, newcomer, paid, events


def _snapshot(requester, newcomer, paid):
    db.session.rollback()
    charges = db.session.scalars(sa.select(Charge).where(Charge.requester_id == requester.id)
                                 .order_by(Charge.id)).all()
    account = payout_accounts.payout_account_of(newcomer)
    payout = db.session.scalar(sa.select(Payout).where(Payout.trainer_id == paid.id))
    return ([(c.amount_cents, c.status, c.last_error) for c in charges], services.requester_available(requester),
            account.status, payout.status, services.trainer_balances(paid), ledger.integrity_problems())


def test_events_in_any_order_reach_the_same_final_state(client, sim_app_gateway):
    gateway, state = sim_app_gateway.gateway, sim_app_gateway.gateway.state
    expected = ([(1_000, "succeeded", None), (2_000, "succeeded", None)], 3_000, "ready", "paid",
                services.TrainerBalances(payable=0, pending=0, paid_out=3_000), [])
    rng = random.Random(20261126)
    for n in range(12):
        people = _round(gateway, state, n)
        *_, events = people
        deliveries = events + rng.sample(events, 3)  # with some replays mixed in
        rng.shuffle(deliveries)
        for payload in deliveries:
            assert deliver(client, payload).status_code == 200
        assert _snapshot(*people[:3]) == expected, f"round {n}: {[json.loads(p)['type'] for p in deliveries]}"


def test_localstripe_delivers_signed_webhooks_that_credit_once(app, stripe_app_gateway):
    """localstripe itself signs and POSTs payment_intent.succeeded / payment_failed to our endpoint."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook = f"{stripe_app_gateway.localstripe_url}/_config/webhooks/fairtrain"
    _configure_hook(hook, f"http://127.0.0.1:{server.server_port}{URL}", APP_WEBHOOK_SECRET)
    try:
        requester = make_requester()
        gateway = stripe_app_gateway.gateway
        charge = topups.start_top_up(requester, 4_200, "c" * 32, currency="usd")
        db.session.commit()
        topups.create_intent(charge, gateway)
        db.session.commit()
        declined = topups.start_top_up(requester, 900, "d" * 32, currency="usd")
        db.session.commit()
        topups.create_intent(declined, gateway)
        db.session.commit()
        gateway.confirm_payment_intent(charge.payment_intent_id, "pm_card_visa")  # as Stripe.js would
        with pytest.raises(Exception):
            gateway.confirm_payment_intent(declined.payment_intent_id, "pm_card_chargeCustomerFail")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            db.session.rollback()
            failed_seen = db.session.get(Charge, declined.id).last_error
            if funds(requester) == 4_200 and failed_seen:
                break
            time.sleep(0.2)
        assert funds(requester) == 4_200
        assert db.session.get(Charge, declined.id).last_error
        types = set(db.session.scalars(sa.select(StripeEvent.type)))
        assert {"payment_intent.succeeded", "payment_intent.payment_failed"} <= types
        # Our own confirmation path afterwards finds it already credited: still one credit.
        assert topups.check_payment(db.session.get(Charge, charge.id), gateway).succeeded
        db.session.commit()
        assert funds(requester) == 4_200
    finally:
        _configure_hook(hook, "http://127.0.0.1:9/nowhere", "whsec_off", events=["none.none"])
        server.shutdown()


def _configure_hook(url: str, target: str, secret: str, events: list[str] | None = None) -> None:
    from urllib.parse import urlencode
    fields = [("url", target), ("secret", secret)] + [("events[]", e) for e in (events or [])]
    request = urllib.request.Request(url, data=urlencode(fields).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        response.read()


def test_the_webhook_is_the_only_page_exempt_from_csrf(app):
    from marketplace.extensions import csrf

    exempt = {view for view in csrf._exempt_views if not view.startswith("marketplace.api.")}
    assert exempt == {"marketplace.payments.views.stripe_webhook"}
    assert not {bp for bp in csrf._exempt_blueprints if bp != "api"}
