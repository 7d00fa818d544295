"""The weekly payroll plan: paid once per trainer per week, and every waiting balance explained."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.pay.payroll import (
    ACCOUNT_NOT_READY, ALREADY_PAID, BELOW_MINIMUM, NEGATIVE_BALANCE, PlannedPayout, TrainerBalance,
    idempotency_key, plan_payroll)

from .strategies import DEPTHS, instants

UTC = timezone.utc
MONDAY = datetime(2028, 1, 10, 0, 5, tzinfo=UTC)  # settles the week of Mon 3 Jan 2028 (2028-W01)
MINIMUM = 1000


def plan(*balances, run_at=MONDAY, **kwargs):
    return plan_payroll(balances, run_at, MINIMUM, **kwargs)


def test_idempotency_key_names_trainer_and_iso_week():
    assert idempotency_key(7, datetime(2028, 1, 3, tzinfo=UTC)) == "payroll:7:2028-W01"
    assert idempotency_key(7, datetime(2025, 12, 29, tzinfo=UTC)) == "payroll:7:2026-W01"


def test_a_ready_trainer_above_the_minimum_is_paid_the_whole_balance():
    result = plan(TrainerBalance(7, 12_345, True))
    assert result.payouts == (PlannedPayout(7, 12_345, "payroll:7:2028-W01"),)
    assert (result.week_name, result.total_cents, result.held) == ("2028-W01", 12_345, ())


def test_exactly_the_minimum_is_paid():
    assert plan(TrainerBalance(7, MINIMUM, True)).total_cents == MINIMUM


def test_payout_account_not_ready_waits_with_what_to_do():
    (held,) = plan(TrainerBalance(7, 4250, False)).held
    assert (held.reason, held.amount_cents) == (ACCOUNT_NOT_READY, 4250)
    assert held.message.startswith("Your payout account is not ready: connect it on the Payout account page.")
    assert "$42.50 waits for you" in held.message


def test_below_the_minimum_is_carried_to_next_week():
    (held,) = plan(TrainerBalance(7, 400, True)).held
    assert held.reason == BELOW_MINIMUM
    assert held.message == "Your $4.00 is below the $10.00 minimum, carried to next week."


def test_an_account_that_is_not_ready_is_named_before_the_minimum():
    # Connecting the account is the one thing the trainer can do; the money would wait for it anyway.
    assert plan(TrainerBalance(7, 400, False)).held[0].reason == ACCOUNT_NOT_READY


def test_suspended_trainers_are_paid_what_they_earned():
    (payout,) = plan(TrainerBalance(7, 5000, True, is_suspended=True)).payouts
    assert payout.amount_cents == 5000 and "suspended" in payout.note


def test_a_trainer_leaving_is_paid_a_remainder_below_the_minimum():
    (payout,) = plan(TrainerBalance(7, 300, True, is_leaving=True)).payouts
    assert payout.amount_cents == 300 and "below the minimum" in payout.note


def test_nothing_owed_is_left_out_and_a_negative_balance_is_explained():
    result = plan(TrainerBalance(1, 0, True), TrainerBalance(2, -250, True))
    assert result.payouts == ()
    assert [(h.trainer_id, h.reason) for h in result.held] == [(2, NEGATIVE_BALANCE)]
    assert "-$2.50" in result.held[0].message


def test_a_second_run_in_the_same_week_pays_no_one_twice():
    balances = [TrainerBalance(1, 5000, True), TrainerBalance(2, 7000, True), TrainerBalance(3, 9000, False)]
    first = plan_payroll(balances, MONDAY, MINIMUM)
    paid = {p.idempotency_key for p in first.payouts}
    # The scheduler restarts on Tuesday; trainer 1 has earned more since, trainer 3 has connected an account.
    balances = [TrainerBalance(1, 1800, True), TrainerBalance(2, 7000, True), TrainerBalance(3, 9000, True)]
    second = plan_payroll(balances, MONDAY + timedelta(days=1, hours=3), MINIMUM, already_paid_keys=paid)
    assert [p.trainer_id for p in second.payouts] == [3]
    assert {(h.trainer_id, h.reason) for h in second.held} == {(1, ALREADY_PAID), (2, ALREADY_PAID)}
    assert "paid next week" in next(h.message for h in second.held if h.trainer_id == 1)
    # Next week's run pays again under next week's key.
    third = plan_payroll(balances, MONDAY + timedelta(days=7), MINIMUM, already_paid_keys=paid)
    assert {p.idempotency_key for p in third.payouts} == {"payroll:1:2028-W02", "payroll:2:2028-W02",
                                                          "payroll:3:2028-W02"}


def test_runs_anywhere_in_one_utc_week_share_keys():
    keys = {plan(TrainerBalance(7, 5000, True), run_at=MONDAY + timedelta(hours=h)).payouts[0].idempotency_key
            for h in range(0, 7 * 24 - 1, 5)}
    assert keys == {"payroll:7:2028-W01"}


def test_the_week_can_be_named_for_a_catch_up_run():
    result = plan(TrainerBalance(7, 5000, True), week=datetime(2027, 12, 29, 12, tzinfo=UTC))
    assert result.payouts[0].idempotency_key == "payroll:7:2027-W52"


def test_a_trainer_listed_twice_is_a_bug_not_a_double_payment():
    with pytest.raises(ValueError, match="twice"):
        plan(TrainerBalance(7, 5000, True), TrainerBalance(7, 5000, True))


@st.composite
def balances(draw):
    ids = draw(st.lists(st.integers(1, 10_000), unique=True, max_size=40))
    return [TrainerBalance(i, draw(st.integers(-2000, 200_000)), draw(st.booleans()), draw(st.booleans()),
                           draw(st.booleans())) for i in ids]


@DEPTHS
def test_every_positive_balance_is_paid_or_explained_once(depth):
    @depth
    @given(balances(), instants(), st.integers(1, 5000))
    def check(trainers, run_at, minimum):
        result = plan_payroll(trainers, run_at, minimum)
        by_id = {t.trainer_id: t for t in trainers}
        paid = [p.trainer_id for p in result.payouts]
        held = [h.trainer_id for h in result.held]
        assert sorted(paid + held) == sorted(t.trainer_id for t in trainers if t.payable_cents != 0)
        assert len(set(paid)) == len(paid) and not set(paid) & set(held)
        assert len({p.idempotency_key for p in result.payouts}) == len(paid)
        for payout in result.payouts:
            trainer = by_id[payout.trainer_id]
            assert payout.amount_cents == trainer.payable_cents > 0
            assert trainer.payout_account_ready
            assert payout.amount_cents >= minimum or trainer.is_leaving
        for held_balance in result.held:
            assert held_balance.message  # nobody's money waits without a reason they can read
        # Suspension never changes who is paid.
        unsuspended = [TrainerBalance(t.trainer_id, t.payable_cents, t.payout_account_ready, False, t.is_leaving)
                       for t in trainers]
        assert [p.trainer_id for p in plan_payroll(unsuspended, run_at, minimum).payouts] == paid
        # A second run the same week with the keys stored by the first pays nobody.
        again = plan_payroll(trainers, run_at + timedelta(minutes=1), minimum,
                             already_paid_keys={p.idempotency_key for p in result.payouts})
        if (run_at + timedelta(minutes=1)).isocalendar()[:2] == run_at.isocalendar()[:2]:
            assert again.payouts == ()
    check()
