"""Weekly payroll: pay each trainer's payable balance through the payout outbox, once per trainer per week.

Set-based: the database does the work, Python only steers (DESIGN.md section 5; bench/payroll.py measures it).
For each batch of trainers (a range of ids, one transaction):

1. Plan, in one INSERT ... SELECT into a temporary table: every trainer with a non-zero payable balance (its
   guard row) and no statement yet this week, their status and payout account, the week's worked seconds (from
   the week's timesheets and paid assessment sessions: WORKED_SQL, the same number as summing every session), and
   the outcome: paid, or the code of the reason the money waits.
   The outcome is pay/payroll.decide() written as one SQL CASE (the pure function is the spec; tests compare).
2. Paid trainers, in a savepoint, all INSERT ... SELECT: Payout rows (request key `payroll:<trainer>:<ISO
   week>`, unique), their ledger reservations payable -> pending (ledger.post_transfers: two entries each,
   guarded balances by one grouped UPDATE), pay statements (unique per trainer and week), audit rows.
3. Held trainers: statements, notices with e-mails and audit rows, INSERT ... SELECT too, with the words they
   read (pay/payroll.held_message_sql: the same templates as the pure held_message).
4. Commit; then send the payouts (each its own transactions, send_payout); anything interrupted is finished by
   the money room's recovery job, looked up by key first.

Once per trainer per week: runs are serialised (SQLite's write lock; a transaction-level advisory lock on
PostgreSQL), the plan skips trainers with a statement this week and keys already used, and the unique keys stand
behind both. A crash mid-run loses at most the batch in flight, which the next run redoes. If a balance moved
under the batch (an admin's manual payout at the same moment: the CHECK constraint refuses an overdraft), the
savepoint rolls back and that batch's payouts are made one at a time through payouts.pay_trainer.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import DomainError
from ..core.time import UTCDateTime, week_start
from ..extensions import db
from ..pay import calculations, payroll, statements
from ..pay.models import PayStatement
from . import ledger, payouts
from .models import LedgerAccount, Payout
from .provider import begin_write, currency, gateway

log = logging.getLogger(__name__)
BATCH = 5000


def payday(now: datetime) -> datetime:
    """This week's payday: PAYROLL_WEEKDAY (0 = Monday) at PAYROLL_HOUR_UTC."""
    config = current_app.config
    return week_start(now) + timedelta(days=config["PAYROLL_WEEKDAY"], hours=config["PAYROLL_HOUR_UTC"])


def weekly_payroll(now: datetime) -> int:
    """Scheduled hourly: from this week's payday on, pay last week's payroll (catching up after an outage or a
    restart; each trainer at most once per week). Returns how many payouts were made now."""
    if now < payday(now):
        return 0
    return len(run(now).payout_ids)


@dataclass
class PayrollResult:
    week: datetime
    payout_ids: list[int] = field(default_factory=list)
    held: int = 0
    skipped: int = 0  # already handled by an earlier run this week
    read_seconds: float = 0.0   # planning: balances, accounts, the week's worked time (step 1)
    write_seconds: float = 0.0  # writing payouts, ledger, statements, notices, audit rows, and committing
    commit_seconds: float = 0.0  # of which committing the batches (durability: the journal written to disk)


PLAN_TABLE = "payroll_plan"


def run(now: datetime, *, week: datetime | None = None, send: bool = True) -> PayrollResult:
    """Run (or resume) the payroll of the pay week before `now` (or `week`)."""
    started = time.perf_counter()
    week = week_start(week) if week is not None else calculations.payroll_week(now)
    name = calculations.iso_week_name(week)
    result = PayrollResult(week)
    result.skipped = db.session.scalar(sa.select(sa.func.count()).select_from(PayStatement)
                                       .where(PayStatement.week_start == week)) or 0
    ids = list(db.session.scalars(
        sa.select(LedgerAccount.user_id).where(LedgerAccount.kind == ledger.TRAINER_PAYABLE,
                                               LedgerAccount.balance_cents != 0).order_by(LedgerAccount.user_id)))
    run_id = uuid.uuid4().hex
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        begin_write()  # SQLite: take the write lock before planning what will be written (PostgreSQL: no-op)
        _serialise_runs()
        planned = time.perf_counter()
        _plan(chunk[0], chunk[-1], week, name, now)
        result.read_seconds += time.perf_counter() - planned
        paid, held = _write_batch(week, name, now, run_id)
        result.payout_ids += paid
        result.held += held
        committing = time.perf_counter()
        db.session.commit()
        result.commit_seconds += time.perf_counter() - committing
    result.write_seconds = time.perf_counter() - started - result.read_seconds
    log.info("payroll %s: %d payouts, %d held, %d already handled", name, len(result.payout_ids), result.held,
             result.skipped)
    if send:
        # This run's payouts, and any an interrupted run reserved but never sent (the recovery job would too).
        unsent = set(db.session.scalars(sa.select(Payout.id).where(
            Payout.request_key.like(f"payroll:%:{name}"), Payout.status == "pending", Payout.attempts == 0)))
        gw = gateway()
        for payout_id in sorted(unsent | set(result.payout_ids)):
            payouts.send_payout(payout_id, gw, now=now)
    return result


