"""Payouts: outbox before the transfer, one transfer per payout whatever fails, money back when Stripe refuses."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.core.errors import Conflict
from marketplace.core.models import AuditEvent, Notice
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.payments import ledger, payouts, services
from marketplace.payments.ledger import InsufficientFunds
from marketplace.payments.models import Payout
from marketplace.payments.payouts import PayoutAccountNotReady
from tests.factories import make_admin, make_payout_ready_trainer, make_trainer


def ready_trainer(app_gateway, payable_cents=5_000):
    trainer = make_payout_ready_trainer(app_gateway.gateway, app_gateway.complete_onboarding)
    if payable_cents:
        services.pay_onboarding(trainer, payable_cents, f"onboarding:{trainer.id}")
        db.session.commit()
    return trainer


def balances(trainer):
    db.session.rollback()  # a fresh snapshot
    return services.trainer_balances(trainer)


def test_payout_is_reserved_and_committed_before_any_transfer_then_sent_once(app_gateway):
    trainer = ready_trainer(app_gateway)
    admin = make_admin()
    payout = payouts.pay_trainer(trainer, None, actor=admin, reason="Weekly payroll", idempotency_key="payroll:w1:1")
    db.session.commit()
    assert payout.status == "pending" and app_gateway.transfers_created() == 0
    assert balances(trainer) == services.TrainerBalances(payable=0, pending=5_000, paid_out=0)

    payouts.send_payout(payout.id, app_gateway.gateway)
    payouts.send_payout(payout.id, app_gateway.gateway)  # a second sender finds nothing to do
    payout = db.session.get(Payout, payout.id)
    assert payout.status == "paid" and payout.transfer_id and app_gateway.transfers_created() == 1
    transfer = app_gateway.gateway.retrieve_transfer(payout.transfer_id)
    assert transfer.idempotency_key == f"payout:{payout.id}" and transfer.amount_cents == 5_000
    assert balances(trainer) == services.TrainerBalances(payable=0, pending=0, paid_out=5_000)
    assert ledger.integrity_problems() == []
    notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == trainer.id, Notice.subject.like("We sent%")))
    assert notice is not None and "$50.00" in notice.subject
    paid = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "payments.payout_paid"))
    assert paid.reason == f"Payout #{payout.id} of $50.00 sent to the trainer's payout account by Stripe transfer " \
                          f"{payout.transfer_id}."  # the audit log says what happened, not a blank cell


def test_earnings_wait_in_payable_until_the_payout_account_is_ready(sim_app_gateway):
    trainer = make_trainer()
    services.pay_onboarding(trainer, 2_000, "onboarding:x")
    db.session.commit()
    with pytest.raises(PayoutAccountNotReady, match="not connected a payout account"):
        payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="payroll:1")
    assert balances(trainer).payable == 2_000
    assert db.session.scalar(sa.select(sa.func.count(Payout.id))) == 0


def test_a_balance_below_the_minimum_waits_for_next_time(sim_app_gateway):
    trainer = ready_trainer(sim_app_gateway, payable_cents=900)
    assert payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="p:1",
                               minimum_cents=1_000) is None
    assert balances(trainer).payable == 900


def test_an_amount_above_payable_is_refused(sim_app_gateway):
    trainer = ready_trainer(sim_app_gateway, payable_cents=900)
    with pytest.raises(InsufficientFunds, match="payable balance: \\$9.00 available, \\$9.01 needed"):
        payouts.pay_trainer(trainer, 901, actor=make_admin(), reason="manual", idempotency_key="p:2")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Payout.id))) == 0 and balances(trainer).payable == 900


def test_the_same_request_key_returns_the_same_payout(sim_app_gateway):
    trainer = ready_trainer(sim_app_gateway)
    first = payouts.pay_trainer(trainer, 1_000, actor=None, reason="r", idempotency_key="same")
    again = payouts.pay_trainer(trainer, 1_000, actor=None, reason="r", idempotency_key="same")
    assert first.id == again.id
    with pytest.raises(Conflict):
        payouts.pay_trainer(trainer, 2_000, actor=None, reason="r", idempotency_key="same")


def test_suspended_trainers_are_paid_what_they_earned(sim_app_gateway):
    trainer = ready_trainer(sim_app_gateway)
    trainer.status = "suspended"
    db.session.commit()
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="p:s")
    db.session.commit()
    assert payouts.send_payout(payout.id, sim_app_gateway.gateway).status == "paid"


def test_a_refused_transfer_puts_the_money_back_and_tells_the_trainer(sim_app_gateway):
    trainer = ready_trainer(sim_app_gateway)
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="p:r")
    db.session.commit()
    state = sim_app_gateway.gateway.state
    state.accounts[payout.destination]["payouts_enabled"] = False  # Stripe disabled payouts meanwhile
    payout = payouts.send_payout(payout.id, sim_app_gateway.gateway)
    assert payout.status == "failed" and "not finished setting up payouts" in payout.last_error
    assert balances(trainer) == services.TrainerBalances(payable=5_000, pending=0, paid_out=0)
    assert sim_app_gateway.transfers_created() == 0
    assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "payments.payout_failed")) is not None
    assert ledger.integrity_problems() == []


@pytest.mark.parametrize("mode", ["unavailable", "lost_response"])
def test_a_gateway_failure_leaves_the_payout_pending_and_recovery_sends_exactly_one(app_gateway, mode):
    trainer = ready_trainer(app_gateway)
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="p:g")
    db.session.commit()
    app_gateway.fail_next_transfers(1, mode)
    payout = payouts.send_payout(payout.id, app_gateway.gateway)
    assert payout.status == "pending" and payout.last_error
    assert payouts.recover_payouts(utcnow(), app_gateway.gateway) == 0  # backing off
    assert payouts.recover_payouts(utcnow() + timedelta(minutes=2), app_gateway.gateway) == 1
    payout = db.session.get(Payout, payout.id)
    assert payout.status == "paid" and app_gateway.transfers_created() == 1
    assert balances(trainer).paid_out == 5_000 and ledger.integrity_problems() == []


class ProcessDied(BaseException):
    """Stands for the process dying: nothing below the raise runs, no handler catches it."""


class CrashingGateway:
    """Wraps a gateway; create_transfer dies before calling Stripe, or after Stripe made the transfer."""

    def __init__(self, inner, when: str):
        self.inner, self.when = inner, when

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def find_transfer_by_key(self, *args, **kwargs):
        return self.inner.find_transfer_by_key(*args, **kwargs)

    def create_transfer(self, *args, **kwargs):
        if self.when == "before_call":
            raise ProcessDied()
        self.inner.create_transfer(*args, **kwargs)
        raise ProcessDied()


@pytest.mark.parametrize("when", ["before_call", "after_call"])
def test_a_crash_around_the_transfer_ends_after_recovery_with_one_transfer(app_gateway, when):
    trainer = ready_trainer(app_gateway)
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="p:c")
    db.session.commit()
    payout_id, trainer_id = payout.id, trainer.id
    with pytest.raises(ProcessDied):
        payouts.send_payout(payout_id, CrashingGateway(app_gateway.gateway, when))
    db.session.rollback()  # whatever the dead process had not committed is gone
    db.session.remove()
    trainer = db.session.get(User, trainer_id)
    assert app_gateway.transfers_created() == (1 if when == "after_call" else 0)
    # The dead sender's hold lapses after LOCK_SECONDS; recovery then looks the transfer up by key.
    assert payouts.recover_payouts(utcnow(), app_gateway.gateway) == 0
    later = utcnow() + timedelta(seconds=payouts.LOCK_SECONDS + 1)
    assert payouts.recover_payouts(later, app_gateway.gateway) == 1
    assert payouts.recover_payouts(later + timedelta(minutes=5), app_gateway.gateway) == 0
    payout = db.session.get(Payout, payout_id)
    assert payout.status == "paid" and app_gateway.transfers_created() == 1
    assert balances(trainer) == services.TrainerBalances(payable=0, pending=0, paid_out=5_000)
    assert ledger.integrity_problems() == []


def test_a_crash_right_after_committing_the_payout_is_finished_by_recovery(app_gateway):
    trainer = ready_trainer(app_gateway)
    payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="p:d")
    db.session.commit()  # ... and the process dies before send_payout is called
    assert payouts.recover_payouts(utcnow(), app_gateway.gateway) == 1
    assert app_gateway.transfers_created() == 1 and balances(trainer).paid_out == 5_000


def test_frozen_payouts_are_reserved_but_not_sent_until_the_freeze_is_lifted(sim_app_gateway):
    from marketplace.payments import freezes

    trainer = ready_trainer(sim_app_gateway)
    freezes.freeze_payouts("test: money missing")
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="p:f")
    db.session.commit()
    assert payouts.send_payout(payout.id, sim_app_gateway.gateway).status == "pending"
    assert payouts.recover_payouts(utcnow(), sim_app_gateway.gateway) == 0
    assert sim_app_gateway.transfers_created() == 0
    freezes.lift_freeze(actor=make_admin(), reason="Checked the Stripe dashboard: all transfers match.")
    db.session.commit()
    assert payouts.recover_payouts(utcnow(), sim_app_gateway.gateway) == 1
    assert sim_app_gateway.transfers_created() == 1


def test_request_payout_is_what_the_weekly_payroll_calls(app, sim_app_gateway):
    gateway = sim_app_gateway.gateway
    small = ready_trainer(sim_app_gateway, payable_cents=app.config["PAYOUT_MINIMUM_CENTS"] - 1)
    assert payouts.request_payout(small, actor=None, reason="payroll", idempotency_key="w1:small",
                                  gateway=gateway) is None
    assert balances(small).payable == app.config["PAYOUT_MINIMUM_CENTS"] - 1

    # Stripe enabled this trainer's account since we last looked: the payroll notices and pays.
    gateway.state.auto_complete_onboarding = False
    late = make_trainer()
    from marketplace.payments import payout_accounts
    account = payout_accounts.connect(late, gateway)
    services.pay_onboarding(late, 3_000, "onb:late")
    db.session.commit()
    sim_app_gateway.complete_onboarding(account.stripe_account_id)
    payout = payouts.request_payout(late, actor=None, reason="payroll", idempotency_key="w1:late", gateway=gateway)
    assert payout.status == "paid" and balances(late).paid_out == 3_000

    never = make_trainer()
    services.pay_onboarding(never, 3_000, "onb:never")
    db.session.commit()
    with pytest.raises(PayoutAccountNotReady):
        payouts.request_payout(never, actor=None, reason="payroll", idempotency_key="w1:never", gateway=gateway)
    assert balances(never).payable == 3_000


class ShortBalanceGateway:
    """Stripe refuses transfers while the platform's available balance is short (charges still settling)."""

    def __init__(self, inner):
        self.inner = inner

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def create_transfer(self, *args, **kwargs):
        from marketplace.payments.gateway import GatewayError
        raise GatewayError("Insufficient funds in the platform balance.", code="balance_insufficient")


