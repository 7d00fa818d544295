"""Money models: ledger accounts, transactions and entries; charges, refunds, payout accounts, payouts, webhooks."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.time import UTCDateTime, utcnow
from ..extensions import db

# Guarded kinds may never go negative; see ledger.GUARDED_KINDS (kept there with the other ledger rules).


class LedgerAccount(db.Model):
    """One ledger account, named like `requester_funds:12`. Balances are sums of entries; `balance_cents`
    is kept only for guarded accounts, as the row a conditional UPDATE checks so that they cannot go negative."""

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # Jobs live in a room below payments and are built separately: a plain id, no foreign key.
    job_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    # NULL for unguarded accounts (no hot row to lock); the CHECK is the backstop of the guard.
    balance_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.CheckConstraint("balance_cents >= 0", name="not_negative"),)


class LedgerTransaction(db.Model):
    """One money movement: a balanced set of entries, written once under its idempotency key."""

    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40), index=True)
    description: Mapped[str] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    entries: Mapped[list[LedgerEntry]] = relationship(back_populates="transaction", order_by="LedgerEntry.id")


class LedgerEntry(db.Model):
    """One side of a movement: a signed amount on one account. Never updated or deleted."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"))
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    account: Mapped[LedgerAccount] = relationship()

    __table_args__ = (
        sa.CheckConstraint("amount_cents <> 0", name="not_zero"),
        sa.UniqueConstraint("transaction_id", "account_id"),
        sa.Index("ix_ledger_entries_account", "account_id", "id"),
    )


CHARGE_STATUSES = ("created", "succeeded", "canceled")


class Charge(db.Model):
    """A requester adding funds: one PaymentIntent on the platform account. Credited once, when it succeeds."""

    __tablename__ = "charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(16), default="created")
    # The requester's form token, so a double-submitted form makes one charge.
    request_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    client_secret: Mapped[str | None] = mapped_column(sa.String(255))
    is_live: Mapped[bool] = mapped_column(default=False)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("status IN ('created', 'succeeded', 'canceled')", name="status"),
        sa.CheckConstraint("amount_cents > 0", name="positive"),
    )


class Refund(db.Model):
    """Unused funds going back to a requester's card: reserved in the ledger before the Stripe call (outbox)."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    charge_id: Mapped[int] = mapped_column(sa.ForeignKey("charges.id"), index=True)
    requester_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    request_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    charge: Mapped[Charge] = relationship()

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        sa.CheckConstraint("amount_cents > 0", name="positive"),
    )


class PayoutAccount(db.Model):
    """A trainer's Stripe Connect (Express) account; payouts go there only once Stripe says it is ready."""

    __tablename__ = "payout_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), unique=True)
    stripe_account_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="onboarding")
    charges_enabled: Mapped[bool] = mapped_column(default=False)
    payouts_enabled: Mapped[bool] = mapped_column(default=False)
    details_submitted: Mapped[bool] = mapped_column(default=False)
    is_live: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint("status IN ('onboarding', 'ready', 'restricted')", name="status"),)

    @property
    def is_ready(self) -> bool:
        return self.status == "ready"


PAYOUT_STATUSES = ("pending", "paid", "failed")


class Payout(db.Model):
    """Paying a trainer: the row and its ledger reservation are committed before the transfer (outbox);
    the transfer carries the idempotency key `payout:<id>`."""

    __tablename__ = "payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    trainer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending", index=True)
    request_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    destination: Mapped[str] = mapped_column(sa.String(255))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    transfer_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    is_live: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    # A sender holds the payout until this time; a crashed sender's hold lapses and recovery takes over.
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'paid', 'failed')", name="status"),
        sa.CheckConstraint("amount_cents > 0", name="positive"),
    )

    @property
    def transfer_key(self) -> str:
        return f"payout:{self.id}"


class StripeEvent(db.Model):
    """A webhook event seen once: its id is unique, and its effects commit with this row."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    object_id: Mapped[str | None] = mapped_column(sa.String(255))
    is_live: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str] = mapped_column(sa.String(200))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayoutFreeze(db.Model):
    """Payouts stop while a freeze is open: reconciliation found money missing. An admin lifts it in writing."""

    __tablename__ = "payout_freezes"

    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reconciliation_run_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reconciliation_runs.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    lift_reason: Mapped[str | None] = mapped_column(sa.Text)


class ReconciliationRun(db.Model):
    """One comparison of the ledger with itself and with the gateway; findings are kept as written."""

    __tablename__ = "reconciliation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default="ok")
    findings: Mapped[list] = mapped_column(sa.JSON, default=list)
    checked: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.CheckConstraint("status IN ('ok', 'mismatch', 'money_missing', 'error')",
                                         name="status"),)
