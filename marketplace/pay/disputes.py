"""Disputes of single sessions: the requester objects in writing, the trainer answers, an admin decides.

Every step is a compare-and-set on the dispute's status, writes an audit row with the written reason, and tells
the other side. A session under dispute is neither paid nor removed until the dispute is resolved; when its
timesheet is already approved, the resolution settles it (timesheets.settle) in the same transaction.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.time import for_reader
from ..extensions import db
from . import calculations, policies, timesheets
from .models import UNRESOLVED, SessionDispute, Timesheet, WorkSession

MIN_REASON_CHARS = 15


def _written(text: str | None, field: str, what: str) -> str:
    text = (text or "").strip()
    if len(text) < MIN_REASON_CHARS:
        raise ValidationFailed(f"Write {what} (at least {MIN_REASON_CHARS} characters): the other side reads it.",
                               field=field, errors={field: f"must be at least {MIN_REASON_CHARS} characters"})
    return text[:5000]


def _minutes(seconds: int) -> str:
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds % 60 else f"{seconds // 60} min"


def _link(timesheet: Timesheet) -> str:
    return f"/pay/timesheets/{timesheet.id}"


def _move(dispute: SessionDispute, expected: tuple[str, ...], **values) -> None:
    moved = db.session.execute(sa.update(SessionDispute).where(SessionDispute.id == dispute.id,
                                                               SessionDispute.status.in_(expected))
                               .values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(dispute)
    if not moved:
        raise Conflict(f"This dispute is already {dispute.status}; reload the page to see what happened.",
                       code="dispute_state")


def _settle_if_approved(dispute: SessionDispute, actor) -> None:
    timesheet = dispute.timesheet
    db.session.refresh(timesheet)
    timesheets.settle(timesheet, f"timesheet:{timesheet.id}:dispute:{dispute.id}:{dispute.status}", actor=actor)


def open_dispute(timesheet: Timesheet, session_id: int, requester, reason: str, proposed_seconds: int,
                 now: datetime) -> SessionDispute:
    """The requester disputes one session of a closed, not yet approved timesheet, within its review window.

    Rules: a written reason; the proposal removes (0) or shortens the session; one dispute per session.
    Side effects: the dispute row, an audit row, a notice to the trainer with the reason and how to answer.
    """
    if not policies.can_review_timesheet(requester, timesheet):
        raise Forbidden("Only the job's requester can dispute its timesheets.")
    if timesheet.status == "open":
        raise Conflict("This pay week is still running; sessions can be disputed once the week has ended.")
    if timesheet.status == "approved":
        raise Conflict("This timesheet is approved; its sessions can no longer be disputed.")
    if timesheet.review_due_at is not None and now >= timesheet.review_due_at:
        raise Conflict("The review window of this timesheet has closed; it is being approved automatically.")
    session = db.session.get(WorkSession, session_id)
    if session is None or session.timesheet_id != timesheet.id:
        raise NotFound("That session is not on this timesheet.")
    reason = _written(reason, "reason", "why you dispute this session")
    if isinstance(proposed_seconds, bool) or not isinstance(proposed_seconds, int) or not (
            0 <= proposed_seconds < session.seconds):
        raise ValidationFailed(f"Propose between 0 and {session.seconds // 60} minutes (less than recorded): 0 "
                               "removes the session.", field="proposed_minutes",
                               errors={"proposed_minutes": "must be less than the recorded time"})
    days = current_app.config["DISPUTE_ANSWER_DAYS"]
    dispute = SessionDispute(timesheet_id=timesheet.id, session_id=session.id, requester_id=requester.id,
                             status="open", recorded_seconds=session.seconds, proposed_seconds=proposed_seconds,
                             reason=reason, created_at=now, answer_due_at=now + timedelta(days=days))
    try:
        with db.session.begin_nested():
            db.session.add(dispute)
            db.session.flush()
    except IntegrityError:
        raise Conflict("This session is already disputed.", code="already_disputed") from None
    audit.record("pay.session_disputed", actor=requester, subject_user=timesheet.trainer_id, subject=dispute,
                 reason=reason, data={"session_id": session.id, "recorded_seconds": session.seconds,
                                      "proposed_seconds": proposed_seconds})
    notices.notify(timesheet.trainer, f"A session was disputed: {timesheet.job.title}"[:200],
                   f"The requester disputes your session of "
                   f"{for_reader(session.started_at, timesheet.trainer.timezone, '%a %-d %b %H:%M')} "
                   f"({_minutes(session.seconds)}) and proposes paying {_minutes(proposed_seconds)}.\n\nTheir "
                   f"reason:\n{reason}\n\nAnswer within {days} days: accept, or explain in writing why the time "
                   "stands. If you do not agree, an admin decides. Until then this session is neither paid nor "
                   "removed; the rest of your timesheet is paid as usual.", link=_link(timesheet), category="pay")
    return dispute


def answer(dispute: SessionDispute, trainer, *, accept: bool, text: str, now: datetime) -> SessionDispute:
    """The trainer accepts the proposal, or contests it in writing (then an admin decides).

    Side effects: audit row, a notice to the requester; on accept the shortened session is settled if the
    timesheet is already approved.
    """
    if not policies.can_answer_dispute(trainer, dispute):
        raise Forbidden("Only the trainer whose session it is can answer this dispute.")
    if accept:
        text = (text or "").strip()[:5000]
        _move(dispute, ("open",), status="accepted", trainer_answer=text or None, answered_at=now)
        _settle_if_approved(dispute, trainer)
        words = "accepted the proposal"
    else:
        text = _written(text, "answer", "why the recorded time stands")
        _move(dispute, ("open",), status="contested", trainer_answer=text, answered_at=now)
        words = "contested it; an admin will decide"
    audit.record("pay.dispute_answered", actor=trainer, subject_user=trainer, subject=dispute,
                 reason=text or "Accepted.", data={"accepted": accept})
    requester = db.session.get(User, dispute.requester_id)
    notices.notify(requester, f"The trainer answered your dispute ({dispute.timesheet.job.title})"[:200],
                   f"The trainer {words}." + (f"\n\nTheir answer:\n{text}" if text else ""),
                   link=_link(dispute.timesheet), category="pay")
    return dispute


def withdraw(dispute: SessionDispute, requester, reason: str, now: datetime) -> SessionDispute:
    """The requester withdraws a dispute not yet decided: the session stands as recorded (and is paid)."""
    if requester.id != dispute.requester_id:
        raise Forbidden("Only the requester who raised this dispute can withdraw it.")
    reason = (reason or "").strip()[:5000] or "Withdrawn by the requester."
    _move(dispute, UNRESOLVED, status="withdrawn", withdrawn_reason=reason, decided_at=now)
    _settle_if_approved(dispute, requester)
    audit.record("pay.dispute_withdrawn", actor=requester, subject_user=dispute.timesheet.trainer_id,
                 subject=dispute, reason=reason)
    notices.notify(dispute.timesheet.trainer, "A dispute of your time was withdrawn",
                   f"The requester withdrew the dispute of your session ({_minutes(dispute.recorded_seconds)}). "
                   "The time stands as recorded and is paid.", link=_link(dispute.timesheet), category="pay")
    return dispute


def escalate_overdue(now: datetime) -> int:
    """Disputes the trainer has not answered in time go to an admin (never decided by silence). Scheduled."""
    due = list(db.session.scalars(sa.select(SessionDispute).where(SessionDispute.status == "open",
                                                                  SessionDispute.answer_due_at <= now)))
    for dispute in due:
        _move(dispute, ("open",), status="escalated", escalated_at=now)
        audit.record("pay.dispute_escalated", actor=None, subject_user=dispute.timesheet.trainer_id,
                     subject=dispute, reason="Not answered in time: an admin decides.")
        notices.notify(dispute.timesheet.trainer, "A dispute of your time went to an admin",
                       "You did not answer the dispute of your session in time, so an admin will decide it. You "
                       "can still write to them from the timesheet.", link=_link(dispute.timesheet), category="pay")
    return len(due)


def decide(dispute: SessionDispute, admin, *, uphold: bool, reason: str, seconds: int | None,
           now: datetime) -> SessionDispute:
    """An admin decides a contested or escalated dispute in writing: uphold (the session is paid `seconds`,
    by default the requester's proposal) or reject (it stands as recorded).

    Rules: an admin who is neither side; a written reason. Side effects: audit row, notices to both sides,
    settlement if the timesheet is approved. An upheld decision can be appealed by the trainer.
    """
    if not policies.can_decide_dispute(admin, dispute):
        raise Forbidden("An admin who is not part of the dispute decides it.")
    reason = _written(reason, "reason", "the reason for your decision")
    if uphold:
        seconds = dispute.proposed_seconds if seconds is None else seconds
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 0 <= seconds < dispute.recorded_seconds:
            raise ValidationFailed("The time to pay must be less than the recorded time (0 removes the session).",
                                   field="minutes", errors={"minutes": "must be less than the recorded time"})
        _move(dispute, ("contested", "escalated"), status="upheld", admin_id=admin.id, admin_reason=reason,
              decided_seconds=seconds, decided_at=now)
    else:
        _move(dispute, ("contested", "escalated"), status="rejected", admin_id=admin.id, admin_reason=reason,
              decided_at=now)
    _settle_if_approved(dispute, admin)
    outcome = (f"the session is paid {_minutes(dispute.decided_seconds)} instead of "
               f"{_minutes(dispute.recorded_seconds)}") if uphold else "the session stands as recorded and is paid"
    audit.record("pay.dispute_decided", actor=admin, subject_user=dispute.timesheet.trainer_id, subject=dispute,
                 reason=reason, data={"upheld": uphold, "decided_seconds": dispute.decided_seconds,
                                      "recorded_seconds": dispute.recorded_seconds})
    appeal = ("\n\nIf you think this decision is wrong, you can appeal it from your record; another admin "
              "decides.") if uphold else ""
    notices.notify(dispute.timesheet.trainer, "A dispute of your time was decided",
                   f"An admin decided: {outcome}.\n\nTheir reason:\n{reason}{appeal}",
                   link=_link(dispute.timesheet), category="pay")
    notices.notify(db.session.get(User, dispute.requester_id), "Your dispute was decided",
                   f"An admin decided: {outcome}.\n\nTheir reason:\n{reason}", link=_link(dispute.timesheet),
                   category="pay")
    return dispute


def reverse_on_appeal(dispute: SessionDispute, actor) -> str:
    """An appeal overturned an upheld decision: the session's recorded time is restored and paid. Returns the
    sentence the appeal's notice uses (the appeal decision is the audited one)."""
    _move(dispute, ("upheld",), status="reversed")
    _settle_if_approved(dispute, actor)
    return (f"The session's recorded time ({_minutes(dispute.recorded_seconds)}) is restored and paid with your "
            "next payout.")


def for_timesheet(timesheet_id: int) -> list[SessionDispute]:
    return list(db.session.scalars(sa.select(SessionDispute).where(SessionDispute.timesheet_id == timesheet_id)
                                   .order_by(SessionDispute.id)))


def week_name(dispute: SessionDispute) -> str:
    return calculations.iso_week_name(dispute.timesheet.week_start)
