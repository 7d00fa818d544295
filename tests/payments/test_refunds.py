"""Admin refunds of unused funds: written reason, only unused money, reserved before Stripe, back if refused."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.core.errors import ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.payments import ledger, periodic, refunds, services, topups
from marketplace.payments.gateway import GatewayError, GatewayUnavailable
from marketplace.payments.models import Refund
from tests.factories import make_admin, make_requester

REASON = "Requester closed their account; unused funds go back."


def paid(gateway, requester, cents, token):
    charge = topups.start_top_up(requester, cents, token, currency="usd")
    db.session.commit()
    topups.create_intent(charge, gateway)
    topups.pay_with_card(charge, "pm_card_visa", gateway)
    db.session.commit()
    return charge


def test_refund_takes_back_only_unused_funds_newest_payment_first(app_gateway):
    gateway = app_gateway.gateway
    requester, admin = make_requester(), make_admin()
    first = paid(gateway, requester, 3_000, "a" * 32)
    second = paid(gateway, requester, 5_000, "b" * 32)
    services.fund_job_escrow(requester, 1, 2_000, "job:1")
    db.session.commit()
    with pytest.raises(ValidationFailed, match=r"Only \$60.00 .* is unused"):
        refunds.refund_unused_funds(requester, 6_001, actor=admin, reason=REASON, request_key="r1")

    made = refunds.refund_unused_funds(requester, 6_000, actor=admin, reason=REASON, request_key="r1")
    db.session.commit()
    assert [(r.charge_id, r.amount_cents, r.status) for r in made] == [(second.id, 5_000, "pending"),
                                                                     (first.id, 1_000, "pending")]
    assert services.requester_available(requester) == 0  # reserved before Stripe is asked
    for refund in made:
        assert refunds.send_refund(refund.id, gateway).status == "succeeded"
    at_stripe = {r.amount_cents for r in gateway.list_refunds_for(second.payment_intent_id)}
    assert at_stripe == {5_000}
    assert [r.amount_cents for r in gateway.list_refunds_for(first.payment_intent_id)] == [1_000]
    assert ledger.balance(ledger.REFUNDS) == 6_000 and services.escrow_balance(1) == 2_000
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == requester.id,
                                                       Notice.subject.like("%refunded%")))
    assert REASON in notice.body
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "payments.refund_issued"))
    assert event.reason == REASON and event.actor_id == admin.id and event.subject_user_id == requester.id
    assert ledger.integrity_problems() == []


def test_refund_needs_a_written_reason(sim_app_gateway):
    requester = make_requester()
    paid(sim_app_gateway.gateway, requester, 3_000, "a" * 32)
    with pytest.raises(ValidationFailed, match="reason"):
        refunds.refund_unused_funds(requester, 100, actor=make_admin(), reason="because", request_key="r")


def test_the_same_refund_form_twice_refunds_once(sim_app_gateway):
    requester, admin = make_requester(), make_admin()
    paid(sim_app_gateway.gateway, requester, 3_000, "a" * 32)
    one = refunds.refund_unused_funds(requester, 1_000, actor=admin, reason=REASON, request_key="form:1")
    two = refunds.refund_unused_funds(requester, 1_000, actor=admin, reason=REASON, request_key="form:1")
    assert [r.id for r in one] == [r.id for r in two]
    db.session.commit()
    assert services.requester_available(requester) == 2_000


class RefusingGateway:
    def __init__(self, inner, error):
        self.inner, self.error = inner, error

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def refund(self, *args, **kwargs):
        raise self.error


def test_a_refused_refund_puts_the_money_back(sim_app_gateway):
    requester = make_requester()
    paid(sim_app_gateway.gateway, requester, 3_000, "a" * 32)
    [refund] = refunds.refund_unused_funds(requester, 1_000, actor=make_admin(), reason=REASON, request_key="x")
    db.session.commit()
    gateway = RefusingGateway(sim_app_gateway.gateway, GatewayError("The charge is disputed.", code="charge_disputed"))
    assert refunds.send_refund(refund.id, gateway).status == "failed"
    assert services.requester_available(requester) == 3_000 and ledger.balance(ledger.REFUNDS) == 0
    assert ledger.integrity_problems() == []


def test_a_refund_interrupted_by_an_outage_is_finished_by_recovery(sim_app_gateway):
    requester = make_requester()
    charge = paid(sim_app_gateway.gateway, requester, 3_000, "a" * 32)
    [refund] = refunds.refund_unused_funds(requester, 1_000, actor=make_admin(), reason=REASON, request_key="y")
    db.session.commit()
    assert refunds.send_refund(refund.id, RefusingGateway(sim_app_gateway.gateway, GatewayUnavailable())).status \
        == "pending"
    periodic.recover_payments(utcnow() + timedelta(minutes=1))
    db.session.rollback()
    assert db.session.get(Refund, refund.id).status == "succeeded"
    assert [r.amount_cents for r in sim_app_gateway.gateway.list_refunds_for(charge.payment_intent_id)] == [1_000]
