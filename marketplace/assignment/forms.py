"""Forms of the work engine: returning a task, rejecting an answer, and reading an answer from the work page."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.errors import ValidationFailed
from .states import RETURN_REASON_LABELS


class ReturnForm(FlaskForm):
    reason = RadioField("Why? (optional; the requester only sees totals, never who said what)",
                        choices=list(RETURN_REASON_LABELS.items()), validators=[Optional()])
    note = TextAreaField("Anything the requester should know (optional)", validators=[Optional(), Length(max=1000)])


class RejectForm(FlaskForm):
    reason = TextAreaField("Why is this answer wrong? The trainer reads this and may appeal.",
                           validators=[DataRequired(message="Write the reason: the trainer reads it."),
                                       Length(min=15, max=5000)])


def answer_from_form(kind: str, config: dict, form) -> dict:
    """The answer a work page posted, in the kind's answer shape (the service validates it).

    Kinds get their own page section in templates/assignment/kinds/<kind>.html; a kind without one is
    answered through the API for now.
    """
    if kind == "classification":
        answer: dict = {"labels": [label for label in form.getlist("labels") if label]}
        justification = (form.get("justification") or "").strip()
        if justification or config.get("justification_required"):
            answer["justification"] = justification
        if not answer["labels"]:
            raise ValidationFailed("Choose a label before submitting.", field="labels",
                                   errors={"labels": "choose at least one label"})
        return answer
    raise ValidationFailed("Tasks of this kind are answered through the API for now; their page is on its way.",
                           code="kind_not_in_browser")


def draft_from_form(kind: str, form) -> dict:
    """What the work page autosaves: the fields as typed, unchecked (a draft may be half done)."""
    if kind == "classification":
        return {"labels": form.getlist("labels"), "justification": form.get("justification", "")[:5000]}
    return {}
