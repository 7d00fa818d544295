"""A job's progress as its requester reads it: tasks open / in progress / done, answers per task, throughput
per hour, why tasks were returned (totals only), and the answers waiting for review."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..extensions import db
from ..jobs.models import Job, Task
from . import states
from .models import Assignment


@dataclass
class JobProgress:
    total: int = 0
    done: int = 0
    in_progress: int = 0
    open: int = 0
    answers_wanted: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    answers_per_task: list[tuple[int, int]] = field(default_factory=list)  # (answers, tasks)
    hourly: list[tuple[datetime, int]] = field(default_factory=list)      # last 24 hours, oldest first
    return_reasons: list[tuple[str, int]] = field(default_factory=list)

    @property
    def answers_in(self) -> int:
        return sum(self.by_status.get(s, 0) for s in states.ANSWERED)

    @property
    def percent_done(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def _hour_bucket(column):
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.date_trunc("hour", sa.func.timezone("UTC", column))  # UTC hours, whatever the server zone
    return sa.func.strftime("%Y-%m-%d %H:00:00", column)


def job_progress(job: Job, now: datetime) -> JobProgress:
    """Counts for the progress page: a few aggregate queries over the job's tasks and assignments."""
    overlap = job.answers_per_task
    done, busy, total = db.session.execute(sa.select(
        sa.func.count(Task.id).filter(Task.answers_done >= overlap),
        sa.func.count(Task.id).filter(Task.answers_done < overlap, sa.or_(Task.holders > 0, Task.answers_done > 0)),
        sa.func.count(Task.id)).where(Task.job_id == job.id)).one()
    p = JobProgress(total=total, done=done, in_progress=busy, open=total - done - busy,
                    answers_wanted=total * overlap)
    p.by_status = dict(db.session.execute(sa.select(Assignment.status, sa.func.count(Assignment.id))
                                          .where(Assignment.job_id == job.id).group_by(Assignment.status)).all())
    p.answers_per_task = [tuple(row) for row in db.session.execute(
        sa.select(Task.answers_done, sa.func.count(Task.id)).where(Task.job_id == job.id)
        .group_by(Task.answers_done).order_by(Task.answers_done)).all()]
    p.hourly = hourly_throughput(job.id, now)
    p.return_reasons = [(states.RETURN_REASON_LABELS.get(reason, "No reason given") if reason else "No reason given",
                         count) for reason, count in db.session.execute(
        sa.select(Assignment.return_reason, sa.func.count(Assignment.id))
        .where(Assignment.job_id == job.id, Assignment.status == states.RETURNED)
        .group_by(Assignment.return_reason).order_by(sa.func.count(Assignment.id).desc())).all()]
    return p


def hourly_throughput(job_id: int, now: datetime, hours: int = 24) -> list[tuple[datetime, int]]:
    """Answers submitted per hour over the last `hours` hours (empty hours included, oldest first)."""
    start = (now - timedelta(hours=hours - 1)).replace(minute=0, second=0, microsecond=0)
    bucket = _hour_bucket(Assignment.submitted_at)
    rows = db.session.execute(sa.select(bucket, sa.func.count(Assignment.id))
                              .where(Assignment.job_id == job_id, Assignment.submitted_at >= start)
                              .group_by(bucket)).all()
    counts = {}
    for when, count in rows:
        key = when if isinstance(when, datetime) else datetime.fromisoformat(when)
        counts[key.replace(tzinfo=None)] = count
    return [(start + timedelta(hours=i), counts.get((start + timedelta(hours=i)).replace(tzinfo=None), 0))
            for i in range(hours)]


def awaiting_review(job_id: int, limit: int = 50) -> list[Assignment]:
    return list(db.session.scalars(sa.select(Assignment).where(Assignment.job_id == job_id,
                                                               Assignment.status == states.SUBMITTED)
                                   .order_by(Assignment.submitted_at).limit(limit)))


def task_answers(task: Task) -> list[Assignment]:
    """Every answer to one task (for its requester), oldest first."""
    return list(db.session.scalars(sa.select(Assignment).where(Assignment.task_id == task.id,
                                                               Assignment.status.in_(states.ANSWERED
                                                                                     + (states.REJECTED,)))
                                   .order_by(Assignment.submitted_at)))


def tasks_page(job_id: int, *, after_seq: int = 0, size: int = 50) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.job_id == job_id, Task.seq > after_seq)
                                   .order_by(Task.seq).limit(size)))
