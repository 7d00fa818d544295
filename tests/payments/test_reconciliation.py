"""Reconciliation: the ledger against itself and Stripe; admins told of mismatches; payouts frozen when money is
missing."""
from __future__ import annotations

import sqlalchemy as sa

from marketplace.core.models import Notice
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.payments import freezes, ledger, payouts, periodic, reconciliation, services, topups
from marketplace.payments.gateway import GatewayUnavailable
from marketplace.payments.models import LedgerAccount
from tests.factories import make_admin, make_payout_ready_trainer, make_requester


def paid_top_up(gateway, requester, cents=5_000, token="a" * 32):
    charge = topups.start_top_up(requester, cents, token, currency="usd")
    db.session.commit()
    topups.create_intent(charge, gateway)
    topups.pay_with_card(charge, "pm_card_visa", gateway)
    db.session.commit()
    return charge


def paid_trainer(app_gateway, cents=4_000):
    trainer = make_payout_ready_trainer(app_gateway.gateway, app_gateway.complete_onboarding)
    services.pay_onboarding(trainer, cents, f"onb:{trainer.id}")
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key=f"pay:{trainer.id}")
    db.session.commit()
    payouts.send_payout(payout.id, app_gateway.gateway)
    return trainer


def run(app_gateway):
    found = reconciliation.reconcile(utcnow(), app_gateway.gateway)
    db.session.commit()
    return found


def test_books_that_agree_with_stripe_report_nothing(app_gateway):
    admin = make_admin()
    paid_top_up(app_gateway.gateway, make_requester())
    paid_trainer(app_gateway)
    result = run(app_gateway)
    assert (result.status, result.findings) == ("ok", [])
    assert result.checked["charges"] == 1 and result.checked["transfers"] == 1
    assert result.checked["ledger_card_payments_cents"] == 5_000 and result.checked["ledger_paid_out_cents"] == 4_000
    assert not freezes.payouts_frozen()
    assert db.session.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == admin.id)) == 0


def test_a_missed_webhook_is_credited_and_reported(app_gateway):
    admin, requester = make_admin(), make_requester()
    charge = topups.start_top_up(requester, 2_000, "b" * 32, currency="usd")
    db.session.commit()
    topups.create_intent(charge, app_gateway.gateway)
    db.session.commit()
    app_gateway.gateway.confirm_payment_intent(charge.payment_intent_id, "pm_card_visa")  # webhook never came
    result = run(app_gateway)
    assert result.status == "mismatch" and [f["code"] for f in result.findings] == ["missed_credit"]
    assert services.requester_available(requester) == 2_000
    assert not freezes.payouts_frozen()
    assert db.session.scalar(sa.select(Notice.subject).where(Notice.user_id == admin.id)) \
        == "Reconciliation found differences"


def test_a_refund_made_outside_fairtrain_freezes_payouts_and_tells_admins(app_gateway):
    admin, requester = make_admin(), make_requester()
    charge = paid_top_up(app_gateway.gateway, requester)
    app_gateway.gateway.refund(charge.payment_intent_id, 1_500, "dashboard-refund")  # someone used the dashboard
    trainer = paid_trainer(app_gateway)
    result = run(app_gateway)
    assert result.status == "money_missing"
    assert [f["code"] for f in result.findings] == ["refund_outside_fairtrain"]
    freeze = freezes.active_freeze()
    assert freeze is not None and "$15.00" in freeze.reason
    subject = db.session.scalar(sa.select(Notice.subject).where(Notice.user_id == admin.id))
    assert subject == "Payouts frozen: reconciliation found money missing"

    # While frozen, a payout is reserved but Stripe is not asked.
    services.pay_onboarding(trainer, 1_000, "onb:more")
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="frozen:1")
    db.session.commit()
    before = app_gateway.transfers_created()
    assert payouts.send_payout(payout.id, app_gateway.gateway).status == "pending"
    assert app_gateway.transfers_created() == before

    # The same findings the next night do not notify again.
    run(app_gateway)
    assert db.session.scalar(sa.select(sa.func.count(Notice.id)).where(Notice.user_id == admin.id)) == 1


def test_a_transfer_nobody_recorded_is_money_missing(app_gateway):
    make_admin()
    trainer = paid_trainer(app_gateway)
    destination = payouts.payouts_of(trainer.id)[0].destination
    app_gateway.gateway.create_transfer(999, "usd", destination, "manual:dashboard")
    result = run(app_gateway)
    assert result.status == "money_missing" and [f["code"] for f in result.findings] == ["transfer_unknown"]
    assert freezes.payouts_frozen()


def test_ledger_drift_is_money_missing(sim_app_gateway):
    requester = make_requester()
    paid_top_up(sim_app_gateway.gateway, requester)
    table = LedgerAccount.__table__
    db.session.execute(table.update().where(table.c.name == ledger.requester_funds(requester.id))
                       .values(balance_cents=9_000))
    db.session.commit()
    result = run(sim_app_gateway)
    assert result.status == "money_missing" and result.findings[0]["code"] == "guard_row_differs"


class DownGateway:
    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def retrieve_payment_intent(self, *args, **kwargs):
        raise GatewayUnavailable()


def test_an_unreachable_gateway_makes_an_incomplete_run_not_a_freeze(sim_app_gateway):
    paid_top_up(sim_app_gateway.gateway, make_requester())
    result = reconciliation.reconcile(utcnow(), DownGateway(sim_app_gateway.gateway))
    db.session.commit()
    assert result.status == "error" and not freezes.payouts_frozen()


def test_the_scheduled_body_runs_and_lifting_needs_a_reason(client, login, sim_app_gateway):
    admin, requester = make_admin(), make_requester()
    charge = paid_top_up(sim_app_gateway.gateway, requester)
    sim_app_gateway.gateway.refund(charge.payment_intent_id, 100, "outside")
    assert periodic.reconcile_payments(utcnow()) == 1
    login(admin)
    page = client.get("/admin/money").get_data(as_text=True)
    assert "Payouts are frozen" in page and "money missing" in page
    assert client.post("/admin/money/freeze/lift", data={"reason": "ok"}).status_code == 422
    response = client.post("/admin/money/freeze/lift",
                           data={"reason": "Refund was a chargeback settled with the requester by phone."})
    assert response.status_code == 302
    db.session.rollback()
    assert not freezes.payouts_frozen()
    # The refund is still at Stripe the next night: listed as acknowledged, no new freeze. A new problem freezes.
    result = run(sim_app_gateway)
    assert [f["severity"] for f in result.findings] == ["acknowledged"] and not freezes.payouts_frozen()
    other = paid_top_up(sim_app_gateway.gateway, requester, token="e" * 32)
    sim_app_gateway.gateway.refund(other.payment_intent_id, 200, "outside-again")
    result = run(sim_app_gateway)
    assert sorted(f["severity"] for f in result.findings) == ["acknowledged", "missing"]
    assert freezes.payouts_frozen()
