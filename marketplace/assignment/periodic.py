"""Scheduled bodies of the work engine (each takes `now`, is idempotent and returns a count)."""
from __future__ import annotations

from . import review


def sweep_reservations(now) -> int:
    """Expire lapsed reservations of jobs nobody is claiming from (claims release their own job's)."""
    return review.sweep_reservations(now)


def auto_approve(now) -> int:
    """Approve submitted answers whose job's review window has passed."""
    return review.auto_approve_due(now)
