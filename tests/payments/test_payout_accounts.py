"""Trainer payout accounts: connect through Stripe's onboarding link, ready only when Stripe says so."""
from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import sqlalchemy as sa

from marketplace.core.models import Notice
from marketplace.extensions import db
from marketplace.payments import payout_accounts
from marketplace.payments.models import PayoutAccount
from tests.factories import make_trainer


def test_simulated_connect_is_ready_at_once_in_the_demo(client, login, sim_app_gateway):
    trainer = make_trainer()
    login(trainer)
    page = client.get("/wallet").get_data(as_text=True)
    assert "Why you are not being paid yet" in page and "not connected a payout account" in page
    response = client.post("/wallet/payout-account/connect")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/wallet/payout-account/return"
    response = client.get("/wallet/payout-account/return")
    assert response.status_code == 302
    account = db.session.scalar(sa.select(PayoutAccount))
    assert account.status == "ready" and account.user_id == trainer.id and not account.is_live
    assert "Ready" in client.get("/wallet/payout-account").get_data(as_text=True)
    assert "Why you are not being paid yet" not in client.get("/wallet").get_data(as_text=True)
    assert db.session.scalar(sa.select(Notice).where(Notice.subject == "Your payout account is ready"))


def test_express_onboarding_through_stripes_link(client, login, stripe_app_gateway):
    """Real stripe library against the fake Connect: the link leads to Stripe's (fake) hosted form, which
    sends the trainer back; until then the account is not ready and the trainer is told why."""
    trainer = make_trainer()
    login(trainer)
    response = client.post("/wallet/payout-account/connect")
    link = response.headers["Location"]
    assert link.startswith(stripe_app_gateway.fake.url + "/_fake/onboarding/acct_")
    assert "return_url=http" in link
    account = db.session.scalar(sa.select(PayoutAccount))
    assert account.status == "onboarding"
    page = client.get("/wallet").get_data(as_text=True)
    assert "have not finished Stripe" in page and "Finish your payout account" in page

    # The trainer fills in Stripe's form; Stripe redirects them back to our return URL.
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(link, timeout=5)
    except urllib.error.HTTPError as exc:
        back = exc.headers["Location"]
    assert urlsplit(back).path == "/wallet/payout-account/return"
    assert client.get(urlsplit(back).path).status_code == 302
    db.session.rollback()
    assert db.session.get(PayoutAccount, account.id).status == "ready"
    # The same click again creates no second Stripe account.
    client.post("/wallet/payout-account/connect")
    assert len(stripe_app_gateway.fake.accounts) == 1


def test_a_trainer_without_a_country_is_told_to_set_it(client, login, sim_app_gateway):
    trainer = make_trainer(country=None)
    login(trainer)
    response = client.post("/wallet/payout-account/connect", follow_redirects=True)
    assert "Set the country you work from" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(PayoutAccount.id))) == 0


def test_details_submitted_but_not_enabled_explains_that_stripe_is_checking(sim_app_gateway):
    trainer = make_trainer()
    sim_app_gateway.gateway.state.auto_complete_onboarding = False
    account = payout_accounts.connect(trainer, sim_app_gateway.gateway)
    sim_app_gateway.gateway.state.accounts[account.stripe_account_id]["details_submitted"] = True
    payout_accounts.refresh(account, sim_app_gateway.gateway)
    db.session.commit()
    ready, why = payout_accounts.readiness(trainer)
    assert not ready and account.status == "restricted" and "has not enabled payouts yet" in why
