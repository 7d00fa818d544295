"""SQLite writers queue on a file lock beside the database (core/sqlite_writers.py): held from BEGIN IMMEDIATE
to commit or rollback, given back by the pool if a connection is returned mid-transaction, and a waiting writer
goes on once the holder commits. Engines of their own here, on a file of their own (the app's listeners apply
to every SQLite engine)."""
from __future__ import annotations

import fcntl
import os
import threading

import pytest
import sqlalchemy as sa

import marketplace  # noqa: F401  (the engine listeners)


@pytest.fixture()
def engine(tmp_path):
    path = tmp_path / "writers.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    yield engine
    engine.dispose()


def queued(engine) -> bool:
    """Whether some connection holds the writers' lock (probed from a file description of our own)."""
    fd = os.open(engine.url.database + "-writers", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def immediate(conn):
    conn.info["begin_immediate"] = True
    return conn.begin()


def test_held_from_begin_immediate_to_commit_and_to_rollback(engine):
    with engine.connect() as conn:
        with immediate(conn):
            assert queued(engine)
            conn.exec_driver_sql("UPDATE counter SET n = n + 1")
        assert not queued(engine)
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar() == 1
        conn.rollback()
        transaction = immediate(conn)
        conn.exec_driver_sql("UPDATE counter SET n = 100")
        transaction.rollback()
        assert not queued(engine)
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar() == 1  # the rollback undid it


def test_a_plain_begin_does_not_queue(engine):
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("SELECT n FROM counter").scalar()
        assert not queued(engine)


def test_a_connection_returned_mid_transaction_gives_its_turn_back(engine):
    conn = engine.connect()
    immediate(conn)
    conn.exec_driver_sql("UPDATE counter SET n = 7")
    assert queued(engine)
    conn.close()  # back to the pool without commit: rolled back, and the turn is given back
    assert not queued(engine)
    with engine.connect() as other:
        assert other.exec_driver_sql("SELECT n FROM counter").scalar() == 0


def test_a_waiting_writer_goes_on_after_the_holder_commits(engine):
    started, finished = threading.Event(), threading.Event()
    seen = []

    def second_writer():
        with engine.connect() as conn:
            started.set()
            with immediate(conn):  # waits in the queue until the first writer commits
                seen.append(conn.exec_driver_sql("SELECT n FROM counter").scalar())
                conn.exec_driver_sql("UPDATE counter SET n = n * 10")
        finished.set()

    with engine.connect() as conn:
        with immediate(conn):
            conn.exec_driver_sql("UPDATE counter SET n = 5")
            thread = threading.Thread(target=second_writer)
            thread.start()
            assert started.wait(10)
            assert not finished.wait(0.3)  # it cannot write while the first holds the turn
        thread.join(10)
    assert finished.is_set() and seen == [5]  # it saw the first writer's committed value
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM counter").scalar() == 50
