"""Exports stream from the database: memory stays flat on 100,000 answers (tracemalloc peak, not wall time)."""
from __future__ import annotations

import tracemalloc
from datetime import timedelta

import sqlalchemy as sa

from marketplace.assignment.models import Assignment
from marketplace.core.time import utcnow
from marketplace.extensions import db
from marketplace.jobs.models import Task
from marketplace.quality import exporting
from tests.factories import make_open_job, make_trainer

N_TASKS, PER_TASK = 50_000, 2   # 100,000 answers


def _big_job():
    """50,000 tasks answered by two trainers: tasks by batched executemany, answers by ONE set-based INSERT."""
    job = make_open_job(tasks=0, overlap=PER_TASK)
    trainers = [make_trainer() for _ in range(PER_TASK)]
    now = utcnow()
    conn = db.session.connection()
    step = 10_000
    for start in range(0, N_TASKS, step):
        conn.execute(sa.insert(Task.__table__), [
            {"job_id": job.id, "seq": i + 1, "payload": {"text": f"Post number {i + 1} " + "x" * 60},
             "is_open": False, "answers_done": PER_TASK, "holders": PER_TASK, "created_at": now}
            for i in range(start, min(start + step, N_TASKS))])
    answer = Assignment.__table__.c.answer.type  # JSON: bind the answer through the column's own type
    for trainer in trainers:
        values = sa.select(sa.literal(job.id), Task.id, sa.literal(trainer.id), sa.literal("approved"),
                           sa.literal(now, Assignment.__table__.c.reserved_at.type),
                           sa.literal(now + timedelta(minutes=30), Assignment.__table__.c.expires_at.type),
                           sa.literal(now, Assignment.__table__.c.submitted_at.type),
                           sa.literal({"labels": ["Neither"], "justification": "=cmd|' /C calc'!A0"}, answer),
                           sa.literal(""), sa.literal("")).where(Task.job_id == job.id)
        conn.execute(sa.insert(Assignment.__table__).from_select(
            ["job_id", "task_id", "worker_id", "status", "reserved_at", "expires_at", "submitted_at", "answer",
             "review_reason", "return_note"], values))
    job.task_count = N_TASKS
    db.session.commit()
    return job


def test_csv_export_of_100000_answers_streams_with_bounded_memory():
    job = _big_job()
    out = exporting.export(job, "csv", "answers")
    tracemalloc.start()
    try:
        total, lines, first = 0, 0, None
        for chunk in out.body:
            first = first or chunk
            total += len(chunk)
            lines += chunk.count("\r\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 100_000 + 1                      # header + every answer
    assert total > 12_000_000                        # the file is big...
    # ...memory is not: one batch of rows and one 64 KiB chunk at a time.
    assert peak < min(8_000_000, total / 4), f"peak {peak / 1e6:.1f} MB for {total / 1e6:.1f} MB exported"
