"""Work sessions from heartbeats: open, coalesce, switch jobs, split at the week's end, close when idle.

The rules are the pure ones in sessions.py; this module applies them to the stored rows with compare-and-set
updates (two web workers handling beats of one trainer can never move time backwards or close a session twice).
Server time only, in whole seconds, so a session's `seconds` is exactly last activity minus start and every sum
(the clock, the timesheet, the bill) is the same number. Services never commit.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..assessments.models import Attempt
from ..assignment import states as assignment_states
from ..assignment.claims import begin_write
from ..assignment.models import Assignment
from ..core.errors import Forbidden, NotFound, ValidationFailed
from ..core.events import emit
from ..core.money import pay_for_seconds
from ..core.time import utcnow, week_start
from ..extensions import db
from ..jobs.models import Job
from . import budget, policies, sessions
from .calculations import WEEK
from .models import Timesheet, WorkSession

log = logging.getLogger(__name__)
WORK_KINDS = ("job", "review")


def server_now() -> datetime:
    """Server time in whole seconds: sessions bill whole seconds, so every sum of them agrees exactly."""
    return utcnow().replace(microsecond=0)


def idle_gap() -> timedelta:
    return timedelta(seconds=current_app.config["IDLE_GAP_SECONDS"])


def write_interval() -> timedelta:
    return timedelta(seconds=current_app.config["HEARTBEAT_WRITE_INTERVAL_SECONDS"])


@dataclass(frozen=True)
class BeatOutcome:
    """What one heartbeat did: the session it landed in, whether a row was written, or why none could start."""

    session_id: int | None
    job_id: int
    wrote: bool = False
    opened: bool = False
    refused: str | None = None  # "budget" | "no_task" | "standing" when no session could start
    message: str = ""


# --- reading -----------------------------------------------------------------------------------------------

def open_session(trainer_id: int) -> WorkSession | None:
    """The trainer's one open job or review session (the partial unique index allows no second)."""
    return db.session.scalar(sa.select(WorkSession).where(
        WorkSession.trainer_id == trainer_id, WorkSession.closed_at.is_(None), WorkSession.kind != "assessment"))


def _seconds(start: datetime, end: datetime) -> int:
    return sessions.whole_seconds(end - start)


# --- writing (compare-and-set) -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Snapshot:
    """The stored row as this beat read it: compare-and-set updates expect exactly these values (SQLite's
    begin_write may start a new transaction, so the decision is never re-based on a fresher read)."""

    id: int
    started_at: datetime
    last_activity_at: datetime
    week_start: datetime

    @classmethod
    def of(cls, row: WorkSession) -> Snapshot:
        return cls(row.id, row.started_at, row.last_activity_at, row.week_start)


def _advance(snap: Snapshot, at: datetime) -> bool:
    """Move the stored last activity forward to `at`, only if nobody moved or closed it meanwhile."""
    done = db.session.execute(
        sa.update(WorkSession).where(WorkSession.id == snap.id, WorkSession.closed_at.is_(None),
                                     WorkSession.last_activity_at == snap.last_activity_at)
        .values(last_activity_at=at, seconds=_seconds(snap.started_at, at))
        .execution_options(synchronize_session=False)).rowcount
    return bool(done)


def _close(snap: Snapshot, *, end: datetime, reason: str, idle_seconds: int = 0) -> bool:
    """Close an open session at `end` (its last activity, or a later stop time); compare-and-set on the stored
    last activity so a beat landing at the same moment is never lost."""
    done = db.session.execute(
        sa.update(WorkSession).where(WorkSession.id == snap.id, WorkSession.closed_at.is_(None),
                                     WorkSession.last_activity_at == snap.last_activity_at)
        .values(closed_at=end, last_activity_at=end, seconds=_seconds(snap.started_at, end), close_reason=reason,
                idle_seconds=max(0, idle_seconds))
        .execution_options(synchronize_session=False)).rowcount
    return bool(done)


def timesheet_for(trainer_id: int, job_id: int, week: datetime) -> Timesheet:
    """The trainer's timesheet for the job and pay week, created on first use (unique per trainer/job/week)."""
    found = db.session.scalar(sa.select(Timesheet).where(Timesheet.trainer_id == trainer_id,
                                                         Timesheet.job_id == job_id, Timesheet.week_start == week))
    if found is not None:
        return found
    try:
        with db.session.begin_nested():
            sheet = Timesheet(trainer_id=trainer_id, job_id=job_id, week_start=week, status="open",
                              fee_basis_points=budget.fee_bps(), created_at=utcnow())
            db.session.add(sheet)
            db.session.flush()
        return sheet
    except IntegrityError:  # a concurrent first beat created it
        return db.session.scalar(sa.select(Timesheet).where(
            Timesheet.trainer_id == trainer_id, Timesheet.job_id == job_id, Timesheet.week_start == week))


