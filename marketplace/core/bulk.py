"""Driver-level executemany for bulk paths (payroll): one prepared INSERT, values converted once, no per-row
SQLAlchemy parameter processing (which costs more than the database's own work at 10,000+ rows).

Values are converted the way the models' column types would: UTCDateTime to naive UTC text on SQLite (the same
format SQLAlchemy writes, so comparisons keep working) and aware datetimes on PostgreSQL; JSON to text.
"""
from __future__ import annotations

import json
import zlib
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
    (the unique columns), a row that would break that constraint is skipped. Returns how many were sent.

    PostgreSQL: COPY (into a temporary table first when conflicts are to be skipped), one round trip per table.
    SQLite: one prepared statement, executemany.
    """
    rows = list(rows)
    if not rows:
        return 0
    connection = db.session.connection()
    dialect = connection.dialect
    names = list(rows[0].keys())
    columns = [table.c[name] for name in names]
    convert = [_converter(column, dialect.name) for column in columns]
    values = [tuple(f(row[name]) if f else row[name] for name, f in zip(names, convert)) for row in rows]
    conflict = list(on_conflict_do_nothing)
    column_list = ", ".join(names)
    if dialect.name == "postgresql":
        _copy_insert(connection, table.name, column_list, values, conflict)
        return len(values)
    sql = f'INSERT INTO {table.name} ({column_list}) VALUES ({", ".join("?" for _ in names)})'
    if conflict:
        sql += f' ON CONFLICT ({", ".join(conflict)}) DO NOTHING'
    connection.exec_driver_sql(sql, values)
    return len(values)


def _copy_insert(connection, table: str, column_list: str, values: list[tuple], conflict: list[str]) -> None:
    cursor = connection.connection.dbapi_connection.cursor()
    target = table
    if conflict:
        # Only the columns sent, no constraints: the target table's unique index decides at the INSERT.
        target = f"bulk_{table}_{zlib.crc32(column_list.encode()):x}"
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {target} ON COMMIT DROP AS "
                       f"SELECT {column_list} FROM {table} WITH NO DATA")
        cursor.execute(f"TRUNCATE {target}")
    with cursor.copy(f"COPY {target} ({column_list}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)
    if conflict:
        cursor.execute(f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {target} "
                       f"ON CONFLICT ({', '.join(conflict)}) DO NOTHING")
        cursor.execute(f"TRUNCATE {target}")


def add_to_column(table: str, column: str, deltas: list[tuple[int, int]]) -> None:
    """`column = column + delta` for many rows by id ((id, delta) pairs, applied in id order); a CHECK
    constraint on the column still refuses any result it forbids."""
    if not deltas:
        return
    deltas = sorted(deltas)
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.exec_driver_sql(f"UPDATE {table} SET {column} = {column} + ? WHERE id = ?",
                                   [(delta, row_id) for row_id, delta in deltas])
        return
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS bulk_deltas (id bigint, delta bigint) ON COMMIT DROP")
    cursor.execute("TRUNCATE bulk_deltas")
    with cursor.copy("COPY bulk_deltas (id, delta) FROM STDIN") as copy:
        for row in deltas:
            copy.write_row(row)
    cursor.execute(f"UPDATE {table} AS t SET {column} = t.{column} + d.delta FROM bulk_deltas AS d WHERE t.id = d.id")
    cursor.execute("TRUNCATE bulk_deltas")


def select_where_in(columns: list[sa.Column], key: sa.Column, values: list) -> list[tuple]:
    """Rows of `columns` whose `key` is one of `values`: one `= ANY(array)` query on PostgreSQL (no SQL text
    to build and parse per value), chunks of IN (...) on SQLite."""
    if not values:
        return []
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import ARRAY
        array = sa.bindparam("values", value=list(values), type_=ARRAY(key.type))
        return [tuple(row) for row in db.session.execute(sa.select(*columns).where(key == sa.any_(array)))]
    rows: list[tuple] = []
    for start in range(0, len(values), 500):
        rows += [tuple(row) for row in db.session.execute(
            sa.select(*columns).where(key.in_(values[start:start + 500])))]
    return rows
