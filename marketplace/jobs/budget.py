"""Budget arithmetic for a job (pure): what an hour costs the requester, and budget as hours.

The rule: a trainer earns the job's full hourly rate; the platform fee is added on top and paid by the
requester, so one hour of work costs rate + fee (fee rounded once, by core.money.fee_cents).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.money import fee_cents, pay_for_seconds


def cost_per_hour_cents(rate_cents: int, fee_basis_points: int) -> int:
    """What one hour of a trainer's work costs the requester: the rate plus the platform fee."""
    return rate_cents + fee_cents(rate_cents, fee_basis_points)


def earnings_per_task_cents(rate_cents: int, minutes_per_task: int) -> int:
    """What a trainer earns for a task that takes the estimated time (pay is by time, not by task)."""
    return pay_for_seconds(rate_cents, minutes_per_task * 60)


def hours(cents: int, per_hour_cents: int) -> float:
    """Hours `cents` pays for, to one decimal place downwards (never promise time that is not funded)."""
    if per_hour_cents <= 0:
        return 0.0
    return (cents * 10 // per_hour_cents) / 10


@dataclass(frozen=True)
class BudgetSummary:
    """A job's money as a requester reads it: in cents and in hours of trainer work."""

    funded_cents: int      # moved into escrow so far
    escrow_cents: int      # still in escrow
    per_hour_cents: int    # rate + fee
    rate_cents: int

    @property
    def spent_cents(self) -> int:
        return self.funded_cents - self.escrow_cents

    @property
    def hours_bought(self) -> float:
        return hours(self.funded_cents, self.per_hour_cents)

    @property
    def hours_used(self) -> float:
        return round(self.spent_cents / self.per_hour_cents, 1) if self.per_hour_cents else 0.0

    @property
    def hours_left(self) -> float:
        return hours(self.escrow_cents, self.per_hour_cents)

    @property
    def covers_another_hour(self) -> bool:
        return self.escrow_cents >= self.per_hour_cents

    @property
    def used_percent(self) -> int:
        return min(100, round(100 * self.spent_cents / self.funded_cents)) if self.funded_cents else 0


def minimum_budget_cents(rate_cents: int, fee_basis_points: int) -> int:
    """A job must fund at least one hour of work: less could not pay the first trainer's session."""
    return cost_per_hour_cents(rate_cents, fee_basis_points)