def _serialise_runs() -> None:
    """Two payroll runs never plan the same trainers at once (PostgreSQL; SQLite has one writer anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('fairtrain-payroll'))"))


def _params(week: datetime, name: str, now: datetime, **more) -> dict:
    return {"week": week, "now": now, "prefix": "payroll:", "suffix": f":{name}", **more}


def _text(sql: str) -> sa.TextClause:
    """SQL with the run's instants bound as UTCDateTime (stored the way the models store them)."""
    clause = sa.text(sql)
    binds = [sa.bindparam(n, type_=UTCDateTime) for n in ("week", "now") if re.search(rf":{n}\b", sql)]
    return clause.bindparams(*binds) if binds else clause


# The week's worked seconds per trainer of the batch: exactly the sum of their sessions of the week, read without
# scanning them. A job or review session is always on its trainer's timesheet of that job and week (a CHECK and
# pay/services._insert_session); once the sheet is closed its recorded_seconds is that sum and no longer changes
# (close_weeks closes every session of the week first, and a closed session is never re-timed). So: closed sheets
# give recorded_seconds, a sheet still open (the week not closed yet) gives its sessions' sum, and the paid
# assessment time, on no timesheet, comes from its own partial index. Tests compare it with the plain sum.
WORKED_SQL = """
    SELECT trainer_id, SUM(seconds) AS seconds FROM (
        SELECT ts.trainer_id, ts.recorded_seconds AS seconds FROM timesheets ts
        WHERE ts.week_start = :week AND ts.trainer_id BETWEEN :lo AND :hi AND ts.status <> 'open'
        UNION ALL
        SELECT ts.trainer_id, ws.seconds FROM timesheets ts JOIN work_sessions ws ON ws.timesheet_id = ts.id
        WHERE ts.week_start = :week AND ts.trainer_id BETWEEN :lo AND :hi AND ts.status = 'open'
        UNION ALL
        SELECT ws.trainer_id, ws.seconds FROM work_sessions ws
        WHERE ws.kind = 'assessment' AND ws.week_start = :week AND ws.trainer_id BETWEEN :lo AND :hi
    ) AS parts GROUP BY trainer_id"""


