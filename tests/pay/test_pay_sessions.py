"""Work sessions from heartbeats: idle closing, write coalescing, and billing exact within the write interval."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.pay.sessions import (
    DEFAULT_IDLE_GAP, DEFAULT_MIN_WRITE_INTERVAL, HEARTBEAT_MAX_INTERVAL, Beat, SessionState, apply_heartbeat,
    check_settings, close_if_idle, close_session, open_session, replay, sessions_from_activity, whole_seconds)

from .strategies import DEPTHS

UTC = timezone.utc
T0 = datetime(2028, 2, 28, 9, 0, tzinfo=UTC)
G = DEFAULT_IDLE_GAP.total_seconds()            # 300 s
W = DEFAULT_MIN_WRITE_INTERVAL.total_seconds()  # 150 s


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def state(start: float, last: float, closed: float | None = None) -> SessionState:
    return SessionState(at(start), at(last), None if closed is None else at(closed))


# --- one heartbeat at a time ------------------------------------------------------------------------

@pytest.mark.parametrize("before, beat, final, after, needs_write, closed_and_new, closed", [
    # Within the write interval: nothing to write; the stored row stays as it was.
    (state(0, 0), 30, False, state(0, 0), False, False, None),
    (state(0, 120), 270, False, state(0, 120), False, False, None),   # exactly the write interval: coalesced
    # More than the write interval since the stored activity: the row moves.
    (state(0, 120), 271, False, state(0, 271), True, False, None),
    # A final beat (submit, blur, close, going idle) always writes, so the end is never lost.
    (state(0, 120), 130, True, state(0, 130), True, False, None),
    # Exactly the idle gap is still the same session (billed); one second more closes it.
    (state(0, 100), 400, False, state(0, 400), True, False, None),
    (state(0, 100), 401, False, state(401, 401), True, True, state(0, 100, 100)),
    # A final beat after the idle gap still starts a new session: idle time is never billed.
    (state(0, 100), 1000, True, state(1000, 1000), True, True, state(0, 100, 100)),
    # A beat after the trainer stopped (or the sweep closed the session) starts a new session.
    (state(0, 100, 100), 130, False, state(130, 130), True, True, None),
    # Late or duplicate deliveries never move time backwards, on open or closed sessions.
    (state(0, 100), 100, True, state(0, 100), False, False, None),
    (state(0, 100), 90, False, state(0, 100), False, False, None),
    (state(0, 100, 100), 80, True, state(0, 100, 100), False, False, None),
])
def test_heartbeat_rules(before, beat, final, after, needs_write, closed_and_new, closed):
    result = apply_heartbeat(before, at(beat), DEFAULT_IDLE_GAP, DEFAULT_MIN_WRITE_INTERVAL, final=final)
    assert result == (after, needs_write, closed_and_new, closed)


def test_starting_work_opens_a_session_at_server_time_with_nothing_billed_yet():
    session = open_session(at(0))
    assert (session.started_at, session.last_activity_at, session.is_open, session.billable) == (
        at(0), at(0), True, timedelta(0))


def test_heartbeat_result_unpacks_as_state_write_and_new():
    new_state, needs_write, closed_and_new, _closed = apply_heartbeat(state(0, 0), at(30), 300, 150)
    assert (new_state, needs_write, closed_and_new) == (state(0, 0), False, False)


def test_settings_accept_seconds_as_config_stores_them():
    assert apply_heartbeat(state(0, 0), at(61), 300, 60) == apply_heartbeat(
        state(0, 0), at(61), timedelta(seconds=300), timedelta(seconds=60))


def test_session_closes_at_its_last_activity_after_the_idle_gap():
    beats = [Beat(at(s)) for s in (0, 30, 60, 90)] + [Beat(at(90 + 301))]
    result = replay(beats)
    assert [s.billable for s in result.sessions] == [timedelta(seconds=0), timedelta(0)]
    # The stored row had not moved past 0 (coalesced), so the first session bills 0 s, not the idle 301 s;
    # with the page's going-idle beacon (a final beat) the 90 s are billed exactly:
    beats[3] = Beat(at(90), final=True)
    assert [s.billable for s in replay(beats).sessions] == [timedelta(seconds=90), timedelta(0)]


def test_stop_bills_through_the_stop_and_always_writes():
    assert close_session(state(0, 100), at(220)) == (state(0, 220, 220), True)


def test_stop_after_walking_away_does_not_bill_the_idle_stretch():
    assert close_session(state(0, 100), at(100 + 301)) == (state(0, 100, 100), True)


def test_stop_twice_writes_once():
    assert close_session(state(0, 100, 100), at(200)) == (state(0, 100, 100), False)


@pytest.mark.parametrize("now, expected", [
    (100 + 300, (state(0, 100), False)),         # not idle yet
    (100 + 301, (state(0, 100, 100), True)),     # closed at the last activity, not at the sweep's time
])
def test_sweep_closes_idle_sessions_at_the_last_activity(now, expected):
    assert close_if_idle(state(0, 100), at(now)) == expected


def test_sweep_leaves_closed_sessions_alone():
    assert close_if_idle(state(0, 100, 100), at(10_000)) == (state(0, 100, 100), False)


def test_an_open_session_bills_to_its_last_activity_not_to_now():
    assert state(0, 120).billable == timedelta(seconds=120)


def test_session_rows_cannot_run_backwards():
    with pytest.raises(ValueError):
        SessionState(at(10), at(5))
    with pytest.raises(ValueError):
        SessionState(at(0), at(10), at(5))


def test_default_settings_never_split_steady_work():
    check_settings()  # 150 s + 60 s <= 300 s


def test_settings_that_could_split_steady_work_are_refused():
    with pytest.raises(ValueError, match="must not exceed the idle gap"):
        check_settings(idle_gap=300, min_write_interval=250, heartbeat_max_interval=60)


@pytest.mark.parametrize("duration, seconds", [
    (timedelta(seconds=10), 10), (timedelta(seconds=10, microseconds=499_999), 10),
    (timedelta(seconds=10, microseconds=500_000), 11), (timedelta(days=2, seconds=1), 172_801),
])
def test_whole_seconds_round_once_halves_up(duration, seconds):
    assert whole_seconds(duration) == seconds


def test_whole_seconds_refuse_negative_time():
    with pytest.raises(ValueError):
        whole_seconds(timedelta(seconds=-1))


# --- the write budget ---------------------------------------------------------------------------------

def test_an_hour_at_one_heartbeat_every_30_s_costs_at_most_0_2_writes_per_heartbeat():
    beats = [Beat(at(s)) for s in range(0, 3601, 30)]
    beats[-1] = Beat(at(3600), final=True)  # the page's Stop / close beacon
    result = replay(beats)
    assert result.heartbeats == 120
    assert result.writes / result.heartbeats <= 0.2  # 1 insert + 19 coalesced updates + final + sweep = 22
    assert result.writes == 22
    assert [s.billable for s in result.sessions] == [timedelta(hours=1)]


def test_steady_heartbeats_write_once_per_write_interval():
    beats = [Beat(at(s)) for s in range(0, 1801, 30)]
    result = replay(beats, close_at_end=False)
    # Writes at 180, 360, ..., 1800: every 6th beat, never more often than every 150 s of activity.
    assert result.writes == 1 + 10


# --- properties: exact model vs coalesced rows --------------------------------------------------------

def _beats(start_offsets_and_finals):
    return [Beat(at(offset), final) for offset, final in start_offsets_and_finals]


@st.composite
def any_beats(draw):
    """Any beats in server order: gaps from a second to an hour, finals anywhere."""
    gaps = draw(st.lists(st.integers(1, 3600), max_size=60))
    finals = draw(st.lists(st.booleans(), min_size=len(gaps) + 1, max_size=len(gaps) + 1))
    offsets = [0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    return _beats(zip(offsets, finals))


def _total(runs):
    return sum((end - start for start, end in runs), timedelta(0))


def _inside(session, runs):
    return any(start <= session.started_at and session.last_activity_at <= end for start, end in runs)


@DEPTHS
def test_coalescing_never_bills_more_than_the_exact_rule(depth):
    @depth
    @given(any_beats())
    def check(beats):
        exact = sessions_from_activity([b.at for b in beats], DEFAULT_IDLE_GAP)
        coalesced = replay(beats).sessions
        assert all(_inside(s, exact) for s in coalesced)  # idle time is never billed
        assert sum((s.billable for s in coalesced), timedelta(0)) <= _total(exact)
    check()


@st.composite
def beats_with_beacons(draw):
    """The page's contract: a beat that starts a pause longer than (idle gap - write interval) is final
    (going idle, blur, close), and the last beat is final (Stop or close)."""
    count = draw(st.integers(1, 60))
    finals = [draw(st.booleans()) for _ in range(count)]
    offsets = [0]
    for i in range(count - 1):
        longest = 4000 if finals[i] else int(G - W)
        offsets.append(offsets[-1] + draw(st.integers(1, longest)))
    finals[-1] = True
    return _beats(zip(offsets, finals))


@DEPTHS
def test_with_the_page_beacons_billing_is_exact(depth):
    @depth
    @given(beats_with_beacons())
    def check(beats):
        exact = sessions_from_activity([b.at for b in beats], DEFAULT_IDLE_GAP)
        assert [(s.started_at, s.last_activity_at) for s in replay(beats).sessions] == exact
    check()


@st.composite
def beats_without_beacons(draw):
    """Every beacon lost: steady heartbeats 30 to 60 s apart, pauses longer than the idle gap, no finals."""
    offsets = [0]
    for _ in range(draw(st.integers(0, 4))):
        for _ in range(draw(st.integers(0, 40))):
            offsets.append(offsets[-1] + draw(st.integers(30, int(HEARTBEAT_MAX_INTERVAL.total_seconds()))))
        offsets.append(offsets[-1] + draw(st.integers(int(G) + 1, 20_000)))
    return _beats((offset, False) for offset in offsets)


@DEPTHS
def test_with_every_beacon_lost_each_session_loses_at_most_the_write_interval(depth):
    @depth
    @given(beats_without_beacons())
    def check(beats):
        exact = sessions_from_activity([b.at for b in beats], DEFAULT_IDLE_GAP)
        result = replay(beats)
        assert len(result.sessions) == len(exact)  # steady work is never split
        for session, (start, end) in zip(result.sessions, exact):
            assert session.started_at == start
            assert end - DEFAULT_MIN_WRITE_INTERVAL <= session.last_activity_at <= end
        # And the write budget: per session one insert and one close, plus one update per 150 s of activity.
        billable = sum((s.billable for s in result.sessions), timedelta(0))
        assert result.writes <= 2 * len(exact) + billable / DEFAULT_MIN_WRITE_INTERVAL
    check()


def test_a_lost_beacon_before_a_pause_just_under_the_idle_gap_splits_the_session_without_billing_idle_time():
    # The documented worst case: beats at 0..120 s were coalesced (the row still says 0), the going-idle
    # beacon was lost, and the trainer came back after 200 s. The server cannot tell this from 320 s of
    # silence, so it takes the side that never bills idle time: close at 0, new session at 320. The loss is
    # at most the write interval plus the idle gap, and only when a beacon is lost.
    beats = [Beat(at(s)) for s in (0, 30, 60, 90, 120, 320)]
    exact = sessions_from_activity([b.at for b in beats])
    sessions = replay(beats).sessions
    assert exact == [(at(0), at(320))]
    assert [(s.started_at, s.last_activity_at) for s in sessions] == [(at(0), at(0)), (at(320), at(320))]
    assert _total(exact) - sum((s.billable for s in sessions), timedelta(0)) <= DEFAULT_MIN_WRITE_INTERVAL \
        + DEFAULT_IDLE_GAP


def test_a_beat_before_an_explicit_stop_is_a_late_delivery_not_new_work():
    stopped = SessionState(at(0), at(100), at(130))  # a row closed after its last activity, however it came
    assert apply_heartbeat(stopped, at(120), 300, 150) == (stopped, False, False, None)
