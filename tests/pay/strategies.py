"""Shared hypothesis settings and strategies for the pay rules: instants near year ends and 29 February."""
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

UTC = timezone.utc

# Each property runs fast by default and deep (many more examples) with --deep; one body, two depths.
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEEP = settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEPTHS = pytest.mark.parametrize("depth", [pytest.param(FAST, id="fast"),
                                           pytest.param(DEEP, id="deep", marks=pytest.mark.slow)])

# Instants cluster around the awkward places: a year end on a Friday (2027-12-31), the leap day 2028-02-29,
# a Monday 00:00 UTC, an ISO year that starts in December (2025-12-29 is 2026-W01), and a DST change.
ANCHORS = [datetime(2027, 12, 31, 23, 0, tzinfo=UTC), datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
           datetime(2028, 1, 3, 0, 0, tzinfo=UTC), datetime(2025, 12, 29, 0, 0, tzinfo=UTC),
           datetime(2028, 3, 12, 7, 0, tzinfo=UTC), datetime(2028, 12, 31, 23, 59, 59, tzinfo=UTC)]


@st.composite
def instants(draw, spread_days: int = 10, microseconds: bool = True):
    """An aware UTC instant within `spread_days` of an anchor, sometimes with a sub-second part."""
    base = draw(st.sampled_from(ANCHORS))
    offset = draw(st.integers(-spread_days * 86_400, spread_days * 86_400))
    micros = draw(st.integers(0, 999_999)) if microseconds and draw(st.booleans()) else 0
    return base + timedelta(seconds=offset, microseconds=micros)


@st.composite
def intervals(draw, max_seconds: int = 3 * 86_400, microseconds: bool = True):
    """A (start, end) pair: from empty to a few days long, so some cross several week boundaries."""
    start = draw(instants(microseconds=microseconds))
    length = draw(st.one_of(st.integers(0, 4 * 3600), st.integers(0, max_seconds)))
    return start, start + timedelta(seconds=length)
