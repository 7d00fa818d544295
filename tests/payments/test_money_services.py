"""Money verbs other rooms call: escrow in and out, earnings with the platform fee, onboarding pay, bonuses."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.core.errors import Forbidden, ValidationFailed
from marketplace.core.models import AuditEvent, Notice
from marketplace.extensions import db
from marketplace.payments import ledger, services
from marketplace.payments.ledger import InsufficientFunds
from tests.factories import give_funds, make_requester, make_trainer


def test_funding_escrow_moves_available_funds_into_the_job():
    requester = make_requester()
    give_funds(requester, 50_000)
    services.fund_job_escrow(requester, 12, 30_000, "job:12:publish")
    db.session.commit()
    assert services.requester_available(requester) == 20_000
    assert services.escrow_balance(12) == 30_000
    assert services.requester_in_escrow(requester) == 30_000


def test_escrow_cannot_be_funded_beyond_available_funds():
    requester = make_requester()
    give_funds(requester, 1_000)
    with pytest.raises(InsufficientFunds, match="available funds: \\$10.00 available, \\$20.00 needed"):
        services.fund_job_escrow(requester, 1, 2_000, "job:1:publish")
    assert services.escrow_balance(1) == 0


def test_another_requester_cannot_fund_or_drain_someone_elses_escrow():
    owner, other = make_requester(), make_requester()
    give_funds(owner, 5_000)
    give_funds(other, 5_000)
    services.fund_job_escrow(owner, 3, 1_000, "job:3:publish")
    db.session.commit()
    with pytest.raises(Forbidden):
        services.fund_job_escrow(other, 3, 1_000, "job:3:more")
    with pytest.raises(Forbidden):
        services.release_job_escrow(other, 3, "job:3:close")


def test_release_returns_everything_left_once():
    requester = make_requester()
    give_funds(requester, 10_000)
    services.fund_job_escrow(requester, 4, 8_000, "job:4:publish")
    first = services.release_job_escrow(requester, 4, "job:4:close")
    again = services.release_job_escrow(requester, 4, "job:4:close")
    db.session.commit()
    assert first.id == again.id
    assert services.escrow_balance(4) == 0 and services.requester_available(requester) == 10_000
    assert services.release_job_escrow(requester, 4, "job:4:close-again") is None


def test_earning_pays_the_trainer_the_full_rate_and_the_fee_on_top_from_escrow():
    requester, trainer = make_requester(), make_trainer()
    give_funds(requester, 10_000)
    services.fund_job_escrow(requester, 5, 10_000, "job:5:publish")
    # 1 h 33 min at $18.45/h: pay 2860 cents; the 10% fee (286) is added on top, not taken from the trainer.
    services.earn_from_escrow(5, trainer, 2_860, 1_000, "timesheet:9")
    services.earn_from_escrow(5, trainer, 2_860, 1_000, "timesheet:9")  # a retried approval
    db.session.commit()
    assert services.escrow_balance(5) == 10_000 - 2_860 - 286
    assert services.trainer_balances(trainer).payable == 2_860
    assert ledger.balance(ledger.PLATFORM_FEES) == 286
    assert ledger.integrity_problems() == []


def test_fee_rounds_half_up_in_one_documented_place():
    requester, trainer = make_requester(), make_trainer()
    give_funds(requester, 1_000)
    services.fund_job_escrow(requester, 6, 1_000, "job:6")
    services.earn_from_escrow(6, trainer, 5, 1_000, "t:1")  # fee 0.5 cent rounds to 1
    db.session.commit()
    assert services.trainer_balances(trainer).payable == 5 and ledger.balance(ledger.PLATFORM_FEES) == 1
    assert services.escrow_balance(6) == 1_000 - 6


def test_earning_cannot_overdraw_the_escrow():
    requester, trainer = make_requester(), make_trainer()
    give_funds(requester, 1_000)
    services.fund_job_escrow(requester, 7, 1_000, "job:7")
    with pytest.raises(InsufficientFunds, match="job's escrow"):
        services.earn_from_escrow(7, trainer, 910, 1_000, "t:2")  # 910 + 91 fee = 1,001 > 1,000
    assert services.trainer_balances(trainer).payable == 0


def test_onboarding_pay_comes_from_the_platform_pass_or_fail():
    trainer = make_trainer()
    services.pay_onboarding(trainer, 1_800, "attempt:1")
    services.pay_onboarding(trainer, 1_800, "attempt:1")
    db.session.commit()
    assert services.trainer_balances(trainer).payable == 1_800
    assert ledger.balance(ledger.ONBOARDING_COST) == -1_800


def test_bonus_needs_a_reason_and_tells_the_trainer_once():
    requester, trainer = make_requester(), make_trainer()
    give_funds(requester, 5_000)
    with pytest.raises(ValidationFailed):
        services.pay_bonus(requester, trainer, 500, "  ", "bonus:1")
    services.pay_bonus(requester, trainer, 500, "Excellent edge-case notes", "bonus:1")
    services.pay_bonus(requester, trainer, 500, "Excellent edge-case notes", "bonus:1")
    db.session.commit()
    assert services.trainer_balances(trainer).payable == 500
    assert services.requester_available(requester) == 4_500
    notices = db.session.scalars(sa.select(Notice).where(Notice.user_id == trainer.id)).all()
    assert len(notices) == 1 and "Excellent edge-case notes" in notices[0].body
    audit = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "payments.bonus_paid")).all()
    assert len(audit) == 1 and audit[0].reason == "Excellent edge-case notes"


def test_bonus_from_a_jobs_escrow():
    requester, trainer = make_requester(), make_trainer()
    give_funds(requester, 5_000)
    services.fund_job_escrow(requester, 8, 3_000, "job:8")
    services.pay_bonus(requester, trainer, 700, "Great work on the pilot", "bonus:2", job_id=8)
    db.session.commit()
    assert services.escrow_balance(8) == 2_300 and services.trainer_balances(trainer).payable == 700


def test_amounts_must_be_positive():
    requester = make_requester()
    with pytest.raises(ValidationFailed):
        services.fund_job_escrow(requester, 9, 0, "job:9")
    with pytest.raises(ValueError):
        services.fund_job_escrow(requester, 9, 10.5, "job:9")
