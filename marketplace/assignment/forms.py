"""Forms of the work engine: returning a task, rejecting an answer, and reading an answer from the work page."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.errors import ValidationFailed
from . import kind_forms
from .states import FLAG_REASONS, RETURN_REASON_LABELS


class ReturnForm(FlaskForm):
    reason = RadioField("Why? (optional; the requester only sees totals, never who said what)",
                        choices=[(key, label) for key, label in RETURN_REASON_LABELS.items()
                                 if key not in FLAG_REASONS], validators=[Optional()])
    note = TextAreaField("Anything the requester should know (optional)", validators=[Optional(), Length(max=1000)])


class FlagForm(FlaskForm):
    """Flag the task itself (broken or harmful): returned without penalty, and the requester is told why."""
    flag = RadioField("What is wrong with the task?", choices=[(key, RETURN_REASON_LABELS[key]) for key in FLAG_REASONS],
                      validators=[DataRequired(message="Choose broken or harmful.")])
    flag_note = TextAreaField("What is wrong? The requester reads this (never your name).",
                              validators=[DataRequired(message="Say what is wrong with the task."),
                                          Length(min=10, max=1000, message="Write 10 to 1,000 characters.")])


class RejectForm(FlaskForm):
    reason = TextAreaField("Why is this answer wrong? The trainer reads this and may appeal.",
                           validators=[DataRequired(message="Write the reason: the trainer reads it."),
                                       Length(min=15, max=5000)])


def answer_from_form(kind: str, config: dict, form, assignment=None) -> dict:
    """The answer a work page posted, in the kind's answer shape (the service validates it).

    Kinds get their own page section in templates/assignment/kinds/<kind>.html; every kind but classification
    is read by kind_forms.py.
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
    return kind_forms.answer_from_form(kind, config, form, assignment)


def draft_from_form(kind: str, form) -> dict:
    """What the work page autosaves: the fields as typed, unchecked (a draft may be half done)."""
    if kind == "classification":
        return {"labels": form.getlist("labels"), "justification": form.get("justification", "")[:5000]}
    return kind_forms.draft_from_form(kind, form)
