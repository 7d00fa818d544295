"""Money forms (Flask-WTF adds CSRF): top-up, simulated card, manual payout, refund, lifting a freeze."""
from __future__ import annotations

import secrets
from datetime import date

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from ..core.money import parse_amount_to_cents

REASON_LENGTH = "Write at least 10 characters (and at most 2,000), so the person reading it understands."
TOKEN = Regexp(r"^[0-9a-f]{32}$", message="This form is out of date; reload the page.")


def new_token() -> str:
    """A one-time form token: the request's idempotency key, so a double submit does one thing."""
    return secrets.token_hex(16)


class AmountField(StringField):
    """An amount typed by a person ('12', '12.50', '1,234.56'); `.cents` holds the parsed value."""

    cents: int | None = None

    def pre_validate(self, form):
        self.cents = None
        if not (self.data or "").strip():
            return
        try:
            cents = parse_amount_to_cents(self.data)
        except (ValueError, ZeroDivisionError):
            raise ValidationError("Enter an amount like 25 or 25.50.")
        if cents <= 0:
            raise ValidationError("Enter an amount above zero.")
        self.cents = cents


class TopUpForm(FlaskForm):
    amount = AmountField("Amount to add (USD)", validators=[DataRequired("Enter an amount.")],
                         description="Between $5 and $10,000 at a time.")
    token = HiddenField(validators=[DataRequired(), TOKEN])


def _luhn_ok(number: str) -> bool:
    digits = [int(d) for d in number][::-1]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits))
    return total % 10 == 0


class SimulatedCardForm(FlaskForm):
    """Demo mode only: Stripe's test card numbers stand for the test payment methods (nothing is charged)."""

    card_number = StringField("Card number", validators=[DataRequired("Enter the card number.")],
                              render_kw={"autocomplete": "off", "inputmode": "numeric"})
    expiry = StringField("Expiry (MM/YY)", validators=[DataRequired("Enter the expiry date."),
                                                       Regexp(r"^\s*(0[1-9]|1[0-2])\s*/\s*([0-9]{2})\s*$",
                                                              message="Use MM/YY, like 12/34.")],
                         render_kw={"autocomplete": "off", "placeholder": "MM/YY"})
    cvc = StringField("CVC", validators=[DataRequired("Enter the 3 or 4 digits on the back."),
                                         Regexp(r"^[0-9]{3,4}$", message="3 or 4 digits.")],
                      render_kw={"autocomplete": "off", "inputmode": "numeric"})

    def validate_card_number(self, field):
        number = "".join(field.data.split())
        if not number.isdigit() or not 12 <= len(number) <= 19 or not _luhn_ok(number):
            raise ValidationError("That is not a valid card number.")
        if number not in TEST_CARDS:
            raise ValidationError("Demo mode takes Stripe's test cards only: 4242 4242 4242 4242 pays, "
                                  "4000 0000 0000 0002 is declined.")

    def validate_expiry(self, field):
        month, year = (int(part) for part in field.data.replace(" ", "").split("/"))
        today = date.today()
        if (2000 + year, month) < (today.year, today.month):
            raise ValidationError("This card has expired.")

    @property
    def payment_method(self) -> str:
        return TEST_CARDS["".join(self.card_number.data.split())][0]


# Stripe's published test card numbers and the test PaymentMethods they stand for.
TEST_CARDS = {
    "4242424242424242": ("pm_card_visa", "Visa"),
    "5555555555554444": ("pm_card_mastercard", "Mastercard"),
    "4000000000000002": ("pm_card_chargeDeclined", "Visa (declined)"),
    "4000000000009995": ("pm_card_chargeDeclinedInsufficientFunds", "Visa (insufficient funds)"),
}


class ManualPayoutForm(FlaskForm):
    amount = AmountField("Amount", validators=[Optional()],
                         description="Leave empty to pay the trainer's whole payable balance.")
    reason = TextAreaField("Reason", validators=[DataRequired("Write the reason."), Length(min=10, max=2000, message=REASON_LENGTH)],
                           description="Recorded in the audit log and the trainer's record.")
    token = HiddenField(validators=[DataRequired(), TOKEN])


class RefundForm(FlaskForm):
    amount = AmountField("Amount to refund", validators=[DataRequired("Enter an amount.")])
    reason = TextAreaField("Reason", validators=[DataRequired("Write the reason."), Length(min=10, max=2000, message=REASON_LENGTH)],
                           description="The requester reads this in their inbox and record.")
    token = HiddenField(validators=[DataRequired(), TOKEN])


class LiftFreezeForm(FlaskForm):
    reason = TextAreaField("What you checked", validators=[DataRequired("Write what you checked."),
                                                            Length(min=10, max=2000, message=REASON_LENGTH)])


class EmptyForm(FlaskForm):
    """A button: only the CSRF token."""
