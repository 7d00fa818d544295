"""Pay weeks: exact splits at Monday 00:00 UTC, labels in the trainer's zone, paydays and the week payroll settles."""
from datetime import datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.time import week_start
from marketplace.pay.calculations import (
    day_bounds, iso_week_name, next_payday, payroll_week, split_by_week, time_per_key_and_week, time_per_week,
    time_within, week_label)
from marketplace.pay.sessions import WorkInterval, attribute_pieces

from .strategies import DEPTHS, instants, intervals

UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


H = timedelta(hours=1)


@pytest.mark.parametrize("start, end, expected", [
    # Inside one week.
    (utc(2028, 1, 4, 9), utc(2028, 1, 4, 11), {utc(2028, 1, 3): 2 * H}),
    # Sunday night into Monday: split exactly at 00:00 UTC.
    (utc(2028, 1, 9, 23), utc(2028, 1, 10, 1, 30), {utc(2028, 1, 3): H, utc(2028, 1, 10): 1.5 * H}),
    # Across the year end (Friday 31 Dec 2027): one week, which began in 2027.
    (utc(2027, 12, 31, 22), utc(2028, 1, 1, 2), {utc(2027, 12, 27): 4 * H}),
    # Over the leap day 2028-02-29 (a Tuesday) and on into March.
    (utc(2028, 2, 29, 20), utc(2028, 3, 1, 4), {utc(2028, 2, 28): 8 * H}),
    (utc(2028, 3, 5, 22), utc(2028, 3, 6, 2), {utc(2028, 2, 28): 2 * H, utc(2028, 3, 6): 2 * H}),
    # Fifteen days over four pay weeks: the two in the middle are whole.
    (utc(2028, 1, 9, 12), utc(2028, 1, 24, 12),
     {utc(2028, 1, 3): 12 * H, utc(2028, 1, 10): 168 * H, utc(2028, 1, 17): 168 * H, utc(2028, 1, 24): 12 * H}),
    # Starting exactly at Monday 00:00, and ending exactly at the next one: one week, nothing in the next.
    (utc(2028, 1, 3), utc(2028, 1, 10), {utc(2028, 1, 3): 168 * H}),
    # An empty session has no time in any week.
    (utc(2028, 1, 4), utc(2028, 1, 4), {}),
    # Instants given in another zone are read as the same UTC instants (09:00 Tokyo = 00:00 UTC Monday).
    (datetime(2028, 1, 10, 8, tzinfo=timezone(timedelta(hours=9))),
     datetime(2028, 1, 10, 10, tzinfo=timezone(timedelta(hours=9))),
     {utc(2028, 1, 3): H, utc(2028, 1, 10): H}),
])
def test_sessions_split_exactly_at_monday_midnight_utc(start, end, expected):
    assert time_per_week([(start, end)]) == expected


def test_split_refuses_a_session_that_ends_before_it_starts():
    with pytest.raises(ValueError):
        split_by_week(utc(2028, 1, 4), utc(2028, 1, 3))


def test_attributed_pieces_are_counted_per_job_and_week():
    sessions = [WorkInterval("job-a", utc(2028, 1, 9, 22), utc(2028, 1, 10, 2)),
                WorkInterval("job-b", utc(2028, 1, 9, 23), utc(2028, 1, 10, 1))]
    assert time_per_key_and_week(attribute_pieces(sessions)) == {
        ("job-a", utc(2028, 1, 3)): H, ("job-b", utc(2028, 1, 3)): H,
        ("job-b", utc(2028, 1, 10)): H, ("job-a", utc(2028, 1, 10)): H}