def _plan(lo: int, hi: int, week: datetime, name: str, now: datetime) -> None:
    """Step 1: the batch's plan, in one statement (pay/payroll.decide() as a CASE, in the same order)."""
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {PLAN_TABLE} (trainer_id BIGINT PRIMARY KEY, amount BIGINT, "
        f"code VARCHAR(32), note VARCHAR(200), destination VARCHAR(255), is_live BOOLEAN, email VARCHAR(320), "
        f"worked BIGINT, payout_id BIGINT)" + (" ON COMMIT DELETE ROWS" if postgres else ""))
    connection.exec_driver_sql(f"DELETE FROM {PLAN_TABLE}")
    minimum = current_app.config["PAYOUT_MINIMUM_CENTS"]
    # Leaving (paid any remainder, below the minimum too): a closing account, or a country FairTrain has left.
    withdrawn = ("EXISTS (SELECT 1 FROM country_withdrawals cw WHERE cw.country = u.country "
                 "AND cw.status = 'effective')")
    db.session.execute(_text(f"""
        INSERT INTO {PLAN_TABLE} (trainer_id, amount, code, note, destination, is_live, email, worked)
        SELECT la.user_id, la.balance_cents,
               CASE WHEN la.balance_cents < 0 THEN '{payroll.NEGATIVE_BALANCE}'
                    WHEN EXISTS (SELECT 1 FROM payouts p WHERE p.request_key = :prefix || la.user_id || :suffix)
                         THEN '{payroll.ALREADY_PAID}'
                    WHEN pa.status IS NULL OR pa.status <> 'ready' THEN '{payroll.ACCOUNT_NOT_READY}'
                    WHEN la.balance_cents < :minimum AND u.status <> 'deactivated' AND NOT {withdrawn}
                         THEN '{payroll.BELOW_MINIMUM}'
                    ELSE '{payroll.PAID}' END,
               CASE WHEN (u.status = 'deactivated' OR {withdrawn}) AND la.balance_cents < :minimum THEN :leaving
                    WHEN u.status = 'suspended' THEN :suspended ELSE '' END,
               pa.stripe_account_id, pa.is_live, u.email, COALESCE(w.seconds, 0)
        FROM ledger_accounts la
        JOIN users u ON u.id = la.user_id
        LEFT JOIN payout_accounts pa ON pa.user_id = la.user_id
        LEFT JOIN ({WORKED_SQL}) w ON w.trainer_id = la.user_id
        WHERE la.kind = '{ledger.TRAINER_PAYABLE}' AND la.balance_cents <> 0 AND la.user_id BETWEEN :lo AND :hi
          AND NOT EXISTS (SELECT 1 FROM pay_statements s WHERE s.trainer_id = la.user_id AND s.week_start = :week)
        """), _params(week, name, now, lo=lo, hi=hi, minimum=minimum, leaving=payroll.LEAVING_NOTE,
                      suspended=payroll.SUSPENDED_NOTE))
    if postgres:  # a temporary table has no statistics until analysed: the writes below join on it
        connection.exec_driver_sql(f"ANALYZE {PLAN_TABLE}")


def _write_batch(week: datetime, name: str, now: datetime, run_id: str) -> tuple[list[int], int]:
    """Steps 2 and 3 for the planned batch; returns (this run's payout ids, how many were held)."""
    reason = f"Weekly payroll {name}"
    try:
        with db.session.begin_nested():
            _pay_planned(week, name, now, run_id, reason)
    except (IntegrityError, DomainError) as exc:
        # A balance moved under us (an admin's manual payout at the same moment): pay this batch one by one.
        log.warning("payroll batch fell back to one payout at a time: %s", exc)
        _pay_one_by_one(week, name, now, run_id, reason)
    paid = list(db.session.scalars(sa.text(
        f"SELECT payout_id FROM {PLAN_TABLE} WHERE code = '{payroll.PAID}' AND payout_id IS NOT NULL")))
    return paid, _record_held(week, name, now, run_id)


def _pay_planned(week: datetime, name: str, now: datetime, run_id: str, reason: str) -> None:
    params = _params(week, name, now, currency=currency().lower(), reason=reason, run=run_id)
    paid = f"FROM {PLAN_TABLE} WHERE code = '{payroll.PAID}'"
    db.session.execute(_text(f"""
        INSERT INTO payouts (trainer_id, amount_cents, currency, status, request_key, destination, reason, is_live,
                             attempts, next_attempt_at, created_at)
        SELECT trainer_id, amount, :currency, 'pending', :prefix || trainer_id || :suffix, destination, :reason,
               is_live, 0, :now, :now {paid} ORDER BY trainer_id"""), params)
    db.session.execute(sa.text(f"""
        UPDATE {PLAN_TABLE} SET payout_id = (SELECT p.id FROM payouts p
                                             WHERE p.request_key = :prefix || {PLAN_TABLE}.trainer_id || :suffix)
        WHERE code = '{payroll.PAID}'"""), {"prefix": "payroll:", "suffix": f":{name}"})
    ledger.post_transfers(
        f"SELECT 'payout:' || payout_id || :reserve, trainer_id, trainer_id, amount, "
        f"'Payout #' || payout_id || ' to your payout account', {ledger.json_text({'payout_id': 'payout_id'})} "
        f"{paid}", {"reserve": ":reserve"}, from_kind=ledger.TRAINER_PAYABLE, to_kind=ledger.TRAINER_PENDING,
        kind="payout_reserve")
    db.session.execute(_text(f"""
        INSERT INTO pay_statements (trainer_id, week_start, outcome, amount_cents, worked_seconds, reason_code,
                                    message, payout_id, run_id, created_at)
        SELECT trainer_id, :week, 'paid', amount, worked, NULL, note, payout_id, :run, :now {paid}"""), params)
    audit.record_select("payments.payout_requested",
                        f"SELECT trainer_id AS subject_user_id, 'payouts' AS subject_type, "
                        f"CAST(payout_id AS VARCHAR(64)) AS subject_id, CAST(:reason AS TEXT) AS reason, "
                        f"{ledger.json_text({'amount_cents': 'amount'})} AS data {paid}", params, now=now)


