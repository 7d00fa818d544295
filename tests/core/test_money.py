"""The one rounding rule for pay and fees."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.money import fee_cents, format_cents, parse_amount_to_cents, pay_for_seconds


@pytest.mark.parametrize("rate, seconds, expected", [
    (3600, 1, 1),          # exactly one cent a second
    (2000, 3600, 2000),    # one hour at $20
    (2000, 1800, 1000),    # half an hour
    (2500, 90, 63),        # 62.5 cents rounds half up
    (1999, 1, 1),          # 0.555 cents rounds to 1
    (1500, 0, 0),
    (1700, 7 * 24 * 3600, 285600),
])
def test_pay_for_seconds_rounds_once_half_up(rate, seconds, expected):
    assert pay_for_seconds(rate, seconds) == expected


@given(st.integers(0, 50_000), st.integers(0, 10**6))
def test_pay_is_never_more_than_half_a_cent_off_the_exact_amount(rate, seconds):
    exact = rate * seconds / 3600
    assert abs(pay_for_seconds(rate, seconds) - exact) <= 0.5


def test_fees_and_formatting():
    assert fee_cents(10_000, 1000) == 1000
    assert fee_cents(5, 1000) == 1  # 0.5 cent rounds up
    assert format_cents(123456) == "$1,234.56" and format_cents(-5) == "-$0.05"
    assert parse_amount_to_cents("1,234.5") == 123450
    with pytest.raises(ValueError):
        parse_amount_to_cents("1.234")
