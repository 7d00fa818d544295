"""A country withdrawal pays every trainer there what they earned, in full, below the minimum too."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import time_machine

from marketplace.core.models import Notice
from marketplace.extensions import db
from marketplace.moderation import periodic as moderation_periodic, services as moderation
from marketplace.payments import ledger, periodic, services as money
from marketplace.payments.models import Payout
from tests.factories import make_admin, make_payout_ready_trainer, make_trainer

T0 = datetime(2028, 5, 2, 9, 0, tzinfo=timezone.utc)
REASON = "Our payment provider stops serving this country; we cannot pay trainers there legally after that."


def test_withdrawal_pays_each_trainer_there_in_full_and_tells_those_without_a_payout_account(app):
    below_minimum = app.config["PAYOUT_MINIMUM_CENTS"] - 1
    here, small, waiting = (make_payout_ready_trainer(country="DE"), make_payout_ready_trainer(country="DE"),
                            make_trainer(country="DE"))
    elsewhere = make_payout_ready_trainer(country="FR")
    for trainer, cents in ((here, 12_345), (small, below_minimum), (waiting, 5_000), (elsewhere, 7_000)):
        money.pay_onboarding(trainer, cents, f"earned:{trainer.id}")
    db.session.commit()
    effective = T0 + timedelta(days=30)
    with time_machine.travel(T0, tick=False):
        moderation.announce_withdrawal("DE", effective_at=effective, reason=REASON, actor=make_admin())
        db.session.commit()
    with time_machine.travel(effective + timedelta(minutes=1), tick=False):
        assert moderation_periodic.apply_country_withdrawals(effective + timedelta(minutes=1)) == 1
        db.session.commit()
        paid = {p.trainer_id: p.amount_cents for p in db.session.scalars(sa.select(Payout))}
        assert paid == {here.id: 12_345, small.id: below_minimum}  # all of it, below the minimum too
        assert money.trainer_balances(waiting).payable == 5_000  # waits for a payout account
        notice = db.session.scalar(sa.select(Notice).where(Notice.user_id == waiting.id,
                                                           Notice.category == "money"))
        assert "payout account" in notice.body and "in full" in notice.body and "($50.00)" in notice.body
        assert [w.country for w in moderation.pending_country_payouts()] == ["DE"]  # not everyone is paid yet
        # The recovery job sends the reserved payouts, and retrying pays nobody twice.
        periodic.recover_payments(effective + timedelta(minutes=5))
        periodic.recover_payments(effective + timedelta(minutes=7))
        db.session.commit()
        assert money.trainer_balances(here) == money.TrainerBalances(payable=0, pending=0, paid_out=12_345)
        assert db.session.scalar(sa.select(sa.func.count(Payout.id))) == 2
        assert ledger.integrity_problems() == []
        assert [w.country for w in moderation.pending_country_payouts()] == ["DE"]  # `waiting` is still owed
        # She connects her payout account: the next recovery run pays her in full and settles the withdrawal.
        from marketplace.payments import payout_accounts
        from marketplace.payments.provider import gateway
        gw = gateway()
        account = payout_accounts.connect(waiting, gw)
        gw.complete_onboarding(account.stripe_account_id)
        payout_accounts.refresh(account, gw)
        db.session.commit()
        periodic.recover_payments(effective + timedelta(days=1))
        db.session.commit()
        assert money.trainer_balances(waiting) == money.TrainerBalances(payable=0, pending=0, paid_out=5_000)
        assert moderation.pending_country_payouts() == []
        assert money.trainer_balances(elsewhere).payable == 7_000  # another country: the weekly payroll's
        assert ledger.integrity_problems() == []
