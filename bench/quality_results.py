"""Exports and agreement snapshots on a big job, against raw SQL reading the same rows (the baseline).

Run: /work/main/.venv/bin/python bench/quality_results.py [--tasks 50000] [--per-task 2] [--database-url URL]
Builds a throwaway database (SQLite file by default), a job of `tasks` tasks answered by `per-task` trainers,
then times: raw SQL reading every answer row (baseline); the CSV and JSONL exports (streamed, yield_per); one
agreement/aggregation snapshot. Prints seconds and the ratio to the baseline, and the exports' peak Python
memory (tracemalloc, measured in a separate pass so it does not slow the timed one).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("FAIRTRAIN_INSTANCE", tempfile.mkdtemp(prefix="fairtrain-bench-"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=50_000)
    parser.add_argument("--per-task", type=int, default=2)
    parser.add_argument("--database-url", default=f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    args = parser.parse_args()

    import sqlalchemy as sa

    from config import TestConfig
    from marketplace import create_app
    from marketplace.assignment.models import Assignment
    from marketplace.extensions import db
    from marketplace.quality import exporting, results
    import tests.quality.test_export_memory as big

    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=args.database_url, SECRET_KEY="bench-" + "x" * 40)
    with app.app_context():
        db.create_all()
        big.N_TASKS, big.PER_TASK = args.tasks, args.per_task
        job = big._big_job()
        n = args.tasks * args.per_task

        t = time.perf_counter()
        rows = 0
        for _ in db.session.execute(sa.select(Assignment.task_id, Assignment.worker_id, Assignment.answer)
                                    .where(Assignment.job_id == job.id).execution_options(yield_per=1000)):
            rows += 1
        base = time.perf_counter() - t
        print(f"{n:,} answers; raw SQL read: {base:.2f} s (baseline)")

        for fmt in ("csv", "jsonl"):
            t = time.perf_counter()
            size = sum(len(c) for c in exporting.export(job, fmt, "answers").body)
            took = time.perf_counter() - t
            tracemalloc.start()
            sum(len(c) for c in exporting.export(job, fmt, "answers").body)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(f"{fmt} export: {took:.2f} s ({took / base:.1f}x baseline), {size / 1e6:.1f} MB, "
                  f"peak Python memory {peak / 1e6:.1f} MB")

        t = time.perf_counter()
        snap = results.snapshot(job)
        db.session.commit()
        took = time.perf_counter() - t
        print(f"snapshot (alpha, per label, pairwise, majority, Dawid-Skene, {snap.n_tasks:,} aggregates stored): "
              f"{took:.2f} s ({took / base:.1f}x baseline)")

        # A job this size is over QUALITY_ON_DEMAND_MAX_ANSWERS: its aggregates stream from the stored snapshot.
        t = time.perf_counter()
        size = sum(len(c) for c in exporting.export(job, "jsonl", "aggregates").body)
        took = time.perf_counter() - t
        tracemalloc.start()
        sum(len(c) for c in exporting.export(job, "jsonl", "aggregates").body)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"jsonl aggregates export (stored): {took:.2f} s ({took / base:.1f}x baseline), {size / 1e6:.1f} MB, "
              f"peak Python memory {peak / 1e6:.1f} MB")
        db.session.remove()
        db.drop_all()


if __name__ == "__main__":
    main()
