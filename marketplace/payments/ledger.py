"""The double-entry ledger: this module is the only writer (post() for one transaction, post_many() and
post_transfers() for bulk paths); entries are never changed; balances are sums.

Sign rule: an entry's amount is what it adds to its account, and every transaction's entries sum to zero.
Accounts holding money for someone (requester funds, job escrow, trainer payable) have positive balances; the
accounts facing the outside world go negative as money comes in: `stripe_clearing` is minus what cards paid us,
`onboarding_cost` minus what the platform paid for assessment time.
"""
from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..core import bulk
from ..core.errors import Conflict
from ..core.money import format_cents
from ..core.time import UTCDateTime, utcnow
from ..extensions import db, execute
from .models import LedgerAccount, LedgerEntry, LedgerTransaction

# Per-person or per-job accounts: "<kind>:<id>".
REQUESTER_FUNDS = "requester_funds"
JOB_ESCROW = "job_escrow"
TRAINER_PAYABLE = "trainer_payable"
TRAINER_PENDING = "trainer_pending"  # reserved for a payout whose transfer is not yet confirmed
TRAINER_PAID_OUT = "trainer_paid_out"
# Platform accounts: one each.
PLATFORM_FEES = "platform_fees"
STRIPE_CLEARING = "stripe_clearing"
ONBOARDING_COST = "onboarding_cost"
REFUNDS = "refunds"

USER_KINDS = {REQUESTER_FUNDS, TRAINER_PAYABLE, TRAINER_PENDING, TRAINER_PAID_OUT}
JOB_KINDS = {JOB_ESCROW}
PLATFORM_KINDS = {PLATFORM_FEES, STRIPE_CLEARING, ONBOARDING_COST, REFUNDS}
# Money held for someone: these balances can never be negative.
GUARDED_KINDS = {REQUESTER_FUNDS, JOB_ESCROW, TRAINER_PAYABLE, TRAINER_PENDING}

ACCOUNT_LABELS = {
    REQUESTER_FUNDS: "available funds",
    JOB_ESCROW: "the job's escrow",
    TRAINER_PAYABLE: "the trainer's payable balance",
    TRAINER_PENDING: "payouts in transit",
    TRAINER_PAID_OUT: "paid out to the trainer",
    PLATFORM_FEES: "platform fees",
    STRIPE_CLEARING: "card payments received",
    ONBOARDING_COST: "paid assessment time",
    REFUNDS: "refunds to cards",
}

# What each kind of account means, for the admin overview.
KIND_DESCRIPTIONS = {
    STRIPE_CLEARING: "Card payments received (negative: money that came in)",
    REQUESTER_FUNDS: "Requesters' unused funds",
    JOB_ESCROW: "Job budgets held in escrow",
    TRAINER_PAYABLE: "Earned by trainers, not yet paid out",
    TRAINER_PENDING: "Payouts being sent",
    TRAINER_PAID_OUT: "Paid out to trainers",
    PLATFORM_FEES: "Platform fee revenue",
    ONBOARDING_COST: "Paid assessment time (negative: the platform's cost)",
    REFUNDS: "Refunded to requesters' cards",
}

_NAME = re.compile(r"^([a-z_]+)(?::([1-9][0-9]{0,17}))?$")


def requester_funds(user_id: int) -> str:
    return f"{REQUESTER_FUNDS}:{int(user_id)}"


def job_escrow(job_id: int) -> str:
    return f"{JOB_ESCROW}:{int(job_id)}"


def trainer_payable(user_id: int) -> str:
    return f"{TRAINER_PAYABLE}:{int(user_id)}"


def trainer_pending(user_id: int) -> str:
    return f"{TRAINER_PENDING}:{int(user_id)}"


def trainer_paid_out(user_id: int) -> str:
    return f"{TRAINER_PAID_OUT}:{int(user_id)}"


@dataclass(frozen=True)
class AccountName:
    name: str
    kind: str
    owner_id: int | None

    @property
    def is_guarded(self) -> bool:
        return self.kind in GUARDED_KINDS


