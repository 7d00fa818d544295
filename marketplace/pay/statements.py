"""Weekly pay statements: what each payroll did for each trainer (paid or held, and why), once per week.

The payroll itself runs in the payments room (payments/payroll_run.py, the one allowed to move money); it
records here, set-based, so the trainer's earnings page can say what happened on each payday.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..core import bulk
from ..extensions import db
from .models import PayStatement, WorkSession


def week_seconds_by_trainer(week: datetime) -> dict[int, int]:
    """Recorded seconds per trainer in one pay week (all kinds of session): one aggregate on the covering
    index (week_start, trainer_id, seconds)."""
    rows = db.session.execute(sa.select(WorkSession.trainer_id, sa.func.sum(WorkSession.seconds))
                              .where(WorkSession.week_start == week).group_by(WorkSession.trainer_id))
    return {trainer_id: int(total or 0) for trainer_id, total in rows}


def handled_trainers(week: datetime) -> set[int]:
    """Trainers this week's payroll has already dealt with (paid or told why not)."""
    return set(db.session.scalars(sa.select(PayStatement.trainer_id).where(PayStatement.week_start == week)))


def record(rows: list[dict], run_id: str) -> set[int]:
    """Insert statements (trainer_id, week_start, outcome, amount_cents, worked_seconds, reason_code, message,
    payout_id, created_at) for one payroll run; a trainer who already has one for the week is skipped (unique).
    Returns the trainers whose statement this run wrote, so each is told exactly once."""
    if not rows:
        return set()
    week = rows[0]["week_start"]
    bulk.insert_rows(PayStatement.__table__, [{**row, "run_id": run_id} for row in rows],
                     on_conflict_do_nothing=["trainer_id", "week_start"])
    return set(db.session.scalars(sa.select(PayStatement.trainer_id).where(PayStatement.week_start == week,
                                                                           PayStatement.run_id == run_id)))


def for_trainer(trainer_id: int, limit: int = 12) -> list[PayStatement]:
    return list(db.session.scalars(sa.select(PayStatement).where(PayStatement.trainer_id == trainer_id)
                                   .order_by(PayStatement.week_start.desc()).limit(limit)))
