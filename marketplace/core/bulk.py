"""Driver-level executemany for bulk paths (payroll): one prepared INSERT, values converted once, no per-row
SQLAlchemy parameter processing (which costs more than the database's own work at 10,000+ rows).

Values are converted the way the models' column types would: UTCDateTime to naive UTC text on SQLite (the same
format SQLAlchemy writes, so comparisons keep working) and aware datetimes on PostgreSQL; JSON to text.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Mapping

import sqlalchemy as sa

from ..extensions import db
from .time import UTC, UTCDateTime

SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


def _sqlite_datetime(value: datetime | None, _memo: dict = {}) -> str | None:  # noqa: B006 (a deliberate memo)
    # Bulk rows share a handful of instants (the run's `now`, the pay week): convert each once.
    if value is None:
        return None
    text = _memo.get(value)
    if text is None:
        if len(_memo) > 10_000:
            _memo.clear()
        text = _memo[value] = value.astimezone(UTC).strftime(SQLITE_DATETIME)
    return text


def _converter(column: sa.Column, dialect: str):
    if isinstance(column.type, UTCDateTime):
        if dialect == "sqlite":
            return _sqlite_datetime
        return lambda v: None if v is None else v.astimezone(UTC)
    if isinstance(column.type, sa.JSON):
        return lambda v: None if v is None else json.dumps(v, ensure_ascii=False)
    return None


def insert_rows(table: sa.Table, rows: Iterable[Mapping[str, Any]], *, on_conflict_do_nothing: Iterable[str] = ()
                ) -> int:
    """INSERT the rows (all with the same keys) in the session's transaction; with `on_conflict_do_nothing`
    (the unique columns), a row that would break that constraint is skipped. Returns how many were sent."""
    rows = list(rows)
    if not rows:
        return 0
    connection = db.session.connection()
    dialect = connection.dialect
    names = list(rows[0].keys())
    columns = [table.c[name] for name in names]
    convert = [_converter(column, dialect.name) for column in columns]
    if dialect.paramstyle == "qmark":
        marks = ", ".join("?" for _ in names)
    else:
        marks = ", ".join("%s" for _ in names)
    sql = f'INSERT INTO {table.name} ({", ".join(names)}) VALUES ({marks})'
    conflict = list(on_conflict_do_nothing)
    if conflict:
        sql += f' ON CONFLICT ({", ".join(conflict)}) DO NOTHING'
    values = [tuple(f(row[name]) if f else row[name] for name, f in zip(names, convert)) for row in rows]
    connection.exec_driver_sql(sql, values)
    return len(values)


def execute_many(sql_qmark: str, values: list[tuple]) -> None:
    """Run one statement for many parameter tuples; write it with ? placeholders (converted for psycopg)."""
    if not values:
        return
    connection = db.session.connection()
    sql = sql_qmark if connection.dialect.paramstyle == "qmark" else sql_qmark.replace("?", "%s")
    connection.exec_driver_sql(sql, values)