@DEPTHS
def test_minutes_per_week_sum_to_the_session_minutes(depth):
    # Whole-minute sessions near year ends and 2028-02-29: the per-week minutes add up to the session minutes.
    @depth
    @given(st.lists(intervals(microseconds=False), max_size=15))
    def check(sessions):
        sessions = [(s.replace(second=0), e.replace(second=0)) for s, e in sessions]
        per_week = time_per_week(sessions)
        week_minutes = sum(d // timedelta(minutes=1) for d in per_week.values())
        session_minutes = sum((e - s) // timedelta(minutes=1) for s, e in sessions)
        assert week_minutes == session_minutes
        for week, total in per_week.items():
            assert week == week_start(week) and timedelta(0) < total
    check()


@DEPTHS
def test_week_pieces_tile_the_session_exactly(depth):
    @depth
    @given(intervals())
    def check(interval):
        start, end = interval
        pieces = split_by_week(start, end)
        assert sum((e - s for _, s, e in pieces), timedelta(0)) == end - start  # to the microsecond
        for week, s, e in pieces:
            assert week <= s < e <= week + timedelta(days=7)
            assert week.weekday() == 0 and week.time() == time(0)
        assert [s for _, s, _ in pieces[1:]] == [e for _, _, e in pieces[:-1]]
    check()


@pytest.mark.parametrize("moment, name", [
    (utc(2028, 1, 3), "2028-W01"),
    (utc(2028, 1, 2, 23, 59), "2027-W52"),     # Sunday 2 Jan 2028 still belongs to the week of 27 Dec 2027
    (utc(2028, 2, 29, 12), "2028-W09"),
    (utc(2025, 12, 31), "2026-W01"),           # ISO year 2026 starts on Monday 29 Dec 2025
    (utc(2021, 1, 3), "2020-W53"),             # a 53-week ISO year
    (utc(2028, 12, 31, 23, 59), "2028-W52"),
])
def test_iso_week_names(moment, name):
    assert iso_week_name(moment) == name


@pytest.mark.parametrize("week, tz, label", [
    (utc(2028, 1, 3), "UTC", "Mon 3 Jan – Sun 9 Jan 2028 (UTC)"),
    (utc(2028, 1, 5, 15), "UTC", "Mon 3 Jan – Sun 9 Jan 2028 (UTC)"),  # any instant names its week
    (utc(2028, 1, 3), "Asia/Tokyo", "Mon 3 Jan 09:00 – Mon 10 Jan 09:00 2028 (your time: Asia/Tokyo)"),
    (utc(2028, 1, 3), "America/Los_Angeles",
     "Sun 2 Jan 16:00 – Sun 9 Jan 16:00 2028 (your time: America/Los_Angeles)"),
    (utc(2028, 1, 3), "Europe/London", "Mon 3 Jan – Sun 9 Jan 2028 (your time: Europe/London)"),
    (utc(2027, 12, 27), "UTC", "Mon 27 Dec 2027 – Sun 2 Jan 2028 (UTC)"),
    (utc(2028, 2, 28), "UTC", "Mon 28 Feb – Sun 5 Mar 2028 (UTC)"),  # the leap week
    # The week New York springs forward: the local end is an hour later than the start on the clock.
    (utc(2028, 3, 6), "America/New_York",
     "Sun 5 Mar 19:00 – Sun 12 Mar 20:00 2028 (your time: America/New_York)"),
    (utc(2028, 1, 3), "Not/AZone", "Mon 3 Jan – Sun 9 Jan 2028 (UTC)"),  # a bad profile value never breaks a page
    (utc(2028, 1, 3), None, "Mon 3 Jan – Sun 9 Jan 2028 (UTC)"),
])
def test_week_labels_in_the_trainers_zone(week, tz, label):
    assert week_label(week, tz) == label


@pytest.mark.parametrize("now, weekday, tz, at, payday", [
    (utc(2028, 1, 5, 12), 0, "UTC", time(0), utc(2028, 1, 10)),           # Wednesday: next Monday
    (utc(2028, 1, 10), 0, "UTC", time(0), utc(2028, 1, 10)),              # the run instant itself: today
    (utc(2028, 1, 10, 0, 1), 0, "UTC", time(0), utc(2028, 1, 17)),        # just after: next week
    (utc(2028, 1, 10, 0, 1), 0, "UTC", time(6), utc(2028, 1, 10, 6)),     # later the same day
    (utc(2027, 12, 30), 0, "UTC", time(0), utc(2028, 1, 3)),              # across the year end
    (utc(2028, 2, 29, 12), 2, "UTC", time(0), utc(2028, 3, 1)),           # leap day to Wednesday
    (utc(2028, 1, 5, 12), 4, "Asia/Tokyo", time(0), utc(2028, 1, 6, 15)),  # Friday 00:00 Tokyo
    # 02:30 does not exist in New York on 12 Mar 2028: the run is at 03:30 local (07:30 UTC).
    (utc(2028, 3, 11), 6, "America/New_York", time(2, 30), utc(2028, 3, 12, 7, 30)),
])
def test_next_payday(now, weekday, tz, at, payday):
    assert next_payday(now, weekday, tz, at) == payday


def test_payday_weekday_must_be_a_weekday():
    with pytest.raises(ValueError):
        next_payday(utc(2028, 1, 5), 7)


@DEPTHS
def test_next_payday_is_the_first_run_at_or_after_now(depth):
    @depth
    @given(instants(), st.integers(0, 6), st.sampled_from(["UTC", "Asia/Tokyo", "America/New_York",
                                                         "Australia/Lord_Howe", "Pacific/Kiritimati"]))
    def check(now, weekday, tz):
        payday = next_payday(now, weekday, tz)
        assert now <= payday < now + timedelta(days=7, hours=2)  # hours: a clock change inside the week
        assert next_payday(payday, weekday, tz) == payday
        assert next_payday(payday + timedelta(microseconds=1), weekday, tz) > payday
    check()


@pytest.mark.parametrize("run_at, settled", [
    (utc(2028, 1, 10, 0, 5), utc(2028, 1, 3)),
    (utc(2028, 1, 11, 14), utc(2028, 1, 3)),    # a re-run on Tuesday settles the same week
    (utc(2028, 1, 3, 6), utc(2027, 12, 27)),    # the first Monday of 2028 settles the year-end week
    (utc(2028, 1, 9, 15), utc(2027, 12, 27)),   # Monday 00:00 Tokyo is still Sunday in UTC: last full week
])
def test_payroll_settles_the_last_finished_pay_week(run_at, settled):
    assert payroll_week(run_at) == settled


@DEPTHS
def test_payroll_week_is_finished_and_the_latest_such(depth):
    @depth
    @given(instants())
    def check(run_at):
        week = payroll_week(run_at)
        assert week + timedelta(days=7) <= run_at < week + timedelta(days=14)
        assert week == week_start(week)
    check()


@pytest.mark.parametrize("moment, tz, start, end", [
    (utc(2028, 1, 5, 12), "UTC", utc(2028, 1, 5), utc(2028, 1, 6)),
    (utc(2028, 1, 5, 20), "Asia/Tokyo", utc(2028, 1, 5, 15), utc(2028, 1, 6, 15)),  # already the 6th in Tokyo
    (utc(2028, 3, 12, 12), "America/New_York", utc(2028, 3, 12, 5), utc(2028, 3, 13, 4)),  # a 23-hour day
    (utc(2028, 2, 29, 23, 30), "Not/AZone", utc(2028, 2, 29), utc(2028, 3, 1)),
])
def test_today_is_the_trainers_local_day(moment, tz, start, end):
    assert day_bounds(moment, tz) == (start, end)


def test_time_within_a_day_or_week_counts_only_the_overlap():
    sessions = [(utc(2028, 1, 4, 23), utc(2028, 1, 5, 1)), (utc(2028, 1, 5, 9), utc(2028, 1, 5, 10)),
                (utc(2028, 1, 5, 23, 30), utc(2028, 1, 6, 0, 30))]
    assert time_within(sessions, *day_bounds(utc(2028, 1, 5, 12))) == 2.5 * H
    assert time_within(sessions, utc(2028, 1, 3), utc(2028, 1, 10)) == 4 * H
