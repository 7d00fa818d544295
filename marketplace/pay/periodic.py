"""Scheduled bodies of the pay room (each takes `now`, is idempotent and returns a count)."""
from __future__ import annotations

from . import budget, disputes, services, timesheets


def sweep_sessions(now) -> int:
    """Close sessions idle past the gap (at their last activity); record and pay finished assessment time."""
    return services.close_idle_sessions(now) + services.record_onboarding_time(now)


def close_pay_weeks(now) -> int:
    """Close the timesheets of pay weeks that are over and open their review window."""
    return timesheets.close_weeks(now)


def auto_approve_timesheets(now) -> int:
    """Approve timesheets whose review window passed; send unanswered disputes to an admin."""
    return timesheets.auto_approve_due(now) + disputes.escalate_overdue(now)


def check_budgets(now) -> int:
    """Pause published jobs whose escrow cannot start one more session."""
    return budget.check_budgets(now)
