"""Scheduled bodies of the moderation room: each takes `now`, is idempotent, and returns a count."""
from __future__ import annotations

from . import services


def expire_sanctions(now) -> int:
    """End temporary suspensions whose end date has passed (standing restored, person told)."""
    return services.expire_due_sanctions(now)


def escalate_appeals(now) -> int:
    """Tell every admin, once each, about appeals whose decision deadline is near or past."""
    return services.escalate_due_appeals(now)


def apply_country_withdrawals(now) -> int:
    """Make country withdrawals effective at the end of their notice and run the payout hooks."""
    return services.apply_due_withdrawals(now)
