"""The claim: hand a trainer the next open tasks of a job in ONE statement, exact under concurrency.

Two statements per claim transaction (DESIGN.md section 5):

1. release: expired reservations of the job become `expired` by compare-and-set, and their tasks get the slot
   back (holders - 1, is_open again), so a lapsed reservation is free at the very next claim; the scheduled
   sweep only tidies up.
2. claim: on PostgreSQL one statement, a MATERIALIZED CTE that picks open tasks with FOR UPDATE SKIP LOCKED,
   bumps their `holders` counter and inserts the assignments. The `holders < overlap` test is on the task row
   itself, so when a concurrent claim commits first PostgreSQL re-checks it against the new row version
   (EvalPlanQual) and skips a task that just filled; a count over assignments would not be re-checked and
   would over-assign. Never `IN (SELECT ... LIMIT ... FOR UPDATE SKIP LOCKED)` (PostgreSQL bug 15715).
   On SQLite the transaction starts with BEGIN IMMEDIATE (one writer at a time), and the same conditional
   update and insert run inside it.

UNIQUE(task_id, worker_id) on assignments is the backstop: a task is never held twice by one trainer.

Gold (known-answer) tasks measure every trainer, so a claim that asks for one (`want_gold=True`, decided by
the quality room's gold mix through hooks.py) takes any gold task of the job the trainer has not had, past
the job's overlap: it walks the partial index of gold tasks, and the task's counters move as usual (a gold
task past its overlap stays closed to ordinary claims).
"""
from __future__ import annotations

import logging
import random
import time
from collections import Counter
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..core.time import UTCDateTime
from ..extensions import db, execute

log = logging.getLogger(__name__)

# --- SQLite: begin the claim's transaction with BEGIN IMMEDIATE --------------------------------------------


@event.listens_for(Engine, "set_connection_execution_options")
def _flag_immediate(conn, opts):
    """`connection(execution_options={"sqlite_begin_immediate": True})` flags the connection before the
    session begins on it; marketplace._sqlite_begin then emits BEGIN IMMEDIATE instead of BEGIN."""
    if opts.get("sqlite_begin_immediate") and conn.dialect.name == "sqlite":
        conn.info["begin_immediate"] = True
        conn.info["tx_immediate"] = True


@event.listens_for(Engine, "begin")
def _remember_changes(conn):
    if conn.dialect.name == "sqlite":
        conn.info["changes_at_begin"] = conn.connection.dbapi_connection.total_changes


@event.listens_for(Engine, "commit")
@event.listens_for(Engine, "rollback")
def _forget_immediate(conn):
    conn.info.pop("tx_immediate", None)


