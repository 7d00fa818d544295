"""Budget as hours: what an hour costs, what a trainer keeps, and hours bought, used and left."""
from marketplace.jobs.budget import (BudgetSummary, cost_per_hour_cents, earnings_per_task_cents, hours,
                                     minimum_budget_cents)


def test_trainer_keeps_the_full_rate_and_the_fee_is_added_on_top():
    assert cost_per_hour_cents(2000, 1000) == 2200
    assert cost_per_hour_cents(1555, 1000) == 1711  # fee 155.5 rounds half up to 156
    assert minimum_budget_cents(2000, 1000) == 2200


def test_earnings_per_task_are_time_based_and_the_full_rate():
    assert earnings_per_task_cents(1800, 10) == 300  # $3.00 of work; the $0.30 fee is the requester's


def test_hours_round_down_so_unfunded_time_is_never_promised():
    assert hours(10_000, 3000) == 3.3 and hours(2999, 3000) == 0.9 and hours(5, 0) == 0.0


def test_summary_shows_bought_used_and_left():
    summary = BudgetSummary(funded_cents=60_000, escrow_cents=15_000, per_hour_cents=2000)
    assert (summary.hours_bought, summary.hours_used, summary.hours_left) == (30.0, 22.5, 7.5)
    assert summary.spent_cents == 45_000 and summary.used_percent == 75 and summary.covers_another_hour
    assert not BudgetSummary(60_000, 1999, 2000).covers_another_hour
