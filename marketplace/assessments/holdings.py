"""Trainers' qualifications: granting (by a passed attempt or by an admin), revoking, expiring and warning.

Every change writes a QualificationDecision row (appealable), an audit event and a notice to the trainer.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, ValidationFailed
from ..core.events import emit
from ..core.time import utcnow
from ..extensions import db
from .models import Assessment, Attempt, Qualification, QualificationDecision, TrainerQualification

log = logging.getLogger(__name__)
MIN_REASON_CHARS = 20


def link(endpoint: str, **values) -> str:
    """A site-relative link usable outside a request (scheduled jobs, the CLI)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def check_reason(reason: str | None, field: str = "reason") -> str:
    """Decisions about people carry a written reason of at least 20 characters, which the trainer reads."""
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        message = (f"Write a reason of at least {MIN_REASON_CHARS} characters: the trainer reads it "
                   f"(this one has {len(reason)}).")
        raise ValidationFailed(message, field=field, errors={field: message})
    if len(reason) > 5000:
        raise ValidationFailed("Keep the reason under 5,000 characters.", field=field)
    return reason


def record_decision(*, user_id: int, qualification: Qualification, kind: str, actor, reason: str,
                    attempt: Attempt | None = None, data: dict | None = None,
                    now: datetime | None = None) -> QualificationDecision:
    decision = QualificationDecision(user_id=user_id, qualification_id=qualification.id, kind=kind,
                                     actor_id=getattr(actor, "id", actor), reason=reason,
                                     attempt_id=attempt.id if attempt else None, data=data or {},
                                     created_at=now or utcnow())
    db.session.add(decision)
    return decision


def holding_for(user_id: int, qualification_id: int) -> TrainerQualification | None:
    return db.session.scalar(sa.select(TrainerQualification).where(
        TrainerQualification.user_id == user_id, TrainerQualification.qualification_id == qualification_id))


def _expiry(qualification: Qualification, now: datetime) -> datetime | None:
    return now + timedelta(days=qualification.validity_days) if qualification.validity_days else None


def _upsert(user_id: int, qualification: Qualification, *, source: str, attempt: Attempt | None, actor,
            reason: str, now: datetime) -> TrainerQualification:
    holding = holding_for(user_id, qualification.id)
    if holding is None:
        try:
            with db.session.begin_nested():  # the unique (trainer, qualification) pair is the backstop
                holding = TrainerQualification(user_id=user_id, qualification_id=qualification.id, status="active",
                                               source=source, granted_at=now)
                db.session.add(holding)
        except IntegrityError as exc:
            raise Conflict("This qualification was granted a moment ago by someone else. Reload the page.") from exc
    holding.status = "active"
    holding.source = source
    holding.attempt_id = attempt.id if attempt else None
    holding.granted_at = now
    holding.granted_by_id = getattr(actor, "id", actor)
    holding.reason = reason
    holding.expires_at = _expiry(qualification, now)
    holding.expiry_warned_at = None
    holding.expired_at = None
    holding.revoked_at = None
    holding.revoked_by_id = None
    holding.revoke_reason = ""
    holding.cycle_started_at = now  # attempt limits restart for the next re-certification
    db.session.flush()
    # Rooms above react in this transaction (the quality room lifts a job removal whose way back this was).
    emit("qualification.granted", user_id=user_id, key=qualification.key, now=now)
    return holding


def grant_from_attempt(attempt: Attempt, *, actor, reason: str, now: datetime) -> TrainerQualification | None:
    """Grant (or renew) the attempt's qualification. A revoked qualification is not restored by a pass:
    only an appeal or an admin grant undoes a revocation."""
    qualification = attempt.assessment.qualification
    holding = holding_for(attempt.user_id, qualification.id)
    if holding is not None and holding.status == "revoked":
        log.info("attempt %s passed but qualification %s stays revoked", attempt.id, qualification.key)
        return None
    return _upsert(attempt.user_id, qualification, source="assessment", attempt=attempt, actor=actor,
                   reason=reason, now=now)


def admin_grant(trainer: User, qualification: Qualification, *, actor: User, reason: str,
                now: datetime | None = None) -> TrainerQualification:
    """An admin grants a qualification with a written reason (e.g. proven elsewhere, or after an appeal).

    Rules: trainers only; not if already held and unexpired. Side effects: decision row, audit, notice.
    """
    now = now or utcnow()
    reason = check_reason(reason)
    if not trainer.is_worker:
        raise ValidationFailed("Qualifications are for trainers only.", field="email")
    current = holding_for(trainer.id, qualification.id)
    if current is not None and current.status == "active" and (current.expires_at is None or current.expires_at > now):
        raise Conflict(f"{trainer.display_name} already holds {qualification.name}.")
    holding = _upsert(trainer.id, qualification, source="admin", attempt=None, actor=actor,
                      reason=f"Granted by an admin: {reason}", now=now)
    decision = record_decision(user_id=trainer.id, qualification=qualification, kind="admin_grant", actor=actor,
                               reason=reason, now=now)
    db.session.flush()
    audit.record("qualification.granted", actor=actor, subject_user=trainer, subject=holding, reason=reason,
                 data={"qualification": qualification.key, "decision_id": decision.id})
    notices.notify(trainer, f"You now hold the qualification {qualification.name}",
                   f"An admin granted you {qualification.name}.\n\nReason: {reason}"
                   + (f"\n\nIt is valid until {holding.expires_at:%-d %b %Y}." if holding.expires_at else ""),
                   link=link("assessments.index"), category="qualification")
    return holding


