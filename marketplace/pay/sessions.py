"""Work-session accounting from heartbeats: idle closing, write coalescing, and attribution across jobs."""
from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Hashable, Iterable, NamedTuple, Sequence

# The page sends a heartbeat every 30 to 60 s while the tab is visible and the trainer active (input in the
# last few minutes), and a final one at once on submit, blur and close (sendBeacon).
HEARTBEAT_MIN_INTERVAL = timedelta(seconds=30)
HEARTBEAT_MAX_INTERVAL = timedelta(seconds=60)
# A gap longer than this after the last activity is idle time: never billed, and it ends the session.
DEFAULT_IDLE_GAP = timedelta(seconds=300)
# The stored last activity moves only when it would advance by more than this: at one heartbeat every 30 s
# that is one write per 6 heartbeats. Final heartbeats (submit, blur, close, going idle) always write.
#
# The trade-off: between writes the stored last activity lags the real one by up to this interval, so
#  - the clock the trainer sees (billed time, from the stored row) trails real time by up to 150 s until the
#    next write or final beat catches it up;
#  - if the page's final beacon is lost when the trainer walks away, billing stops at the stored activity,
#    losing at most this interval (at most this plus the idle gap if they come back just inside the gap, as
#    the server cannot tell that from a longer silence and never bills silence it cannot vouch for);
#  - with the beacons delivered, billing equals the rule with every heartbeat stored, exactly;
#  - idle time is never billed: the coalesced sessions always lie inside the exact ones.
# Raising the interval lowers writes and raises the lag and the lost-beacon loss; check_settings() bounds it.
DEFAULT_MIN_WRITE_INTERVAL = timedelta(seconds=150)


def as_duration(value: timedelta | int | float) -> timedelta:
    """Accept settings as a timedelta or as seconds (config stores IDLE_GAP_SECONDS as an int)."""
    return value if isinstance(value, timedelta) else timedelta(seconds=value)


def whole_seconds(duration: timedelta) -> int:
    """Billable seconds of a duration: rounded once, on a total, halves up (the trainer's favour, as money does)."""
    if duration < timedelta(0):
        raise ValueError("a duration to bill must not be negative")
    return duration.days * 86_400 + duration.seconds + (1 if duration.microseconds >= 500_000 else 0)


def check_settings(idle_gap: timedelta | int = DEFAULT_IDLE_GAP,
                   min_write_interval: timedelta | int = DEFAULT_MIN_WRITE_INTERVAL,
                   heartbeat_max_interval: timedelta | int = HEARTBEAT_MAX_INTERVAL) -> None:
    """Refuse settings under which coalescing could split a session that is sending regular heartbeats.

    Between two writes the stored last activity lags the real one by at most `min_write_interval`, so the
    server can see a gap of up to `min_write_interval + heartbeat_max_interval` while the trainer works without
    a pause. That gap must stay within the idle gap, or a working trainer would be cut into two sessions.
    """
    idle_gap, min_write_interval = as_duration(idle_gap), as_duration(min_write_interval)
    heartbeat_max_interval = as_duration(heartbeat_max_interval)
    if min_write_interval < timedelta(0) or heartbeat_max_interval <= timedelta(0):
        raise ValueError("intervals must be positive")
    if min_write_interval + heartbeat_max_interval > idle_gap:
        raise ValueError(
            f"the write interval ({min_write_interval.total_seconds():.0f} s) plus the longest heartbeat interval "
            f"({heartbeat_max_interval.total_seconds():.0f} s) must not exceed the idle gap "
            f"({idle_gap.total_seconds():.0f} s), or steady work would be split into sessions")


@dataclass(frozen=True)
class SessionState:
    """The stored row of one work session, as the server sees it (not the page's view)."""

    started_at: datetime
    last_activity_at: datetime
    closed_at: datetime | None = None

    def __post_init__(self):
        if self.last_activity_at < self.started_at:
            raise ValueError("last activity cannot come before the session started")
        if self.closed_at is not None and self.closed_at < self.last_activity_at:
            raise ValueError("a session cannot close before its last activity")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def billable(self) -> timedelta:
        # Billing runs to the last recorded activity, never to "now": an open session is not billed for the
        # minutes since its last heartbeat, which may turn out to be idle.
        return self.last_activity_at - self.started_at


