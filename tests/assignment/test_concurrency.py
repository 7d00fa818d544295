"""Claims under real concurrency: distinct trainers in threads claim and submit until a job is drained.

Invariants checked at the end: every task has exactly `overlap` answers, no (task, trainer) pair twice, no
claim lost (every claim a thread was given ends as exactly one submitted answer), counters agree with rows.
"""
from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.assignment import services
from marketplace.assignment.models import Assignment
from marketplace.extensions import db
from marketplace.jobs.models import Job, Task
from tests.factories import make_open_job, make_trainer

ANSWER = {"labels": ["Neither"], "justification": "Nothing here attacks anyone at all."}


@contextmanager
def pool_of(size: int):
    """One pooled connection per thread, so all of them are in the database at once (the default pool of
    15 would queue half of 32 threads in Python instead)."""
    engine = db.engine
    old = engine.pool
    engine.pool = old.__class__(old._creator, pool_size=size, max_overflow=0, timeout=120, pre_ping=old._pre_ping,
                                reset_on_return=old._reset_on_return, _dispatch=old.dispatch, dialect=old._dialect)
    try:
        yield
    finally:
        engine.pool.dispose()
        engine.pool = old


def drain(app, job_id: int, trainer_ids: list[int], k: int = 1) -> dict[int, list[int]]:
    """Each trainer in its own thread (own app context, own session, own connection): claim, submit,
    repeat until the engine says no task is left for them. Returns the assignment ids each was given."""
    given: dict[int, list[int]] = {t: [] for t in trainer_ids}
    failures: list[BaseException] = []
    start = threading.Barrier(len(trainer_ids))

    def work(trainer_id: int) -> None:
        try:
            with app.app_context():
                trainer = db.session.get(User, trainer_id)
                db.session.commit()  # hand the connection back while waiting for the others
                start.wait(timeout=60)
                while True:
                    job = db.session.get(Job, job_id)
                    try:
                        held = services.claim_next(job, trainer, k=k)
                        db.session.commit()
                    except services.NoWorkLeft:
                        db.session.rollback()
                        return
                    ids = [a.id for a in held]
                    given[trainer_id].extend(i for i in ids if i not in given[trainer_id])
                    for assignment_id in ids:
                        services.submit(assignment_id, trainer, ANSWER)
                        db.session.commit()
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in trainer_ids]
    with pool_of(len(trainer_ids) + 2):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
    assert not failures, failures[:3]
    assert not any(thread.is_alive() for thread in threads)
    return given


def check_drained(job_id: int, tasks: int, overlap: int, given: dict[int, list[int]]) -> None:
    db.session.rollback()  # end this thread's read transaction: on SQLite it still sees the start's snapshot
    rows = db.session.execute(sa.select(Assignment.id, Assignment.task_id, Assignment.worker_id, Assignment.status)
                              .where(Assignment.job_id == job_id)).all()
    answers_per_task = Counter(task_id for _, task_id, _, status in rows if status in ("submitted", "approved"))
    assert len(answers_per_task) == tasks
    assert set(answers_per_task.values()) == {overlap}, "a task has too many or too few answers"
    pairs = Counter((task_id, worker_id) for _, task_id, worker_id, _ in rows)
    assert max(pairs.values()) == 1, "a trainer got the same task twice"
    handed_out = [i for ids in given.values() for i in ids]
    assert len(handed_out) == len(set(handed_out)) == tasks * overlap, "a claim was lost or duplicated"
    assert {i for i, *_ in rows} == set(handed_out)
    assert {status for *_, status in rows} == {"approved"}
    counters = db.session.execute(sa.select(sa.func.min(Task.holders), sa.func.max(Task.holders),
                                            sa.func.min(Task.answers_done), sa.func.max(Task.answers_done),
                                            sa.func.count(Task.id).filter(Task.is_open.is_(True)))
                                  .where(Task.job_id == job_id)).one()
    assert tuple(counters) == (overlap, overlap, overlap, overlap, 0)
    assert db.session.get(Job, job_id).tasks_done == tasks


def trainers(n: int) -> list[int]:
    return [make_trainer(commit=False).id for _ in range(n)]


def test_threads_of_trainers_drain_a_small_job_exactly(app):
    """SQLite and PostgreSQL: 8 trainers, 60 tasks, overlap 3 (BEGIN IMMEDIATE queues SQLite's writers)."""
    job_id = make_open_job(tasks=60, overlap=3, commit=False).id
    ids = trainers(8)
    db.session.commit()
    given = drain(app, job_id, ids, k=2)
    check_drained(job_id, 60, 3, given)


@pytest.mark.postgres_only
def test_32_trainers_drain_2000_tasks_with_overlap_3_exactly(app):
    """The issue's bar: 32 threads of distinct trainers, a job of 2,000 tasks with overlap 3."""
    job_id = make_open_job(tasks=2000, overlap=3, commit=False).id
    ids = trainers(32)
    db.session.commit()
    given = drain(app, job_id, ids)
    check_drained(job_id, 2000, 3, given)
    # Work was shared: nobody was starved by SKIP LOCKED (each did a fair part of the 6,000 answers).
    assert min(len(v) for v in given.values()) > 6000 / 32 / 4


