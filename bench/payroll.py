"""Weekly payroll over 10,000 trainers and 1,000,000 sessions: its time against one raw SQL aggregate over the
same rows (target: within 1.5x).

Run:  .venv/bin/python bench/payroll.py [--trainers 10000] [--sessions 1000000]
      [--postgres postgresql://postgres@127.0.0.1:5432/postgres] [--quick]   (--quick: 1,000 / 100,000)

The data is written set-based (it is not what is measured): trainers, 100 jobs, two timesheets per trainer (two
jobs), the week's sessions on them, the week closed (each sheet's recorded_seconds is the sum of its sessions, as
timesheets.close_weeks leaves it), a paid assessment session for every tenth trainer (on no timesheet), each
trainer's payable balance in the ledger, payout accounts for 80% of them (the rest wait: "connect a payout
account"), a few below the minimum. A second payroll run then checks the once-per-week rule (it must create
nothing), and every statement's worked time is checked against the plain sum of that trainer's sessions.

What is measured (decided in session 2): payroll = payroll_run.run(send=False) from the first read to the last
commit: the plan (balances, accounts, statuses, the week's worked time from the timesheets and assessment
sessions, the outcome per trainer, all in one INSERT ... SELECT per batch), then the writes (8,000 payouts with
their ledger transactions, 16,000 entries and guarded balances, 10,000 statements, 8,000 + 2,000 audit rows,
2,000 notices and e-mails), committed in batches of 5,000 trainers. Two baselines on the same data, same run:
  1. the issue's: one raw `SELECT trainer_id, SUM(seconds) ... GROUP BY trainer_id` over the week's 1,000,000
     sessions, fetched, best of three. Payroll's read phase (it no longer scans the sessions, session 3) is a
     fraction of it on both databases; the whole payroll is not within 1.5x of it, because writing ~64,000
     indexed rows (each with its foreign-key checks on PostgreSQL) costs more than reading 1,000,000 index
     entries (the README's payroll section has the figures and what is left).
  2. same rows, same output: raw_same_output(), the fewest hand-written SQL statements that write those rows
     (worked time read the same way as payroll reads it), on the bare DB-API cursor, one transaction, rolled back
     afterwards (so it pays no commit; payroll's commits are printed apart): what our code costs over the rows
     themselves. The held trainers' words are a short fixed sentence there (payroll formats each amount in).
  3. the floor (session 4): raw_floor(), on the bare DB-API cursor too, one transaction rolled back, best of two:
     only the money record of the paid, which no payroll can skip: the week's worked time read as payroll reads
     it (closed sheets, open sheets' sessions, assessment sessions; fetched, its time printed apart), 8,000
     payouts, their ledger transactions `payout:<id>:reserve` with two entries each (trainer_payable minus,
     trainer_pending plus: payroll's accounts) and the guarded balances (payable debited under the CHECK
     constraint, pending opened or credited by one upsert). No statements, notices, e-mails or audit rows. If
     the floor alone is not within 1.5x of the aggregate, no payroll that keeps the money rows can be.
On PostgreSQL the rolled-back baselines leave dead rows and index entries (the same payout keys and account
names, four times over); sweep() VACUUMs them before the floor and before payroll (not timed), so neither steps
over the other runs' garbage (SQLite's rollback leaves none).
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
    from marketplace.assessments.models import Assessment, Attempt, Qualification
    from marketplace.core.time import utcnow
    from marketplace.jobs.models import Job
    from marketplace.pay.models import Timesheet, WorkSession
    from marketplace.payments import ledger
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
    # Paid assessment time: every tenth trainer took a test this week (a session on no timesheet).
    tested = trainer_ids[::10]
    insert(Qualification.__table__, [{"key": "bench-english", "name": "English", "kind": "language",
                                      "description": "", "created_at": now, "updated_at": now}])
    qualification_id = db.session.scalar(sa.select(Qualification.id))
    insert(Assessment.__table__, [{"key": "bench-english", "qualification_id": qualification_id, "title": "English",
                                   "description": "", "content_warning": "", "items_per_attempt": 10,
                                   "pass_mark_percent": 80, "time_limit_minutes": 30, "max_attempts": 3,
                                   "cooldown_hours": 24, "requires_review": False, "is_active": True,
                                   "bank_version": 1, "created_at": now, "updated_at": now}])
    assessment_id = db.session.scalar(sa.select(Assessment.id))
    insert(Attempt.__table__, [{"user_id": t, "assessment_id": assessment_id, "qualification_id": qualification_id,
                                "number": 1, "status": "passed", "bank_version": 1, "started_at": WEEK,
                                "deadline_at": WEEK + timedelta(minutes=30), "submitted_at": WEEK + timedelta(
                                    minutes=20), "is_late": False, "is_auto_submitted": False,
                                "time_limit_seconds": 1800, "pass_mark_percent": 80, "requires_review": False,
                                "scored_items": 10, "correct_items": 9, "paid_seconds": 1200,
                                "decision_reason": ""} for t in tested])
    attempts = dict(db.session.execute(sa.select(Attempt.user_id, Attempt.id)).all())
    insert(WorkSession.__table__, [{"trainer_id": t, "kind": "assessment", "attempt_id": attempts[t],
                                    "week_start": WEEK, "started_at": WEEK, "last_activity_at": WEEK + timedelta(
                                        seconds=1200), "closed_at": WEEK + timedelta(seconds=1200),
                                    "close_reason": "attempt", "seconds": 1200, "idle_seconds": 0} for t in tested])
    per_trainer = (sessions - len(tested)) // trainers
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
    # The week is closed: each timesheet records the sum of its sessions (as timesheets.close_weeks does).
    db.session.execute(sa.update(Timesheet.__table__).values(recorded_seconds=sa.select(
        sa.func.coalesce(sa.func.sum(WorkSession.seconds), 0)).where(WorkSession.timesheet_id == Timesheet.id)
        .scalar_subquery()))
    ledger.post_many([
        ledger.Posting(f"bench-earning:{t}", {ledger.ONBOARDING_COST: -(amount := (
            rng.randint(200, 900) if n % 50 == 0 else rng.randint(5_000, 90_000))),
            ledger.trainer_payable(t): amount}, kind="earning", description="Approved time (bench)")
        for n, t in enumerate(trainer_ids)])
    db.session.commit()


def aggregate(db) -> float:
    """Baseline 1 (the issue's): one raw grouped aggregate over the week's sessions, fetched; best of three."""
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


def raw_same_output(db, minimum: int) -> tuple[float, int]:
    """Baseline 2 (same rows, same output): the fewest hand-written SQL statements that write what payroll
    writes (payouts, their ledger transactions and two entries each, guarded balances, pending accounts, a
    statement per trainer with the week's aggregate, audit rows, notices and e-mails for the held), on the raw
    DB-API cursor in one transaction, no Python per row, no batches, no savepoints. Timed up to its last
    statement, then rolled back (so payroll starts from the same state; payroll's time includes its commits)."""
    conn = db.engine.raw_connection()
    pg = db.engine.dialect.name == "postgresql"
    week = WEEK if pg else WEEK.strftime("%Y-%m-%d %H:%M:%S.%f")
    now = RUN_AT if pg else RUN_AT.strftime("%Y-%m-%d %H:%M:%S.%f")
    p = "%s" if pg else "?"
    obj = "CAST(json_build_object('amount_cents', {}) AS JSON)" if pg else "json_object('amount_cents', {})"
    key = "'payroll:' || la.user_id || ':2028-W09'"
    ready = "pa.status = 'ready' AND (la.balance_cents >= {m} OR u.status = 'deactivated')".format(m=minimum)
    base = (f"FROM ledger_accounts la JOIN users u ON u.id = la.user_id LEFT JOIN payout_accounts pa "
            f"ON pa.user_id = la.user_id WHERE la.kind = 'trainer_payable' AND la.balance_cents > 0")
    ready_or_blank = ready.replace("pa.status", "COALESCE(pa.status, '')")
    held = (f"FROM ledger_accounts la JOIN users u ON u.id = la.user_id LEFT JOIN payout_accounts pa "
            f"ON pa.user_id = la.user_id WHERE la.kind = 'trainer_payable' AND la.balance_cents <> 0 "
            f"AND NOT (la.balance_cents > 0 AND {ready_or_blank})")
    statements = [
        (f"INSERT INTO payouts (trainer_id, amount_cents, currency, status, request_key, destination, reason, "
         f"is_live, attempts, next_attempt_at, created_at) SELECT la.user_id, la.balance_cents, 'usd', 'pending', "
         f"{key}, pa.stripe_account_id, 'Weekly payroll 2028-W09', pa.is_live, 0, {p}, {p} {base} AND {ready}",
         (now, now)),
        (f"INSERT INTO ledger_accounts (name, kind, user_id, balance_cents, created_at) SELECT 'trainer_pending:' "
         f"|| trainer_id, 'trainer_pending', trainer_id, 0, {p} FROM payouts WHERE created_at = {p}", (now, now)),
        (f"INSERT INTO ledger_transactions (idempotency_key, kind, description, data, created_at) SELECT "
         f"'payout:' || id || ':reserve', 'payout_reserve', 'Payout #' || id || ' to your payout account', "
         f"{obj.format('id').replace('amount_cents', 'payout_id')}, {p} FROM payouts WHERE created_at = {p}",
         (now, now)),
        (f"INSERT INTO ledger_entries (transaction_id, account_id, amount_cents) SELECT t.id, a.id, -p.amount_cents "
         f"FROM payouts p JOIN ledger_transactions t ON t.idempotency_key = 'payout:' || p.id || ':reserve' "
         f"JOIN ledger_accounts a ON a.name = 'trainer_payable:' || p.trainer_id WHERE p.created_at = {p}", (now,)),
        (f"INSERT INTO ledger_entries (transaction_id, account_id, amount_cents) SELECT t.id, a.id, p.amount_cents "
         f"FROM payouts p JOIN ledger_transactions t ON t.idempotency_key = 'payout:' || p.id || ':reserve' "
         f"JOIN ledger_accounts a ON a.name = 'trainer_pending:' || p.trainer_id WHERE p.created_at = {p}", (now,)),
        (f"UPDATE ledger_accounts SET balance_cents = balance_cents - p.amount_cents FROM payouts p WHERE "
         f"p.created_at = {p} AND ledger_accounts.name = 'trainer_payable:' || p.trainer_id", (now,)),
        (f"UPDATE ledger_accounts SET balance_cents = balance_cents + p.amount_cents FROM payouts p WHERE "
         f"p.created_at = {p} AND ledger_accounts.name = 'trainer_pending:' || p.trainer_id", (now,)),
        (f"INSERT INTO pay_statements (trainer_id, week_start, outcome, amount_cents, worked_seconds, reason_code, "
         f"message, payout_id, created_at) SELECT la.user_id, {p}, CASE WHEN p.id IS NULL THEN 'held' ELSE 'paid' "
         f"END, la.balance_cents, COALESCE(w.seconds, 0), NULL, CASE WHEN p.id IS NULL THEN 'Your money waits.' "
         f"ELSE '' END, p.id, {p} FROM ledger_accounts la LEFT JOIN payouts p ON p.request_key = {key} LEFT JOIN "
         f"(SELECT trainer_id, SUM(seconds) AS seconds FROM (SELECT trainer_id, recorded_seconds AS seconds FROM "
         f"timesheets WHERE week_start = {p} UNION ALL SELECT trainer_id, seconds FROM work_sessions WHERE "
         f"kind = 'assessment' AND week_start = {p}) AS parts GROUP BY trainer_id) w ON w.trainer_id = la.user_id "
         f"WHERE la.kind = 'trainer_payable' AND (la.balance_cents <> 0 OR p.id IS NOT NULL)", (week, now, week, week)),
        (f"INSERT INTO audit_events (occurred_at, action, subject_user_id, subject_type, subject_id, reason, data) "
         f"SELECT {p}, 'payments.payout_requested', trainer_id, 'payouts', CAST(id AS VARCHAR(64)), reason, "
         f"{obj.format('amount_cents')} FROM payouts WHERE created_at = {p}", (now, now)),
        (f"INSERT INTO audit_events (occurred_at, action, subject_user_id, reason, data) SELECT {p}, "
         f"'pay.payroll_held', la.user_id, 'Your money waits.', {obj.format('la.balance_cents')} {held}", (now,)),
        (f"INSERT INTO notices (user_id, subject, body, link, category, is_banner, created_at) SELECT la.user_id, "
         f"'Payday 2028-W09: your money waits', 'Your money waits.', '/wallet', 'money', {'false' if pg else 0}, "
         f"{p} {held}", (now,)),
        (f"INSERT INTO outbound_emails (to_address, subject, body, status, attempts, created_at, next_attempt_at) "
         f"SELECT u.email, 'Payday 2028-W09: your money waits', 'Your money waits.', 'pending', 0, {p}, {p} {held}",
         (now, now)),
    ]
    try:
        cursor = conn.cursor()
        if not pg:
            cursor.execute("BEGIN IMMEDIATE")
        started = time.perf_counter()
        for sql, params in statements:
            cursor.execute(sql, params)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT COUNT(*) FROM payouts")
        made = cursor.fetchone()[0]
        conn.rollback()
    finally:
        conn.close()
    return elapsed, made


def raw_floor(db, minimum: int) -> tuple[float, float, int]:
    """Baseline 3 (the floor): only the money record of the payroll, for the paid trainers, in the fewest
    hand-written statements on the raw DB-API cursor, one transaction, rolled back afterwards (as raw_same_output):
    the week's worked time per trainer read as payroll reads it (payroll_run.WORKED_SQL's three parts: closed
    sheets' recorded_seconds, open sheets' sessions, paid assessment sessions; fetched), one payout per paid trainer
    (its unique request key), its ledger transaction `payout:<id>:reserve` (unique key, description, data) and its
    two entries (trainer_payable:<trainer> minus, trainer_pending:<trainer> plus, as post_transfers writes them),
    and the guarded balances the ledger keeps (payable debited under the CHECK constraint; pending opened or
    credited by one upsert). No statements, notices, e-mails or audit rows. Returns (time, of which reading the
    worked time, payouts made)."""
    conn = db.engine.raw_connection()
    pg = db.engine.dialect.name == "postgresql"
    week = WEEK if pg else WEEK.strftime("%Y-%m-%d %H:%M:%S.%f")
    now = RUN_AT if pg else RUN_AT.strftime("%Y-%m-%d %H:%M:%S.%f")
    p = "%s" if pg else "?"
    data = "CAST(json_build_object('payout_id', id) AS JSON)" if pg else "json_object('payout_id', id)"
    worked = (f"SELECT trainer_id, SUM(seconds) FROM (SELECT trainer_id, recorded_seconds AS seconds FROM timesheets "
              f"WHERE week_start = {p} AND status <> 'open' UNION ALL SELECT ts.trainer_id, ws.seconds FROM "
              f"timesheets ts JOIN work_sessions ws ON ws.timesheet_id = ts.id WHERE ts.week_start = {p} AND "
              f"ts.status = 'open' UNION ALL SELECT trainer_id, seconds FROM work_sessions WHERE kind = 'assessment' "
              f"AND week_start = {p}) AS parts GROUP BY trainer_id")
    mine = f"FROM payouts WHERE created_at = {p}"
    statements = [
        (f"INSERT INTO payouts (trainer_id, amount_cents, currency, status, request_key, destination, reason, "
         f"is_live, attempts, next_attempt_at, created_at) SELECT la.user_id, la.balance_cents, 'usd', 'pending', "
         f"'payroll:' || la.user_id || ':2028-W09', pa.stripe_account_id, 'Weekly payroll 2028-W09', pa.is_live, 0, "
         f"{p}, {p} FROM ledger_accounts la JOIN users u ON u.id = la.user_id JOIN payout_accounts pa ON pa.user_id "
         f"= la.user_id WHERE la.kind = 'trainer_payable' AND la.balance_cents > 0 AND pa.status = 'ready' AND "
         f"(la.balance_cents >= {minimum} OR u.status = 'deactivated')", (now, now)),
        (f"INSERT INTO ledger_transactions (idempotency_key, kind, description, data, created_at) SELECT "
         f"'payout:' || id || ':reserve', 'payout_reserve', 'Payout #' || id || ' to your payout account', {data}, "
         f"{p} {mine}", (now, now)),
        (f"UPDATE ledger_accounts SET balance_cents = balance_cents - p.amount_cents FROM payouts p WHERE "
         f"p.created_at = {p} AND ledger_accounts.name = 'trainer_payable:' || p.trainer_id", (now,)),
        (f"INSERT INTO ledger_accounts (name, kind, user_id, balance_cents, created_at) SELECT 'trainer_pending:' "
         f"|| trainer_id, 'trainer_pending', trainer_id, amount_cents, {p} {mine} ON CONFLICT (name) DO UPDATE SET "
         f"balance_cents = ledger_accounts.balance_cents + excluded.balance_cents", (now, now)),
        (f"INSERT INTO ledger_entries (transaction_id, account_id, amount_cents) SELECT t.id, a.id, CASE a.kind WHEN "
         f"'trainer_payable' THEN -p.amount_cents ELSE p.amount_cents END FROM payouts p JOIN ledger_transactions t "
         f"ON t.idempotency_key = 'payout:' || p.id || ':reserve' JOIN ledger_accounts a ON a.user_id = p.trainer_id "
         f"AND a.kind IN ('trainer_payable', 'trainer_pending') WHERE p.created_at = {p}", (now,)),
    ]
    try:
        cursor = conn.cursor()
        if not pg:
            cursor.execute("BEGIN IMMEDIATE")
        started = time.perf_counter()
        cursor.execute(worked, (week, week, week))
        assert cursor.fetchall()
        read = time.perf_counter() - started
        for sql, params in statements:
            cursor.execute(sql, params)
        elapsed = time.perf_counter() - started
        cursor.execute("SELECT COUNT(*), (SELECT COUNT(*) FROM ledger_entries e JOIN ledger_transactions t ON "
                       "t.id = e.transaction_id WHERE t.kind = 'payout_reserve'), (SELECT SUM(amount_cents) FROM "
                       "ledger_entries) FROM payouts")
        made, entries, total = cursor.fetchone()
        assert entries == 2 * made and total == 0, (made, entries, total)
        conn.rollback()
    finally:
        conn.close()
    return elapsed, read, made


def sweep(db) -> None:
    """PostgreSQL: VACUUM away the dead rows and index entries the rolled-back baselines leave (SQLite's rollback
    leaves none), so what runs next does not step over four rolled-back copies of the payroll (not timed)."""
    if db.engine.dialect.name == "postgresql":
        db.session.rollback()
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")


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
            raw, raw_payouts = min(raw_same_output(db, app.config["PAYOUT_MINIMUM_CENTS"]) for _ in range(2))
            sweep(db)
            floor, floor_read, floor_payouts = min(raw_floor(db, app.config["PAYOUT_MINIMUM_CENTS"])
                                                   for _ in range(2))
            sweep(db)
            started = time.perf_counter()
            result = payroll_run.run(RUN_AT, week=WEEK, send=False)
            elapsed = time.perf_counter() - started
            again = payroll_run.run(RUN_AT + timedelta(minutes=5), week=WEEK, send=False)
            payouts = db.session.scalar(sa.select(sa.func.count(Payout.id)))
            # Not timed: every statement's worked time is the sum of that trainer's sessions of the week.
            from marketplace.pay.models import PayStatement, WorkSession
            sums = (sa.select(WorkSession.trainer_id, sa.func.sum(WorkSession.seconds).label("seconds"))
                    .where(WorkSession.week_start == WEEK).group_by(WorkSession.trainer_id).subquery())
            differ = db.session.scalar(sa.select(sa.func.count()).select_from(PayStatement).outerjoin(
                sums, sums.c.trainer_id == PayStatement.trainer_id).where(
                PayStatement.week_start == WEEK, PayStatement.worked_seconds != sa.func.coalesce(sums.c.seconds, 0)))
            assert differ == 0, f"{differ} statements disagree with the sessions' sum"
            print(f"payroll: {len(result.payout_ids):,} payouts reserved, {result.held:,} held with a reason, "
                  f"in {elapsed:.3f} s")
            print(f"baseline 1, one raw aggregate over the same sessions: {baseline:.3f} s; "
                  f"payroll / aggregate = {elapsed / baseline:.2f}x")
            print(f"baseline 2, raw SQL writing the same rows ({raw_payouts:,} payouts, statements, ledger, audit, "
                  f"notices): {raw:.3f} s; payroll / raw = {elapsed / raw:.2f}x (target <= 1.5x); without payroll's "
                  f"{result.commit_seconds:.3f} s of commits (the raw run is rolled back, not committed): "
                  f"{(elapsed - result.commit_seconds) / raw:.2f}x")
            print(f"baseline 3, the floor: raw SQL writing only the money record of the paid ({floor_payouts:,} "
                  f"payouts, their ledger transactions, two entries each, guarded balances; worked time read, "
                  f"{floor_read:.3f} s): {floor:.3f} s; floor / aggregate = {floor / baseline:.2f}x; payroll / "
                  f"floor = {elapsed / floor:.2f}x")
            print(f"  of which reading and planning (balances, accounts, the week's worked time): "
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
