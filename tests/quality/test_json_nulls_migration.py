"""Migration 0010: a task without gold written as JSON null (before 0007) becomes SQL NULL, so the gold claim,
the dashboard and the task list never take an ordinary task for a gold one."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.jobs.models import Task
from tests.factories import job_tasks, make_open_job

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0010_quality_json_nulls.py"


def _migration():
    spec = importlib.util.spec_from_file_location("m0010", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _store_json_null(task_id: int) -> None:
    # What the jobs room wrote before 0007: the JSON value null, which is NOT NULL to SQL.
    text = sa.cast(sa.literal("null"), sa.JSON) if db.engine.dialect.name == "postgresql" else sa.literal("null")
    db.session.execute(sa.update(Task.__table__).where(Task.__table__.c.id == task_id).values(gold=text, meta=text))


def _gold_ids(job_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(Task.id).where(Task.job_id == job_id, Task.gold.is_not(None))))


def test_json_null_gold_and_meta_become_sql_null_and_real_gold_stays():
    job = make_open_job(tasks=3)
    plain, old, gold = job_tasks(job)
    gold.gold, gold.meta = {"labels": ["Neither"]}, {"explanation": "A neutral question."}
    db.session.commit()
    _store_json_null(old.id)
    assert _gold_ids(job.id) == {old.id, gold.id}     # the bug: an ordinary task counts as gold
    assert _migration().normalise(db.session.connection()) == 2
    assert _gold_ids(job.id) == {gold.id}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(
        Task.job_id == job.id, Task.meta.is_not(None))) == 1
    assert _migration().normalise(db.session.connection()) == 0   # idempotent
    db.session.expire_all()
    assert db.session.get(Task, gold.id).gold == {"labels": ["Neither"]} and db.session.get(Task, plain.id).gold is None
