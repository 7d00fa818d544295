"""Money pages by role: the admin's manual payout and refund (with written reasons), overview, permissions."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from marketplace.core.models import AuditEvent, Notice
from marketplace.extensions import db
from marketplace.payments import services, topups
from marketplace.payments.models import Payout, Refund
from tests.factories import make_admin, make_payout_ready_trainer, make_requester, make_trainer

TOKEN = "fe" * 16


def trainer_with_earnings(cents=7_500):
    trainer = make_payout_ready_trainer()
    services.pay_onboarding(trainer, cents, f"onb:{trainer.id}")
    db.session.commit()
    return trainer


def test_admin_pays_a_trainer_with_a_written_reason_and_the_trainer_sees_it(client, login, sim_app_gateway):
    trainer, admin = trainer_with_earnings(), make_admin()
    login(admin)
    page = client.get(f"/admin/money/trainers/{trainer.id}").get_data(as_text=True)
    assert "$75.00" in page and "ready" in page
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    response = client.post(f"/admin/money/trainers/{trainer.id}/payout",
                           data={"amount": "", "reason": "Trainer leaves the platform; paid early.", "token": token})
    assert response.status_code == 302
    payout = db.session.scalar(sa.select(Payout))
    assert (payout.status, payout.amount_cents, payout.actor_id) == ("paid", 7_500, admin.id)
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "payments.payout_requested"))
    assert audit.reason == "Trainer leaves the platform; paid early." and audit.subject_user_id == trainer.id
    # Sending the same form again pays nothing more.
    client.post(f"/admin/money/trainers/{trainer.id}/payout",
                data={"amount": "", "reason": "Trainer leaves the platform; paid early.", "token": token})
    assert sim_app_gateway.transfers_created() == 1

    login(trainer)
    wallet = client.get("/wallet").get_data(as_text=True)
    assert "Paid out so far" in wallet and "$75.00" in wallet and "sent" in wallet
    assert "Your payout account is ready" in wallet


@pytest.mark.parametrize("data,message", [
    ({"amount": "", "reason": "short"}, "at least 10"),
    ({"amount": "500", "reason": "Paying out before the holidays."}, "$75.00 available, $500.00 needed"),
    ({"amount": "-3", "reason": "Paying out before the holidays."}, "Enter an amount above zero"),
    ({"amount": "12.345", "reason": "Paying out before the holidays."}, "Enter an amount like 25"),
])
def test_manual_payout_errors_are_shown_on_the_form(client, login, sim_app_gateway, data, message):
    trainer = trainer_with_earnings()
    login(make_admin())
    response = client.post(f"/admin/money/trainers/{trainer.id}/payout", data={**data, "token": TOKEN})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Payout.id))) == 0


def test_manual_payout_to_a_trainer_without_a_payout_account_says_why(client, login, sim_app_gateway):
    trainer = make_trainer()
    services.pay_onboarding(trainer, 2_000, "onb")
    db.session.commit()
    login(make_admin())
    response = client.post(f"/admin/money/trainers/{trainer.id}/payout",
                           data={"amount": "", "reason": "Paying out before the holidays.", "token": TOKEN})
    assert response.status_code == 422 and "not connected a payout account" in response.get_data(as_text=True)


def test_admin_refunds_unused_funds_and_the_requester_reads_the_reason(client, login, sim_app_gateway):
    requester, admin = make_requester(), make_admin()
    charge = topups.start_top_up(requester, 20_000, "c" * 32, currency="usd")
    db.session.commit()
    topups.pay_with_card(charge, "pm_card_visa", sim_app_gateway.gateway)
    db.session.commit()
    login(admin)
    assert "$200.00" in client.get(f"/admin/money/requesters/{requester.id}").get_data(as_text=True)
    response = client.post(f"/admin/money/requesters/{requester.id}/refund",
                           data={"amount": "80", "reason": "Pilot cancelled; returning the unused budget.",
                                 "token": TOKEN})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Refund.status)) == "succeeded"
    login(requester)
    page = client.get("/funds").get_data(as_text=True)
    assert "$120.00" in page and "Pilot cancelled; returning the unused budget." in page and "refunded" in page
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == requester.id,
                                                       Notice.subject.like("%refunded%")))
    assert "Pilot cancelled" in notice.body


def test_admin_overview_shows_totals_movements_and_stuck_payouts(client, login, sim_app_gateway):
    from datetime import timedelta

    from marketplace.payments import payouts

    trainer = trainer_with_earnings()
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="stuck")
    payout.created_at = payout.created_at - timedelta(hours=1)
    db.session.commit()
    sim_app_gateway.fail_next_transfers(1, "unavailable")
    payouts.send_payout(payout.id, sim_app_gateway.gateway)
    login(make_admin())
    page = client.get("/admin/money").get_data(as_text=True)
    assert 'id="totals"' in page and "trainer_pending" in page and "$75.00" in page
    assert 'id="stuck"' in page and "Retry now" in page and "unavailable" in page
    assert "payout_reserve" in page
    response = client.post(f"/admin/money/payouts/{payout.id}/retry")
    assert response.status_code == 302
    db.session.rollback()
    assert db.session.get(Payout, payout.id).status == "paid" and sim_app_gateway.transfers_created() == 1


@pytest.mark.parametrize("path", ["/admin/money", "/admin/money/trainers/1", "/admin/money/requesters/1"])
def test_money_admin_pages_are_for_admins_only(client, login, path):
    for user in (make_trainer(), make_requester()):
        login(user)
        assert client.get(path).status_code == 403


def test_each_role_sees_only_its_own_money_pages(client, login, sim_app_gateway):
    login(make_trainer())
    assert client.get("/wallet").status_code == 200 and client.get("/funds").status_code == 403
    login(make_requester())
    assert client.get("/funds").status_code == 200 and client.get("/wallet").status_code == 403
    assert client.get("/wallet/payout-account").status_code == 403


def test_navigation_shows_the_money_pages(client, login, sim_app_gateway):
    login(make_trainer())
    page = client.get("/home").get_data(as_text=True)
    assert 'href="/wallet"' in page
    assert 'href="/wallet/payout-account"' in client.get("/settings").get_data(as_text=True)
    login(make_requester())
    assert 'href="/funds"' in client.get("/home").get_data(as_text=True)
    login(make_admin())
    assert 'href="/admin/money"' in client.get("/home").get_data(as_text=True)


def test_demo_seed_step_is_idempotent(app, sim_app_gateway):
    from marketplace.demo import payments as demo_payments
    from marketplace.payments import ledger
    from marketplace.payments.models import LedgerTransaction

    # The demo's people, made with the test factories (the real seed hashes 13 passwords with argon2).
    lab = make_requester(email="lab@aurora-ai.example.com")
    make_requester(email="data@shinkansen-data.example.com")
    amara = make_trainer(email="amara@trainers.example.com")
    make_trainer(email="yuki@trainers.example.com")
    demo_payments.seed()
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count(LedgerTransaction.id)))
    demo_payments.seed()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(LedgerTransaction.id))) == count
    assert services.requester_available(lab) == 500_000 - 2_500
    assert services.trainer_balances(amara) == services.TrainerBalances(payable=3_200, pending=0, paid_out=2_000)
    assert sim_app_gateway.transfers_created() == 1
    assert ledger.integrity_problems() == []
