"""Task import speed: N JSONL tasks through the real import path vs a raw bulk insert of the same rows.

Run: /work/main/.venv/bin/python bench/import.py [--rows 100000 1000000] [--engines sqlite postgres]
     (PostgreSQL from BENCH_DATABASE_URL or TEST_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test;
      a throwaway database is created and dropped.)

For each engine and size it prints rows/s and peak memory of the real path (upload stored, every row parsed
and validated, Core inserts in batches, one transaction), the same for a raw DBAPI executemany of the
already-prepared rows into the same table in the same run, and the ratio real/raw (target: within 3x).
Each measurement runs in its own process, so peak RSS is that path's own.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def write_jsonl(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for i in range(rows):
            row = {"text": f"Post {i}: the bus was late again and nobody said why, " + "really " * (i % 7),
                   "external_id": f"post-{i:08d}", "metadata": {"batch": i // 10_000}}
            if i % 10 == 0:
                row["gold"] = {"labels": ["Neither"]}
            out.write(json.dumps(row) + "\n")


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _app(url: str, instance: str):
    os.environ["FAIRTRAIN_INSTANCE"] = instance
    from config import TestConfig
    from marketplace import create_app
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench-" + "x" * 40,
                     UPLOAD_DIR=str(Path(instance) / "uploads"), JOBS_IMPORT_RUNNER="inline")
    return app


def _fresh_job():
    from marketplace.accounts.models import User
    from marketplace.extensions import db
    from marketplace.jobs.kinds import validate_config
    from marketplace.jobs.models import Job
    user = User(email=f"bench-{uuid.uuid4().hex[:8]}@example.com", password_hash="x", role="requester",
                display_name="Bench")
    db.session.add(user)
    db.session.flush()
    job = Job(requester_id=user.id, title="Bench", kind="classification", hourly_rate_cents=2000,
              config=validate_config("classification", {"labels": ["Hate speech", "Offensive", "Neither"]}))
    db.session.add(job)
    db.session.commit()
    return user, job


def real_path(url: str, instance: str, path: str, queue) -> None:
    """Upload (stream to storage) + run_import, exactly as a requester's upload runs."""
    app = _app(url, instance)
    with app.app_context():
        from marketplace.extensions import db
        from marketplace.jobs import services
        from marketplace.jobs.importing import run_import
        user, job = _fresh_job()
        before = _rss_mb()
        start = time.perf_counter()
        with open(path, "rb") as stream:
            run = services.queue_import(job, user, stream=stream, filename="bench.jsonl", mode="all_or_nothing")
        db.session.commit()
        run = run_import(run.id)
        elapsed = time.perf_counter() - start
        assert run.status == "succeeded", run.message
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        queue.put({"seconds": elapsed, "rows": run.rows_imported, "peak_mb": peak, "growth_mb": peak - before})


def raw_path(url: str, instance: str, path: str, queue) -> None:
    """The same rows, prepared in memory beforehand (not timed), inserted with DBAPI executemany in batches
    of the same size, in one transaction: the floor any import into this table can reach."""
    app = _app(url, instance)
    with app.app_context():
        from marketplace.extensions import db
        user, job = _fresh_job()
        prepared = []
        with open(path, "rb") as handle:
            for seq, line in enumerate(handle, 1):
                row = json.loads(line)
                prepared.append((job.id, seq, json.dumps({"text": row["text"]}, ensure_ascii=False),
                                 json.dumps(row["gold"]) if "gold" in row else None, json.dumps(row["metadata"]),
                                 row["external_id"], True, 0, "2026-01-01 00:00:00+00:00"))
        batch = app.config["JOBS_IMPORT_BATCH_ROWS"]
        dialect = db.engine.dialect.name
        mark = "?" if dialect == "sqlite" else "%s"
        sql = ("INSERT INTO tasks (job_id, seq, payload, gold, meta, external_id, is_open, answers_done, created_at) "
               f"VALUES ({', '.join([mark] * 9)})")
        before = _rss_mb()
        raw = db.engine.raw_connection()
        start = time.perf_counter()
        cursor = raw.cursor()
        if dialect == "sqlite":
            cursor.execute("BEGIN")
        for i in range(0, len(prepared), batch):
            cursor.executemany(sql, prepared[i:i + batch])
        raw.commit()
        elapsed = time.perf_counter() - start
        raw.close()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
        queue.put({"seconds": elapsed, "rows": len(prepared), "peak_mb": peak, "growth_mb": peak - before})


def measure(target, url, instance, path) -> dict:
    queue = multiprocessing.get_context("fork").Queue()
    process = multiprocessing.get_context("fork").Process(target=target, args=(url, instance, path, queue))
    process.start()
    while True:  # a child that fails must not leave the bench waiting forever
        try:
            result = queue.get(timeout=5)
            break
        except Exception:
            if not process.is_alive():
                raise SystemExit(f"{target.__name__} failed (exit code {process.exitcode}); see its traceback above")
    process.join()
    return result


def database_url(engine: str, workdir: Path) -> tuple[str, callable]:
    if engine == "sqlite":
        url = f"sqlite:///{workdir}/bench-{uuid.uuid4().hex[:6]}.sqlite3"
        return url, lambda: None
    import sqlalchemy as sa
    from config import normalise_database_url
    base = normalise_database_url(os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
                                  or "postgresql://postgres@127.0.0.1:5432/test")
    name = f"fairtrain_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False), drop


def create_schema(url: str, instance: str) -> None:
    app = _app(url, instance)
    with app.app_context():
        from marketplace.extensions import db
        db.create_all()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="fairtrain-bench-import-"))
    print(f"{'engine':9} {'rows':>9} {'real rows/s':>12} {'raw rows/s':>11} {'ratio':>6} "
          f"{'real peak MB':>13} {'(+growth)':>10} {'raw peak MB':>12} {'file MB':>8}")
    for rows in args.rows:
        path = workdir / f"tasks-{rows}.jsonl"
        write_jsonl(path, rows)
        size_mb = path.stat().st_size / 1e6
        for engine in args.engines:
            url, drop = database_url(engine, workdir)
            instance = str(workdir / f"instance-{engine}-{rows}")
            try:
                create_schema(url, instance)
                real = measure(real_path, url, instance, str(path))
                raw = measure(raw_path, url, instance, str(path))
            finally:
                drop()
            ratio = real["seconds"] / raw["seconds"]
            print(f"{engine:9} {rows:>9,} {rows / real['seconds']:>12,.0f} {rows / raw['seconds']:>11,.0f} "
                  f"{ratio:>5.2f}x {real['peak_mb']:>13.0f} {real['growth_mb']:>+10.0f} {raw['peak_mb']:>12.0f} "
                  f"{size_mb:>8.0f}", flush=True)
        path.unlink()
    print("real: upload stored + parse + validate + Core batch inserts, one transaction; raw: DBAPI executemany "
          "of pre-built tuples, same table and batches. Target: ratio within 3x.")


if __name__ == "__main__":
    main()
