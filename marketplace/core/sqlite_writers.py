"""SQLite: writers queue on a lock that wakes the next one at once, instead of SQLite's busy handler.

A `BEGIN IMMEDIATE` that finds the write lock taken does not wait on it: SQLite's busy handler polls, sleeping
1, 2, 5, 10, 15, 20, 25 ... 100 ms between tries. Claims and submits hold the write lock for about a millisecond,
so under a few concurrent writers most of a claim's time was spent asleep after the lock was already free (the
latency of bench/claim.py at 16-64 clients). Here every `BEGIN IMMEDIATE` of this app first takes an exclusive
`flock` on a file beside the database (`<database>-writers`; threads of one process queue on a threading lock
first, since flock is per open file), and gives it back once the transaction has committed or rolled back. The
kernel hands a released flock to the next waiter at once, so writers run back to back.

It changes who waits where, never what is written: SQLite's own write lock still decides, and a writer that
does not use this queue (a deferred transaction that writes, the sqlite3 shell, a migration) is waited for by
the busy handler as before. Only file databases queue (an in-memory database has one connection).
"""
from __future__ import annotations

import fcntl
import os
import threading

_queues: dict[str, "WriterQueue"] = {}
_queues_lock = threading.Lock()


class WriterQueue:
    """One per database file per process (reopened after a fork: a flock shared across fork is one lock)."""

    def __init__(self, path: str):
        self.path = path
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def release(self) -> None:
        try:
            fcntl.flock(self._file(), fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()


def queue_for(database_path: str | None) -> WriterQueue | None:
    """The queue of a file database (None for an in-memory one)."""
    if not database_path or database_path == ":memory:" or database_path.startswith("file::memory:"):
        return None
    key = os.path.abspath(database_path)
    with _queues_lock:
        queue = _queues.get(key)
        if queue is None:
            queue = _queues[key] = WriterQueue(key + "-writers")
        return queue


KEY = "sqlite_writer_queue"


def begin_immediate(conn) -> None:
    """Take this process's turn, then BEGIN IMMEDIATE (the turn is given back if BEGIN fails)."""
    queue = queue_for(conn.engine.url.database)
    if queue is None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return
    queue.acquire()
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        queue.release()
        raise
    conn.info[KEY] = queue


def end(conn, *, commit: bool) -> None:
    """Called as the transaction ends (the engine's commit/rollback events, which fire before SQLAlchemy asks
    the driver): end it on the driver here, then give the turn back, so the next writer starts only once this
    one's changes are durable. SQLAlchemy's own commit/rollback that follows finds no transaction (a no-op)."""
    queue = conn.info.pop(KEY, None)
    if queue is None:
        return
    try:
        dbapi = conn.connection.dbapi_connection
        if commit:
            dbapi.commit()
        else:
            dbapi.rollback()
    finally:
        queue.release()


def release_dbapi(dbapi_connection, connection_record) -> None:
    """Pool safety net: a connection returned, reset or closed while still queued gives its turn back (its
    transaction is rolled back by the pool's reset)."""
    queue = connection_record.info.pop(KEY, None) if connection_record is not None else None
    if queue is not None:
        try:
            dbapi_connection.rollback()
        finally:
            queue.release()
