"""Review of submitted answers: approve, reject with a written reason, and automatic approval after the job's
review window. Rejections and manual approvals are decisions about a person: audited, and a rejection is
sent to the trainer with its reason (it can be appealed under the due-process rules)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, Forbidden, ValidationFailed
from ..core.time import utcnow
from ..extensions import db
from ..jobs import states as job_states
from ..jobs.models import Job, Task
from . import appeals as _appeals  # noqa: F401  (rejections are appealable)
from . import claims, hooks, states
from .models import Assignment
from .services import _count_answer

MIN_REASON_CHARS = 15


def can_review(user, job: Job) -> bool:
    """The job's requester reviews its answers; admins may too (e.g. while a requester is away)."""
    return user.is_authenticated and (user.is_admin or (user.is_requester and job.requester_id == user.id))


def _load(assignment_id: int, reviewer, job_id: int | None = None, *, peers: bool = True) -> Assignment:
    """The assignment, when `reviewer` may review it: the job's requester, an admin, or (peers=True) a
    trainer holding its peer review (the quality room decides who, through hooks.py)."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or (job_id is not None and assignment.job_id != job_id) or not (
            can_review(reviewer, assignment.job) or (peers and hooks.may_review_as_peer(reviewer, assignment))):
        raise Forbidden("You can only review answers to your own jobs.", status=404, code="not_found")
    return assignment


def _decide(assignment: Assignment, values: dict) -> None:
    done = db.session.execute(
        sa.update(Assignment).where(Assignment.id == assignment.id, Assignment.status == states.SUBMITTED)
        .values(**values).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(assignment)
    if not done:
        raise Conflict(states.REVIEW_REFUSALS.get(assignment.status, "This answer cannot be reviewed now."),
                       code="not_submitted")


def approve(assignment_id: int, reviewer, *, job_id: int | None = None, now: datetime | None = None) -> Assignment:
    """Accept a submitted answer. Side effects: status approved, an audit row."""
    now = now or utcnow()
    assignment = _load(assignment_id, reviewer, job_id)
    claims.begin_write()
    _decide(assignment, {"status": states.APPROVED, "reviewed_at": now, "reviewer_id": reviewer.id})
    audit.record("assignment.approved", actor=reviewer, subject_user=assignment.worker_id, subject=assignment,
                 reason="Answer approved.", data={"job_id": assignment.job_id, "task_id": assignment.task_id})
    return assignment


def reject(assignment_id: int, reviewer, reason: str, *, job_id: int | None = None,
           now: datetime | None = None) -> Assignment:
    """Reject a submitted answer with a written reason the trainer reads.

    Side effects: status rejected with the reason; the task's slot and answer count are given back (the task
    needs another answer); an audit row; a notice to the trainer saying why and how to appeal.
    """
    now = now or utcnow()
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationFailed(f"Write why the answer is rejected (at least {MIN_REASON_CHARS} characters): the "
                               "trainer reads it and may appeal.", field="reason",
                               errors={"reason": f"must be at least {MIN_REASON_CHARS} characters"})
    assignment = _load(assignment_id, reviewer, job_id)
    claims.begin_write()
    _decide(assignment, {"status": states.REJECTED, "reviewed_at": now, "reviewer_id": reviewer.id,
                         "review_reason": reason[:5000]})
    job = assignment.job
    _count_answer(assignment.task_id, job, -1)
    claims.give_back(Counter([assignment.task_id]), reopen=job.status != job_states.CLOSED)
    audit.record("assignment.rejected", actor=reviewer, subject_user=assignment.worker_id, subject=assignment,
                 reason=reason, data={"job_id": job.id, "task_id": assignment.task_id})
    worker = db.session.get(User, assignment.worker_id)
    notices.notify(worker, f"An answer was rejected: {job.title}"[:200],
                   f"Your answer to task {assignment.task.seq} of “{job.title}” was rejected.\n\nThe reason given:"
                   f"\n{reason}\n\nThis does not change what you are paid for the time you worked. If you think "
                   "the decision is wrong, you can appeal it (Appeals, or the task's page); an admin who did not make "
                   "the decision decides.", link=f"/work/tasks/{assignment.id}", category="work")
    return assignment


def restore_rejected(assignment: Assignment, actor, review_reason: str, now: datetime) -> bool:
    """The one place a rejected answer becomes approved again (a reinstatement here, an overturned appeal in
    appeals.py, an overturned peer review in the quality room through reinstate): compare-and-set from
    rejected, then the answer is counted again and holds its slot again (the task may end with one answer
    more than it asked for, shown on its progress page and paid like any other). Returns False, changing
    nothing, when the answer is not rejected (any more). The caller writes the audit row and tells the trainer."""
    done = db.session.execute(
        sa.update(Assignment).where(Assignment.id == assignment.id, Assignment.status == states.REJECTED)
        .values(status=states.APPROVED, reviewed_at=now, reviewer_id=getattr(actor, "id", actor),
                review_reason=review_reason[:5000])
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(assignment)
    if not done:
        return False
    job = assignment.job
    _count_answer(assignment.task_id, job, +1)
    db.session.execute(sa.update(Task).where(Task.id == assignment.task_id)
                       .values(holders=Task.holders + 1, is_open=Task.holders + 1 < job.answers_per_task)
                       .execution_options(synchronize_session=False))
    return True


def reinstate(assignment_id: int, actor, reason: str, *, now: datetime | None = None) -> Assignment:
    """Reverse a rejection (a dispute or appeal decided for the trainer): the answer counts as approved.

    Only the job's requester or an admin may. Side effects: status approved with the written reason; the
    answer is counted again and holds its slot again (the task may end with one answer more than it asked
    for, which is paid like any other); an audit row; a notice to the trainer.
    """
    now = now or utcnow()
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationFailed(f"Write why the rejection is reversed (at least {MIN_REASON_CHARS} characters).",
                               field="reason", errors={"reason": f"must be at least {MIN_REASON_CHARS} characters"})
    assignment = _load(assignment_id, actor, None, peers=False)
    claims.begin_write()
    if not restore_rejected(assignment, actor, f"Rejection reversed: {reason}", now):
        raise Conflict("Only a rejected answer can be reinstated; this one is "
                       f"{states.label(assignment.status)}.", code="not_rejected")
    job = assignment.job
    audit.record("assignment.reinstated", actor=actor, subject_user=assignment.worker_id, subject=assignment,
                 reason=reason, data={"job_id": job.id, "task_id": assignment.task_id})
    worker = db.session.get(User, assignment.worker_id)
    notices.notify(worker, f"A rejection was reversed: {job.title}"[:200],
                   f"The rejection of your answer to task {assignment.task.seq} of “{job.title}” was reversed; "
                   f"the answer now counts as approved.\n\nWhy:\n{reason}", link="/my-record", category="work")
    return assignment


def auto_approve_due(now: datetime) -> int:
    """Approve every submitted answer whose job's review window has passed (one set-based update per job;
    idempotent). Returns how many were approved."""
    job_windows = db.session.execute(
        sa.select(Job.id, Job.review_window_hours).where(
            Job.id.in_(sa.select(Assignment.job_id).where(Assignment.status == states.SUBMITTED).distinct()))).all()
    total = 0
    for job_id, hours in job_windows:
        cutoff = now - timedelta(hours=hours)
        approved = db.session.execute(
            sa.update(Assignment).where(Assignment.job_id == job_id, Assignment.status == states.SUBMITTED,
                                        Assignment.submitted_at <= cutoff)
            .values(status=states.APPROVED, reviewed_at=now).execution_options(synchronize_session=False)).rowcount
        if approved:
            audit.record("assignment.auto_approved", actor=None, reason=(
                f"{approved} answer(s) approved automatically: the job's review window of {hours} hours passed."),
                data={"job_id": job_id, "count": approved})
            total += approved
    return total


def sweep_reservations(now: datetime) -> int:
    """Tidy up: expire lapsed reservations of every job (claims already release them job by job, so this
    only matters for jobs nobody is claiming from). Returns how many were released."""
    rows = db.session.execute(sa.select(Job.id, Job.status).where(Job.id.in_(
        sa.select(Assignment.job_id).where(Assignment.status == states.RESERVED, Assignment.expires_at <= now)
        .distinct())).order_by(Job.id)).all()
    return sum(claims.release_expired(job_id, now, reopen=status != job_states.CLOSED) for job_id, status in rows)
