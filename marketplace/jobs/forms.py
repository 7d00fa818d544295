"""Job forms: the wizard's steps (basics + kind configuration, eligibility, pay) and the task upload.

Forms turn people's input into the same dict the API takes; services validate it (one set of rules).
"""
from __future__ import annotations

from decimal import Decimal

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DecimalField, FieldList, Form, FormField, HiddenField, IntegerField, RadioField,
                     SelectField, SelectMultipleField, StringField, TextAreaField, widgets)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..core.taxonomy import EXPERTISE_AREAS, PROFICIENCY_LEVELS, PROGRAMMING_LANGUAGES, countries, languages


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


# Which configuration fields each kind shows, in order.
KIND_FIELDS = {
    "classification": ["labels", "multiple", "justification_required", "justification_min_chars"],
    "bounding_boxes": ["labels", "min_boxes", "max_boxes"],
    "writing": ["min_chars", "max_chars"],
    "pairwise_preference": ["allow_tie", "reason_min_chars"],
    "rating": ["rubric", "comments_required"],
    "code_review": ["language", "quality_scale_max", "require_bug_lines"],
}


class BasicsForm(FlaskForm):
    title = StringField("Title", validators=[DataRequired(), Length(3, 200)],
                        description="What trainers see first, e.g. “Judge hate speech in English posts”.")
    summary = StringField("One-line summary", validators=[Optional(), Length(max=500)])
    instructions = TextAreaField("Instructions (Markdown)", validators=[Optional(), Length(max=50_000)],
                                 render_kw={"rows": 12},
                                 description="Headings, lists, tables, examples and images "
                                             "(![alt](https://...)) are allowed; scripts are removed.")
    labels = TextAreaField("Labels, one per line", render_kw={"rows": 5})
    multiple = BooleanField("Trainers may choose several labels")
    justification_required = BooleanField("Trainers must write why they chose a label")
    justification_min_chars = IntegerField("Shortest justification (characters)", default=20,
                                           validators=[Optional(), NumberRange(1, 2000)])
    min_boxes = IntegerField("Fewest boxes per image", default=0, validators=[Optional(), NumberRange(0, 500)],
                             description="0 lets a trainer say there is nothing to box.")
    max_boxes = IntegerField("Most boxes per image", default=100, validators=[Optional(), NumberRange(1, 500)])
    min_chars = IntegerField("Shortest answer (characters)", default=200,
                             validators=[Optional(), NumberRange(1, 100_000)])
    max_chars = IntegerField("Longest answer (characters)", default=10_000,
                             validators=[Optional(), NumberRange(1, 100_000)])
    allow_tie = BooleanField("Trainers may call the two responses equally good")
    reason_min_chars = IntegerField("Shortest written reason (characters)", default=30,
                                    validators=[Optional(), NumberRange(0, 5000)])
    rubric = TextAreaField("Rubric: one scale per line, as “Name | highest score | what it measures”",
                           render_kw={"rows": 5, "placeholder": "Helpfulness | 5 | Does it answer the question?"})
    comments_required = BooleanField("Trainers must write a comment")
    language = SelectField("Programming language", choices=list(PROGRAMMING_LANGUAGES.items()), default="python")
    quality_scale_max = IntegerField("Quality score out of", default=5, validators=[Optional(), NumberRange(2, 10)])
    require_bug_lines = BooleanField("An “incorrect” verdict must point at a bug by line", default=True)

    def config_for(self, kind: str) -> dict:
        """The kind's configuration from the form (checked by kinds.validate_config in the service)."""
        config: dict = {}
        for name in KIND_FIELDS[kind]:
            field = getattr(self, name)
            if name == "labels":
                config["labels"] = [line.strip() for line in (field.data or "").splitlines() if line.strip()]
            elif name == "rubric":
                config["rubric"] = parse_rubric(field.data or "")
            elif field.data is not None and field.data != "":
                config[name] = field.data
        return config

    def load_config(self, config: dict) -> None:
        for name, value in config.items():
            field = getattr(self, name, None)
            if field is None:
                continue
            if name == "labels":
                field.data = "\n".join(value)
            elif name == "rubric":
                field.data = "\n".join(f"{s['name']} | {s['scale_max']} | {s.get('description', '')}".rstrip(" |")
                                       for s in value)
            else:
                field.data = value


def parse_rubric(text: str) -> list[dict]:
    scales = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        scale = {"name": parts[0]}
        try:
            scale["scale_max"] = int(parts[1]) if len(parts) > 1 and parts[1] else 5
        except ValueError:
            scale["scale_max"] = 0  # the schema refuses it with a clear message
        if len(parts) > 2 and parts[2]:
            scale["description"] = parts[2]
        scales.append(scale)
    return scales


class LanguageRequirement(Form):
    code = SelectField("Language", validators=[Optional()])
    min_proficiency = SelectField("At least", validators=[Optional()],
                                  choices=[(p, p.capitalize()) for p in reversed(PROFICIENCY_LEVELS)],
                                  default="professional")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.code.choices = [("", "—")] + list(languages().items())