def parse_account(name: str) -> AccountName:
    """Check an account name against the chart of accounts; a typo is a programming error."""
    match = _NAME.match(name or "")
    if not match:
        raise ValueError(f"not a ledger account name: {name!r}")
    kind, owner = match.group(1), match.group(2)
    if kind in PLATFORM_KINDS and owner is None:
        return AccountName(name, kind, None)
    if kind in USER_KINDS | JOB_KINDS and owner is not None:
        return AccountName(name, kind, int(owner))
    raise ValueError(f"not a ledger account name: {name!r}")


# --- errors ----------------------------------------------------------------------------------

class InsufficientFunds(Conflict):
    """A guarded account would go negative; nothing was written."""

    code = "insufficient_funds"

    def __init__(self, account: str, available: int, needed: int):
        kind = parse_account(account).kind
        super().__init__(f"Not enough money in {ACCOUNT_LABELS[kind]}: {format_cents(available)} available, "
                         f"{format_cents(needed)} needed.")
        self.account, self.available, self.needed = account, available, needed


class LedgerConflict(Conflict):
    """The idempotency key was already used for different entries: a bug or a tampered retry."""

    code = "idempotency_conflict"


# --- the one writer --------------------------------------------------------------------------

def normalise_entries(entries: Mapping[str, int] | Iterable[tuple[str, int]]) -> dict[str, int]:
    """Validate entries: known accounts, non-zero integer cents, at least two accounts, summing to zero."""
    pairs = list(entries.items()) if isinstance(entries, Mapping) else list(entries)
    merged: dict[str, int] = {}
    for name, amount in pairs:
        parse_account(name)
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise ValueError(f"amounts are integer cents, got {amount!r} for {name}")
        merged[name] = merged.get(name, 0) + amount
    merged = {name: amount for name, amount in merged.items() if amount != 0}
    if len(merged) < 2:
        raise ValueError("a transaction moves money between at least two accounts")
    if sum(merged.values()) != 0:
        raise ValueError(f"entries must balance to zero, they sum to {sum(merged.values())}: {merged}")
    return merged


def post(idempotency_key: str, entries: Mapping[str, int] | Iterable[tuple[str, int]], *, kind: str,
         description: str, actor=None, data: dict[str, Any] | None = None) -> LedgerTransaction:
    """Write one balanced transaction (see post_once); returns it, new or replayed."""
    return post_once(idempotency_key, entries, kind=kind, description=description, actor=actor, data=data)[0]


def post_once(idempotency_key: str, entries: Mapping[str, int] | Iterable[tuple[str, int]], *, kind: str,
              description: str, actor=None,
              data: dict[str, Any] | None = None) -> tuple[LedgerTransaction, bool]:
    """Write one balanced transaction in the caller's database transaction (the caller commits).

    Returns (transaction, created): created is False for a replay, so callers notify people only once.
    Rules: amounts are integer cents summing to zero; the same key with the same entries returns the
    transaction already written (nothing new); the same key with other entries raises LedgerConflict; a
    guarded account that would go negative raises InsufficientFunds and nothing is written. The guard is a
    conditional UPDATE of the account's balance row in this transaction (row lock on PostgreSQL, the single
    writer on SQLite), with a CHECK constraint behind it.
    """
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValueError("an idempotency key of 1 to 200 characters is required")
    wanted = normalise_entries(entries)
    existing = _by_key(idempotency_key)
    if existing is not None:
        return _replay(existing, wanted), False
    accounts = _ensure_accounts(wanted)
    try:
        with db.session.begin_nested():
            txn = LedgerTransaction(idempotency_key=idempotency_key, kind=kind, description=description[:500],
                                    actor_id=_id(actor), data=data or {}, created_at=utcnow())
            db.session.add(txn)
            db.session.flush()  # takes the key: a concurrent twin waits here, then fails on the unique index
            # A fixed order (by name) so two transactions never wait on each other's rows (no deadlock).
            for name in sorted(wanted):
                if parse_account(name).is_guarded:
                    _move_guarded(accounts[name], name, wanted[name])
            db.session.execute(sa.insert(LedgerEntry.__table__), [
                {"transaction_id": txn.id, "account_id": accounts[name], "amount_cents": amount}
                for name, amount in sorted(wanted.items())])
    except IntegrityError:
        existing = _by_key(idempotency_key)
        if existing is None:
            raise
        return _replay(existing, wanted), False
    return txn, True


