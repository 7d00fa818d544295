"""A hypothesis state machine over top-ups, escrow, earnings, bonuses, payouts (with gateway failures and
recovery), refunds and replays: after every step the ledger balances to zero, no guarded balance is negative,
the guard rows equal the sums, and every balance equals a simple model's."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

import pytest
from flask import current_app
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from marketplace.core.errors import Forbidden, ValidationFailed
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.payments import ledger, payouts, refunds, services, topups
from marketplace.payments.gateway import build_gateway
from marketplace.payments.gateway_simulated import SimulatedState
from marketplace.payments.ledger import InsufficientFunds
from marketplace.payments.models import Payout
from tests.conftest import empty_tables
from tests.factories import make_admin, make_payout_ready_trainer, make_requester

R, T, J = st.sampled_from([0, 1]), st.sampled_from([0, 1]), st.sampled_from([1, 2, 3])
CENTS = st.integers(min_value=1, max_value=12_000)


class MoneyMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        db.session.remove()
        empty_tables()
        self.state = SimulatedState()
        self.gateway = build_gateway(secret_key="", webhook_secret="whsec_test_secret", simulated_state=self.state)
        current_app.extensions["payments_gateway"] = self.gateway
        self.requesters = [make_requester(), make_requester()]
        self.trainers = [make_payout_ready_trainer(self.gateway), make_payout_ready_trainer(self.gateway)]
        self.admin = make_admin()
        self.expected: dict[str, int] = defaultdict(int)
        self.owner: dict[int, int] = {}
        self.done: list[tuple] = []  # successful operations, replayed with the same key later
        self.unsettled: dict[int, str] = {}  # payout id -> injected failure
        self.n = 0
        self.clock = utcnow()
        # Start with money everywhere, so that every rule has something to move from the first step.
        for r in (0, 1):
            self.top_up(r, 40_000, declined=False)
            self.fund_escrow(r, r + 1, 10_000)
        for t in (0, 1):
            self.onboarding_pay(t, 5_000)

    def _key(self, what: str) -> str:
        self.n += 1
        return f"{what}:{self.n}"

    def _move(self, **amounts: int) -> None:
        for name, cents in amounts.items():
            self.expected[name] += cents

    def _funds(self, r):
        return ledger.requester_funds(self.requesters[r].id)

    # --- rules -------------------------------------------------------------------------------

    @rule(r=R, cents=st.integers(min_value=500, max_value=60_000), declined=st.booleans())
    def top_up(self, r, cents, declined):
        charge = topups.start_top_up(self.requesters[r], cents, f"{self.n:032x}", currency="usd")
        self.n += 1
        db.session.commit()
        outcome = topups.pay_with_card(charge, "pm_card_chargeDeclined" if declined else "pm_card_visa",
                                       self.gateway)
        db.session.commit()
        assert outcome.succeeded is (not declined)
        if not declined:
            self._move(**{self._funds(r): cents, ledger.STRIPE_CLEARING: -cents})

    @rule(r=R, job=J, cents=CENTS)
    def fund_escrow(self, r, job, cents):
        key = self._key("fund")
        call = (services.fund_job_escrow, (self.requesters[r], job, cents, key))
        if self.owner.get(job, r) != r:
            self._expect_refusal(call, Forbidden)
        elif self.expected[self._funds(r)] < cents:
            self._expect_refusal(call, InsufficientFunds)
        else:
            self._do(call)
            self.owner[job] = r
            self._move(**{self._funds(r): -cents, ledger.job_escrow(job): cents})

    @precondition(lambda self: self.owner)
    @rule(data=st.data())
    def release_escrow(self, data):
        job = data.draw(st.sampled_from(sorted(self.owner)))
        r = self.owner[job]
        left = self.expected[ledger.job_escrow(job)]
        call = (services.release_job_escrow, (self.requesters[r], job, self._key("release")))
        txn = self._do(call, remember=False)
        assert (txn is None) == (left == 0)
        if txn is not None:  # releasing nothing writes nothing, so that key stays unused (documented)
            self.done.append(("call", call))
        self._move(**{ledger.job_escrow(job): -left, self._funds(r): left})

    @rule(job=J, t=T, gross=CENTS, fee_bps=st.sampled_from([0, 1_000, 2_500]))
    def earn(self, job, t, gross, fee_bps):
        call = (services.earn_from_escrow, (job, self.trainers[t], gross, fee_bps, self._key("earn")))
        fee = (gross * fee_bps * 2 + 10_000) // 20_000  # half up, as core.money.fee_cents; on top of the pay
        if self.expected[ledger.job_escrow(job)] < gross + fee:
            self._expect_refusal(call, InsufficientFunds)
            return
        self._do(call)
        self._move(**{ledger.job_escrow(job): -(gross + fee), ledger.trainer_payable(self.trainers[t].id): gross})
        if fee:
            self._move(**{ledger.PLATFORM_FEES: fee})

    @rule(t=T, cents=CENTS)
    def onboarding_pay(self, t, cents):
        self._do((services.pay_onboarding, (self.trainers[t], cents, self._key("onboarding"))))
        self._move(**{ledger.ONBOARDING_COST: -cents, ledger.trainer_payable(self.trainers[t].id): cents})

    @rule(r=R, t=T, cents=CENTS)
    def bonus(self, r, t, cents):
        call = (services.pay_bonus, (self.requesters[r], self.trainers[t], cents, "Great work", self._key("bonus")))
        if self.expected[self._funds(r)] < cents:
            self._expect_refusal(call, InsufficientFunds)
            return
        self._do(call)
        self._move(**{self._funds(r): -cents, ledger.trainer_payable(self.trainers[t].id): cents})

    @rule(t=T, amount=st.one_of(st.none(), CENTS), failure=st.sampled_from([None, None, "unavailable", "lost_response"]))
    def payout(self, t, amount, failure):
        trainer = self.trainers[t]
        payable = self.expected[ledger.trainer_payable(trainer.id)]
        key = self._key("payout")
        if amount is not None and amount > payable:
            with pytest.raises(InsufficientFunds):
                payouts.pay_trainer(trainer, amount, actor=self.admin, reason="r", idempotency_key=key)
            db.session.rollback()
            return
        payout = payouts.pay_trainer(trainer, amount, actor=self.admin, reason="r", idempotency_key=key)
        db.session.commit()
        if payable == 0 and amount is None:
            assert payout is None
            return
        cents = payout.amount_cents
        assert cents == (payable if amount is None else amount)
        self._move(**{ledger.trainer_payable(trainer.id): -cents, ledger.trainer_pending(trainer.id): cents})
        if failure:
            self.state.fail_next_transfers(1, failure)
        payout = payouts.send_payout(payout.id, self.gateway)
        if failure:
            assert payout.status == "pending"
            self.unsettled[payout.id] = failure
        else:
            assert payout.status == "paid"
            self._move(**{ledger.trainer_pending(trainer.id): -cents, ledger.trainer_paid_out(trainer.id): cents})
        self.done.append(("payout", trainer, amount, key))

    @rule()
    def recover(self):
        self.clock += timedelta(hours=2)
        payouts.recover_payouts(self.clock, self.gateway)
        db.session.rollback()
        for payout_id in list(self.unsettled):
            payout = db.session.get(Payout, payout_id)
            assert payout.status == "paid"
            self._move(**{ledger.trainer_pending(payout.trainer_id): -payout.amount_cents,
                          ledger.trainer_paid_out(payout.trainer_id): payout.amount_cents})
            del self.unsettled[payout_id]

    @rule(r=R, cents=CENTS)
    def refund(self, r, cents):
        requester = self.requesters[r]
        key = self._key("refund")
        if cents > self.expected[self._funds(r)]:
            with pytest.raises(ValidationFailed):
                refunds.refund_unused_funds(requester, cents, actor=self.admin, reason="Closing the account now",
                                            request_key=key)
            db.session.rollback()
            return
        made = refunds.refund_unused_funds(requester, cents, actor=self.admin, reason="Closing the account now",
                                           request_key=key)
        db.session.commit()
        for item in made:
            assert refunds.send_refund(item.id, self.gateway).status == "succeeded"
        self._move(**{self._funds(r): -cents, ledger.REFUNDS: cents})

    @precondition(lambda self: self.done)
    @rule(data=st.data())
    def replay(self, data):
        """Retrying any earlier successful operation with its key changes nothing."""
        entry = data.draw(st.sampled_from(self.done))
        if entry[0] == "payout":
            _, trainer, amount, key = entry
            payouts.pay_trainer(trainer, amount, actor=self.admin, reason="r", idempotency_key=key)
            db.session.commit()
        else:
            _, (func, args) = entry
            func(*args)
            db.session.commit()

    # --- helpers ------------------------------------------------------------------------------

    def _do(self, call, remember=True):
        func, args = call
        result = func(*args)
        db.session.commit()
        if remember:
            self.done.append(("call", call))
        return result

    def _expect_refusal(self, call, error):
        func, args = call
        with pytest.raises(error):
            func(*args)
        db.session.rollback()

    # --- invariants, checked after every step --------------------------------------------------

    @invariant()
    def ledger_balances_and_nothing_guarded_is_negative(self):
        db.session.rollback()
        assert ledger.integrity_problems() == []

    @invariant()
    def every_balance_matches_the_model(self):
        names = list(self.expected)
        assert ledger.balances(names) == {name: self.expected[name] for name in names}

    @invariant()
    def one_transfer_per_paid_or_lost_payout(self):
        paid = db.session.query(Payout).filter(Payout.status == "paid").count()
        lost = sum(1 for failure in self.unsettled.values() if failure == "lost_response")
        assert self.state.transfers_created == paid + lost

    def teardown(self):
        db.session.rollback()
        db.session.remove()


def _run(max_examples: int, steps: int) -> None:
    run_state_machine_as_test(MoneyMachine, settings=settings(
        max_examples=max_examples, stateful_step_count=steps, deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))


def test_money_state_machine_keeps_the_ledger_balanced(app):
    _run(max_examples=15, steps=20)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # about five minutes on two cores; the suite's default limit is 300 s
def test_money_state_machine_deep(app):
    _run(max_examples=300, steps=50)