class HeartbeatResult(NamedTuple):
    """What a heartbeat does to the stored session.

    state: the session row after the heartbeat (unchanged when the beat was coalesced away);
    needs_write: whether any row must be written;
    closed_and_new: the beat came after the session had closed or gone idle, so `state` is a NEW session row
        to insert (starting at this beat);
    closed: the old session, closed at its last activity, when it was still open and must be updated too.
    """

    state: SessionState
    needs_write: bool
    closed_and_new: bool
    closed: SessionState | None = None


def open_session(at: datetime) -> SessionState:
    """Starting work opens a session at server time; the start itself is activity."""
    return SessionState(started_at=at, last_activity_at=at)


def apply_heartbeat(state: SessionState, at: datetime,
                    idle_gap: timedelta | int = DEFAULT_IDLE_GAP,
                    min_write_interval: timedelta | int = DEFAULT_MIN_WRITE_INTERVAL,
                    *, final: bool = False) -> HeartbeatResult:
    """Apply one heartbeat (server time `at`) to the stored session.

    Rules: a beat after an idle gap closes the session at its last activity and opens a new one at `at`; a
    beat within the gap moves the last activity to `at`, but the row is written only when that advances it by
    more than `min_write_interval` or the beat is final (submit, blur, close, going idle); a beat at or before
    the stored last activity (late or duplicate delivery) changes nothing.
    """
    idle_gap, min_write_interval = as_duration(idle_gap), as_duration(min_write_interval)
    gap = at - state.last_activity_at
    if gap <= timedelta(0) or (state.closed_at is not None and at <= state.closed_at):
        # Out-of-order delivery (several web servers, a slow beacon): time never moves backwards.
        return HeartbeatResult(state, False, False)
    if not state.is_open:
        # The trainer stopped, or the sweep closed the session as idle: this beat starts fresh work.
        return HeartbeatResult(open_session(at), True, True)
    if gap > idle_gap:
        # Bill up to the last activity we recorded, not the idle stretch after it.
        return HeartbeatResult(open_session(at), True, True, replace(state, closed_at=state.last_activity_at))
    if final or gap > min_write_interval:
        return HeartbeatResult(replace(state, last_activity_at=at), True, False)
    # Coalesced: the stored row does not change. The real last activity is at most `min_write_interval` ahead
    # of the stored one; a final beat or the next write catches up.
    return HeartbeatResult(state, False, False)


def close_session(state: SessionState, at: datetime,
                  idle_gap: timedelta | int = DEFAULT_IDLE_GAP) -> tuple[SessionState, bool]:
    """The trainer stops work at `at` (or the last task is submitted): always written, so the tail is billed.

    Returns (state, needs_write). If the trainer had already been idle longer than the gap, the session closes
    at its last activity instead, so pressing Stop late never bills the idle stretch.
    """
    if not state.is_open:
        return state, False
    if at - state.last_activity_at > as_duration(idle_gap):
        return replace(state, closed_at=state.last_activity_at), True
    end = max(at, state.last_activity_at)
    return replace(state, last_activity_at=end, closed_at=end), True


def close_if_idle(state: SessionState, now: datetime,
                  idle_gap: timedelta | int = DEFAULT_IDLE_GAP) -> tuple[SessionState, bool]:
    """The periodic sweep: a session whose stored last activity is older than the idle gap closes there."""
    if state.is_open and now - state.last_activity_at > as_duration(idle_gap):
        return replace(state, closed_at=state.last_activity_at), True
    return state, False


# --- replay: the exact model and the coalesced one, side by side (tests and bench/heartbeats_model.py) ---

class Beat(NamedTuple):
    at: datetime
    final: bool = False


def sessions_from_activity(instants: Iterable[datetime],
                           idle_gap: timedelta | int = DEFAULT_IDLE_GAP) -> list[tuple[datetime, datetime]]:
    """The exact rule with every activity stored: runs of activity with gaps within the idle gap."""
    idle_gap = as_duration(idle_gap)
    runs: list[tuple[datetime, datetime]] = []
    for at in sorted(instants):
        if runs and at - runs[-1][1] <= idle_gap:
            runs[-1] = (runs[-1][0], at)
        else:
            runs.append((at, at))
    return runs