def find(idempotency_key: str) -> LedgerTransaction | None:
    """The transaction already written under this key, if any."""
    return _by_key(idempotency_key)


def _move_guarded(account_id: int, name: str, amount: int) -> None:
    table = LedgerAccount.__table__
    moved = db.session.execute(
        table.update().where(table.c.id == account_id, table.c.balance_cents + amount >= 0)
        .values(balance_cents=table.c.balance_cents + amount)).rowcount
    if moved != 1:
        available = db.session.scalar(sa.select(table.c.balance_cents).where(table.c.id == account_id)) or 0
        raise InsufficientFunds(name, available, -amount)


def _by_key(key: str) -> LedgerTransaction | None:
    return db.session.scalar(sa.select(LedgerTransaction).where(LedgerTransaction.idempotency_key == key))


def entries_of(txn_id: int) -> dict[str, int]:
    rows = db.session.execute(
        sa.select(LedgerAccount.name, LedgerEntry.amount_cents).join(LedgerEntry.account)
        .where(LedgerEntry.transaction_id == txn_id))
    return {name: amount for name, amount in rows}


def _replay(existing: LedgerTransaction, wanted: dict[str, int]) -> LedgerTransaction:
    if entries_of(existing.id) != wanted:
        raise LedgerConflict(f"The money movement {existing.idempotency_key!r} was already recorded with "
                             "different amounts; nothing was changed.")
    return existing


def ensure_account(name: str, *, user_id: int | None = None) -> int:
    """Open an account if it does not exist (setting its owner), and return its id."""
    return _ensure_accounts([name], owners={name: user_id} if user_id else None)[name]


def _ensure_accounts(names: Iterable[str], owners: Mapping[str, int] | None = None) -> dict[str, int]:
    names = sorted(set(names))
    found = _account_ids(names)
    missing = [parse_account(n) for n in names if n not in found]
    if missing:
        now = utcnow()
        rows = [{"name": a.name, "kind": a.kind, "created_at": now,
                 "user_id": (owners or {}).get(a.name) or (a.owner_id if a.kind in USER_KINDS else None),
                 "job_id": a.owner_id if a.kind in JOB_KINDS else None,
                 "balance_cents": 0 if a.is_guarded else None} for a in missing]
        insert = postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        # Two first movements on one new account may race: the loser's insert does nothing.
        db.session.execute(insert(LedgerAccount.__table__).values(rows).on_conflict_do_nothing(
            index_elements=["name"]))
        found = _account_ids(names)
    return found


def _account_ids(names: list[str]) -> dict[str, int]:
    return dict(db.session.execute(sa.select(LedgerAccount.name, LedgerAccount.id)
                                   .where(LedgerAccount.name.in_(names))).all())


def _id(value):
    if value is None or isinstance(value, int):
        return value
    return value.id


# --- bulk posting: the same rules, set-based (weekly payroll; DESIGN.md section 5) -----------------------

@dataclass(frozen=True)
class Posting:
    idempotency_key: str
    entries: dict[str, int]
    kind: str
    description: str
    data: dict[str, Any] = field(default_factory=dict)


