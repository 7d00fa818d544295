"""No double counting: a trainer's overlapping sessions on several jobs share one wall clock."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.pay.sessions import Piece, WorkInterval, attribute_pieces, attribute_time, union_duration

from .strategies import DEPTHS, intervals

UTC = timezone.utc
T0 = datetime(2027, 12, 31, 22, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def span(key, start, end, *activity):
    return WorkInterval(key, at(start), at(end), tuple(at(a) for a in activity))


def minutes(totals):
    return {key: value / timedelta(minutes=1) for key, value in totals.items()}


@pytest.mark.parametrize("sessions, expected", [
    # Apart: each keeps its own time.
    ([span("a", 0, 30), span("b", 40, 60)], {"a": 30, "b": 20}),
    # Touching end to start: nothing shared, nothing lost.
    ([span("a", 0, 30), span("b", 30, 60)], {"a": 30, "b": 30}),
    # The trainer opens job b in the middle of a and comes back: b owns its stretch, a the rest.
    ([span("a", 0, 100), span("b", 50, 80)], {"a": 70, "b": 30}),
    # Staggered: from b's start, b is the job being worked on.
    ([span("a", 0, 60), span("b", 40, 100)], {"a": 40, "b": 60}),
    # Same stretch on two tabs: counted once, for the later one in the input (a stable tie-break).
    ([span("a", 0, 60), span("b", 0, 60)], {"a": 0, "b": 60}),
    # Known activity (a task submitted on a at minute 60) hands the time back to a from then on.
    ([span("a", 0, 100, 60), span("b", 50, 80)], {"a": 90, "b": 10}),
    # Three jobs at once: still one clock, across the year end at 00:00.
    ([span("a", 0, 180), span("b", 30, 150), span("c", 60, 90)], {"a": 60, "b": 90, "c": 30}),
    # An empty session gets nothing and changes nothing.
    ([span("a", 0, 60), span("b", 30, 30)], {"a": 60, "b": 0}),
    ([], {}),
])
def test_overlapping_time_belongs_to_the_job_being_worked_on(sessions, expected):
    assert minutes(attribute_time(sessions)) == expected


def test_pieces_say_which_session_owned_each_stretch():
    assert attribute_pieces([span("a", 0, 100), span("b", 50, 80)]) == [
        Piece("a", at(0), at(50)), Piece("b", at(50), at(80)), Piece("a", at(80), at(100))]


def test_sessions_need_distinct_keys():
    with pytest.raises(ValueError, match="own key"):
        attribute_time([span(1, 0, 10), span(1, 20, 30)])


def test_sessions_cannot_end_before_they_start():
    with pytest.raises(ValueError):
        span("a", 10, 0)


def test_activity_outside_a_session_is_ignored():
    # A stray instant after b ended must not let b claim a's time.
    assert minutes(attribute_time([span("a", 0, 60), span("b", 10, 20, 50)])) == {"a": 50, "b": 10}


@st.composite
def trainer_sessions(draw):
    spans = draw(st.lists(intervals(max_seconds=86_400), max_size=12))
    result = []
    for key, (start, end) in enumerate(spans):
        activity = draw(st.lists(st.integers(0, max(0, int((end - start).total_seconds()))), max_size=3))
        result.append(WorkInterval(key, start, end, tuple(start + timedelta(seconds=a) for a in activity)))
    return result


@DEPTHS
def test_attributed_time_adds_up_to_the_wall_clock_union(depth):
    @depth
    @given(trainer_sessions())
    def check(sessions):
        totals = attribute_time(sessions)
        assert sum(totals.values(), timedelta(0)) == union_duration((s.start, s.end) for s in sessions)
        by_key = {s.key: s for s in sessions}
        for key, total in totals.items():
            assert timedelta(0) <= total <= by_key[key].end - by_key[key].start
        pieces = attribute_pieces(sessions)
        for piece in pieces:  # inside its own session, and no two pieces overlap
            assert by_key[piece.key].start <= piece.start < piece.end <= by_key[piece.key].end
        for first, second in zip(pieces, pieces[1:]):
            assert first.end <= second.start
    check()


@DEPTHS
def test_sessions_that_do_not_overlap_keep_all_their_time(depth):
    @depth
    @given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 10_000)), max_size=10))
    def check(gaps_and_lengths):
        sessions, cursor = [], T0
        for key, (gap, length) in enumerate(gaps_and_lengths):
            start = cursor + timedelta(seconds=gap)
            cursor = start + timedelta(seconds=length)
            sessions.append(WorkInterval(key, start, cursor))
        assert attribute_time(sessions) == {s.key: s.end - s.start for s in sessions}
    check()