class Replay(NamedTuple):
    sessions: list[SessionState]
    writes: int
    heartbeats: int


def replay(beats: Sequence[Beat], idle_gap: timedelta | int = DEFAULT_IDLE_GAP,
           min_write_interval: timedelta | int = DEFAULT_MIN_WRITE_INTERVAL, *,
           close_at_end: bool = True) -> Replay:
    """Run beats (in server order) through the stored-row rules, counting row writes (insert or update).

    The first beat opens the session (one insert); with `close_at_end`, the sweep closes the last session.
    """
    if not beats:
        return Replay([], 0, 0)
    state, writes, done = open_session(beats[0].at), 1, []
    for beat in beats[1:]:
        result = apply_heartbeat(state, beat.at, idle_gap, min_write_interval, final=beat.final)
        if result.closed is not None:
            done.append(result.closed)
            writes += 1
        elif result.closed_and_new:
            done.append(state)
        writes += 1 if result.needs_write else 0
        state = result.state
    if close_at_end:
        state, wrote = close_if_idle(state, state.last_activity_at + as_duration(idle_gap) + timedelta(seconds=1),
                                     idle_gap)
        writes += int(wrote)
    done.append(state)
    return Replay(done, writes, len(beats) - 1)


# --- attribution: one clock across several jobs ---

@dataclass(frozen=True)
class WorkInterval:
    """A session's billable stretch [start, end], with any other activity instants the server knows of
    (for example task submissions), which sharpen who owned the time when sessions overlap."""

    key: Hashable
    start: datetime
    end: datetime
    activity: tuple[datetime, ...] = field(default=())

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("a session cannot end before it starts")


class Piece(NamedTuple):
    key: Hashable
    start: datetime
    end: datetime


def attribute_pieces(intervals: Iterable[WorkInterval]) -> list[Piece]:
    """Cut a trainer's sessions into disjoint pieces so each instant belongs to exactly one session.

    Rule: an instant covered by several sessions belongs to the one most recently active at that instant:
    the session whose latest known activity (its start, or an activity instant) at or before it is the latest;
    ties go to the session that started later, then to the later one in the input. The pieces cover exactly
    the union of the sessions, so the total never exceeds wall-clock time.
    """
    items = list(intervals)
    if len({item.key for item in items}) != len(items):
        raise ValueError("each session must have its own key")
    known = [sorted({item.start, *(a for a in item.activity if item.start <= a <= item.end)}) for item in items]
    points = sorted({p for item in items for p in (item.start, item.end)} | {a for ks in known for a in ks})
    order = sorted(range(len(items)), key=lambda i: items[i].start)
    pieces: list[Piece] = []
    active: list[int] = []
    next_up = 0
    for x, y in zip(points, points[1:]):
        while next_up < len(order) and items[order[next_up]].start <= x:
            active.append(order[next_up])
            next_up += 1
        # Sessions that end at or before x no longer cover (x, y); most trainers have one active at a time,
        # so this list stays tiny and the sweep is near-linear in the number of sessions.
        active = [i for i in active if items[i].end >= y]
        if not active:
            continue
        owner = max(active, key=lambda i: (known[i][bisect_right(known[i], x) - 1], items[i].start, i))
        key = items[owner].key
        if pieces and pieces[-1].key == key and pieces[-1].end == x:
            pieces[-1] = Piece(key, pieces[-1].start, y)
        else:
            pieces.append(Piece(key, x, y))
    return pieces


def attribute_time(intervals: Iterable[WorkInterval]) -> dict[Hashable, timedelta]:
    """Billable time per session after removing overlaps (every session appears, perhaps with zero)."""
    items = list(intervals)
    totals = {item.key: timedelta(0) for item in items}
    for piece in attribute_pieces(items):
        totals[piece.key] += piece.end - piece.start
    return totals


def union_duration(intervals: Iterable[tuple[datetime, datetime]]) -> timedelta:
    """Wall-clock time covered by any of the intervals (what one person can have worked, at most)."""
    total, current = timedelta(0), None
    for start, end in sorted(intervals):
        if current is None or start > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = [start, end]
        else:
            current[1] = max(current[1], end)
    if current is not None:
        total += current[1] - current[0]
    return total
