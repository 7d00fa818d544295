"""Pay-week arithmetic: week splits and labels, timesheet amounts, limits, goals, budget guarantee, payday."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Hashable, Iterable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marketplace.core.money import fee_cents, pay_for_seconds
from marketplace.core.time import UTC, as_utc, week_start

WEEK = timedelta(days=7)
WARNING_FRACTION = 0.8


# --- pay weeks -----------------------------------------------------------------------------------

def split_by_week(start: datetime, end: datetime) -> list[tuple[datetime, datetime, datetime]]:
    """Cut [start, end) at each Monday 00:00 UTC: [(week_start, piece_start, piece_end), ...], exact to the
    microsecond, so the pieces always add up to the whole session (an empty session gives no pieces)."""
    start, end = as_utc(start), as_utc(end)
    if end < start:
        raise ValueError("a session cannot end before it starts")
    pieces = []
    week = week_start(start)
    while start < end:
        cut = min(end, week + WEEK)
        pieces.append((week, start, cut))
        start, week = cut, week + WEEK
    return pieces


def time_per_week(intervals: Iterable[tuple[datetime, datetime]]) -> dict[datetime, timedelta]:
    """Total time per pay week (keyed by the week's Monday 00:00 UTC) over disjoint intervals."""
    totals: dict[datetime, timedelta] = {}
    for start, end in intervals:
        for week, piece_start, piece_end in split_by_week(start, end):
            totals[week] = totals.get(week, timedelta(0)) + (piece_end - piece_start)
    return totals


def time_per_key_and_week(pieces: Iterable[tuple[Hashable, datetime, datetime]]
                          ) -> dict[tuple[Hashable, datetime], timedelta]:
    """Time per (session or job key, pay week), for pieces from sessions.attribute_pieces."""
    totals: dict[tuple[Hashable, datetime], timedelta] = {}
    for key, start, end in pieces:
        for week, piece_start, piece_end in split_by_week(start, end):
            totals[(key, week)] = totals.get((key, week), timedelta(0)) + (piece_end - piece_start)
    return totals


def iso_week_name(moment: datetime) -> str:
    """ISO name of the pay week holding `moment`, e.g. 2028-W01 (pay weeks start Monday, as ISO weeks do)."""
    year, week, _ = week_start(moment).isocalendar()
    return f"{year}-W{week:02d}"


def zone(tz_name: str | None) -> ZoneInfo:
    """The trainer's zone; an unknown or empty name falls back to UTC rather than failing a page."""
    try:
        return ZoneInfo(tz_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"


def week_label(week: datetime, tz_name: str | None = "UTC") -> str:
    """A UTC pay week as the trainer reads it.

    Where the week starts at local midnight: "Mon 3 Jan – Sun 9 Jan 2028 (UTC)" or "(your time: Europe/London)".
    Elsewhere it starts and ends at a local hour that is not midnight, so the label gives the exact local
    bounds rather than pretending it runs Monday to Sunday there:
    "Mon 3 Jan 09:00 – Mon 10 Jan 09:00 2028 (your time: Asia/Tokyo)".
    """
    start = week_start(week)
    tz = zone(tz_name)
    whose = "UTC" if tz.key == "UTC" else f"your time: {tz.key}"
    local_start, local_end = start.astimezone(tz), (start + WEEK).astimezone(tz)
    if local_start.time() == time(0) and local_end.time() == time(0):
        last_day = local_end - timedelta(days=1)
        first = _day(local_start) + ("" if local_start.year == last_day.year else f" {local_start.year}")
        return f"{first} – {_day(last_day)} {last_day.year} ({whose})"
    first = _day(local_start) + ("" if local_start.year == local_end.year else f" {local_start.year}")
    return f"{first} {local_start:%H:%M} – {_day(local_end)} {local_end:%H:%M} {local_end.year} ({whose})"


def day_bounds(moment: datetime, tz_name: str | None = "UTC") -> tuple[datetime, datetime]:
    """The trainer's local calendar day holding `moment`, as UTC instants (23 or 25 hours on clock-change days),
    for "today" on the work page's clock."""
    tz = zone(tz_name)
    day = as_utc(moment).astimezone(tz).date()
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def time_within(intervals: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> timedelta:
    """Time of disjoint intervals falling inside [start, end): today's or this week's billed time."""
    total = timedelta(0)
    for piece_start, piece_end in intervals:
        overlap = min(piece_end, end) - max(piece_start, start)
        if overlap > timedelta(0):
            total += overlap
    return total


# --- timesheets ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Adjustment:
    """A disputed session removed (seconds=0) or shortened, with the written reason the trainer reads."""

    line_key: Hashable
    seconds: int
    reason: str


@dataclass(frozen=True)
class TimesheetLine:
    key: Hashable
    recorded_seconds: int
    billable_seconds: int
    reason: str | None  # why it was adjusted; None when it stands as recorded


@dataclass(frozen=True)
class TimesheetAmounts:
    lines: tuple[TimesheetLine, ...]
    recorded_seconds: int
    billable_seconds: int
    pay_cents: int             # what the trainer earns: the rate on the total billable seconds, rounded once
    fee_cents: int             # the platform fee, charged to the requester on top of the pay
    requester_cost_cents: int  # what leaves the job's escrow

    @property
    def removed_seconds(self) -> int:
        return self.recorded_seconds - self.billable_seconds


def timesheet_amounts(lines: Mapping[Hashable, int] | Iterable[tuple[Hashable, int]],
                      rate_cents_per_hour: int, fee_basis_points: int,
                      adjustments: Iterable[Adjustment] = ()) -> TimesheetAmounts:
    """Amounts of one timesheet: per-line seconds, adjustments applied, pay computed once on the total.

    Rules: an adjustment names a line, gives its new seconds (0 removes it; it may shorten, never lengthen
    beyond what was recorded) and a written reason; a later adjustment of the same line replaces an earlier
    one (an admin's decision overrides the requester's dispute). Summing rounded per-line pay would drift by
    up to half a cent a line, so pay is rounded once, on the total seconds.
    """
    recorded = dict(lines.items() if isinstance(lines, Mapping) else lines)
    if any(seconds < 0 for seconds in recorded.values()):
        raise ValueError("recorded seconds must not be negative")
    final: dict[Hashable, Adjustment] = {}
    for adjustment in adjustments:
        if adjustment.line_key not in recorded:
            raise ValueError(f"no session {adjustment.line_key!r} on this timesheet")
        if not adjustment.reason or not adjustment.reason.strip():
            raise ValueError("an adjustment needs a written reason the trainer can read")
        if not 0 <= adjustment.seconds <= recorded[adjustment.line_key]:
            raise ValueError("an adjustment can remove or shorten a session, not lengthen it")
        final[adjustment.line_key] = adjustment
    out = []
    for key, seconds in recorded.items():
        adjustment = final.get(key)
        out.append(TimesheetLine(key, seconds, adjustment.seconds if adjustment else seconds,
                                 adjustment.reason.strip() if adjustment else None))
    billable = sum(line.billable_seconds for line in out)
    pay = pay_for_seconds(rate_cents_per_hour, billable)
    fee = fee_cents(pay, fee_basis_points)
    return TimesheetAmounts(tuple(out), sum(recorded.values()), billable, pay, fee, pay + fee)


def effective_hourly_rate_cents(earned_cents: int, seconds: int) -> int | None:
    """What a job really paid per hour (pay plus bonuses over hours worked), halves up; None with no time."""
    if seconds <= 0:
        return None
    whole, remainder = divmod(earned_cents * 3600, seconds)
    return whole + (1 if 2 * remainder >= seconds else 0)


# --- limits and goals ----------------------------------------------------------------------------

def format_hours(seconds: int, *, round_down: bool = False) -> str:
    """Hours with at most one decimal, no trailing .0: 12.5, 15. Rounded down where it must not overstate."""
    tenths = seconds // 360 if round_down else (seconds + 180) // 360
    return f"{tenths // 10}" if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"


@dataclass(frozen=True)
class LimitStatus:
    level: str                     # "ok", "warning" (80% used) or "stop" (no new claims)
    remaining_seconds: int | None  # None: no limit applies
    binding: str | None            # "trainer_cap" or "job_limit": the limit with the least time left
    message: str                   # what the page says; empty when nothing needs saying


def weekly_limit_status(trainer_week_seconds: int, job_week_seconds: int,
                        trainer_cap_minutes: int | None, job_limit_minutes: int | None,
                        warn_at: float = WARNING_FRACTION) -> LimitStatus:
    """Where a trainer stands against their own weekly cap (all jobs) and a job's per-trainer weekly limit.

    The limit with the least time left binds. At `warn_at` of it used the page warns; when nothing is left,
    new claims stop (the task in hand can still be finished and is paid).
    """
    candidates = []
    if trainer_cap_minutes is not None:
        candidates.append(("trainer_cap", trainer_cap_minutes * 60, trainer_week_seconds))
    if job_limit_minutes is not None:
        candidates.append(("job_limit", job_limit_minutes * 60, job_week_seconds))
    if not candidates:
        return LimitStatus("ok", None, None, "")
    binding, limit, used = min(candidates, key=lambda c: (c[1] - c[2], c[0] != "trainer_cap"))
    remaining = max(0, limit - used)
    if remaining == 0:
        return LimitStatus("stop", 0, binding,
                           f"You have reached {_limit_words(binding, limit)}. New work opens when the next pay "
                           f"week starts (Monday 00:00 UTC); you can finish the task in hand.")
    # Warn about the limit that is 80% used (with the least time left, if both are), which need not be the
    # binding one: 20 hours left of a 100-hour cap is worth saying even when a job limit binds sooner.
    warned = sorted((c for c in candidates if c[2] >= warn_at * c[1]), key=lambda c: c[1] - c[2])
    if warned:
        name, w_limit, w_used = warned[0]
        return LimitStatus("warning", remaining, binding,
                           f"{format_hours(w_limit - w_used, round_down=True)} hours left of "
                           f"{_limit_words(name, w_limit)}.")
    return LimitStatus("ok", remaining, binding, "")


def _limit_words(name: str, limit_seconds: int) -> str:
    if name == "trainer_cap":
        return f"your weekly cap of {format_hours(limit_seconds)} hours"
    return f"this job's limit of {format_hours(limit_seconds)} hours per trainer per week"


@dataclass(frozen=True)
class GoalProgress:
    text: str
    fraction: float
    is_met: bool


def goal_progress(week_seconds: int, goal_minutes: int | None) -> GoalProgress | None:
    """"12.5 of 15 hours this week" for trainers who set a goal (worked time rounded down, so 15 of 15 means
    the goal is truly met)."""
    if not goal_minutes:
        return None
    goal_seconds = goal_minutes * 60
    goal_text = format_hours(goal_seconds)
    unit = "hour" if goal_text == "1" else "hours"
    return GoalProgress(f"{format_hours(week_seconds, round_down=True)} of {goal_text} {unit} this week",
                        min(1.0, week_seconds / goal_seconds), week_seconds >= goal_seconds)


# --- budget guarantee ------------------------------------------------------------------------------

def session_reserve_cents(rate_cents_per_hour: int, check_interval_seconds: int, fee_basis_points: int = 0) -> int:
    """What the escrow must hold for one session to run until the next budget check: pay plus its fee.

    Rounded UP, not half up as pay is: a reserve must never fall short of what the time will cost once it is
    billed (and a second at $15/h, 0.4 cents, must not make an empty escrow look sufficient).
    """
    if check_interval_seconds <= 0:
        raise ValueError("the check interval must be positive")
    pay = -(-rate_cents_per_hour * check_interval_seconds // 3600)
    return pay + -(-pay * fee_basis_points // 10_000)


def can_start_session(escrow_cents: int, rate_cents_per_hour: int, check_interval_seconds: int,
                      already_committed_cents: int, *, fee_basis_points: int = 0) -> bool:
    """A trainer never works unpaid: a session may start only when the escrow not yet committed (recorded
    unpaid time, other running sessions' reserves) covers this session until the next check. The same rule,
    false, means the job pauses: no new claims."""
    available = escrow_cents - already_committed_cents
    return available >= session_reserve_cents(rate_cents_per_hour, check_interval_seconds, fee_basis_points)


def escrow_runway_seconds(available_cents: int, rate_cents_per_hour: int, fee_basis_points: int = 0) -> int:
    """The most seconds of work the available escrow reserves, fee included (for "about 3.2 hours left");
    a session can start exactly when this reaches the check interval."""
    if available_cents <= 0 or rate_cents_per_hour <= 0:
        return 0
    low, high = 0, available_cents * 3600 // rate_cents_per_hour + 1
    while low < high:  # the reserve is non-decreasing in seconds: find the last second that fits
        mid = (low + high + 1) // 2
        fits = session_reserve_cents(rate_cents_per_hour, mid, fee_basis_points) <= available_cents
        low, high = (mid, high) if fits else (low, mid - 1)
    return low


# --- payday ------------------------------------------------------------------------------------------

def next_payday(now: datetime, weekday: int = 0, tz_name: str | None = "UTC", at: time = time(0, 0)) -> datetime:
    """The next payroll run at or after `now`, as aware UTC: `weekday` (0 = Monday) at local time `at` in
    `tz_name`. A local time skipped by a clock change runs at the same wall time read with the old offset
    (so 02:30 on a spring-forward night runs at 03:30)."""
    if not 0 <= weekday <= 6:
        raise ValueError("weekday is 0 (Monday) to 6 (Sunday)")
    tz = zone(tz_name)
    today: date = as_utc(now).astimezone(tz).date()
    for days_ahead in range(8):
        day = today + timedelta(days=days_ahead)
        if day.weekday() != weekday:
            continue
        run = datetime.combine(day, at, tzinfo=tz).astimezone(UTC)
        if run >= now:
            return run
    raise AssertionError("unreachable: a weekday recurs within 8 days")


def payroll_week(run_at: datetime) -> datetime:
    """The pay week a payroll run settles: the last one fully over, so every run within one UTC week settles
    the same week (and shares its idempotency keys)."""
    return week_start(run_at) - WEEK
