"""Weekly payroll over 10,000 trainers and 1,000,000 sessions: its time against one raw SQL aggregate over the
same rows (target: within 1.5x).

Run:  /work/main/.venv/bin/python bench/payroll.py [--trainers 10000] [--sessions 1000000]
      [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--quick]   (--quick: 1,000 / 100,000)

The data is written set-based (it is not what is measured): trainers, 100 jobs, one approved timesheet per
trainer and job, the week's sessions, each trainer's payable balance in the ledger, payout accounts for 80% of
them (the rest wait: "connect a payout account"), a few below the minimum. Measured: payroll_run.run() for that
week up to the committed outbox (Payout rows with their ledger reservations, pay statements, notices, audit
rows; sending the transfers is Stripe's latency, not ours). Baseline, on the same database just before: one
`SELECT trainer_id, SUM(seconds) ... GROUP BY trainer_id` over the week's sessions, fetched, best of three.
A second payroll run then checks the once-per-week rule (it must create nothing).
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

UTC = timezone.utc
WEEK = datetime(2028, 2, 28, tzinfo=UTC)          # the pay week paid (contains 29 February)
RUN_AT = datetime(2028, 3, 6, 9, 0, tzinfo=UTC)   # its payday


def make_database(postgres: str | None):
    import sqlalchemy as sa
    from config import normalise_database_url
    if not postgres:
        return f"sqlite:///{tempfile.mkdtemp(prefix='bench-payroll-')}/bench.sqlite3", lambda: None
    admin = sa.engine.make_url(normalise_database_url(postgres))
    name = f"bench_payroll_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop():
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return admin.set(database=name).render_as_string(hide_password=False), drop


def seed(db, trainers: int, sessions: int) -> None:
    import sqlalchemy as sa

    from marketplace.accounts.models import User
    from marketplace.core.time import utcnow
    from marketplace.jobs.models import Job
    from marketplace.pay.models import Timesheet, WorkSession
    from marketplace.payments import ledger, ledger_batch
    from marketplace.payments.models import PayoutAccount

    rng = random.Random(7)
    now = utcnow()
    insert = lambda table, rows: db.session.execute(sa.insert(table), rows)  # noqa: E731
    insert(User.__table__, [{"email": "bench-requester@example.com", "role": "requester", "password_hash": "x",
                             "display_name": "Bench Lab", "status": "active", "timezone": "UTC",
                             "session_version": 1, "created_at": now}])
    requester_id = db.session.scalar(sa.select(User.id))
    insert(Job.__table__, [{"requester_id": requester_id, "title": f"Bench job {j}", "kind": "classification",
                            "config": {}, "status": "published", "hourly_rate_cents": 1500 + 25 * j,
                            "budget_cents": 10_000_000, "required_languages": [], "required_expertise": [],
                            "required_qualifications": [], "allowed_countries": [], "created_at": now,
                            "updated_at": now, "summary": "", "instructions": "", "country_reason": "",
                            "content_warning": "", "est_minutes_per_task": 5, "answers_per_task": 1,
                            "review_policy": "auto", "review_window_hours": 72, "reservation_minutes": 30,
                            "priority": 0, "task_count": 0, "tasks_done": 0} for j in range(100)])
    job_ids = list(db.session.scalars(sa.select(Job.id).order_by(Job.id)))
    for start in range(0, trainers, 5000):
        insert(User.__table__, [{"email": f"t{i}@bench.example.com", "role": "worker", "password_hash": "x",
                                 "display_name": f"Trainer {i}", "status": "suspended" if i % 97 == 0 else "active",
                                 "timezone": "UTC", "session_version": 1, "created_at": now}
                                for i in range(start, min(trainers, start + 5000))])
    trainer_ids = list(db.session.scalars(sa.select(User.id).where(User.role == "worker").order_by(User.id)))
    insert(PayoutAccount.__table__, [{"user_id": t, "stripe_account_id": f"acct_bench_{t}", "status": "ready",
                                      "charges_enabled": False, "payouts_enabled": True, "details_submitted": True,
                                      "is_live": False, "created_at": now} for n, t in enumerate(trainer_ids)
                                     if n % 5])
    sheets = [{"trainer_id": t, "job_id": job_ids[(n + k * 37) % 100], "week_start": WEEK, "status": "approved",
               "fee_basis_points": 1000, "recorded_seconds": 0, "settled_seconds": 0, "settled_pay_cents": 0,
               "settled_fee_cents": 0, "rate_cents": 2000, "created_at": now, "approved_at": now}
              for n, t in enumerate(trainer_ids) for k in range(2)]
    for start in range(0, len(sheets), 5000):
        insert(Timesheet.__table__, sheets[start:start + 5000])
    sheet_ids = dict(((t, j), i) for i, t, j in db.session.execute(
        sa.select(Timesheet.id, Timesheet.trainer_id, Timesheet.job_id)))
    per_trainer = sessions // trainers
    batch = []
    for n, t in enumerate(trainer_ids):
        moment = WEEK + timedelta(minutes=rng.randint(0, 60))
        for k in range(per_trainer):
            length = rng.randint(60, 2400)
            job = job_ids[(n + (k % 2) * 37) % 100]
            batch.append({"trainer_id": t, "kind": "job", "job_id": job, "timesheet_id": sheet_ids[(t, job)],
                          "week_start": WEEK, "started_at": moment, "last_activity_at": moment + timedelta(
                              seconds=length), "closed_at": moment + timedelta(seconds=length),
                          "close_reason": "idle", "seconds": length, "idle_seconds": 300})
            moment += timedelta(seconds=length + 301)
        if len(batch) >= 20_000:
            insert(WorkSession.__table__, batch)
            batch = []
    if batch:
        insert(WorkSession.__table__, batch)
    ledger_batch.post_many([
        ledger_batch.Posting(f"bench-earning:{t}", {ledger.ONBOARDING_COST: -(amount := (
            rng.randint(200, 900) if n % 50 == 0 else rng.randint(5_000, 90_000))),
            ledger.trainer_payable(t): amount}, kind="earning", description="Approved time (bench)")
        for n, t in enumerate(trainer_ids)])
    db.session.commit()


def aggregate(db) -> float:
    import sqlalchemy as sa
    statement = sa.text("SELECT trainer_id, SUM(seconds) FROM work_sessions WHERE week_start = :week "
                        "GROUP BY trainer_id")
    from marketplace.core.time import UTCDateTime
    statement = statement.bindparams(sa.bindparam("week", type_=UTCDateTime))
    best = float("inf")
    for _ in range(3):
        db.session.rollback()
        started = time.perf_counter()
        rows = db.session.execute(statement, {"week": WEEK}).all()
        best = min(best, time.perf_counter() - started)
    assert rows
    return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainers", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--postgres")
    parser.add_argument("--quick", action="store_true", help="1,000 trainers and 100,000 sessions")
    args = parser.parse_args(argv)
    if args.quick:
        args.trainers, args.sessions = 1_000, 100_000
    import sqlalchemy as sa

    from config import DevelopmentConfig
    from marketplace import create_app
    from marketplace.extensions import db
    from marketplace.payments import payroll_run
    from marketplace.payments.models import Payout

    url, drop = make_database(args.postgres)
    app = create_app(DevelopmentConfig, SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="bench-" + "p" * 40)
    try:
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            seed(db, args.trainers, args.sessions)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            else:
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            print(f"seeded {args.trainers:,} trainers, {args.sessions:,} sessions in "
                  f"{time.perf_counter() - started:.1f} s ({db.engine.dialect.name})")
            baseline = aggregate(db)
            db.session.rollback()
            started = time.perf_counter()
            result = payroll_run.run(RUN_AT, week=WEEK, send=False)
            elapsed = time.perf_counter() - started
            again = payroll_run.run(RUN_AT + timedelta(minutes=5), week=WEEK, send=False)
            payouts = db.session.scalar(sa.select(sa.func.count(Payout.id)))
            print(f"payroll: {len(result.payout_ids):,} payouts reserved, {result.held:,} held with a reason, "
                  f"in {elapsed:.3f} s")
            print(f"raw aggregate over the same sessions: {baseline:.3f} s")
            print(f"ratio: {elapsed / baseline:.2f}x (target <= 1.5x)")
            print(f"  of which reading and planning (balances, accounts, the week's session aggregate): "
                  f"{result.read_seconds:.3f} s = {result.read_seconds / baseline:.2f}x the aggregate")
            print(f"  and writing the outbox ({len(result.payout_ids):,} payouts with ledger reservations and audit "
                  f"rows, {len(result.payout_ids) + result.held:,} statements, {result.held:,} notices and "
                  f"e-mails), committed: {result.write_seconds:.3f} s")
            print(f"second run: {len(again.payout_ids)} new payouts, {again.skipped:,} already handled; "
                  f"payouts in the database: {payouts:,}")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()


if __name__ == "__main__":
    main()
