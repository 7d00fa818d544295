"""Where gold tasks go: the work engine asks, slot by slot of a trainer's sequence on a job, whether to prefer a
gold task (GOLD_MIX_PROVIDER names `gold_slot`), at a rate that decays with the trainer's experience on the job."""
from __future__ import annotations

from flask import current_app

from . import rules
from .gold_rate import is_gold_slot


def gold_slot(job_id: int, worker_id: int, position: int) -> bool:
    """Slot `position` (0-based: how many tasks the trainer has held on the job, returned and expired ones
    included, so giving a task back never re-draws a slot) is gold at the rate gold_rate.GoldSchedule gives for
    that much experience; decided by an HMAC under the secret key (stable, unpredictable)."""
    return is_gold_slot(current_app.config["SECRET_KEY"], job_id, worker_id, position, schedule=rules.gold_schedule())
