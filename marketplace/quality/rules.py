"""A job's quality settings as the pure modules' rule objects, and the requester's service to change them."""
from __future__ import annotations

from flask import current_app

from ..core import audit
from ..core.errors import ValidationFailed
from ..core.time import utcnow
from ..extensions import db
from .gold import ScoringRules
from .gold_rate import GoldSchedule
from .models import JobQualitySettings
from .restrictions import QualityRule

DEFAULT_RETURN = ("Contest the items you think are scored against a wrong answer, or appeal; the job's requester "
                  "can also give you another chance in writing.")


def default_return(job) -> tuple[str, str]:
    """(action, text): retake the qualifying assessment when the job requires a qualification, else ask."""
    if job is not None and job.required_qualifications:
        keys = ", ".join(job.required_qualifications)
        return ("retake_assessment", f"Retake the assessment for the job's qualification ({keys}); passing it "
                                     "lifts this removal and gives you a fresh start.")
    return "ask_requester", DEFAULT_RETURN


def settings_for(job_id: int) -> JobQualitySettings:
    """The job's settings row, or an unsaved row with the defaults (the rule applies to every job)."""
    row = db.session.get(JobQualitySettings, job_id)
    if row is None:
        row = JobQualitySettings(job_id=job_id, is_rule_enabled=True, min_accuracy=0.8, min_gold_items=10,
                                 gold_window=50, return_text="", iou_threshold=0.5, rating_tolerance=1.0)
    return row


def quality_rule(settings: JobQualitySettings, job=None) -> QualityRule:
    action, text = default_return(job)
    return QualityRule(min_accuracy=settings.min_accuracy, min_gold_items=settings.min_gold_items,
                       window=settings.gold_window, return_action=action if not settings.return_text else "custom",
                       return_text=settings.return_text or text)


def scoring_rules(settings: JobQualitySettings) -> ScoringRules:
    return ScoringRules(iou_threshold=settings.iou_threshold, rating_tolerance=settings.rating_tolerance)


def gold_schedule() -> GoldSchedule:
    return GoldSchedule.from_config(current_app.config)


def update_settings(job, actor, *, is_rule_enabled: bool, min_accuracy: float, min_gold_items: int,
                    window: int | None, return_text: str, iou_threshold: float, rating_tolerance: float,
                    reviewer_qualification: str | None) -> JobQualitySettings:
    """Change a job's quality rule and tolerances. The rule is checked by the pure QualityRule first, so a
    setting that could never apply (a window smaller than the minimum) is refused with its reason.

    Side effects: the settings row; an audit row `quality.settings_changed`. Trainers already removed stay
    removed until a re-evaluation (their next scored item, a gold correction) or a lift.
    """
    try:
        QualityRule(min_accuracy=min_accuracy, min_gold_items=min_gold_items, window=window)
        ScoringRules(iou_threshold=iou_threshold, rating_tolerance=rating_tolerance)
    except ValueError as exc:
        raise ValidationFailed(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
    if rating_tolerance < 0:
        raise ValidationFailed("The rating tolerance cannot be negative.", field="rating_tolerance")
    row = db.session.get(JobQualitySettings, job.id)
    if row is None:
        row = JobQualitySettings(job_id=job.id)
        db.session.add(row)
    row.is_rule_enabled, row.min_accuracy, row.min_gold_items = is_rule_enabled, min_accuracy, min_gold_items
    row.gold_window, row.return_text = window, (return_text or "").strip()[:2000]
    row.iou_threshold, row.rating_tolerance = iou_threshold, rating_tolerance
    row.reviewer_qualification = (reviewer_qualification or "").strip() or None
    row.updated_at = utcnow()
    audit.record("quality.settings_changed", actor=actor, subject=job, reason="Quality rule and tolerances changed.",
                 data={"min_accuracy": min_accuracy, "min_gold_items": min_gold_items, "window": window,
                       "enabled": is_rule_enabled, "reviewer_qualification": row.reviewer_qualification})
    return row
