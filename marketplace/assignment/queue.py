"""A trainer's work queue: the jobs they can start now (ranked), the ones they cannot (each with its rule
and what would change it), and why the queue is empty when it is. Used by My work and the worker API."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ..core.taxonomy import language_name
from ..extensions import db
from ..jobs import services as jobs
from ..jobs import states as job_states
from ..jobs.eligibility import Exclusion
from ..jobs.models import Job
from . import matching, services, states, worktime
from .models import Assignment

MAX_JOBS_LISTED = 500


@dataclass
class JobCard:
    """One job as a trainer sees it in their queue."""

    job: Job
    exclusions: list[Exclusion]
    minutes_left: int | None          # this week, on this job (None: no limit applies)
    score: int = 0
    held: int = 0                     # live reservations the trainer holds on the job

    @property
    def blocking(self) -> list[Exclusion]:
        return matching.blocking(self.exclusions)

    @property
    def warning(self) -> Exclusion | None:
        """The content warning still to accept (the only non-blocking exclusion)."""
        return next((e for e in self.exclusions if not e.blocking), None)

    @property
    def can_start(self) -> bool:
        return not self.blocking


@dataclass
class Queue:
    available: list[JobCard] = field(default_factory=list)
    unavailable: list[JobCard] = field(default_factory=list)
    empty_reasons: list[str] = field(default_factory=list)
    time: worktime.WorkTime = field(default_factory=worktime.WorkTime)
    week_minutes_left: int | None = None   # under the trainer's own cap (None: no cap)


def live_jobs() -> list[Job]:
    """Published and paused jobs (paused ones are listed with why), newest last."""
    return list(db.session.scalars(sa.select(Job).where(Job.status.in_((job_states.PUBLISHED, job_states.PAUSED)))
                                   .order_by(Job.id).limit(MAX_JOBS_LISTED)))


def held_per_job(worker_id: int, now: datetime) -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(Assignment.job_id, sa.func.count(Assignment.id))
        .where(Assignment.worker_id == worker_id, Assignment.status == states.RESERVED, Assignment.expires_at > now)
        .group_by(Assignment.job_id)).all())


def my_queue(user, now: datetime) -> Queue:
    """Build the trainer's queue: each live job's eligibility facts (the jobs room's, per job: moderation's
    decisions can be about one job or one requester), the work rules, and task supply (two index lookups)
    only for jobs the trainer could otherwise start."""
    time = worktime.work_time(user.id, now)
    held = held_per_job(user.id, now)
    catalogue = jobs.qualification_catalogue()
    queue = Queue(time=time)
    if user.weekly_cap_minutes is not None:
        queue.week_minutes_left = max(0, user.weekly_cap_minutes - time.week_minutes())
    for job in live_jobs():
        facts = jobs.trainer_facts(user, job, now)
        excl = services.work_exclusions(user, job, now, facts=facts, time=time, catalogue=catalogue)
        if not matching.blocking(excl) and not held.get(job.id):
            excl = services.work_exclusions(user, job, now, facts=facts, time=time, catalogue=catalogue,
                                            supply=services.task_supply(job, user.id))
        card = JobCard(job, excl, services.weekly_hours(user, job, time).minutes_left, held=held.get(job.id, 0))
        if card.can_start:
            card.score = matching.match_score(facts, jobs.job_rules(job))
            queue.available.append(card)
        else:
            queue.unavailable.append(card)
    order = matching.rank([matching.RankKey(c.job.id, c.job.priority, c.score, c.job.published_at)
                           for c in queue.available])
    position = {job_id: i for i, job_id in enumerate(order)}
    queue.available.sort(key=lambda c: position[c.job.id])
    # Closest to open first: fewest rules in the way, then the job's own rank.
    queue.unavailable.sort(key=lambda c: (len(c.blocking), -c.job.priority, c.job.id))
    if not queue.available:
        queue.empty_reasons = matching.explain_empty(
            any_live_jobs=bool(queue.unavailable), excluded=[c.exclusions for c in queue.unavailable],
            in_good_standing=user.in_good_standing, languages=[language_name(l.code) for l in user.languages])
    return queue