def post_many(postings: list[Posting], *, actor_id: int | None = None) -> set[str]:
    """Post many transactions in the caller's transaction, with post()'s rules applied to the batch: every
    transaction balances (normalise_entries), keys are unique (a key already posted with the same entries is a
    replay and is skipped; with other entries, LedgerConflict), guarded balances move by one executemany update in
    id order and can never go negative (the CHECK constraint refuses the whole batch with IntegrityError, which
    the caller runs in a savepoint). Returns the keys posted now."""
    wanted = [(p, _normalise_cached(p.entries)) for p in postings]
    if not wanted:
        return set()
    keys = [p.idempotency_key for p, _ in wanted]
    if len(set(keys)) != len(keys):
        raise ValueError("each posting in a batch needs its own idempotency key")
    existing = _existing(keys)
    fresh = []
    for posting, entries in wanted:
        if posting.idempotency_key in existing:
            _replay(existing[posting.idempotency_key], entries)  # identical, or LedgerConflict
        else:
            fresh.append((posting, entries))
    if not fresh:
        return set()
    accounts = _ensure_accounts_bulk({name for _, entries in fresh for name in entries})
    deltas: dict[int, int] = defaultdict(int)
    for _, entries in fresh:
        for name, amount in entries.items():
            if _parsed(name).is_guarded:
                deltas[accounts[name]] += amount
    bulk.add_to_column("ledger_accounts", "balance_cents",
                       [(account_id, delta) for account_id, delta in deltas.items() if delta])
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


def post_transfers(source: str, params: Mapping[str, Any], *, from_kind: str, to_kind: str, kind: str,
                   actor_id: int | None = None) -> int:
    """Post one two-legged transaction per row of a SELECT, entirely in the database (no row comes to Python).

    `source` is SQL selecting, in order: idempotency key, owner id of the account debited, owner id of the account
    credited, amount in cents, description, data (JSON text; see json_text). The accounts are
    `<from_kind>:<owner>` (minus the amount) and `<to_kind>:<owner>` (plus it); a platform kind takes no owner.
    Rules, as post(): each transaction has exactly two entries summing to zero (checked: every staged row must
    yield both entries, or nothing is written); amounts are positive; keys are unique (a key already posted is
    a replay: identical entries are skipped, others raise LedgerConflict); guarded balances move by one
    grouped UPDATE and can never go negative (the CHECK constraint raises IntegrityError; run this in a
    savepoint). Runs in the caller's transaction; returns how many transactions were posted."""
    for k in (from_kind, to_kind):
        if k not in USER_KINDS | JOB_KINDS | PLATFORM_KINDS:
            raise ValueError(f"not a kind of ledger account: {k!r}")
    if from_kind == to_kind:
        raise ValueError("a transfer moves money between two kinds of account")
    connection = db.session.connection()
    postgres = connection.dialect.name == "postgresql"
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE IF NOT EXISTS ledger_staged (idempotency_key VARCHAR(200) PRIMARY KEY, "
        "from_owner BIGINT, to_owner BIGINT, amount BIGINT NOT NULL, description VARCHAR(500), data TEXT)"
        + (" ON COMMIT DELETE ROWS" if postgres else ""))
    connection.exec_driver_sql("DELETE FROM ledger_staged")
    db.session.execute(sa.text(f"INSERT INTO ledger_staged (idempotency_key, from_owner, to_owner, amount, "
                               f"description, data) {source}"), dict(params))
    if postgres:  # statistics for the joins below (a temporary table has none until analysed)
        connection.exec_driver_sql("ANALYZE ledger_staged")
    count, smallest = db.session.execute(sa.text("SELECT COUNT(*), MIN(amount) FROM ledger_staged")).one()
    if not count:
        return 0
    if smallest <= 0:
        raise ValueError("transfer amounts are positive integer cents")
    replays = db.session.execute(sa.text(
        "SELECT s.idempotency_key, s.from_owner, s.to_owner, s.amount FROM ledger_staged s "
        "JOIN ledger_transactions t ON t.idempotency_key = s.idempotency_key")).all()
    for key, from_owner, to_owner, amount in replays:
        _replay(_by_key(key), normalise_entries({_name(from_kind, from_owner): -int(amount),
                                                 _name(to_kind, to_owner): int(amount)}))
    if replays:
        db.session.execute(sa.text("DELETE FROM ledger_staged WHERE idempotency_key IN "
                                   "(SELECT idempotency_key FROM ledger_transactions)"))
        count -= len(replays)
        if not count:
            return 0
    now = sa.bindparam("now", utcnow(), type_=UTCDateTime)
    legs = (("from_owner", from_kind, "-"), ("to_owner", to_kind, ""))
    # Guarded balances, one grouped statement per leg: the debit first (an UPDATE: a guarded account debited
    # must exist, else it holds no money; the CHECK constraint refuses an overdraft), then the credit (an upsert:
    # opens the account with the amount, or adds it). Unguarded accounts are only opened if missing.
    for column, account_kind, sign in legs:
        if account_kind in GUARDED_KINDS and sign:
            db.session.execute(sa.text(
                f"UPDATE ledger_accounts SET balance_cents = balance_cents + d.delta FROM "
                f"(SELECT {_name_sql(account_kind, column)} AS name, -SUM(amount) AS delta FROM ledger_staged "
                f"GROUP BY {column}) AS d WHERE ledger_accounts.name = d.name"))
        elif account_kind in GUARDED_KINDS:
            _credit_staged_accounts(column, account_kind, now)
        else:
            _ensure_staged_accounts(column, account_kind, now)
    data = "CAST(data AS JSON)" if postgres else "data"
    db.session.execute(sa.text(
        f"INSERT INTO ledger_transactions (idempotency_key, kind, description, actor_id, data, created_at) "
        f"SELECT idempotency_key, :kind, description, :actor, {data}, :now FROM ledger_staged"),
        {"kind": kind, "actor": actor_id, "now": now.value})
    written = 0
    for column, account_kind, sign in legs:
        written += db.session.execute(sa.text(
            f"INSERT INTO ledger_entries (transaction_id, account_id, amount_cents) "
            f"SELECT t.id, a.id, {sign}s.amount FROM ledger_staged s "
            f"JOIN ledger_transactions t ON t.idempotency_key = s.idempotency_key "
            f"JOIN ledger_accounts a ON a.name = {_name_sql(account_kind, 's.' + column)}")).rowcount
    if written != 2 * count:  # a leg without its account would leave a transaction unbalanced
        missing = db.session.execute(sa.text(
            f"SELECT from_owner, amount FROM ledger_staged s WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a "
            f"WHERE a.name = {_name_sql(from_kind, 's.from_owner')})")).first()
        if missing is not None and from_kind in GUARDED_KINDS:  # never opened: it holds no money
            raise InsufficientFunds(_name(from_kind, missing[0]), 0, int(missing[1]))
        raise RuntimeError(f"ledger: {count} transfers produced {written} entries, not {2 * count}")
    connection.exec_driver_sql("DELETE FROM ledger_staged")
    return count


