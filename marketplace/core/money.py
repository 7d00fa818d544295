"""Money is integer cents; this module holds the one rounding rule for pay and fees."""
from __future__ import annotations

from fractions import Fraction

SECONDS_PER_HOUR = 3600


def _round_half_up(value: Fraction) -> int:
    """Round a non-negative exact amount of cents to the nearest cent, halves up (in the trainer's favour)."""
    if value < 0:
        return -_round_half_up(-value)
    whole, remainder = divmod(value.numerator, value.denominator)
    return whole + (1 if 2 * remainder >= value.denominator else 0)


def pay_for_seconds(rate_cents_per_hour: int, seconds: int) -> int:
    """Pay in cents for `seconds` of work at an hourly rate.

    The rule: exact rate x seconds / 3600, rounded once to the nearest cent with halves rounded up.
    Pay is computed on the total seconds of a timesheet, never summed from rounded pieces.
    """
    if rate_cents_per_hour < 0 or seconds < 0:
        raise ValueError("rate and seconds must not be negative")
    return _round_half_up(Fraction(rate_cents_per_hour * seconds, SECONDS_PER_HOUR))


def fee_cents(amount_cents: int, basis_points: int) -> int:
    """Platform fee on an amount: basis points (1/100 of a percent), halves rounded up."""
    return _round_half_up(Fraction(amount_cents * basis_points, 10_000))


def format_cents(cents: int, currency: str = "usd") -> str:
    """Human display of an amount: $1,234.56 (negative amounts keep their sign)."""
    symbol = {"usd": "$", "eur": "€", "gbp": "£"}.get(currency.lower(), currency.upper() + " ")
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{symbol}{cents // 100:,}.{cents % 100:02d}"


def parse_amount_to_cents(text: str) -> int:
    """Parse '12', '12.5' or '1,234.56' typed by a person into cents; raises ValueError otherwise."""
    cleaned = text.strip().replace(",", "").lstrip("$")
    if not cleaned:
        raise ValueError("enter an amount")
    value = Fraction(cleaned)
    cents = value * 100
    if cents.denominator != 1:
        raise ValueError("amounts have at most two decimal places")
    return int(cents)
