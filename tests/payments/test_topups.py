"""Requester top-ups: credited only after the payment succeeded, once; declines credit nothing; statement + CSV."""
from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.payments import services, topups
from marketplace.payments.models import Charge, LedgerTransaction
from tests.factories import make_requester

TOKEN = "0123456789abcdef" * 2


def available(requester) -> int:
    db.session.rollback()
    return services.requester_available(requester)


def form_token(page: str) -> str:
    return re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)


def start(client, amount="250", token=TOKEN):
    return client.post("/funds/top-ups", data={"amount": amount, "token": token})


def test_requester_tops_up_with_the_simulated_card_form(client, login, sim_app_gateway):
    requester = make_requester()
    login(requester)
    page = client.get("/funds").get_data(as_text=True)
    assert "Add funds" in page and "js.stripe.com" not in page
    response = start(client, "1,250.50", form_token(page))
    assert response.status_code == 302
    charge = db.session.scalar(sa.select(Charge))
    assert response.headers["Location"].endswith(f"/funds/top-ups/{charge.id}")
    assert charge.amount_cents == 125_050 and charge.payment_intent_id and available(requester) == 0

    pay_page = client.get(f"/funds/top-ups/{charge.id}").get_data(as_text=True)
    assert "4242 4242 4242 4242" in pay_page and "js.stripe.com" not in pay_page
    response = client.post(f"/funds/top-ups/{charge.id}/card",
                           data={"card_number": "4242 4242 4242 4242", "expiry": "12/39", "cvc": "123"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/funds")
    assert available(requester) == 125_050
    page = client.get("/funds").get_data(as_text=True)
    assert "$1,250.50" in page and "Funds added by card" in page


def test_a_double_submitted_form_makes_one_charge(client, login, sim_app_gateway):
    login(make_requester())
    assert start(client).status_code == 302 and start(client).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Charge.id))) == 1


def test_a_declined_card_credits_nothing_and_another_card_can_pay(client, login, sim_app_gateway):
    requester = make_requester()
    login(requester)
    start(client, "40")
    charge = db.session.scalar(sa.select(Charge))
    response = client.post(f"/funds/top-ups/{charge.id}/card",
                           data={"card_number": "4000 0000 0000 0002", "expiry": "12/39", "cvc": "123"})
    assert response.status_code == 422 and "declined" in response.get_data(as_text=True)
    assert available(requester) == 0 and db.session.get(Charge, charge.id).last_error
    response = client.post(f"/funds/top-ups/{charge.id}/card",
                           data={"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123"})
    assert response.status_code == 302 and available(requester) == 4_000
    assert db.session.get(Charge, charge.id).last_error is None


@pytest.mark.parametrize("amount,message", [("abc", "Enter an amount like 25"), ("0", "above zero"),
                                            ("4.99", "between $5.00 and $10,000.00"),
                                            ("10000.01", "between $5.00 and $10,000.00"),
                                            ("", "Enter an amount"), ("1.234", "Enter an amount like 25")])
def test_bad_amounts_get_a_clear_error_and_no_charge(client, login, sim_app_gateway, amount, message):
    login(make_requester())
    response = start(client, amount)
    assert response.status_code == 422 and message in response.get_data(as_text=True).replace("&#39;", "'")
    assert db.session.scalar(sa.select(sa.func.count(Charge.id))) == 0


@pytest.mark.parametrize("card,expiry,cvc,message", [
    ("4242 4242 4242 4241", "12/39", "123", "not a valid card number"),
    ("4111 1111 1111 1111", "12/39", "123", "test cards only"),
    ("4242 4242 4242 4242", "01/20", "123", "expired"),
    ("4242 4242 4242 4242", "13/39", "123", "MM/YY"),
    ("4242 4242 4242 4242", "12/39", "12", "3 or 4 digits"),
])
def test_card_form_errors_are_explained(client, login, sim_app_gateway, card, expiry, cvc, message):
    login(make_requester())
    start(client)
    charge = db.session.scalar(sa.select(Charge))
    response = client.post(f"/funds/top-ups/{charge.id}/card",
                           data={"card_number": card, "expiry": expiry, "cvc": cvc})
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_another_requesters_top_up_is_not_found(client, login, sim_app_gateway):
    login(make_requester())
    start(client)
    charge = db.session.scalar(sa.select(Charge))
    login(make_requester())
    assert client.get(f"/funds/top-ups/{charge.id}").status_code == 404
    assert client.post(f"/funds/top-ups/{charge.id}/card", data={}).status_code == 404


# --- the real stripe library against localstripe ------------------------------------------------

