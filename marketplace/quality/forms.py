"""Quality forms: contests, answers to them, gold corrections, disputes, peer review decisions, settings."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (BooleanField, DecimalField, IntegerField, RadioField, SelectField, StringField,
                     TextAreaField)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class PostForm(FlaskForm):
    """A form with no fields: CSRF protection for buttons and hand-built forms."""


class ContestForm(FlaskForm):
    text = TextAreaField("Why is the expected answer wrong?", validators=[DataRequired(), Length(20, 5000)],
                         render_kw={"rows": 4},
                         description="The requester reads this and answers in writing. While it is open, this item "
                                     "does not count towards the job's quality rule.")


class UpholdForm(FlaskForm):
    response = TextAreaField("Your answer to the trainer", validators=[DataRequired(), Length(15, 5000)],
                             render_kw={"rows": 3}, description="Why the expected answer stands.")


class CorrectGoldForm(FlaskForm):
    gold_json = TextAreaField("Corrected gold answer (JSON)", validators=[Optional(), Length(max=20000)],
                              render_kw={"rows": 4})
    explanation = TextAreaField("Explanation trainers read", validators=[DataRequired(), Length(15, 5000)],
                                render_kw={"rows": 3},
                                description="Shown to every trainer who answers this item and misses it.")
    contest_id = IntegerField(validators=[Optional()])


class LiftForm(FlaskForm):
    reason = TextAreaField("Why you give this trainer another chance", validators=[DataRequired(), Length(15, 5000)],
                           render_kw={"rows": 3})


class DisputeForm(FlaskForm):
    text = TextAreaField("Why is the review wrong?", validators=[DataRequired(), Length(20, 5000)],
                         render_kw={"rows": 4}, description="The requester or an admin decides, in writing.")


class DecideDisputeForm(FlaskForm):
    outcome = RadioField("Decision", choices=[("upheld", "The review stands"),
                                              ("overturned", "Overturn the review")], validators=[DataRequired()])
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(15, 5000)], render_kw={"rows": 3})


class ReviewDecisionForm(FlaskForm):
    decision = RadioField("Your decision", choices=[("accept", "Accept: the answer is right"),
                                                    ("reject", "Reject: the answer is wrong (say why)"),
                                                    ("correct", "Correct it: give the right answer (say why)")],
                          validators=[DataRequired()])
    reason = TextAreaField("Reason (required to reject or correct)", validators=[Optional(), Length(max=5000)],
                           render_kw={"rows": 3})
    corrected_json = TextAreaField("Corrected answer (JSON, to correct)", validators=[Optional(), Length(max=20000)],
                                   render_kw={"rows": 4})


class SettingsForm(FlaskForm):
    is_rule_enabled = BooleanField("Apply the quality rule (remove trainers below the bar)")
    min_accuracy = IntegerField("Minimum accuracy on known-answer items (%)",
                                validators=[DataRequired(), NumberRange(1, 100)])
    min_gold_items = IntegerField("Apply it from this many scored items", validators=[DataRequired(),
                                                                                     NumberRange(1, 1000)])
    window = IntegerField("Count only the most recent items (empty: all)", validators=[Optional(),
                                                                                      NumberRange(1, 100000)])
    return_text = TextAreaField("How a removed trainer can return (empty: the standard text)",
                                validators=[Optional(), Length(max=2000)], render_kw={"rows": 2})
    iou_threshold = DecimalField("Boxes: overlap (IoU) needed to match", places=2,
                                 validators=[DataRequired(), NumberRange(0.05, 1)])
    rating_tolerance = DecimalField("Ratings: points off still counted correct", places=1,
                                    validators=[Optional(), NumberRange(0, 10)])
    reviewer_qualification = StringField("Reviewer qualification key (peer review)",
                                         validators=[Optional(), Length(max=80)],
                                         description="Empty: trainers who meet the quality rule on this job review.")


class KnownReviewForm(FlaskForm):
    task_seq = IntegerField("Task number", validators=[DataRequired(), NumberRange(1)])
    answer_json = TextAreaField("The answer reviewers will see (JSON)", validators=[DataRequired(), Length(2, 20000)],
                                render_kw={"rows": 4})
    expected_decision = SelectField("A good reviewer should", choices=[("accept", "accept it"),
                                                                     ("reject", "reject it")])
    explanation = TextAreaField("Why (reviewers read it after deciding)", validators=[DataRequired(),
                                                                                   Length(15, 5000)],
                                render_kw={"rows": 2})
