"""Protection from harmful content: a daily exposure limit and an opt-out that never touches standing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from ..accounts.models import User
from ..core.errors import Forbidden, ValidationFailed
from ..core.permissions import Role
from ..core.time import utcnow
from ..extensions import db
from .models import ExposureSetting


@dataclass(frozen=True)
class ExposurePolicy:
    """What the matching code honours: skip content-warning jobs entirely, or stop after the daily minutes."""

    accepts_content_warning_jobs: bool
    daily_limit_minutes: int  # the limit in force: the trainer's own when lower, else the platform's
    platform_limit_minutes: int
    personal_limit_minutes: int | None = None


def exposure_policy(user: User) -> ExposurePolicy:
    platform = current_app.config["HARMFUL_CONTENT_DAILY_LIMIT_MINUTES"]
    setting = db.session.get(ExposureSetting, user.id)
    if setting is None:
        return ExposurePolicy(True, platform, platform)
    personal = setting.daily_limit_minutes
    limit = platform if personal is None else min(personal, platform)
    return ExposurePolicy(not setting.is_opted_out, limit, platform, personal)


def update_exposure(user: User, *, is_opted_out: bool, daily_limit_minutes: int | None,
                    now: datetime | None = None) -> ExposureSetting:
    """A trainer's own choice. Rules: trainers only; a personal limit between 0 and the platform limit.
    No audit row, no notice and no effect on standing or quality: it is not a decision about anyone."""
    if user.role != Role.WORKER:
        raise Forbidden("Only trainers set content exposure.")
    platform = current_app.config["HARMFUL_CONTENT_DAILY_LIMIT_MINUTES"]
    if daily_limit_minutes is not None and not 0 <= daily_limit_minutes <= platform:
        raise ValidationFailed(f"Choose a daily limit between 0 and {platform} minutes (the platform's limit).",
                               field="daily_limit_minutes")
    setting = db.session.get(ExposureSetting, user.id) or ExposureSetting(user_id=user.id)
    setting.is_opted_out = bool(is_opted_out)
    setting.daily_limit_minutes = daily_limit_minutes
    setting.updated_at = now or utcnow()
    db.session.add(setting)
    db.session.flush()
    return setting