def test_a_short_platform_balance_delays_the_payout_instead_of_failing_it(sim_app_gateway):
    trainer = ready_trainer(sim_app_gateway)
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="p:b")
    db.session.commit()
    payout = payouts.send_payout(payout.id, ShortBalanceGateway(sim_app_gateway.gateway))
    assert payout.status == "pending" and "platform balance" in payout.last_error
    assert payouts.recover_payouts(utcnow() + timedelta(minutes=2), sim_app_gateway.gateway) == 1
    assert balances(trainer).paid_out == 5_000


class WitnessGateway:
    """At the moment of the Stripe call, looks at the database from another connection: what it sees was
    committed before the call (the outbox rule)."""

    def __init__(self, inner):
        self.inner, self.seen = inner, None

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def create_transfer(self, amount_cents, currency, destination, idempotency_key, metadata=None):
        payout_id = int(idempotency_key.split(":")[1])
        with db.engine.connect() as other:
            status = other.execute(sa.select(Payout.status).where(Payout.id == payout_id)).scalar()
            reserved = other.execute(sa.text("SELECT COUNT(*) FROM ledger_transactions WHERE idempotency_key = :k"),
                                     {"k": f"payout:{payout_id}:reserve"}).scalar()
        self.seen = (status, reserved)
        return self.inner.create_transfer(amount_cents, currency, destination, idempotency_key, metadata)


def test_the_payout_and_its_reservation_are_committed_before_stripe_is_called(sim_app_gateway):
    trainer = ready_trainer(sim_app_gateway)
    payout = payouts.pay_trainer(trainer, None, actor=None, reason="payroll", idempotency_key="p:w")
    db.session.commit()
    witness = WitnessGateway(sim_app_gateway.gateway)
    assert payouts.send_payout(payout.id, witness).status == "paid"
    assert witness.seen == ("pending", 1)
