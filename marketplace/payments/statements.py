"""Requester statements: every movement of available funds with date, description and running balance; CSV."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from . import ledger

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
CSV_HEADER = ["date_utc", "description", "amount", "balance", "reference"]


def requester_statement(requester, limit: int | None = None) -> list[ledger.HistoryLine]:
    """Newest first, each line with the balance right after it."""
    return ledger.history(ledger.requester_funds(requester.id), limit=limit)


def csv_safe(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ (or a tab or return) as a formula: prefix a quote."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _amount(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def statement_csv_rows(requester) -> list[list[str]]:
    """Oldest first, the way a bank statement reads. Text cells are formula-safe; amounts are plain decimals
    that we wrote ourselves (a spreadsheet reads '-12.50' as a number, not a formula)."""
    rows = []
    for line in ledger.history(ledger.requester_funds(requester.id), newest_first=False):
        rows.append([line.occurred_at.strftime("%Y-%m-%d %H:%M:%S"), csv_safe(line.description),
                     _amount(line.amount_cents), _amount(line.balance_cents), csv_safe(line.reference)])
    return rows


def csv_lines(rows: Iterable[list[str]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()