def begin_write() -> None:
    """Make sure the session's transaction may write without upgrading a read lock (SQLite only).

    A deferred SQLite transaction that has read and then writes fails with "database is locked" when another
    writer got in first, and no busy timeout helps. So: a transaction already begun IMMEDIATE, or one that
    has written (it already holds the write lock), is kept; one that has only read is ended (nothing to lose)
    and a new one begins IMMEDIATE. On PostgreSQL row locks do this job and nothing happens here.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        conn = session.connection()
        if conn.info.get("tx_immediate"):
            return
        if session.new or session.dirty or session.deleted:
            session.flush()
        dbapi = conn.connection.dbapi_connection
        if dbapi.total_changes != conn.info.get("changes_at_begin", dbapi.total_changes):
            return  # it has written, so it already holds the write lock
        # Only read so far: ending it loses nothing. Objects stay loaded (what they say was read a moment ago;
        # every decision that matters is re-checked by the conditional statements that follow).
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True
    session.connection(execution_options={"sqlite_begin_immediate": True})


# --- statements --------------------------------------------------------------------------------------------

_NOW = sa.bindparam("now", type_=UTCDateTime)
_EXPIRES = sa.bindparam("expires_at", type_=UTCDateTime)

RELEASE = sa.text(
    "UPDATE assignments SET status = 'expired', ended_at = :now "
    "WHERE job_id = :job_id AND status = 'reserved' AND expires_at <= :now "
    "RETURNING task_id").bindparams(_NOW)

GIVE_BACK = sa.text("UPDATE tasks SET holders = holders - :n, is_open = :reopen WHERE id = :task_id")

_GOLD_FILTER = {None: "t.is_open AND t.holders < :overlap",
                False: "t.is_open AND t.holders < :overlap AND t.gold IS NULL",
                True: "t.gold IS NOT NULL"}  # gold measures everyone: no overlap limit (module docstring)

_CANDIDATES = (
    "SELECT t.id FROM tasks t "
    "WHERE t.job_id = :job_id AND {gold} "
    # A job paused or closed while this claim was on its way hands out nothing.
    "AND EXISTS (SELECT 1 FROM jobs j WHERE j.id = :job_id AND j.status = 'published') "
    "AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.task_id = t.id AND a.worker_id = :worker_id) "
    "ORDER BY t.seq LIMIT :k")

_PG_CLAIM = (
    "WITH candidate AS MATERIALIZED ({candidates} FOR UPDATE OF t{skip}), "
    "bumped AS (UPDATE tasks SET holders = tasks.holders + 1, is_open = (tasks.holders + 1 < :overlap) "
    "  FROM candidate WHERE tasks.id = candidate.id RETURNING tasks.id, tasks.seq), "
    "inserted AS (INSERT INTO assignments (job_id, task_id, worker_id, status, reserved_at, expires_at, "
    "    review_reason, return_note) "
    "  SELECT :job_id, bumped.id, :worker_id, 'reserved', :now, :expires_at, '', '' FROM bumped "
    "  ON CONFLICT (task_id, worker_id) DO NOTHING RETURNING id, task_id) "
    "SELECT bumped.id AS task_id, inserted.id AS assignment_id FROM bumped "
    "LEFT JOIN inserted ON inserted.task_id = bumped.id ORDER BY bumped.seq")

_SQLITE_BUMP = (
    "UPDATE tasks SET holders = holders + 1, is_open = (holders + 1 < :overlap) "
    "WHERE id IN ({candidates}){limit} RETURNING id, seq")

_SQLITE_INSERT = sa.text(
    "INSERT INTO assignments (job_id, task_id, worker_id, status, reserved_at, expires_at, review_reason, "
    "return_note) SELECT :job_id, t.id, :worker_id, 'reserved', :now, :expires_at, '', '' FROM tasks t "
    "WHERE t.id IN :task_ids ON CONFLICT (task_id, worker_id) DO NOTHING RETURNING id, task_id"
).bindparams(_NOW, _EXPIRES, sa.bindparam("task_ids", expanding=True))


def _statement(dialect: str, want_gold: bool | None, wait: bool = False) -> sa.TextClause:
    candidates = _CANDIDATES.format(gold=_GOLD_FILTER[want_gold])
    if dialect == "postgresql":
        skip = "" if wait else " SKIP LOCKED"
        return sa.text(_PG_CLAIM.format(candidates=candidates, skip=skip)).bindparams(_NOW, _EXPIRES)
    limit = "" if want_gold else " AND holders < :overlap"
    return sa.text(_SQLITE_BUMP.format(candidates=candidates, limit=limit))


DEADLOCK_ATTEMPTS = 5


def _is_deadlock(exc: sa.exc.DBAPIError) -> bool:
    orig = exc.orig
    return (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) == "40P01"


def retry_on_deadlock(work):
    """Run `work()` (the release and claim statements, or a submit's answer and count) inside a SAVEPOINT on
    PostgreSQL and run it again, after a short random pause, when PostgreSQL picked it as a deadlock's victim.
    Each statement locks tasks in task order, but a claim can already hold other rows (the slots it released
    just before, a gold task) when it waits for a task, and a waiting submit queues on a task row, so cycles
    are rare but possible. The victim's statement failed and ROLLBACK TO SAVEPOINT undoes
    everything done since the savepoint, locks included: nothing was handed out, so running it again is exact,
    and the other side of the cycle can go on. (A cycle through rows locked before the savepoint, e.g. by the
    submit of "submit and next", is not broken by this: after the attempts the error reaches the caller, whose
    transaction rolls back whole.) On SQLite (one writer at a time) it simply runs."""
    session = db.session
    if session.get_bind().dialect.name != "postgresql":
        return work()
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            with session.begin_nested():
                return work()
        except sa.exc.DBAPIError as exc:
            if not _is_deadlock(exc) or attempt == DEADLOCK_ATTEMPTS:
                raise
            log.warning("deadlock victim (attempt %d of %d); running again", attempt, DEADLOCK_ATTEMPTS)
            time.sleep(random.uniform(0, 0.01 * attempt))  # let the other side of the cycle finish first


def release_expired(job_id: int, now: datetime, *, reopen: bool = True) -> int:
    """Expire the job's lapsed reservations (compare-and-set, so each is released once even when claims
    race) and give their slots back. Returns how many were released."""
    task_ids = execute(RELEASE, {"job_id": job_id, "now": now}).scalars().all()
    if task_ids:
        give_back(Counter(task_ids), reopen=reopen)
    return len(task_ids)


def give_back(per_task: Counter, *, reopen: bool = True) -> None:
    """Return slots to tasks: holders - n and open again (unless the job is closed). Task ids are updated
    in ascending order so two transactions never wait on each other's rows in a cycle."""
    execute(GIVE_BACK, [{"task_id": task_id, "n": n, "reopen": reopen} for task_id, n in sorted(per_task.items())])


