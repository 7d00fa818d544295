"""Assessment forms (Flask-WTF adds CSRF to each). Answer forms are built from the attempt, see pages_trainer."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, RadioField, SelectMultipleField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length

REASON_HELP = "At least 20 characters. The trainer reads this, and it can be appealed."


class ActionForm(FlaskForm):
    """Only the CSRF token: for buttons that change state (start, submit)."""


class ContestForm(FlaskForm):
    comment = TextAreaField("Why do you think this item was marked wrongly?",
                            validators=[DataRequired(), Length(min=20, max=2000)],
                            description="20 to 2,000 characters. An admin answers in writing.")


class ImportForm(FlaskForm):
    file = FileField("Assessment file (JSON, format 1)", validators=[FileRequired("Choose a file to upload.")])


class ReviewDecisionForm(FlaskForm):
    decision = RadioField("Decision", choices=[("approve", "Approve: the trainer passes"),
                                               ("reject", "Reject: the trainer does not pass")],
                          validators=[DataRequired("Choose approve or reject.")])
    reason = TextAreaField("Reason for the trainer", validators=[DataRequired(), Length(max=5000)],
                           description=REASON_HELP)


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ContestAnswerForm(FlaskForm):
    response = TextAreaField("Your answer to the trainer", validators=[DataRequired(), Length(max=5000)],
                             description=REASON_HELP)
    correct_gold = BooleanField("The expected answer was wrong: correct it and re-grade every affected attempt")
    corrected_answer = MultiCheckboxField("Correct expected answer")


class GrantForm(FlaskForm):
    email = EmailField("Trainer's e-mail", validators=[DataRequired(), Length(max=320)])
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=5000)], description=REASON_HELP)


class RevokeForm(FlaskForm):
    reason = TextAreaField("Reason for revoking", validators=[DataRequired(), Length(max=5000)],
                           description=REASON_HELP)
