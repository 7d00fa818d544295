"""The weekly payroll plan: who is paid how much, who waits and why, with one idempotency key per trainer per week."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Collection, Iterable

from marketplace.core.money import format_cents
from marketplace.core.time import week_start

from .calculations import iso_week_name, payroll_week

# Reasons money waits, as codes (stable, for the admin overview and tests) with the words the trainer reads.
ACCOUNT_NOT_READY = "account_not_ready"
BELOW_MINIMUM = "below_minimum"
ALREADY_PAID = "already_paid"
NEGATIVE_BALANCE = "negative_balance"


def idempotency_key(trainer_id: int, week: datetime) -> str:
    """`payroll:<trainer_id>:<iso-week>`: the same for every run that settles this week, so a second scheduler
    run, or a restart mid-run, finds the payout already made (unique constraint, and Stripe's idempotency)."""
    return f"payroll:{trainer_id}:{iso_week_name(week)}"


@dataclass(frozen=True)
class TrainerBalance:
    """What payroll needs to know about one trainer; status matters only as a note (earned money is paid)."""

    trainer_id: int
    payable_cents: int
    payout_account_ready: bool
    is_suspended: bool = False
    # Closing the account (deactivated): any positive remainder is paid, below the minimum too, because
    # there is no next week to carry it to.
    is_leaving: bool = False


@dataclass(frozen=True)
class PlannedPayout:
    trainer_id: int
    amount_cents: int
    idempotency_key: str
    note: str = ""


@dataclass(frozen=True)
class HeldBalance:
    trainer_id: int
    amount_cents: int
    reason: str
    message: str  # addressed to the trainer: what happened and what, if anything, to do


@dataclass(frozen=True)
class PayrollPlan:
    week: datetime        # Monday 00:00 UTC of the pay week settled
    week_name: str        # e.g. 2028-W01
    payouts: tuple[PlannedPayout, ...]
    held: tuple[HeldBalance, ...]

    @property
    def total_cents(self) -> int:
        return sum(p.amount_cents for p in self.payouts)

    @property
    def held_cents(self) -> int:
        return sum(h.amount_cents for h in self.held if h.amount_cents > 0)


def plan_payroll(balances: Iterable[TrainerBalance], run_at: datetime, minimum_cents: int, *,
                 already_paid_keys: Collection[str] = frozenset(), currency: str = "usd",
                 week: datetime | None = None) -> PayrollPlan:
    """Plan one week's payroll.

    Rules: each trainer with a positive payable balance is paid all of it once per pay week, if their payout
    account is ready and the balance reaches the minimum (or they are leaving); otherwise it waits with a reason
    they can read. Suspension never withholds earned pay. A trainer whose key is already in
    `already_paid_keys` is not paid again this week, even if their balance has grown since: that money goes
    out next week. Trainers with nothing owed are left out. `week` overrides the week settled (for re-runs).
    """
    week = week_start(week) if week is not None else payroll_week(run_at)
    name = iso_week_name(week)
    payouts, held, seen = [], [], set()
    for balance in sorted(balances, key=lambda b: b.trainer_id):
        if balance.trainer_id in seen:
            raise ValueError(f"trainer {balance.trainer_id} appears twice in one payroll")
        seen.add(balance.trainer_id)
        amount = balance.payable_cents
        key = idempotency_key(balance.trainer_id, week)
        if amount == 0:
            continue
        code = decide(amount, key in already_paid_keys, balance.payout_account_ready, balance.is_leaving,
                      minimum_cents)
        if code == PAID:
            payouts.append(PlannedPayout(balance.trainer_id, amount, key,
                                         paid_note(balance.is_suspended, balance.is_leaving, amount, minimum_cents)))
        else:
            held.append(HeldBalance(balance.trainer_id, amount, code,
                                    held_message(code, amount, minimum_cents=minimum_cents, week_name=name,
                                                 currency=currency)))
    return PayrollPlan(week, name, tuple(payouts), tuple(held))


PAID = "paid"
SUSPENDED_NOTE = "suspended: paid what was earned"
LEAVING_NOTE = "account closing: remainder paid below the minimum"


def decide(amount_cents: int, already_paid: bool, account_ready: bool, is_leaving: bool, minimum_cents: int) -> str:
    """One trainer's outcome: PAID or the reason the money waits. The order matters: a negative balance pays
    nothing; a second payout in one week never happens; the payout account is checked before the minimum (it is
    the one thing the trainer can act on, and the money would wait for it anyway); a trainer closing their
    account is paid any remainder, below the minimum too (there is no next week to carry it to).
    payments/payroll_run.py applies exactly this as one SQL CASE (tests compare the two)."""
    if amount_cents < 0:
        return NEGATIVE_BALANCE
    if already_paid:
        return ALREADY_PAID
    if not account_ready:
        return ACCOUNT_NOT_READY
    if amount_cents < minimum_cents and not is_leaving:
        return BELOW_MINIMUM
    return PAID


def paid_note(is_suspended: bool, is_leaving: bool, amount_cents: int, minimum_cents: int) -> str:
    if is_leaving and amount_cents < minimum_cents:
        return LEAVING_NOTE
    return SUSPENDED_NOTE if is_suspended else ""


# What the trainer reads when their money waits: what happened and what, if anything, to do. Placeholders:
# {amount} (their balance), {minimum}, {week}. One source for the words, in Python (held_message) and in SQL
# (held_message_sql, for the set-based payroll; tests check the two agree).
HELD_TEMPLATES = {
    NEGATIVE_BALANCE: ("Your balance is {amount} after an adjustment, so nothing is paid this week; new earnings "
                       "are paid once it is above zero."),
    ALREADY_PAID: "You were already paid for {week}; the {amount} earned since then is paid next week.",
    ACCOUNT_NOT_READY: ("Your payout account is not ready: connect it on the Payout account page. Your {amount} "
                        "waits for you and is paid on the first payday after."),
    BELOW_MINIMUM: "Your {amount} is below the {minimum} minimum, carried to next week.",
}


def held_message(code: str, amount_cents: int, *, minimum_cents: int, week_name: str, currency: str = "usd") -> str:
    if code not in HELD_TEMPLATES:
        raise ValueError(f"not a reason money waits: {code!r}")
    return HELD_TEMPLATES[code].format(amount=format_cents(amount_cents, currency),
                                       minimum=format_cents(minimum_cents, currency), week=week_name)


def cents_sql(expr: str, currency: str, dialect: str) -> str:
    """SQL formatting an integer-cents expression exactly as core.money.format_cents does ($1,234.56, -$2.00)."""
    symbol = format_cents(0, currency)[:-4].replace("'", "''")  # "$", "€", "CHF "
    sign = f"CASE WHEN {expr} < 0 THEN '-' ELSE '' END"
    if dialect == "postgresql":
        number = (f"to_char(abs({expr}) / 100, 'FM999,999,999,999,990') || '.' || "
                  f"lpad(CAST(abs({expr}) % 100 AS TEXT), 2, '0')")
    else:
        number = f"printf('%,d.%02d', abs({expr}) / 100, abs({expr}) % 100)"
    return f"({sign} || '{symbol}' || {number})"


def held_message_sql(code_expr: str, amount_expr: str, *, minimum_cents: int, week_name: str, currency: str,
                     dialect: str) -> str:
    """held_message as one SQL CASE over a code column and an amount column (the words are HELD_TEMPLATES)."""
    branches = []
    for code, template in HELD_TEMPLATES.items():
        text = template.format(amount="\0", minimum=format_cents(minimum_cents, currency), week=week_name)
        parts = ["'" + part.replace("'", "''") + "'" for part in text.split("\0")]
        branches.append(f"WHEN '{code}' THEN " + f" || {cents_sql(amount_expr, currency, dialect)} || ".join(parts))
    return f"(CASE {code_expr} {' '.join(branches)} END)"