def claim(job_id: int, *, overlap: int, worker_id: int, now: datetime, expires_at: datetime, k: int = 1,
          want_gold: bool | None = None) -> list[int]:
    """Reserve up to `k` open tasks of the job for the trainer; returns the new assignment ids in task
    order (empty when no task is left for them). Call begin_write() first on SQLite.

    `want_gold` True/False prefers gold (any the trainer has not had, past the overlap) / ordinary tasks,
    falling back to the job's order; None takes the job's order (task sequence).
    """
    dialect = db.session.get_bind().dialect.name
    params = {"job_id": job_id, "overlap": overlap, "worker_id": worker_id, "now": now,
              "expires_at": expires_at, "k": k}
    ids = _claim_once(dialect, params, want_gold)
    if len(ids) < k and want_gold is not None:
        params["k"] = k - len(ids)
        ids += _claim_once(dialect, params, None)
    if not ids and dialect == "postgresql":
        # SKIP LOCKED found nothing: every open task may just be locked by claims in flight, which is no
        # reason to tell a trainer "no more tasks" (PyBossa's bug). Ask again, this time waiting for those
        # locks; PostgreSQL re-checks each row once it is free, so this returns nothing only when nothing
        # is left. Each statement locks rows in task order, but a claim runs up to three of them (gold first, then
        # any task, then waiting), so two claims (or a claim and a submit) can still meet in a cycle: PostgreSQL
        # aborts one statement and retry_on_deadlock runs that side again from its savepoint.
        # A gold slot waits on gold first: gold tasks are shared by every trainer, so at a gold slot they are
        # the ones most likely to be locked by other trainers' claims at this very moment.
        if want_gold:
            ids = _claim_once(dialect, params, True, wait=True)
        if not ids:
            ids = _claim_once(dialect, params, None, wait=True)
    return ids


def _claim_once(dialect: str, params: dict, want_gold: bool | None, wait: bool = False) -> list[int]:
    statement = _statement(dialect, want_gold, wait)
    if dialect == "postgresql":
        rows = execute(statement, params).all()
        lost = Counter(task_id for task_id, assignment_id in rows if assignment_id is None)
        if lost:
            # Only the same trainer claiming twice at once can hit the unique backstop (their other claim
            # committed between our snapshot and our insert); hand those slots straight back.
            log.info("claim: %d task(s) already held by worker %s; slots given back", len(lost),
                     params["worker_id"])
            give_back(lost)
        return [assignment_id for _, assignment_id in rows if assignment_id is not None]
    bumped = execute(statement, {k: v for k, v in params.items() if k not in ("now", "expires_at")}).all()
    if not bumped:
        return []
    order = {task_id: seq for task_id, seq in bumped}
    inserted = execute(_SQLITE_INSERT, {**params, "task_ids": list(order)}).all()
    lost = Counter(set(order) - {task_id for _, task_id in inserted})
    if lost:
        give_back(lost)
    return [assignment_id for assignment_id, task_id in sorted(inserted, key=lambda row: order[row[1]])]
