"""Scheduled bodies of the assessments room: each takes `now`, is idempotent, and returns a count."""
from __future__ import annotations

from flask import current_app

from . import attempts, holdings


def expire_qualifications(now) -> int:
    """Warn holders QUALIFICATION_EXPIRY_WARNING_DAYS before expiry (once), and expire what has run out."""
    warned = holdings.warn_due(now, current_app.config["QUALIFICATION_EXPIRY_WARNING_DAYS"])
    return warned + holdings.expire_due(now)


def close_abandoned_attempts(now) -> int:
    """Submit attempts left open past their time limit, as late, so they are graded and their time paid."""
    return attempts.close_overdue(now, current_app.config["ASSESSMENT_AUTO_SUBMIT_AFTER_MINUTES"])
