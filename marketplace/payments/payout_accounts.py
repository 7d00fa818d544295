"""Trainer payout accounts: a Stripe Connect Express account per trainer, ready once Stripe enables payouts."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import ValidationFailed
from ..core.time import utcnow
from ..extensions import db
from .gateway import ConnectedAccountResult, PaymentGateway
from .models import PayoutAccount


def payout_account_of(trainer) -> PayoutAccount | None:
    return db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.user_id == trainer.id))


def readiness(trainer) -> tuple[bool, str]:
    """Whether money can be sent to the trainer now, and if not, why, in words the trainer can act on."""
    account = payout_account_of(trainer)
    if account is None:
        return False, ("You have not connected a payout account yet. Your earnings are safe in your FairTrain "
                       "balance and will be sent as soon as you connect one.")
    if account.status == "restricted":
        return False, ("Stripe has your details but has not enabled payouts yet (it may need a document or is "
                       "still checking). Your earnings wait safely in your balance; open the payout account page "
                       "to see what Stripe needs.")
    if account.status != "ready":
        return False, ("You started connecting a payout account but have not finished Stripe's form. Your "
                       "earnings wait safely in your balance until you do.")
    return True, ""


def connect(trainer, gateway: PaymentGateway) -> PayoutAccount:
    """Create the trainer's connected account once (Stripe key `payout-account:<user id>`); the caller commits.

    Rule: Stripe needs the country the trainer works from, so the profile must state it.
    """
    account = payout_account_of(trainer)
    if account is not None:
        return account
    if not trainer.country:
        raise ValidationFailed("Set the country you work from in your profile first: Stripe needs it to open "
                               "a payout account.", field="country")
    result = gateway.create_connected_account(trainer.email, trainer.country, f"payout-account:{trainer.id}")
    account = PayoutAccount(user_id=trainer.id, stripe_account_id=result.id, is_live=result.live,
                            created_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(account)
            db.session.flush()
    except IntegrityError:  # a second click raced this one; both got the same Stripe account
        return payout_account_of(trainer)
    audit.record("payments.payout_account_created", actor=trainer, subject_user=trainer, subject=account,
                 reason="The trainer started connecting a Stripe payout account.")
    _apply(account, result, utcnow())
    return account


def onboarding_url(account: PayoutAccount, gateway: PaymentGateway, *, refresh_url: str, return_url: str) -> str:
    """A fresh Stripe onboarding link (they expire in minutes, so one is made per click)."""
    return gateway.create_account_link(account.stripe_account_id, refresh_url, return_url).url


def refresh(account: PayoutAccount, gateway: PaymentGateway) -> bool:
    """Ask Stripe for the account's state and store it; True when it just became ready (the trainer is told)."""
    return _apply(account, gateway.retrieve_account(account.stripe_account_id), utcnow())


def _apply(account: PayoutAccount, result: ConnectedAccountResult, now: datetime) -> bool:
    status = "ready" if result.ready else ("restricted" if result.details_submitted else "onboarding")
    became_ready = status == "ready" and account.status != "ready"
    account.status = status
    account.charges_enabled = result.charges_enabled
    account.payouts_enabled = result.payouts_enabled
    account.details_submitted = result.details_submitted
    account.checked_at = now
    if became_ready:
        account.ready_at = now
        trainer = db.session.get(User, account.user_id)
        audit.record("payments.payout_account_ready", subject_user=trainer, subject=account,
                     reason="Stripe enabled payouts to the trainer's account: earnings are sent there from now on.")
        notices.notify(trainer, "Your payout account is ready",
                       "Stripe has enabled payouts to your account. Your earnings will be sent there with the next "
                       "payout.", category="money")
    return became_ready


def by_stripe_id(stripe_account_id: str) -> PayoutAccount | None:
    return db.session.scalar(sa.select(PayoutAccount).where(PayoutAccount.stripe_account_id == stripe_account_id))
