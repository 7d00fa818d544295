"""API token form."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length

from ..accounts.tokens import SCOPES, scopes_for_role


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class TokenForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)],
                       description="What will use it, e.g. “labelling pipeline”.")
    scopes = MultiCheckboxField("Permissions", validate_choice=False)
    expires_in_days = SelectField("Expires", default="90", choices=[
        ("30", "in 30 days"), ("90", "in 90 days"), ("365", "in a year"), ("", "never")])

    def __init__(self, *args, role: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.scopes.choices = [(s, f"{s}: {SCOPES[s]}") for s in scopes_for_role(role)]
        if not self.scopes.data:
            self.scopes.data = [s for s, _ in self.scopes.choices]