def json_text(pairs: Mapping[str, str]) -> str:
    """SQL for a JSON object as text, from SQL expressions (for post_transfers' data column)."""
    args = ", ".join(f"'{key}', {expr}" for key, expr in pairs.items())
    if db.session.get_bind().dialect.name == "postgresql":
        return f"CAST(json_build_object({args}) AS TEXT)"
    return f"json_object({args})"


def _name(kind: str, owner) -> str:
    return kind if kind in PLATFORM_KINDS else f"{kind}:{int(owner)}"


def _name_sql(kind: str, column: str) -> str:
    return f"'{kind}'" if kind in PLATFORM_KINDS else f"'{kind}:' || {column}"


def _credit_staged_accounts(column: str, kind: str, now) -> None:
    """Open each guarded account credited with its total, or add the total to it (one upsert)."""
    owner = "user_id" if kind in USER_KINDS else "job_id"
    db.session.execute(sa.text(
        f"INSERT INTO ledger_accounts (name, kind, {owner}, balance_cents, created_at) "
        f"SELECT {_name_sql(kind, column)}, :kind, {column}, SUM(amount), :now FROM ledger_staged WHERE true "
        f"GROUP BY {column} ON CONFLICT (name) DO UPDATE SET balance_cents = "
        f"ledger_accounts.balance_cents + excluded.balance_cents"), {"kind": kind, "now": now.value})


