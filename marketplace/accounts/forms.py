"""Account forms (Flask-WTF adds CSRF to each)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DecimalField, EmailField, FieldList, Form, FormField, PasswordField,
                     RadioField, SelectField, SelectMultipleField, StringField)
from wtforms import widgets
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional

from ..core.taxonomy import EXPERTISE_AREAS, PROFICIENCY_LEVELS, PROGRAMMING_LANGUAGES, countries, languages, timezones


def country_choices():
    return [("", "Choose your country")] + list(countries().items())


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class RegisterForm(FlaskForm):
    role = RadioField("I want to", choices=[("worker", "work as a trainer"), ("requester", "post jobs as a requester")],
                      default="worker", validators=[DataRequired()])
    display_name = StringField("Name to show", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired()],
                             description="At least 10 characters, not a common password.")
    confirm = PasswordField("Repeat the password", validators=[DataRequired(), EqualTo("password", "The passwords differ.")])
    country = SelectField("Country you work from", validators=[Optional()],
                          description="Trainers: required. Shown to no one but you and admins.")
    organisation = StringField("Organisation (requesters)", validators=[Optional(), Length(max=200)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])
    remember = BooleanField("Keep me logged in on this device")


class LanguageRow(Form):
    code = SelectField("Language", validators=[Optional()])
    proficiency = SelectField("Proficiency", validators=[Optional()],
                              choices=[("", "—")] + [(p, p.capitalize()) for p in PROFICIENCY_LEVELS])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.code.choices = [("", "—")] + list(languages().items())


class TrainerProfileForm(FlaskForm):
    display_name = StringField("Name to show", validators=[DataRequired(), Length(max=120)])
    country = SelectField("Country you work from", validators=[DataRequired()])
    timezone = SelectField("Time zone", validators=[DataRequired()])
    languages = FieldList(FormField(LanguageRow), min_entries=6, max_entries=12)
    expertise = MultiCheckboxField("Expertise", choices=list(EXPERTISE_AREAS.items()))
    programming_languages = MultiCheckboxField("Programming languages (for software engineering)",
                                               choices=list(PROGRAMMING_LANGUAGES.items()))
    weekly_goal_hours = DecimalField("Weekly goal (hours)", places=1, validators=[Optional(), NumberRange(0, 168)])
    weekly_cap_hours = DecimalField("Weekly cap (hours)", places=1, validators=[Optional(), NumberRange(0, 168)],
                                    description="We stop offering you new work once you reach it.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices()
        self.timezone.choices = [("UTC", "UTC")] + [(tz, tz.replace("_", " ")) for tz in timezones()]


class RequesterProfileForm(FlaskForm):
    display_name = StringField("Name to show", validators=[DataRequired(), Length(max=120)])
    organisation = StringField("Organisation", validators=[Optional(), Length(max=200)])
    billing_email = EmailField("Billing e-mail", validators=[Optional(), Length(max=320)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired()])
    confirm = PasswordField("Repeat the new password",
                            validators=[DataRequired(), EqualTo("new_password", "The passwords differ.")])


class EmptyForm(FlaskForm):
    """A form with only the CSRF token, for buttons that change state."""
