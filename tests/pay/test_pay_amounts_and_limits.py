"""Timesheet amounts and adjustments, weekly limits and goals, effective rates, and the budget guarantee."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.money import fee_cents, pay_for_seconds
from marketplace.pay.calculations import (
    Adjustment, can_start_session, effective_hourly_rate_cents, escrow_runway_seconds, format_hours, goal_progress,
    session_reserve_cents, timesheet_amounts, weekly_limit_status)

from .strategies import DEPTHS

HOUR = 3600


# --- timesheets ------------------------------------------------------------------------------------

def test_pay_is_rounded_once_on_the_total_not_per_session():
    # Three 90 s sessions at $25/h: 62.5 cents each would round to 63 (189); the total 270 s is 187.5 -> 188.
    amounts = timesheet_amounts({1: 90, 2: 90, 3: 90}, 2500, 1000)
    assert (amounts.billable_seconds, amounts.pay_cents) == (270, 188)


def test_platform_fee_is_charged_on_top_so_the_trainer_gets_the_full_rate():
    amounts = timesheet_amounts([(1, 2 * HOUR), (2, HOUR)], 2000, 1000)
    assert (amounts.pay_cents, amounts.fee_cents, amounts.requester_cost_cents) == (6000, 600, 6600)


def test_a_disputed_session_removed_with_a_reason():
    amounts = timesheet_amounts({1: HOUR, 2: 1800}, 2000, 1000,
                                [Adjustment(2, 0, "No tasks were submitted in this session.")])
    assert amounts.lines[1].billable_seconds == 0
    assert amounts.lines[1].reason == "No tasks were submitted in this session."
    assert amounts.lines[0].reason is None
    assert (amounts.recorded_seconds, amounts.billable_seconds, amounts.removed_seconds) == (5400, 3600, 1800)
    assert amounts.pay_cents == 2000 and amounts.fee_cents == 200


def test_a_session_shortened_then_restored_by_the_admin_decision():
    amounts = timesheet_amounts({7: 1000}, 3600, 0, [
        Adjustment(7, 400, "Left the tab open over lunch."),
        Adjustment(7, 1000, "Admin: the trainer's answer shows work offline on task files; restored."),
    ])
    assert (amounts.billable_seconds, amounts.pay_cents) == (1000, 1000)
    assert amounts.lines[0].reason.startswith("Admin:")


@pytest.mark.parametrize("adjustment, message", [
    (Adjustment(1, 4000, "more"), "not lengthen"),
    (Adjustment(1, -1, "less"), "not lengthen"),
    (Adjustment(1, 10, "   "), "written reason"),
    (Adjustment(1, 10, ""), "written reason"),
    (Adjustment(9, 10, "no such line"), "no session 9"),
])
def test_adjustments_must_shorten_a_real_line_with_a_reason(adjustment, message):
    with pytest.raises(ValueError, match=message):
        timesheet_amounts({1: HOUR}, 2000, 1000, [adjustment])


def test_negative_recorded_time_is_refused():
    with pytest.raises(ValueError):
        timesheet_amounts({1: -5}, 2000, 1000)


@st.composite
def timesheets(draw):
    lines = draw(st.dictionaries(st.integers(0, 50), st.integers(0, 40 * HOUR), max_size=20))
    adjustments = []
    for key in draw(st.lists(st.sampled_from(sorted(lines)), max_size=5)) if lines else []:
        adjustments.append(Adjustment(key, draw(st.integers(0, lines[key])), "disputed"))
    return lines, draw(st.integers(1500, 20_000)), draw(st.integers(0, 3000)), adjustments


@DEPTHS
def test_timesheet_amounts_follow_the_one_rounding_rule(depth):
    @depth
    @given(timesheets())
    def check(sheet):
        lines, rate, fee_bp, adjustments = sheet
        amounts = timesheet_amounts(lines, rate, fee_bp, adjustments)
        last = {a.line_key: a.seconds for a in adjustments}
        assert amounts.billable_seconds == sum(last.get(k, s) for k, s in lines.items())
        assert amounts.billable_seconds <= amounts.recorded_seconds == sum(lines.values())
        assert amounts.pay_cents == pay_for_seconds(rate, amounts.billable_seconds)
        assert abs(amounts.pay_cents - rate * amounts.billable_seconds / 3600) <= 0.5
        assert amounts.fee_cents == fee_cents(amounts.pay_cents, fee_bp)
        assert amounts.requester_cost_cents == amounts.pay_cents + amounts.fee_cents
    check()


@pytest.mark.parametrize("earned, seconds, rate", [
    (2000, HOUR, 2000), (2500, 2 * HOUR, 1250), (1000, 1800, 2000),
    (1, 7, 514),            # 514.28... -> 514
    (1, 8, 450),            # exactly 450
    (5, 7200, 3),           # 2.5 -> 3, halves up
    (0, HOUR, 0), (500, 0, None),
])
def test_effective_hourly_rate(earned, seconds, rate):
    assert effective_hourly_rate_cents(earned, seconds) == rate


# --- weekly limits and goals -------------------------------------------------------------------------

@pytest.mark.parametrize("trainer_s, job_s, cap_min, job_min, level, remaining, binding, words", [
    (99 * HOUR, 99 * HOUR, None, None, "ok", None, None, ""),
    (10 * HOUR, 2 * HOUR, 40 * 60, None, "ok", 30 * HOUR, "trainer_cap", ""),
    (32 * HOUR, 2 * HOUR, 40 * 60, None, "warning", 8 * HOUR, "trainer_cap",
     "8 hours left of your weekly cap of 40 hours."),
    (40 * HOUR, 2 * HOUR, 40 * 60, None, "stop", 0, "trainer_cap", "You have reached your weekly cap of 40 hours."),
    (41 * HOUR, 2 * HOUR, 40 * 60, None, "stop", 0, "trainer_cap", "weekly cap"),   # went over finishing a task
    (5 * HOUR, 8 * HOUR, 40 * 60, 10 * 60, "warning", 2 * HOUR, "job_limit",
     "2 hours left of this job's limit of 10 hours per trainer per week."),
    (5 * HOUR, 10 * HOUR, 40 * 60, 10 * 60, "stop", 0, "job_limit", "this job's limit of 10 hours"),
    # The cap is 80% used although the job limit binds sooner: the warning names the cap.
    (80 * HOUR, 0, 100 * 60, 10 * 60, "warning", 10 * HOUR, "job_limit", "20 hours left of your weekly cap"),
    (0, 0, 0, None, "stop", 0, "trainer_cap", "weekly cap of 0 hours"),
    (int(31.99 * HOUR), 0, 40 * 60, None, "ok", 40 * HOUR - int(31.99 * HOUR), "trainer_cap", ""),
    (0, 45 * 60, None, 90, "ok", 45 * 60, "job_limit", ""),
    (0, 75 * 60, None, 90, "warning", 15 * 60, "job_limit", "0.2 hours left of this job's limit of 1.5 hours"),
])
def test_weekly_cap_and_job_limit(trainer_s, job_s, cap_min, job_min, level, remaining, binding, words):
    status = weekly_limit_status(trainer_s, job_s, cap_min, job_min)
    assert (status.level, status.remaining_seconds, status.binding) == (level, remaining, binding)
    assert words in status.message


def test_a_stop_says_when_work_opens_again_and_that_the_task_in_hand_is_paid():
    message = weekly_limit_status(40 * HOUR, 0, 40 * 60, None).message
    assert "Monday 00:00 UTC" in message and "finish the task in hand" in message


@DEPTHS
def test_limits_stop_exactly_when_no_time_is_left(depth):
    @depth
    @given(st.integers(0, 100 * HOUR), st.integers(0, 100 * HOUR),
           st.none() | st.integers(0, 10_080), st.none() | st.integers(0, 10_080))
    def check(trainer_s, job_s, cap_min, job_min):
        status = weekly_limit_status(trainer_s, job_s, cap_min, job_min)
        lefts = ([cap_min * 60 - trainer_s] if cap_min is not None else []) + \
                ([job_min * 60 - job_s] if job_min is not None else [])
        if not lefts:
            assert status.level == "ok" and status.remaining_seconds is None
            return
        assert status.remaining_seconds == max(0, min(lefts))
        assert (status.level == "stop") == (min(lefts) <= 0)
        used_80 = (cap_min is not None and trainer_s >= 0.8 * cap_min * 60) or \
                  (job_min is not None and job_s >= 0.8 * job_min * 60)
        assert (status.level in ("warning", "stop")) == (used_80 or min(lefts) <= 0)
    check()


@pytest.mark.parametrize("seconds, goal_minutes, text, met", [
    (45_000, 15 * 60, "12.5 of 15 hours this week", False),
    (int(14.99 * HOUR), 15 * 60, "14.9 of 15 hours this week", False),   # never shows 15 of 15 early
    (15 * HOUR, 15 * 60, "15 of 15 hours this week", True),
    (16 * HOUR + 1000, 15 * 60, "16.2 of 15 hours this week", True),
    (1800, 60, "0.5 of 1 hour this week", False),
    (0, 450, "0 of 7.5 hours this week", False),
])
def test_weekly_goal_progress(seconds, goal_minutes, text, met):
    progress = goal_progress(seconds, goal_minutes)
    assert (progress.text, progress.is_met) == (text, met)
    assert 0 <= progress.fraction <= 1


@pytest.mark.parametrize("goal", [None, 0])
def test_no_goal_no_progress_line(goal):
    assert goal_progress(3600, goal) is None


@pytest.mark.parametrize("seconds, text", [(0, "0"), (1800, "0.5"), (3600, "1"), (3779, "1"), (3780, "1.1")])
def test_hours_are_shown_with_one_decimal_at_most(seconds, text):
    assert format_hours(seconds) == text


# --- budget guarantee --------------------------------------------------------------------------------

@pytest.mark.parametrize("escrow, rate, interval, committed, fee_bp, can", [
    (0, 2000, 900, 0, 0, False),          # empty escrow: nobody starts
    (500, 2000, 900, 0, 0, True),         # 15 minutes at $20/h is exactly $5.00
    (499, 2000, 900, 0, 0, False),        # one cent short
    (550, 2000, 900, 0, 1000, True),      # the fee must be covered too
    (549, 2000, 900, 0, 1000, False),
    (1500, 2000, 900, 1000, 0, True),     # other running sessions and unpaid time are set aside first
    (1499, 2000, 900, 1000, 0, False),
    (10_000, 2000, 900, 12_000, 0, False),  # over-committed escrow (a dispute reopened time)
    (0, 1500, 1, 0, 0, False),            # 0.4 cents is reserved as a whole cent: an empty escrow never fits
    (1, 1500, 1, 0, 0, True),
])
def test_a_session_starts_only_when_escrow_covers_it_until_the_next_check(escrow, rate, interval, committed,
                                                                          fee_bp, can):
    assert can_start_session(escrow, rate, interval, committed, fee_basis_points=fee_bp) is can


def test_the_check_interval_must_be_positive():
    with pytest.raises(ValueError):
        session_reserve_cents(2000, 0)


@pytest.mark.parametrize("available, rate, fee_bp, seconds", [
    (500, 2000, 0, 900), (0, 2000, 0, 0), (-5, 2000, 0, 0), (1, 3600, 0, 1), (550, 2000, 1000, 900),
])
def test_escrow_runway(available, rate, fee_bp, seconds):
    assert escrow_runway_seconds(available, rate, fee_bp) == seconds


@DEPTHS
def test_can_start_exactly_when_the_runway_reaches_the_next_check(depth):
    @depth
    @given(st.integers(-1000, 10**7), st.integers(1500, 20_000), st.integers(1, 4 * HOUR),
           st.integers(0, 10**6), st.integers(0, 3000))
    def check(escrow, rate, interval, committed, fee_bp):
        can = can_start_session(escrow, rate, interval, committed, fee_basis_points=fee_bp)
        available = escrow - committed
        runway = escrow_runway_seconds(available, rate, fee_bp)
        assert can == (runway >= interval)
        if can:  # what the time will really cost once billed fits in what was reserved
            pay = pay_for_seconds(rate, interval)
            assert pay + fee_cents(pay, fee_bp) <= session_reserve_cents(rate, interval, fee_bp) <= available
        if runway:
            assert session_reserve_cents(rate, runway, fee_bp) <= available
        assert session_reserve_cents(rate, runway + 1, fee_bp) > available  # the runway is the longest
    check()