def test_api_token_use_is_recorded_without_failing_while_another_writer_holds_sqlite(app):
    """SQLite: a transaction that has read cannot take the write lock once another writer committed, and gets
    "database is locked" at once (no busy wait). Recording a token's last use must start by writing."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    from marketplace.accounts import tokens
    trainer = make_trainer()
    _, raw = tokens.create_token(trainer, name="script", scopes=["work"])
    db.session.commit()
    held = threading.Event()

    def writer():
        with app.app_context():
            conn = db.engine.connect()
            conn.info["begin_immediate"] = True
            with conn.begin():
                conn.execute(sa.text("UPDATE users SET display_name = 'Busy' WHERE id = :id"), {"id": trainer.id})
                held.set()
                threading.Event().wait(0.5)
            conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    held.wait(5)
    assert tokens.authenticate(raw) is not None  # waits for the writer instead of failing
    thread.join()
    db.session.rollback()
    assert db.session.scalar(sa.text("SELECT last_used_at FROM api_tokens")) is not None


def test_a_double_click_submitting_at_once_counts_the_answer_once(app):
    """Two requests submit the same answer at the same moment: both get the same result, one answer counted."""
    job_id = make_open_job(tasks=1, overlap=2, commit=False).id
    trainer_id = make_trainer(commit=False).id
    db.session.commit()
    job, trainer = db.session.get(Job, job_id), db.session.get(User, trainer_id)
    assignment_id = services.claim_next(job, trainer)[0].id
    db.session.commit()
    results, failures = [], []
    start = threading.Barrier(2)

    def click():
        try:
            with app.app_context():
                me = db.session.get(User, trainer_id)
                db.session.commit()
                start.wait(10)
                done = services.submit(assignment_id, me, ANSWER)
                db.session.commit()
                results.append((done.status, done.submitted_at))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=click) for _ in range(2)]
    with pool_of(4):
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not failures, failures
    assert len(results) == 2 and results[0] == results[1]
    db.session.rollback()
    assert db.session.scalar(sa.select(Task.answers_done).where(Task.job_id == job_id)) == 1


@pytest.mark.postgres_only
def test_a_claim_chosen_as_deadlock_victim_is_claimed_again_exactly_once(app, monkeypatch):
    """PostgreSQL aborts one claim of a lock cycle with "deadlock detected" (40P01) after it has bumped a task
    and inserted its assignment: the savepoint undoes both, the claim runs again, and the trainer holds exactly
    one task with the counters matching the rows. Any other database error is not retried."""
    import psycopg

    from marketplace.assignment import claims

    job_id = make_open_job(tasks=3, overlap=2, commit=False).id
    trainer_id = make_trainer(commit=False).id
    db.session.commit()
    job, trainer = db.session.get(Job, job_id), db.session.get(User, trainer_id)
    real = claims._claim_once
    calls = []

    def deadlocked_once(*args, **kwargs):
        got = real(*args, **kwargs)  # the writes happen, then PostgreSQL picks this claim as the victim
        calls.append(got)
        if len(calls) == 1:
            raise sa.exc.OperationalError("UPDATE tasks ...", {}, psycopg.errors.DeadlockDetected("deadlock detected"))
        return got

    monkeypatch.setattr(claims, "_claim_once", deadlocked_once)
    held = services.claim_next(job, trainer)
    db.session.commit()
    assert len(calls) == 2 and len(held) == 1
    rows = db.session.execute(sa.select(Assignment.task_id, Assignment.status)
                              .where(Assignment.job_id == job_id)).all()
    assert rows == [(held[0].task_id, "reserved")]
    holders = dict(db.session.execute(sa.select(Task.id, Task.holders).where(Task.job_id == job_id)).all())
    assert holders[held[0].task_id] == 1 and sum(holders.values()) == 1

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("UPDATE tasks ...", {}, psycopg.errors.QueryCanceled("canceling statement"))

    monkeypatch.setattr(claims, "_claim_once", broken)
    with pytest.raises(sa.exc.OperationalError):
        services.claim_next(job, make_trainer(commit=False))
    db.session.rollback()


@pytest.mark.postgres_only
def test_a_submit_chosen_as_deadlock_victim_is_counted_exactly_once(app, monkeypatch):
    """The PostgreSQL log showed a submit's count update picked as the victim of a cycle with two waiting claims.
    The answer and the count run in a savepoint: the victim's attempt is undone whole and runs again, so the
    answer is stored, the task counts it once, and the trainer sees no error."""
    import psycopg

    job_id = make_open_job(tasks=2, overlap=2, commit=False).id
    trainer_id = make_trainer(commit=False).id
    db.session.commit()
    job, trainer = db.session.get(Job, job_id), db.session.get(User, trainer_id)
    [held] = services.claim_next(job, trainer)
    db.session.commit()
    real = services._count_answer
    calls = []

    def deadlocked_once(*args, **kwargs):
        real(*args, **kwargs)  # the count is written, then PostgreSQL picks this submit as the victim
        calls.append(args)
        if len(calls) == 1:
            raise sa.exc.OperationalError("UPDATE tasks ...", {}, psycopg.errors.DeadlockDetected("deadlock detected"))

    monkeypatch.setattr(services, "_count_answer", deadlocked_once)
    done = services.submit(held.id, trainer, ANSWER)
    db.session.commit()
    assert len(calls) == 2 and done.status in ("submitted", "approved")
    db.session.expire_all()
    assert db.session.get(Assignment, held.id).answer == ANSWER
    assert db.session.get(Task, held.task_id).answers_done == 1
