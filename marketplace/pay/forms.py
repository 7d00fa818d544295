"""Pay forms (Flask-WTF adds CSRF): dispute a session, answer it, decide it, withdraw it, pay a bonus."""
from __future__ import annotations

import secrets

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from ..core.money import parse_amount_to_cents

WRITTEN = Length(min=15, max=5000, message="Write at least 15 characters: the other side reads it.")


class EmptyForm(FlaskForm):
    """A POST with nothing but its CSRF token (approve)."""


class DisputeForm(FlaskForm):
    reason = TextAreaField("Why do you dispute this session?", validators=[DataRequired("Write a reason."), WRITTEN],
                           description="The trainer reads this, and an admin if they do not agree. Be specific: "
                                       "\u201cno tasks were submitted in this session\u201d.")
    proposed_minutes = IntegerField("Minutes you would pay", default=0,
                                    validators=[InputRequired("Enter minutes (0 removes the session)."),
                                                NumberRange(min=0, message="Minutes cannot be negative.")],
                                    description="0 removes the session; less than recorded shortens it.")


class AnswerForm(FlaskForm):
    decision = RadioField("Your answer", choices=[("contest", "The time stands: I explain below (an admin decides)"),
                                                  ("accept", "I accept the requester's proposal")],
                          default="contest", validators=[DataRequired()])
    answer = TextAreaField("What happened in this session", validators=[Optional(), Length(max=5000)],
                           description="Needed when you contest (at least 15 characters); the requester and the "
                                       "admin read it.")


class WithdrawForm(FlaskForm):
    reason = TextAreaField("Why you withdraw (optional)", validators=[Optional(), Length(max=5000)])


class DecideForm(FlaskForm):
    outcome = RadioField("Decision", choices=[("reject", "The session stands as recorded (paid in full)"),
                                              ("uphold", "Uphold the dispute: pay the minutes below")],
                         validators=[DataRequired("Choose a decision.")])
    minutes = IntegerField("Minutes to pay (when upheld)", validators=[Optional(), NumberRange(min=0)],
                           description="Leave empty to pay what the requester proposed.")
    reason = TextAreaField("Reason for your decision", validators=[DataRequired("Write the reason."), WRITTEN],
                           description="Both sides read it; the trainer may appeal an upheld dispute.")


class BonusForm(FlaskForm):
    trainer_id = SelectField("Trainer", coerce=int, validators=[DataRequired("Choose a trainer.")])
    amount = StringField("Amount (USD)", validators=[DataRequired("Enter an amount.")])
    reason = TextAreaField("Reason (the trainer reads it)",
                           validators=[DataRequired("Write the reason."), Length(min=10, max=2000,
                                                                                 message="At least 10 characters.")])
    source = RadioField("Pay it from", choices=[("escrow", "This job's escrow"), ("funds", "My available funds")],
                        default="escrow", validators=[DataRequired()])
    token = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$", message="Reload the page.")])

    cents: int | None = None

    def validate_amount(self, field):
        try:
            self.cents = parse_amount_to_cents(field.data or "")
        except (ValueError, ZeroDivisionError):
            raise ValidationError("Enter an amount like 25 or 25.50.") from None
        if self.cents <= 0:
            raise ValidationError("Enter an amount above zero.")


def new_token() -> str:
    """A one-time form token: the bonus's idempotency key, so a double submit pays once."""
    return secrets.token_hex(16)