def _ensure_staged_accounts(column: str, kind: str, now) -> None:
    if kind in PLATFORM_KINDS:
        ensure_account(kind)
        return
    owner = "user_id" if kind in USER_KINDS else "job_id"
    balance = "0" if kind in GUARDED_KINDS else "NULL"
    db.session.execute(sa.text(
        f"INSERT INTO ledger_accounts (name, kind, {owner}, balance_cents, created_at) "
        f"SELECT DISTINCT {_name_sql(kind, column)}, :kind, {column}, {balance}, :now FROM ledger_staged "
        f"WHERE {column} IS NOT NULL ON CONFLICT (name) DO NOTHING"), {"kind": kind, "now": now.value})


@lru_cache(maxsize=65_536)
def _parsed(name: str) -> AccountName:
    return parse_account(name)


def _normalise_cached(entries: dict[str, int]) -> dict[str, int]:
    """normalise_entries, with account names parsed once per batch rather than once per entry."""
    for name in entries:
        _parsed(name)
    amounts = list(entries.values())
    simple = (len(amounts) == 2 and all(isinstance(a, int) and not isinstance(a, bool) and a for a in amounts)
              and sum(amounts) == 0)
    return dict(entries) if simple else normalise_entries(entries)


def _transaction_ids(keys: list[str]) -> dict[str, int]:
    return {key: txn_id for key, txn_id in bulk.select_where_in(
        [LedgerTransaction.idempotency_key, LedgerTransaction.id], LedgerTransaction.idempotency_key, keys)}


def _existing(keys: list[str]) -> dict[str, LedgerTransaction]:
    ids = _transaction_ids(keys)
    if not ids:
        return {}
    return {txn.idempotency_key: txn for txn in db.session.scalars(
        sa.select(LedgerTransaction).where(LedgerTransaction.id.in_(list(ids.values()))))}


def _ensure_accounts_bulk(names: set[str]) -> dict[str, int]:
    """_ensure_accounts for many accounts: one executemany insert of the missing ones (a concurrent first use of
    the same account makes the loser's insert do nothing), then their ids."""
    names = sorted(names)
    found = dict(bulk.select_where_in([LedgerAccount.name, LedgerAccount.id], LedgerAccount.name, names))
    missing = [_parsed(n) for n in names if n not in found]
    if missing:
        now = utcnow()
        bulk.insert_rows(LedgerAccount.__table__, [
            {"name": a.name, "kind": a.kind, "created_at": now,
             "user_id": a.owner_id if a.kind in USER_KINDS else None,
             "job_id": a.owner_id if a.kind in JOB_KINDS else None,
             "balance_cents": 0 if a.is_guarded else None} for a in missing], on_conflict_do_nothing=["name"])
        found = dict(bulk.select_where_in([LedgerAccount.name, LedgerAccount.id], LedgerAccount.name, names))
    return found


# --- reading: balances are sums --------------------------------------------------------------

_BALANCE = (sa.select(sa.func.coalesce(
    LedgerAccount.balance_cents,
    sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))
    .where(LedgerEntry.account_id == LedgerAccount.id).scalar_subquery()))
    .where(LedgerAccount.name == sa.bindparam("name")))


def balance(name: str) -> int:
    """The balance of one account (0 for an account never used). A guarded account (escrow, funds, payable)
    reads its guard row, which every posting moves in the same transaction as the entries (integrity_problems
    checks the two agree), so the escrow read at every claim stays one row however many entries the job has;
    other accounts sum their entries. One statement built once."""
    found = execute(_BALANCE, {"name": name}).scalar()
    return int(found or 0)


def balances(names: Iterable[str]) -> dict[str, int]:
    names = list(names)
    rows = db.session.execute(
        sa.select(LedgerAccount.name, sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id)
        .where(LedgerAccount.name.in_(names)).group_by(LedgerAccount.name))
    found = {name: int(total) for name, total in rows}
    return {name: found.get(name, 0) for name in names}


def totals_by_kind() -> dict[str, int]:
    """Sum of balances per kind of account (admin overview)."""
    rows = db.session.execute(
        sa.select(LedgerAccount.kind, sa.func.sum(LedgerEntry.amount_cents))
        .join(LedgerEntry, LedgerEntry.account_id == LedgerAccount.id).group_by(LedgerAccount.kind))
    return {kind: int(total or 0) for kind, total in rows}


