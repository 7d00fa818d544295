"""Set-based posting of many ledger transactions at once, for bulk paths (weekly payroll; DESIGN.md section 5).

The same rules as ledger.post, applied to a batch in a few statements: every transaction balances, keys are
unique (an existing key is a replay and is skipped only if its entries are identical), guarded balances move by
one executemany update and can never go negative (the CHECK constraint refuses the whole batch, which the
caller runs in a savepoint). Entries and transactions are only inserted. It belongs beside ledger.post; it is a
file of its own only because the ledger module has another owner at the time of writing.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from ..core import bulk
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


def post_many(postings: list[Posting], *, actor_id: int | None = None) -> set[str]:
    """Post every transaction in the caller's transaction; returns the keys posted now (a key already posted with
    the same entries is a replay: skipped). Raises ledger.LedgerConflict when a key was used with other entries,
    sqlalchemy IntegrityError when a guarded account would go negative."""
    wanted = [(p, _normalise(p.entries)) for p in postings]
    if not wanted:
        return set()
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
        return set()
    accounts = _ensure_accounts({name for _, entries in fresh for name in entries})
    _move_guarded(fresh, accounts)
    now = utcnow()
    # The unique key is taken here: a concurrent twin of this batch fails on it and rolls back.
    bulk.insert_rows(LedgerTransaction.__table__, [
        {"idempotency_key": p.idempotency_key, "kind": p.kind, "description": p.description[:500],
         "actor_id": actor_id, "data": p.data, "created_at": now} for p, _ in fresh])
    ids = _transaction_ids([p.idempotency_key for p, _ in fresh])
    bulk.insert_rows(LedgerEntry.__table__, [
        {"transaction_id": ids[p.idempotency_key], "account_id": accounts[name], "amount_cents": amount}
        for p, entries in fresh for name, amount in sorted(entries.items())])
    return {p.idempotency_key for p, _ in fresh}


@lru_cache(maxsize=65_536)
def _account(name: str) -> ledger.AccountName:
    return ledger.parse_account(name)


def _normalise(entries: dict[str, int]) -> dict[str, int]:
    """ledger.normalise_entries, with account names parsed once per batch rather than once per entry."""
    for name in entries:
        _account(name)
    return ledger.normalise_entries(entries) if len(entries) > 2 or not _simple(entries) else dict(entries)


def _simple(entries: dict[str, int]) -> bool:
    """Two non-zero integer amounts that balance: nothing for normalise_entries to merge or refuse."""
    amounts = list(entries.values())
    return (len(amounts) == 2 and all(isinstance(a, int) and not isinstance(a, bool) and a for a in amounts)
            and sum(amounts) == 0)


def _transaction_ids(keys: list[str]) -> dict[str, int]:
    return {key: txn_id for key, txn_id in bulk.select_where_in(
        [LedgerTransaction.idempotency_key, LedgerTransaction.id], LedgerTransaction.idempotency_key, keys)}


def _existing(keys: list[str]) -> dict[str, LedgerTransaction]:
    ids = _transaction_ids(keys)
    if not ids:
        return {}
    return {txn.idempotency_key: txn for txn in db.session.scalars(
        sa.select(LedgerTransaction).where(LedgerTransaction.id.in_(list(ids.values()))))}


def _account_ids(names: list[str]) -> dict[str, int]:
    return dict(bulk.select_where_in([LedgerAccount.name, LedgerAccount.id], LedgerAccount.name, names))


def _ensure_accounts(names: set[str]) -> dict[str, int]:
    """ledger._ensure_accounts for many accounts: one executemany insert of the missing ones (a concurrent
    first use of the same account makes the loser's insert do nothing), then their ids."""
    names = sorted(names)
    found = _account_ids(names)
    missing = [_account(n) for n in names if n not in found]
    if missing:
        now = utcnow()
        bulk.insert_rows(LedgerAccount.__table__, [
            {"name": a.name, "kind": a.kind, "created_at": now,
             "user_id": a.owner_id if a.kind in ledger.USER_KINDS else None,
             "job_id": a.owner_id if a.kind in ledger.JOB_KINDS else None,
             "balance_cents": 0 if a.is_guarded else None} for a in missing], on_conflict_do_nothing=["name"])
        found = _account_ids(names)
    return found


def _move_guarded(fresh, accounts: dict[str, int]) -> None:
    """One update per guarded account (executemany), in id order so two batches never deadlock; a balance that
    would go negative trips the CHECK constraint (balance_cents >= 0) and the whole batch fails."""
    deltas: dict[int, int] = defaultdict(int)
    for _, entries in fresh:
        for name, amount in entries.items():
            if _account(name).is_guarded:
                deltas[accounts[name]] += amount
    bulk.add_to_column("ledger_accounts", "balance_cents",
                       [(account_id, delta) for account_id, delta in deltas.items() if delta])
