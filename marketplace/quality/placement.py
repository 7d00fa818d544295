"""Where gold tasks go: the claim asks, per slot of a trainer's sequence on a job, whether to prefer a gold
task, at a rate that decays with the trainer's experience on the job (gold_rate.py)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from ..assignment.models import Assignment
from ..extensions import db
from ..jobs.models import Task
from . import rules
from .gold_rate import is_gold_slot


def slot_position(job_id: int, worker_id: int) -> int:
    """The trainer's next slot on the job: how many tasks they have held there (returned and expired ones
    included, so giving a task back never re-draws the same slot)."""
    return db.session.scalar(sa.select(sa.func.count(Assignment.id)).where(
        Assignment.job_id == job_id, Assignment.worker_id == worker_id)) or 0


def job_has_gold(job_id: int) -> bool:
    # One read of the partial gold index (models.GOLD_TASK_INDEX).
    return db.session.scalar(sa.select(Task.id).where(Task.job_id == job_id, Task.gold.is_not(None)).limit(1)) \
        is not None


def prefer_gold(job, worker, now: datetime) -> bool | None:
    """The claim preference (assignment/hooks.py): True at a gold slot, False otherwise, None for a job
    without gold tasks (the job's own order)."""
    if not job_has_gold(job.id):
        return None
    position = slot_position(job.id, worker.id)
    return is_gold_slot(current_app.config["SECRET_KEY"], job.id, worker.id, position,
                        schedule=rules.gold_schedule())