def _charge(gateway, requester, cents, token):
    charge = topups.start_top_up(requester, cents, token, currency="usd")
    db.session.commit()
    topups.create_intent(charge, gateway)
    db.session.commit()
    return charge


def test_localstripe_payment_is_credited_once_by_confirmation_and_webhook_path(stripe_app_gateway):
    requester = make_requester()
    charge = _charge(stripe_app_gateway.gateway, requester, 3_000, TOKEN)
    assert charge.payment_intent_id.startswith("pi_") and charge.client_secret
    outcome = topups.pay_with_card(charge, "pm_card_visa", stripe_app_gateway.gateway)
    db.session.commit()
    assert outcome.succeeded and available(requester) == 3_000
    # The webhook for the same payment arrives afterwards: same ledger key, nothing more.
    intent = stripe_app_gateway.gateway.retrieve_payment_intent(charge.payment_intent_id)
    assert topups.credit_payment_intent(intent.id, intent.amount_cents, intent.currency, via="webhook") \
        == "already_credited"
    db.session.commit()
    assert available(requester) == 3_000
    assert db.session.scalar(sa.select(sa.func.count(LedgerTransaction.id))) == 1


def test_localstripe_decline_credits_nothing(stripe_app_gateway):
    requester = make_requester()
    charge = _charge(stripe_app_gateway.gateway, requester, 3_000, TOKEN)
    outcome = topups.pay_with_card(charge, "pm_card_chargeCustomerFail", stripe_app_gateway.gateway)
    db.session.commit()
    assert not outcome.succeeded and "declined" in outcome.message.lower()
    assert available(requester) == 0 and db.session.get(Charge, charge.id).status == "created"
    assert not topups.check_payment(db.session.get(Charge, charge.id), stripe_app_gateway.gateway).succeeded


def test_real_mode_page_loads_stripe_js_from_stripe_and_never_takes_card_numbers(app, client, login,
                                                                                 stripe_app_gateway):
    requester = make_requester()
    login(requester)
    app.config["STRIPE_PUBLISHABLE_KEY"] = "pk_test_fairtrain"
    try:
        start(client, "30")
        charge = db.session.scalar(sa.select(Charge))
        page = client.get(f"/funds/top-ups/{charge.id}").get_data(as_text=True)
    finally:
        app.config["STRIPE_PUBLISHABLE_KEY"] = ""
    assert '<script src="https://js.stripe.com/v3/"></script>' in page
    assert 'data-publishable-key="pk_test_fairtrain"' in page and charge.client_secret in page
    assert 'name="card_number"' not in page
    assert client.post(f"/funds/top-ups/{charge.id}/card",
                       data={"card_number": "4242424242424242", "expiry": "12/39", "cvc": "123"}).status_code == 404
    # Stripe.js confirms in the browser; then the page's check form asks our server to look.
    stripe_app_gateway.gateway.confirm_payment_intent(charge.payment_intent_id, "pm_card_visa")
    response = client.post(f"/funds/top-ups/{charge.id}/check")
    assert response.status_code == 302 and response.headers["Location"].endswith("/funds")
    assert available(requester) == 3_000


# --- statement ----------------------------------------------------------------------------------

def test_statement_has_running_balance_and_a_formula_safe_csv(client, login, sim_app_gateway):
    requester = make_requester()
    for cents, token in ((10_000, "a" * 32), (5_000, "b" * 32)):
        charge = _charge(sim_app_gateway.gateway, requester, cents, token)
        topups.pay_with_card(charge, "pm_card_visa", sim_app_gateway.gateway)
        db.session.commit()
    # Another room passes a job title as the description; a title can be anything a requester typed.
    services.fund_job_escrow(requester, 41, 2_500, "job:41", description="=HYPERLINK(\"http://evil\",\"job\")")
    services.fund_job_escrow(requester, 42, 1_000, "job:42", description="@SUM(1+1)")
    db.session.commit()
    login(requester)
    page = client.get("/funds").get_data(as_text=True)
    table = page[page.index('id="statement"'):]
    assert table.index("$115.00") < table.index("$125.00") < table.index("$150.00")  # newest first

    response = client.get("/funds/statement.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["date_utc", "description", "amount", "balance", "reference"]
    assert [(r[2], r[3]) for r in rows[1:]] == [("100.00", "100.00"), ("50.00", "150.00"), ("-25.00", "125.00"),
                                                ("-10.00", "115.00")]
    assert rows[3][1] == "'=HYPERLINK(\"http://evil\",\"job\")" and rows[4][1] == "'@SUM(1+1)"
    assert all(not cell.startswith(("=", "+", "@")) for row in rows for cell in row)