def total_of_kind(kind: str, *, user_id: int | None = None) -> int:
    query = (sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))
             .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id).where(LedgerAccount.kind == kind))
    if user_id is not None:
        query = query.where(LedgerAccount.user_id == user_id)
    return int(db.session.scalar(query) or 0)


@dataclass(frozen=True)
class HistoryLine:
    entry_id: int
    occurred_at: Any
    kind: str
    description: str
    amount_cents: int
    balance_cents: int
    reference: str


def history(name: str, *, limit: int | None = None, newest_first: bool = True) -> list[HistoryLine]:
    """Every movement on one account with the running balance after it (a window sum, in SQL)."""
    running = sa.func.sum(LedgerEntry.amount_cents).over(order_by=LedgerEntry.id)
    inner = (sa.select(LedgerEntry.id.label("entry_id"), LedgerTransaction.created_at, LedgerTransaction.kind,
                       LedgerTransaction.description, LedgerEntry.amount_cents, running.label("running"),
                       LedgerTransaction.idempotency_key)
             .join(LedgerTransaction, LedgerEntry.transaction_id == LedgerTransaction.id)
             .join(LedgerAccount, LedgerEntry.account_id == LedgerAccount.id)
             .where(LedgerAccount.name == name).subquery())
    query = sa.select(inner).order_by(inner.c.entry_id.desc() if newest_first else inner.c.entry_id)
    if limit:
        query = query.limit(limit)
    return [HistoryLine(r.entry_id, r.created_at, r.kind, r.description, int(r.amount_cents), int(r.running),
                        r.idempotency_key) for r in db.session.execute(query)]


def recent_transactions(limit: int = 50) -> list[LedgerTransaction]:
    return list(db.session.scalars(sa.select(LedgerTransaction).order_by(LedgerTransaction.id.desc())
                                   .limit(limit)))


def integrity_problems() -> list[dict[str, Any]]:
    """Check the ledger against itself: every transaction balances, the whole ledger sums to zero, no guarded
    account is negative, and every guard row equals its account's sum (the sums are authoritative)."""
    problems: list[dict[str, Any]] = []
    unbalanced = db.session.execute(
        sa.select(LedgerEntry.transaction_id, sa.func.sum(LedgerEntry.amount_cents))
        .group_by(LedgerEntry.transaction_id).having(sa.func.sum(LedgerEntry.amount_cents) != 0)).all()
    for txn_id, total in unbalanced:
        problems.append({"code": "unbalanced_transaction", "ref": f"transaction:{txn_id}",
                         "message": f"Ledger transaction {txn_id} sums to {total}, not zero."})
    grand = int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0))) or 0)
    if grand != 0:
        problems.append({"code": "ledger_not_zero", "ref": "ledger",
                         "message": f"The whole ledger sums to {grand}, not zero."})
    sums = (sa.select(LedgerEntry.account_id, sa.func.sum(LedgerEntry.amount_cents).label("total"))
            .group_by(LedgerEntry.account_id).subquery())
    rows = db.session.execute(
        sa.select(LedgerAccount.name, LedgerAccount.balance_cents, sa.func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.account_id == LedgerAccount.id)
        .where(LedgerAccount.kind.in_(GUARDED_KINDS)))
    for name, cached, total in rows:
        total = int(total)
        if total < 0:
            problems.append({"code": "negative_balance", "ref": name,
                             "message": f"{name} is negative: {format_cents(total)}."})
        if cached != total:
            problems.append({"code": "guard_row_differs", "ref": name,
                             "message": f"{name}: guard row says {cached}, the entries sum to {total}."})
    return problems


# --- entries and transactions are append-only --------------------------------------------------

@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerTransaction, "before_update")
def _refuse_update(mapper, connection, target):
    raise RuntimeError("ledger entries and transactions are append-only; post a correcting transaction")


@event.listens_for(LedgerEntry, "before_delete")
@event.listens_for(LedgerTransaction, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise RuntimeError("ledger entries and transactions are append-only; post a correcting transaction")
