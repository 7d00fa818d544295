"""Set-based posting of many ledger transactions at once, for bulk paths (weekly payroll; DESIGN.md section 5).

The same rules as ledger.post, applied to a batch in a few statements: every transaction balances, keys are
unique (an existing key is a replay and is skipped only if its entries are identical), guarded balances move by
one CASE update per chunk and can never go negative (the CHECK constraint refuses the whole batch, which the
caller runs in a savepoint). Entries and transactions are only inserted. It belongs beside ledger.post; it is a
file of its own only because the ledger module has another owner at the time of writing.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..core.time import utcnow
from ..extensions import db
from . import ledger
from .models import LedgerAccount, LedgerEntry, LedgerTransaction

CHUNK = 500


@dataclass(frozen=True)
class Posting:
    idempotency_key: str
    entries: dict[str, int]
    kind: str
    description: str
    data: dict[str, Any] = field(default_factory=dict)


def post_many(postings: list[Posting], *, actor_id: int | None = None) -> int:
    """Post every transaction in the caller's transaction; returns how many were new. Raises ledger.LedgerConflict
    when a key was used with other entries, sqlalchemy IntegrityError when a guarded account would go negative."""
    wanted = [(p, ledger.normalise_entries(p.entries)) for p in postings]
    if not wanted:
        return 0
    keys = [p.idempotency_key for p, _ in wanted]
    if len(set(keys)) != len(keys):
        raise ValueError("each posting in a batch needs its own idempotency key")
    existing = _existing(keys)
    fresh = []
    for posting, entries in wanted:
        if posting.idempotency_key in existing:
            ledger._replay(existing[posting.idempotency_key], entries)  # identical, or LedgerConflict
        else:
            fresh.append((posting, entries))
    if not fresh:
        return 0
    accounts = ledger._ensure_accounts({name for _, entries in fresh for name in entries})
    _move_guarded(fresh, accounts)
    now = utcnow()
    ids: dict[str, int] = {}
    table = LedgerTransaction.__table__
    for start in range(0, len(fresh), CHUNK):
        rows = [{"idempotency_key": p.idempotency_key, "kind": p.kind, "description": p.description[:500],
                 "actor_id": actor_id, "data": p.data, "created_at": now} for p, _ in fresh[start:start + CHUNK]]
        ids.update({key: txn_id for txn_id, key in db.session.execute(
            sa.insert(table).values(rows).returning(table.c.id, table.c.idempotency_key))})
    entry_rows = [{"transaction_id": ids[p.idempotency_key], "account_id": accounts[name], "amount_cents": amount}
                  for p, entries in fresh for name, amount in sorted(entries.items())]
    for start in range(0, len(entry_rows), CHUNK * 2):
        db.session.execute(sa.insert(LedgerEntry.__table__), entry_rows[start:start + CHUNK * 2])
    return len(fresh)


def _existing(keys: list[str]) -> dict[str, LedgerTransaction]:
    found: dict[str, LedgerTransaction] = {}
    for start in range(0, len(keys), CHUNK):
        for txn in db.session.scalars(sa.select(LedgerTransaction).where(
                LedgerTransaction.idempotency_key.in_(keys[start:start + CHUNK]))):
            found[txn.idempotency_key] = txn
    return found


def _move_guarded(fresh, accounts: dict[str, int]) -> None:
    """One conditional CASE update per chunk of guarded accounts, in id order (no deadlocks); a balance that
    would go negative trips the CHECK constraint and the whole batch fails."""
    deltas: dict[int, int] = defaultdict(int)
    for _, entries in fresh:
        for name, amount in entries.items():
            if ledger.parse_account(name).is_guarded:
                deltas[accounts[name]] += amount
    ordered = sorted((account_id, delta) for account_id, delta in deltas.items() if delta)
    table = LedgerAccount.__table__
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start:start + CHUNK]
        change = sa.case({account_id: delta for account_id, delta in chunk}, value=table.c.id)
        moved = db.session.execute(table.update().where(table.c.id.in_([a for a, _ in chunk]))
                                   .values(balance_cents=table.c.balance_cents + change)).rowcount
        if moved != len(chunk):
            raise RuntimeError("a guarded ledger account disappeared during a batch")