def _pay_one_by_one(week: datetime, name: str, now: datetime, run_id: str, reason: str) -> None:
    """The slow, careful path for a batch whose set-based write was refused: payouts.pay_trainer per trainer
    (its own guard, audit row and key), then the statements of those paid."""
    rows = db.session.execute(sa.text(
        f"SELECT trainer_id, amount, worked, note FROM {PLAN_TABLE} WHERE code = '{payroll.PAID}' "
        f"ORDER BY trainer_id")).all()
    made = []
    for trainer_id, amount, worked, note in rows:
        trainer = db.session.get(User, trainer_id)
        try:
            with db.session.begin_nested():
                payout = payouts.pay_trainer(trainer, actor=None, reason=reason,
                                             idempotency_key=payroll.idempotency_key(trainer_id, week),
                                             currency=currency(), minimum_cents=0)
        except DomainError as exc:
            log.warning("payroll: trainer %s not paid this run: %s", trainer_id, exc.message)
            continue
        if payout is not None:
            made.append((trainer_id, payout.id))
            statements.record([{"trainer_id": trainer_id, "week_start": week, "outcome": "paid",
                                "amount_cents": payout.amount_cents, "worked_seconds": int(worked or 0),
                                "reason_code": None, "message": note or "", "payout_id": payout.id,
                                "created_at": now}], run_id)
    db.session.execute(sa.text(f"UPDATE {PLAN_TABLE} SET payout_id = NULL"))
    for trainer_id, payout_id in made:
        db.session.execute(sa.text(f"UPDATE {PLAN_TABLE} SET payout_id = :p WHERE trainer_id = :t"),
                           {"p": payout_id, "t": trainer_id})


def _record_held(week: datetime, name: str, now: datetime, run_id: str) -> int:
    """Step 3: statements, notices with e-mails and audit rows for the trainers whose money waits, with the words
    they read (pay/payroll.HELD_TEMPLATES as SQL), all INSERT ... SELECT (core's notices.notify_select and
    audit.record_select stay the writers of their tables). A trainer already paid this week gets a statement, not
    another notice."""
    dialect = db.session.get_bind().dialect.name
    message = payroll.held_message_sql("code", "amount", minimum_cents=current_app.config["PAYOUT_MINIMUM_CENTS"],
                                       week_name=name, currency=currency(), dialect=dialect)
    held = f"FROM {PLAN_TABLE} WHERE code <> '{payroll.PAID}'"
    told = f"{held} AND code <> '{payroll.ALREADY_PAID}'"
    link = f"CASE code WHEN '{payroll.ACCOUNT_NOT_READY}' THEN '/wallet/payout-account' ELSE '/wallet' END"
    data = ledger.json_text({"amount_cents": "amount", "code": "code", "week": "CAST(:weekname AS VARCHAR(16))"})
    params = _params(week, name, now, run=run_id, weekname=name, subject=f"Payday {name}: your money waits")
    count = db.session.execute(_text(f"""
        INSERT INTO pay_statements (trainer_id, week_start, outcome, amount_cents, worked_seconds, reason_code,
                                    message, payout_id, run_id, created_at)
        SELECT trainer_id, :week, 'held', amount, worked, code, {message}, NULL, :run, :now {held}"""),
        params).rowcount
    notices.notify_select(f"SELECT trainer_id AS user_id, email, CAST(:subject AS TEXT) AS subject, {message} AS body, "
                          f"{link} AS link {told}", params, category="money", now=now)
    audit.record_select("pay.payroll_held", f"SELECT trainer_id AS subject_user_id, NULL AS subject_type, "
                        f"NULL AS subject_id, {message} AS reason, {data} AS data {held}", params, now=now)
    return count
