"""A country withdrawal pays every trainer there what they earned, in full (moderation's hook, DESIGN.md).

When a withdrawal takes effect (moderation.countries.apply_due_withdrawals runs its hooks in its transaction):
each trainer in the country with a payable balance is paid all of it at once, below the payout minimum too (there
is no next week of work to carry it to); one without a ready payout account is told what to do and their money
waits. Money they earn later (timesheets approved after the date) is paid by the weekly payroll, which treats
trainers in a withdrawn country like a closing account (any remainder, below the minimum too). The withdrawal is
marked settled (by recover_payments, which retries the unsettled ones) once nobody there is owed money and their
payouts have gone out.
The payouts are reserved here (outbox rows with their ledger reservation); the money room's recovery job sends
them (looked up at Stripe by key first).
"""
from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core import notices
from ..core.errors import DomainError
from ..core.money import format_cents
from ..extensions import db
from ..moderation import hooks
from ..moderation.countries import mark_country_payouts_settled, pending_country_payouts
from ..moderation.models import CountryWithdrawal
from . import ledger, payouts
from .models import LedgerAccount, LedgerEntry, Payout

log = logging.getLogger(__name__)


def _owed(country: str) -> list[tuple[int, int]]:
    """(trainer id, payable cents) for every trainer in the country who is owed money."""
    return [(u, int(b)) for u, b in db.session.execute(
        sa.select(LedgerAccount.user_id, LedgerAccount.balance_cents).join(User, User.id == LedgerAccount.user_id)
        .where(LedgerAccount.kind == ledger.TRAINER_PAYABLE, LedgerAccount.balance_cents > 0,
               User.country == country).order_by(LedgerAccount.user_id))]


def pay_out_in_full(withdrawal: CountryWithdrawal, now: datetime, *, tell: bool = True) -> int:
    """Reserve a payout of each owed trainer's whole payable balance; returns how many were reserved. The
    withdrawal is marked settled by settle_pending (after the reserved payouts went out), not here."""
    made = 0
    for trainer_id, amount in _owed(withdrawal.country):
        trainer = db.session.get(User, trainer_id)
        # One key per trainer and balance state: a retry of the same state finds the same payout, new earnings
        # after it get a payout of their own.
        last_entry = db.session.scalar(sa.select(sa.func.max(LedgerEntry.id)).join(LedgerAccount).where(
            LedgerAccount.name == ledger.trainer_payable(trainer_id)))
        try:
            with db.session.begin_nested():
                payout = payouts.pay_trainer(
                    trainer, actor=None, idempotency_key=f"country-exit:{withdrawal.id}:{trainer_id}:{last_entry}",
                    reason=f"Paid in full: FairTrain stopped operating in {withdrawal.country}", minimum_cents=0)
        except DomainError as exc:  # no ready payout account: the money waits, and they are told what to do
            if tell:
                notices.notify(trainer, "Your earnings are waiting for your payout account",
                               f"FairTrain has stopped operating where you are, and everything you earned "
                               f"({format_cents(amount)}) is to be paid out in full. {exc.message} It is paid as soon "
                               f"as your payout account is ready.", link="/wallet/payout-account", category="money")
            continue
        made += payout is not None
    return made


@hooks.on_country_withdrawal_effective
def _on_withdrawal_effective(withdrawal, now) -> None:
    log.info("country %s withdrawn: %d payouts in full", withdrawal.country, pay_out_in_full(withdrawal, now))


def settle_pending(now: datetime) -> int:
    """Retry the withdrawals whose trainers are not all paid yet (a payout account became ready since); mark a
    withdrawal settled once nobody there is owed money and none of their payouts is still on its way."""
    made = 0
    for withdrawal in pending_country_payouts():
        made += pay_out_in_full(withdrawal, now, tell=False)
        in_flight = db.session.scalar(sa.select(sa.func.count(Payout.id)).join(User, User.id == Payout.trainer_id)
                                      .where(User.country == withdrawal.country, Payout.status == "pending"))
        if not _owed(withdrawal.country) and not in_flight:
            mark_country_payouts_settled(withdrawal, now)
    return made