def _insert_session(trainer_id: int, job_id: int, kind: str, start: datetime, last: datetime) -> WorkSession | None:
    week = week_start(start)
    sheet = timesheet_for(trainer_id, job_id, week)
    try:
        with db.session.begin_nested():
            row = WorkSession(trainer_id=trainer_id, kind=kind, job_id=job_id, timesheet_id=sheet.id, week_start=week,
                              started_at=start, last_activity_at=last, seconds=_seconds(start, last))
            db.session.add(row)
            db.session.flush()
        return row
    except IntegrityError:  # another worker opened the trainer's session a moment ago
        return None


# --- the heartbeat -----------------------------------------------------------------------------------------

def heartbeat(trainer: User, job_id: int, *, kind: str = "job", final: bool = False, stop: bool = False,
              now: datetime | None = None, _retry: int = 2) -> BeatOutcome:
    """Record that the trainer is working on the job now (a beat from the work page).

    Rules: a beat continues the trainer's open session on this job (coalesced: most beats write nothing; a
    final beat always writes); a beat more than the idle gap after the last activity closes the session there
    and starts a new one; a beat for another job closes the open session at its last activity and starts one
    here; a session never spans two pay weeks. A new session needs a task in hand and the job's escrow to
    cover it until the next budget check (else the job pauses and the beat is refused, with the reason).
    `stop` closes the session now (submit and stop).
    """
    now = now or server_now()
    if kind not in WORK_KINDS:
        raise ValidationFailed("kind must be job or review.", field="kind", errors={"kind": "must be job or review"})
    if not trainer.is_worker:
        raise Forbidden("Only trainers record working time.")
    row = open_session(trainer.id)
    current = Snapshot.of(row) if row is not None else None
    if row is not None and row.job_id == job_id and row.kind == kind:
        # The common case reads one row (the open session) and usually writes nothing.
        outcome = _continue(trainer, job_id, kind, current, now, final=final, stop=stop)
    else:
        outcome = _start(trainer, _job(job_id), kind, now, previous=current, stop=stop)
    if outcome is None and _retry:  # lost a compare-and-set to a concurrent beat: read again and redo
        db.session.expire_all()
        return heartbeat(trainer, job_id, kind=kind, final=final, stop=stop, now=now, _retry=_retry - 1)
    return outcome or BeatOutcome(None, job_id)