def revoke(holding: TrainerQualification, *, actor: User, reason: str,
           now: datetime | None = None) -> TrainerQualification:
    """An admin revokes an active qualification with a written reason the trainer reads (and may appeal).

    Compare-and-set on the status, so two admins cannot revoke twice. Side effects: decision, audit, notice.
    """
    now = now or utcnow()
    reason = check_reason(reason)
    changed = db.session.execute(
        sa.update(TrainerQualification)
        .where(TrainerQualification.id == holding.id, TrainerQualification.status == "active")
        .values(status="revoked", revoked_at=now, revoked_by_id=actor.id, revoke_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict("This qualification is not active, so it cannot be revoked.")
    db.session.refresh(holding)
    trainer = db.session.get(User, holding.user_id)
    decision = record_decision(user_id=holding.user_id, qualification=holding.qualification, kind="revocation",
                               actor=actor, reason=reason, now=now)
    db.session.flush()
    audit.record("qualification.revoked", actor=actor, subject_user=holding.user_id, subject=holding,
                 reason=reason, data={"qualification": holding.qualification.key, "decision_id": decision.id})
    notices.notify(trainer, f"Your qualification {holding.qualification.name} was revoked",
                   f"An admin revoked your qualification {holding.qualification.name}.\n\nReason: {reason}\n\n"
                   "Jobs that require it are closed to you from now on. If you think this is wrong, you can appeal "
                   "the decision: another admin will decide it in writing.",
                   link=link("assessments.index"), category="qualification", banner=True)
    return holding


def expire_due(now: datetime) -> int:
    """Expire active qualifications whose validity has run out; the trainer can re-certify at once."""
    due = list(db.session.scalars(sa.select(TrainerQualification).where(
        TrainerQualification.status == "active", TrainerQualification.expires_at.is_not(None),
        TrainerQualification.expires_at <= now)))
    count = 0
    for holding in due:
        changed = db.session.execute(
            sa.update(TrainerQualification)
            .where(TrainerQualification.id == holding.id, TrainerQualification.status == "active",
                   TrainerQualification.expires_at <= now)
            .values(status="expired", expired_at=now, cycle_started_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            continue
        db.session.refresh(holding)
        qualification = holding.qualification
        reason = (f"{qualification.name} is valid for {qualification.validity_days} days; yours was earned on "
                  f"{holding.granted_at:%-d %b %Y} and expired on {holding.expires_at:%-d %b %Y}.")
        record_decision(user_id=holding.user_id, qualification=qualification, kind="expiry", actor=None,
                        reason=reason, now=now)
        audit.record("qualification.expired", actor=None, subject_user=holding.user_id, subject=holding,
                     reason=reason, data={"qualification": qualification.key})
        trainer = db.session.get(User, holding.user_id)
        assessment = active_assessment(qualification.id)
        notices.notify(trainer, f"Your qualification {qualification.name} has expired",
                       reason + " Jobs that require it are closed to you until you re-certify."
                       + (f" Take the assessment \"{assessment.title}\" again to re-certify: your attempts "
                          "start afresh." if assessment else ""),
                       link=link("assessments.detail", key=assessment.key) if assessment else None,
                       category="qualification")
        count += 1
    return count


def warn_due(now: datetime, warning_days: int) -> int:
    """Tell holders `warning_days` before expiry, once per holding (renewing resets the flag)."""
    horizon = now + timedelta(days=warning_days)
    due = list(db.session.scalars(sa.select(TrainerQualification).where(
        TrainerQualification.status == "active", TrainerQualification.expiry_warned_at.is_(None),
        TrainerQualification.expires_at.is_not(None), TrainerQualification.expires_at > now,
        TrainerQualification.expires_at <= horizon)))
    count = 0
    for holding in due:
        changed = db.session.execute(
            sa.update(TrainerQualification)
            .where(TrainerQualification.id == holding.id, TrainerQualification.expiry_warned_at.is_(None))
            .values(expiry_warned_at=now).execution_options(synchronize_session=False)
        ).rowcount
        if not changed:
            continue
        qualification = holding.qualification
        days_left = max((holding.expires_at - now).days, 0)
        trainer = db.session.get(User, holding.user_id)
        assessment = active_assessment(qualification.id)
        notices.notify(trainer, f"{qualification.name} expires in {days_left} day{'s' if days_left != 1 else ''}",
                       f"Your qualification {qualification.name} expires on {holding.expires_at:%-d %b %Y}. "
                       + (f"You can re-certify now by passing \"{assessment.title}\" again; the new validity "
                          "starts from the day you pass. Your test time is paid." if assessment else
                          "An admin can renew it."),
                       link=link("assessments.detail", key=assessment.key) if assessment else None,
                       category="qualification")
        count += 1
    return count


def active_assessment(qualification_id: int) -> Assessment | None:
    return db.session.scalar(sa.select(Assessment).where(Assessment.qualification_id == qualification_id,
                                                         Assessment.is_active.is_(True)))
