"""Who may see and do what with sessions, timesheets, disputes and bonuses (can_<verb>_<noun>)."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..quality.models import PeerReview


def can_view_timesheet(user, timesheet) -> bool:
    """The trainer it belongs to, the requester of its job, and admins."""
    if not user.is_authenticated:
        return False
    return user.is_admin or user.id == timesheet.trainer_id or (
        user.is_requester and timesheet.job.requester_id == user.id)


def can_review_timesheet(user, timesheet) -> bool:
    """Only the job's requester approves or disputes its timesheets (admins decide disputes, not timesheets)."""
    return user.is_authenticated and user.is_requester and timesheet.job.requester_id == user.id


def can_answer_dispute(user, dispute) -> bool:
    return user.is_authenticated and user.id == dispute.timesheet.trainer_id


def can_decide_dispute(user, dispute) -> bool:
    """Any admin who is neither side of the dispute."""
    return (user.is_authenticated and user.is_admin and user.id not in (dispute.requester_id,
                                                                          dispute.timesheet.trainer_id))


def can_pay_bonus(user, job) -> bool:
    return user.is_authenticated and user.is_requester and job.requester_id == user.id


def can_review_for_pay(trainer, job, now, since) -> bool:
    """Peer review is paid work, like a task in hand: the trainer holds a live review of the job (the quality
    room's claim; it checked the reviewer qualification), or decided one at or after `since` (the final beat)."""
    if job.review_policy != "peer":
        return False
    return db.session.scalar(sa.select(sa.exists().where(
        PeerReview.job_id == job.id, PeerReview.reviewer_id == trainer.id,
        sa.or_(sa.and_(PeerReview.status == "reserved", PeerReview.expires_at > now),
               PeerReview.decided_at >= since)))) or False
