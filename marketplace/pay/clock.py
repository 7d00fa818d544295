"""The trainer's clock: time worked today (their day) and this pay week, per job, from the stored sessions.

This is the WORK_TIME_PROVIDER the work engine reads for weekly limits and "your time today", and the number
timesheets bill: both sum the same session rows (last activity minus start, whole seconds), after
sessions.attribute_pieces has given every instant to one job (no double counting across jobs).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..assignment.worktime import WorkTime, format_duration
from ..core.time import week_start
from ..extensions import db
from . import calculations, sessions
from .calculations import WEEK
from .models import WorkSession


def _pieces(trainer_id: int, since: datetime, until: datetime) -> tuple[list[sessions.Piece], dict[int, int]]:
    """Attributed pieces of the trainer's job and review sessions touching [since, until), and each session's
    job."""
    rows = db.session.execute(
        sa.select(WorkSession.id, WorkSession.job_id, WorkSession.started_at, WorkSession.last_activity_at)
        .where(WorkSession.trainer_id == trainer_id, WorkSession.kind != "assessment",
               WorkSession.last_activity_at >= since, WorkSession.started_at < until)).all()
    jobs = {row.id: row.job_id for row in rows}
    intervals = [sessions.WorkInterval(row.id, row.started_at, row.last_activity_at) for row in rows]
    return sessions.attribute_pieces(intervals), jobs


def work_time(user_id: int, now: datetime, *, tz: str | None = None) -> WorkTime:
    """Seconds worked this pay week (all jobs and per job) and today in the trainer's own time zone (read from
    their profile unless the caller has it)."""
    if tz is None:
        tz = db.session.scalar(sa.select(User.timezone).where(User.id == user_id))
    week = week_start(now)
    day_start, day_end = calculations.day_bounds(now, tz)
    pieces, jobs = _pieces(user_id, min(week, day_start), max(now, week + WEEK))
    per_job: dict[int, timedelta] = defaultdict(timedelta)
    for piece in pieces:
        per_job[jobs[piece.key]] += calculations.time_within([(piece.start, piece.end)], week, week + WEEK)
    spans = [(p.start, p.end) for p in pieces]
    today = calculations.time_within(spans, day_start, day_end)
    week_total = sum(per_job.values(), timedelta(0))
    return WorkTime(week_seconds=sessions.whole_seconds(week_total),
                    job_week_seconds={job: sessions.whole_seconds(t) for job, t in per_job.items() if t},
                    today_seconds=sessions.whole_seconds(today))


@dataclass(frozen=True)
class Clock:
    """What the work page shows beside the task: today, this week, and the week on this job."""

    today_seconds: int
    week_seconds: int
    job_week_seconds: int

    def as_json(self) -> dict:
        return {"today_seconds": self.today_seconds, "week_seconds": self.week_seconds,
                "job_week_seconds": self.job_week_seconds, "today": format_duration(self.today_seconds),
                "week": format_duration(self.week_seconds), "job_week": format_duration(self.job_week_seconds)}


def clock(user_id: int, job_id: int | None, now: datetime, *, tz: str | None = None) -> Clock:
    # Read through the work engine's WORK_TIME_PROVIDER (this module's work_time in every deployment), so the
    # heartbeat's clock and the work page's first render can never disagree about the same minutes.
    from ..assignment import worktime
    time = worktime.work_time(user_id, now)  # the provider reads the trainer's own time zone
    return Clock(time.today_seconds, time.week_seconds, time.job_week_seconds.get(job_id, 0) if job_id else 0)