class EligibilityForm(FlaskForm):
    languages = FieldList(FormField(LanguageRequirement), min_entries=3, max_entries=10)
    expertise = MultiCheckboxField("Expertise areas (all required)", choices=list(EXPERTISE_AREAS.items()))
    qualifications = MultiCheckboxField("Qualifications (all required)", choices=[],
                                        description="Proven skills: trainers earn them by passing a paid assessment.")
    countries = SelectMultipleField("Only trainers in these countries (leave empty for everywhere)",
                                    validators=[Optional()], render_kw={"size": 8})
    country_reason = TextAreaField("Why the job is limited to these countries",
                                   validators=[Optional(), Length(max=1000)], render_kw={"rows": 2},
                                   description="Trainers elsewhere read this, e.g. “the data may not leave Japan”.")
    content_warning = TextAreaField("Content warning", validators=[Optional(), Length(max=2000)],
                                    render_kw={"rows": 3},
                                    description="Describe distressing content (hate speech, violence ...). "
                                                "Trainers read and accept it before they see a task.")

    def __init__(self, *args, qualification_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.countries.choices = list(countries().items())
        self.qualifications.choices = list(qualification_choices)

    def values(self) -> dict:
        return {"required_languages": [{"code": row.code.data, "min_proficiency": row.min_proficiency.data}
                                       for row in self.languages if row.code.data],
                "required_expertise": list(self.expertise.data or []),
                "required_qualifications": list(self.qualifications.data or []),
                "allowed_countries": list(self.countries.data or []),
                "country_reason": (self.country_reason.data or "").strip(),
                "content_warning": (self.content_warning.data or "").strip()}


def _cents(value: Decimal | None) -> int | None:
    return None if value is None else int((value * 100).to_integral_value())


class PayForm(FlaskForm):
    hourly_rate = DecimalField("Hourly rate (USD)", places=2, validators=[DataRequired(), NumberRange(0, 1000)])
    est_minutes_per_task = IntegerField("Estimated minutes per task", default=5,
                                        validators=[DataRequired(), NumberRange(1, 600)])
    weekly_limit_hours = DecimalField("Most hours one trainer may work on this job per week", places=1,
                                      validators=[Optional(), NumberRange(0, 168)],
                                      description="Leave empty for no limit beyond each trainer's own cap.")
    budget = DecimalField("Budget (USD)", places=2, validators=[Optional(), NumberRange(0, 10_000_000)],
                          description="Moved from your funds into this job's escrow when you publish.")
    answers_per_task = IntegerField("Answers wanted per task", default=1, validators=[DataRequired(),
                                                                                       NumberRange(1, 10)])
    review_policy = RadioField("Review", default="auto", choices=[
        ("auto", "Accept answers automatically"), ("requester", "I review answers myself"),
        ("peer", "Trainer reviewers check answers (peer review)")])
    review_window_hours = IntegerField("Review window (hours)", default=72, validators=[DataRequired(),
                                                                                        NumberRange(1, 720)],
                                       description="Work not reviewed within this time is approved automatically.")
    reservation_minutes = IntegerField("Minutes a trainer may hold one task", default=30,
                                       validators=[DataRequired(), NumberRange(5, 480)])

    def values(self, include_budget: bool) -> dict:
        values = {"hourly_rate_cents": _cents(self.hourly_rate.data),
                  "est_minutes_per_task": self.est_minutes_per_task.data,
                  "weekly_limit_minutes": int((self.weekly_limit_hours.data or 0) * 60),
                  "answers_per_task": self.answers_per_task.data, "review_policy": self.review_policy.data,
                  "review_window_hours": self.review_window_hours.data,
                  "reservation_minutes": self.reservation_minutes.data}
        if include_budget:
            values["budget_cents"] = _cents(self.budget.data) or 0
        return values

    def load(self, job) -> None:
        self.hourly_rate.data = Decimal(job.hourly_rate_cents) / 100
        self.est_minutes_per_task.data = job.est_minutes_per_task
        self.weekly_limit_hours.data = (Decimal(job.weekly_limit_minutes) / 60) if job.weekly_limit_minutes else None
        self.budget.data = Decimal(job.budget_cents) / 100
        self.answers_per_task.data = job.answers_per_task
        self.review_policy.data = job.review_policy
        self.review_window_hours.data = job.review_window_hours
        self.reservation_minutes.data = job.reservation_minutes


class UploadForm(FlaskForm):
    file = FileField("Task file (.jsonl or .csv)")
    images = FileField("ZIP of images (bounding-box jobs)")
    mode = RadioField("If some rows are invalid", default="all_or_nothing", choices=[
        ("all_or_nothing", "Import nothing, and show me every problem (all-or-nothing)"),
        ("skip_invalid", "Import the valid rows, skip the others, and give me a report of them")])


class AddFundsForm(FlaskForm):
    amount = DecimalField("Add to budget (USD)", places=2, validators=[DataRequired(), NumberRange(0.01, 10_000_000)])
    idempotency_key = HiddenField(validators=[DataRequired(), Length(8, 64)])
