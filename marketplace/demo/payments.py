"""Demo money: requesters with funds added by (simulated) card, trainers with earnings, one with a payout account."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import User
from ..extensions import db
from ..payments import payout_accounts, payouts, services, topups
from ..payments.provider import currency, gateway

TOP_UPS = [("lab@aurora-ai.example.com", 500_000), ("data@shinkansen-data.example.com", 250_000)]
ONBOARDING_PAY = [("amara@trainers.example.com", 2_700), ("yuki@trainers.example.com", 1_800),
                  ("arjun@trainers.example.com", 3_600)]


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def seed() -> None:
    """Idempotent: every money movement has a fixed key, so a second run changes nothing."""
    gw = gateway()
    for email, cents in TOP_UPS:
        requester = _user(email)
        if requester is None:
            continue
        charge = topups.start_top_up(requester, cents, "demo-seed", currency=currency())
        db.session.commit()
        if charge.status != "succeeded" and gw.simulated:
            topups.pay_with_card(charge, "pm_card_visa", gw)
            db.session.commit()
    for email, cents in ONBOARDING_PAY:
        trainer = _user(email)
        if trainer is not None:
            services.pay_onboarding(trainer, cents, f"demo:onboarding:{trainer.id}",
                                    description="Paid assessment time: hate-speech judgement (demo)")
    db.session.commit()
    amara, lab = _user("amara@trainers.example.com"), _user("lab@aurora-ai.example.com")
    if amara is None or lab is None or not gw.simulated:
        return  # a real Stripe account cannot finish onboarding from a script
    services.pay_bonus(lab, amara, 2_500, "Careful, well-argued rationales in the hate-speech pilot.",
                       f"demo:bonus:{amara.id}")
    account = payout_accounts.connect(amara, gw)
    db.session.commit()
    if not account.is_ready:
        payout_accounts.onboarding_url(account, gw, refresh_url="/wallet/payout-account/refresh",
                                       return_url="/wallet/payout-account/return")
        payout_accounts.refresh(account, gw)
        db.session.commit()
    payout = payouts.pay_trainer(amara, 2_000, actor=None, reason="Demo: last week's payout",
                                 idempotency_key=f"demo:payout:{amara.id}:1", currency=currency())
    db.session.commit()
    payouts.send_payout(payout.id, gw)
