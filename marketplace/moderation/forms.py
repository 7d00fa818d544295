"""Moderation forms (Flask-WTF adds CSRF to each). Rules live in the services; forms only shape the input."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (BooleanField, DateField, IntegerField, RadioField, SelectField, SelectMultipleField,
                     StringField, TextAreaField, widgets)
from wtforms.validators import DataRequired, NumberRange, Optional

from ..core.taxonomy import countries
from .rules import LEVEL_LABELS, MAX_ID


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SanctionForm(FlaskForm):
    level = RadioField("Sanction", choices=list(LEVEL_LABELS.items()), default="warning", validators=[DataRequired()])
    scope = SelectField("Applies to", choices=[("platform", "The whole platform"), ("job", "One job"),
                                               ("requester", "One requester's jobs")], default="platform")
    scope_id = IntegerField("Job or requester ID", description="Only for a sanction limited to one job or one requester.",
                            validators=[Optional(), NumberRange(min=1, max=MAX_ID,
                                                                message="There is no job or requester with that ID.")])
    ends_on = DateField("Suspension ends on (UTC)", validators=[Optional()],
                        description="Temporary suspensions only; rights return automatically at 00:00 UTC that day.")
    clause_ids = MultiCheckboxField("Clauses of the code of conduct", coerce=int)
    reason = TextAreaField("Reason the trainer will read", render_kw={"rows": 4},
                           description="At least 50 characters: what happened, and why it breaks the clauses.")
    evidence = TextAreaField("Evidence, one item per line", render_kw={"rows": 4},
                             description="A link to the task, gold failure, review or report, then what it shows. "
                                         "Example: /work/tasks/812 answered 40 items in 90 seconds")
    is_severe = BooleanField("Severe: skip the warning for clauses with no earlier warning")
    severity_justification = TextAreaField("Why a warning is not enough", render_kw={"rows": 2})


class LiftForm(FlaskForm):
    reason = TextAreaField("Why you lift it", validators=[DataRequired()], render_kw={"rows": 3})


class AppealForm(FlaskForm):
    text = TextAreaField("Your appeal", render_kw={"rows": 8},
                         description="Explain why the decision is wrong, in your own words (at least 20 characters).")
    attachments = MultipleFileField("Attachments (optional)",
                                    description="Screenshots or PDFs, up to 5 files of 5 MB each.",
                                    render_kw={"accept": "image/png,image/jpeg,image/gif,image/webp,application/pdf"})


class DecideAppealForm(FlaskForm):
    outcome = RadioField("Decision", choices=[("upheld", "Uphold: the decision stands"),
                                             ("overturned", "Overturn: reverse it and restore what was taken")],
                         validators=[DataRequired(message="Choose to uphold or to overturn the decision.")])
    reason = TextAreaField("Reason the trainer will read", render_kw={"rows": 4},
                           description="At least 20 characters.")


class BlockForm(FlaskForm):
    trainer_id = IntegerField("Trainer ID", validators=[DataRequired(message="Give the trainer's ID."),
                                                        NumberRange(min=1, max=MAX_ID,
                                                                    message="There is no trainer with that ID.")],
                              description="Shown next to the trainer's name on each work result.")
    reason = TextAreaField("Reason the trainer will read", render_kw={"rows": 3},
                           description="At least 20 characters. The trainer may appeal to a FairTrain admin.")


class ConductForm(FlaskForm):
    text = TextAreaField("Clauses", render_kw={"rows": 24},
                         description="Blocks separated by a blank line; each starts with its number and title "
                                     "(like \"2.1 One person, one account\") followed by the text.")
    summary = TextAreaField("What changed (trainers read this)", render_kw={"rows": 2})


class WithdrawalForm(FlaskForm):
    country = SelectField("Country", validators=[DataRequired(message="Choose a country.")])
    effective_on = DateField("Work stops on (UTC)", validators=[DataRequired(message="Choose the end of notice.")])
    reason = TextAreaField("Reason trainers will read", render_kw={"rows": 3})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = [("", "Choose a country")] + list(countries().items())


class ExposureForm(FlaskForm):
    is_opted_out = BooleanField("Do not offer me jobs with a content warning")
    daily_limit_minutes = IntegerField("My daily limit for content-warning work (minutes)",
                                       validators=[Optional(), NumberRange(min=0, max=1440)],
                                       description="Leave empty to use the platform's limit.")


class FindPersonForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search box

    q = StringField("E-mail or ID", validators=[Optional()])
