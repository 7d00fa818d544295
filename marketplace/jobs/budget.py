"""Budget arithmetic for a job (pure): what an hour costs, what a trainer earns, budget as hours.

The rule (shared with pay/calculations.py and payments.services.earn_from_escrow): the platform fee is charged ON
TOP of the rate. A trainer earns the full hourly rate (so the pay floor MIN_HOURLY_RATE_CENTS is what they get);
an hour of work takes the rate plus the fee (its basis points, core.money.fee_cents) out of the job's escrow.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..core.money import fee_cents, pay_for_seconds


def cost_per_hour_cents(rate_cents: int, fee_basis_points: int = 0) -> int:
    """What one hour of a trainer's work takes from the job's escrow: the hourly rate plus the platform fee."""
    return rate_cents + fee_cents(rate_cents, fee_basis_points)


def earnings_per_task_cents(rate_cents: int, minutes_per_task: int) -> int:
    """What a trainer earns for a task that takes the estimated time: the full rate (the platform fee is on top,
    paid by the requester; pay is by time)."""
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
    per_hour_cents: int    # what an hour takes from escrow

    @property
    def spent_cents(self) -> int:
        return max(0, self.funded_cents - self.escrow_cents)

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

    def as_dict(self) -> dict:
        return {"funded_cents": self.funded_cents, "escrow_cents": self.escrow_cents,
                "spent_cents": self.spent_cents, "per_hour_cents": self.per_hour_cents,
                "hours_bought": self.hours_bought, "hours_used": self.hours_used, "hours_left": self.hours_left}


def minimum_budget_cents(rate_cents: int, fee_basis_points: int = 0) -> int:
    """A job must fund at least one hour of work, fee included: less could not pay the first trainer's session."""
    return cost_per_hour_cents(rate_cents, fee_basis_points)
