"""Time worked, as the work engine needs it (weekly limits, "your time today"), from a pluggable provider.

The pay room measures working time (sessions and heartbeats) and sits ABOVE this room, so it cannot be
imported here. It plugs in by naming its function in the setting WORK_TIME_PROVIDER ("module:function",
called as fn(user_id, now) -> WorkTime). Until it does, the default provider reports no time worked: weekly
limits then never bind, and the work page shows 0 minutes today.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import hooks


@dataclass(frozen=True)
class WorkTime:
    """Seconds worked by one trainer: this pay week (all jobs), per job this week, and today."""

    week_seconds: int = 0
    job_week_seconds: dict[int, int] = field(default_factory=dict)
    today_seconds: int = 0

    def week_minutes(self) -> int:
        return self.week_seconds // 60

    def job_week_minutes(self, job_id: int) -> int:
        return self.job_week_seconds.get(job_id, 0) // 60


def no_time_measured(user_id: int, now: datetime) -> WorkTime:
    """The default until the pay room provides measured time: nothing worked."""
    return WorkTime()


def provider():
    return hooks.resolve("WORK_TIME_PROVIDER") or no_time_measured


def work_time(user_id: int, now: datetime) -> WorkTime:
    return provider()(user_id, now)


def format_duration(seconds: int) -> str:
    """"0 min", "45 min", "2 h 05 min": how the work page shows time."""
    minutes = max(0, seconds) // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