def _job(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("There is no such job.")
    return job


def _continue(trainer, job_id: int, kind, snap: Snapshot, now: datetime, *, final: bool,
              stop: bool) -> BeatOutcome | None:
    state = sessions.SessionState(snap.started_at, snap.last_activity_at)
    gap = now - snap.last_activity_at
    if now >= snap.week_start + WEEK and gap <= idle_gap():
        return _split_at_week_end(trainer, job_id, kind, snap, now, stop=stop)
    if stop:
        closed, _ = sessions.close_session(state, now, idle_gap())
        idle = _seconds(closed.closed_at, now) if closed.closed_at < now else 0
        begin_write()
        if not _close(snap, end=closed.closed_at, reason="idle" if idle else "stopped", idle_seconds=idle):
            return None
        return BeatOutcome(snap.id, job_id, wrote=True)
    result = sessions.apply_heartbeat(state, now, idle_gap(), write_interval(), final=final)
    if result.closed is not None:
        # Idle longer than the gap: bill up to the last activity, then this beat starts fresh work.
        return _start(trainer, _job(job_id), kind, now, previous=snap)
    if not result.needs_write:
        return BeatOutcome(snap.id, job_id)
    begin_write()
    if not _advance(snap, now):
        return None
    return BeatOutcome(snap.id, job_id, wrote=True)


def _split_at_week_end(trainer, job_id: int, kind, snap: Snapshot, now: datetime, *,
                       stop: bool) -> BeatOutcome | None:
    """Working across Monday 00:00 UTC: the old session ends at the boundary, the same work goes on in a new
    session of the new week (no budget check: the running session already held its reserve)."""
    boundary = week_start(now)
    begin_write()
    if not _close(snap, end=boundary, reason="week_end"):
        return None
    new = _insert_session(trainer.id, job_id, kind, boundary, now)
    if new is None:
        return None
    if stop:
        _close(Snapshot.of(new), end=now, reason="stopped")
    return BeatOutcome(new.id, job_id, wrote=True, opened=True)


def _close_previous(previous: Snapshot, now: datetime) -> bool:
    """End the session the trainer leaves: at its last activity (idle if the gap passed, else switched)."""
    idle = now - previous.last_activity_at > idle_gap()
    return _close(previous, end=previous.last_activity_at, reason="idle" if idle else "switched",
                  idle_seconds=_seconds(previous.last_activity_at, now) if idle else 0)


def _start(trainer, job, kind, now: datetime, *, previous: Snapshot | None, stop: bool = False) -> BeatOutcome | None:
    refusal = _start_refusal(trainer, job, kind, now)
    if refusal is not None:
        wrote = False
        if previous is not None and now - previous.last_activity_at > idle_gap():
            begin_write()  # the old session is over anyway: close it where its activity ended
            wrote = _close_previous(previous, now)
        return BeatOutcome(None, job.id, wrote=wrote, refused=refusal[0], message=refusal[1])
    begin_write()
    if previous is not None and not _close_previous(previous, now):
        return None
    if stop:
        return BeatOutcome(None, job.id, wrote=previous is not None)
    row = _insert_session(trainer.id, job.id, kind, now, now)
    if row is None:
        return None
    # Taking the last reserve pauses the job at once: new claims stop, tasks in hand go on.
    budget.pause_if_low(job, now)
    return BeatOutcome(row.id, job.id, wrote=True, opened=True)


def _start_refusal(trainer, job, kind, now: datetime) -> tuple[str, str] | None:
    if not trainer.in_good_standing:
        return ("standing", "Your account is suspended, so new work time cannot start. Read the notice in your "
                            "inbox: it says why and how to appeal.")
    if kind == "job" and not has_task_in_hand(trainer.id, job.id, now):
        return ("no_task", "You hold no task of this job right now, so no time is recorded. Start a task from "
                           "My work and the clock runs again.")
    if kind == "review" and not policies.can_review_for_pay(trainer, job, now, now - idle_gap()):
        return ("no_task", "You hold no review of this job right now, so no time is recorded. Take a review "
                           "from the job's review queue and the clock runs again.")
    if not budget.can_start(job, trainer.id, now):
        budget.pause_if_low(job, now)
        return ("budget", budget.budget_message(job))
    return None


def has_task_in_hand(trainer_id: int, job_id: int, now: datetime) -> bool:
    """A live reservation on the job, or an answer submitted within the idle gap (its final beat)."""
    recent = now - idle_gap()
    return db.session.scalar(sa.select(sa.exists().where(
        Assignment.job_id == job_id, Assignment.worker_id == trainer_id,
        sa.or_(sa.and_(Assignment.status == assignment_states.RESERVED, Assignment.expires_at > now),
               Assignment.submitted_at >= recent)))) or False


def stop_work(trainer: User, *, now: datetime | None = None) -> bool:
    """Close the trainer's open session now (Stop, or submit and stop). True when one was closed."""
    now = now or server_now()
    row = open_session(trainer.id)
    if row is None:
        return False
    return heartbeat(trainer, row.job_id, kind=row.kind, stop=True, now=now).wrote


# --- scheduled: the idle sweep and paid assessment time ---------------------------------------------------

def close_idle_sessions(now: datetime) -> int:
    """Close every session silent for longer than the idle gap, at its last activity (the idle time after it
    is recorded as idle, never billed). Compare-and-set per row: a beat landing meanwhile wins."""
    cutoff = now - idle_gap()
    rows = db.session.execute(sa.select(WorkSession.id, WorkSession.started_at, WorkSession.last_activity_at)
                              .where(WorkSession.closed_at.is_(None), WorkSession.last_activity_at < cutoff)
                              .order_by(WorkSession.id)).all()
    closed = 0
    for session_id, started_at, last in rows:
        closed += db.session.execute(
            sa.update(WorkSession).where(WorkSession.id == session_id, WorkSession.closed_at.is_(None),
                                         WorkSession.last_activity_at == last)
            .values(closed_at=last, close_reason="idle", idle_seconds=_seconds(last, max(last, now)),
                    seconds=_seconds(started_at, last))
            .execution_options(synchronize_session=False)).rowcount
    return closed


def record_onboarding_time(now: datetime, limit: int = 500) -> int:
    """Record each submitted assessment attempt's paid test time as a session, once, and have it paid at the
    onboarding rate from the platform (event `onboarding.recorded`, key `onboarding:<attempt id>`), pass or
    fail. UNIQUE(attempt_id) makes a second run, or a second scheduler, a no-op."""
    recorded = sa.exists().where(WorkSession.attempt_id == Attempt.id)
    attempts = db.session.execute(
        sa.select(Attempt.id, Attempt.user_id, Attempt.started_at, Attempt.paid_seconds)
        .where(Attempt.submitted_at.is_not(None), Attempt.paid_seconds.is_not(None), ~recorded)
        .order_by(Attempt.id).limit(limit)).all()
    rate = current_app.config["ONBOARDING_RATE_CENTS_PER_HOUR"]
    done = 0
    for attempt_id, user_id, started_at, paid_seconds in attempts:
        end = started_at + timedelta(seconds=paid_seconds)
        try:
            with db.session.begin_nested():
                row = WorkSession(trainer_id=user_id, kind="assessment", attempt_id=attempt_id,
                                  week_start=week_start(started_at), started_at=started_at, last_activity_at=end,
                                  closed_at=end, close_reason="attempt", seconds=paid_seconds)
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            continue  # another run recorded it first
        amount = pay_for_seconds(rate, paid_seconds)
        if amount > 0:
            emit("onboarding.recorded", session=row, trainer=db.session.get(User, user_id), amount_cents=amount,
                 idempotency_key=f"onboarding:{attempt_id}", attempt_id=attempt_id)
        done += 1
    return done
