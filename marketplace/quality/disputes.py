"""Reviewers held to account: trainers dispute a peer review in writing (decided by the requester or an admin),
requesters seed review items with a known decision, and each reviewer's record is kept."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..assignment import review as assignment_review
from ..assignment.models import Assignment
from ..core import audit, notices
from ..core.errors import Conflict, NotFound, ValidationFailed
from ..core.time import utcnow
from ..extensions import db
from ..jobs.kinds import validate_answer
from ..jobs.models import Job, Task
from . import policies, scoring
from .gold import Accuracy
from .models import PeerReview, ReviewDispute, ReviewItem

MIN_TEXT_CHARS = 20
MIN_REASON_CHARS = 15


def dispute_for(review_id: int) -> ReviewDispute | None:
    return db.session.scalar(sa.select(ReviewDispute).where(ReviewDispute.review_id == review_id))


def dispute_review(review_id: int, trainer, text: str, *, now: datetime | None = None) -> ReviewDispute:
    """The author of a reviewed answer disputes a rejection or correction in writing, within the appeal window.

    Side effects: the dispute row (one per review), an audit row `quality.review_disputed`, a notice to the
    job's requester.
    """
    now = now or utcnow()
    review = db.session.get(PeerReview, review_id)
    if review is None or review.item.author_id != trainer.id or review.status != "done":
        raise NotFound("There is no such review of your work.")
    if review.decision == "accept":
        raise Conflict("Your answer was accepted; there is nothing to dispute.")
    days = current_app.config.get("APPEAL_WINDOW_DAYS", 14)
    if now > review.decided_at + timedelta(days=days):
        raise Conflict(f"Reviews can be disputed for {days} days after the decision; this one is older.")
    text = (text or "").strip()
    if len(text) < MIN_TEXT_CHARS:
        raise ValidationFailed(f"Explain why the review is wrong (at least {MIN_TEXT_CHARS} characters).",
                               field="text")
    dispute = ReviewDispute(review_id=review.id, job_id=review.job_id, worker_id=trainer.id, text=text[:5000],
                            status="open", created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(dispute)
            db.session.flush()
    except IntegrityError:
        raise Conflict("You already disputed this review.") from None
    job = db.session.get(Job, review.job_id)
    audit.record("quality.review_disputed", actor=trainer, subject_user=trainer, subject=dispute, reason=text,
                 data={"job_id": job.id, "review_id": review.id})
    notices.notify(job.requester, f"A peer review was disputed: {job.title}"[:200],
                   f"A trainer disputes a peer review in “{job.title}”:\n\n{text}\n\nDecide it in writing.",
                   link=f"/jobs/{job.id}/results#disputes", category="quality")
    return dispute


def decide_dispute(dispute_id: int, actor, outcome: str, reason: str, *,
                   now: datetime | None = None) -> ReviewDispute:
    """Uphold the review or overturn it, in writing. Overturning a rejection reinstates the answer (approved,
    through the work engine); overturning a correction voids it (the trainer's own answer stands in exports).
    An overturned review counts against its reviewer, who is told why.

    Side effects: the dispute decided (compare-and-set), an audit row `quality.dispute_decided`, notices to
    the trainer and, when overturned, to the reviewer.
    """
    now = now or utcnow()
    dispute = db.session.get(ReviewDispute, dispute_id)
    job = db.session.get(Job, dispute.job_id) if dispute is not None else None
    if dispute is None or not policies.can_decide_disputes(actor, job):
        raise NotFound("There is no such dispute among your jobs.")
    if outcome not in ("upheld", "overturned"):
        raise ValidationFailed("Choose to uphold or to overturn the review.", field="outcome")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationFailed(f"Write the reason for your decision (at least {MIN_REASON_CHARS} characters).",
                               field="reason")
    done = db.session.execute(sa.update(ReviewDispute).where(ReviewDispute.id == dispute.id,
                                                             ReviewDispute.status == "open")
                              .values(status=outcome, decided_by_id=actor.id, decision_reason=reason[:5000],
                                      decided_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(dispute)
    if not done:
        raise Conflict("This dispute was already decided.")
    review = dispute.review
    if outcome == "overturned" and review.decision == "reject":
        status = db.session.scalar(sa.select(Assignment.status).where(Assignment.id == review.item.assignment_id))
        if status == "rejected":  # an appeal (moderation) may have reinstated it already
            assignment_review.reinstate(review.item.assignment_id, actor, reason, now=now)
    audit.record("quality.dispute_decided", actor=actor, subject_user=dispute.worker_id, subject=dispute,
                 reason=reason, data={"job_id": job.id, "review_id": review.id, "outcome": outcome,
                                      "reviewer_id": review.reviewer_id})
    word = "overturned: the review no longer stands" if outcome == "overturned" else "upheld: the review stands"
    notices.notify(db.session.get(User, dispute.worker_id), f"Your dispute was decided: {job.title}"[:200],
                   f"Your dispute of a peer review in “{job.title}” was {word}.\n\nWhy:\n{reason}",
                   link="/quality#reviews", category="quality")
    if outcome == "overturned":
        notices.notify(db.session.get(User, review.reviewer_id), f"A review of yours was overturned: {job.title}"[:200],
                       f"A trainer disputed your review in “{job.title}” and it was overturned.\n\nWhy:\n{reason}\n\n"
                       "Overturned reviews are part of your reviewer record.", link="/quality#reviewing",
                       category="quality")
    return dispute


def seed_known_item(job: Job, actor, *, task_seq: int, answer, expected_decision: str,
                    explanation: str, now: datetime | None = None) -> ReviewItem:
    """The requester seeds a review item with a known decision (accept or reject) to measure reviewers.

    Side effects: the item (mixed into reviewers' queues at the gold rate), an audit row.
    """
    now = now or utcnow()
    if not (actor.is_requester and job.requester_id == actor.id):
        raise NotFound("There is no such job among yours.")
    if job.review_policy != "peer":
        raise Conflict("Known review items measure peer reviewers; this job is not peer-reviewed.")
    task = db.session.scalar(sa.select(Task).where(Task.job_id == job.id, Task.seq == task_seq))
    if task is None:
        raise ValidationFailed(f"This job has no task number {task_seq}.", field="task_seq")
    if expected_decision not in ("accept", "reject"):
        raise ValidationFailed("Say whether a good reviewer accepts or rejects this answer.",
                               field="expected_decision")
    if not isinstance(answer, dict):
        raise ValidationFailed("The answer to review must be a JSON object.", field="answer")
    validate_answer(job.kind, job.config, task.payload, answer, gold=True)
    explanation = (explanation or "").strip()
    if len(explanation) < MIN_REASON_CHARS:
        raise ValidationFailed(f"Explain the expected decision (at least {MIN_REASON_CHARS} characters): reviewers "
                               "read it after they decide.", field="explanation")
    item = ReviewItem(job_id=job.id, task_id=task.id, answer=answer, is_known=True,
                      expected_decision=expected_decision, explanation=explanation[:5000], status="open",
                      created_by_id=actor.id, created_at=now)
    db.session.add(item)
    db.session.flush()
    audit.record("quality.known_review_seeded", actor=actor, subject=item, reason=explanation,
                 data={"job_id": job.id, "task_id": task.id, "expected": expected_decision})
    return item


@dataclass(frozen=True)
class ReviewerRecord:
    """A reviewer's record on one job: known-decision accuracy, reviews done, and overturned on dispute."""

    job_id: int
    title: str
    known: Accuracy
    n_reviews: int
    n_overturned: int


def reviewer_record(reviewer_id: int) -> list[ReviewerRecord]:
    known = {a.job_id: a for a in scoring.accuracy_by_job(reviewer_id, source="review")}
    done = dict(db.session.execute(sa.select(PeerReview.job_id, sa.func.count(PeerReview.id)).where(
        PeerReview.reviewer_id == reviewer_id, PeerReview.status == "done").group_by(PeerReview.job_id)).all())
    overturned = dict(db.session.execute(
        sa.select(PeerReview.job_id, sa.func.count(ReviewDispute.id)).join(ReviewDispute)
        .where(PeerReview.reviewer_id == reviewer_id, ReviewDispute.status == "overturned")
        .group_by(PeerReview.job_id)).all())
    titles = dict(db.session.execute(sa.select(Job.id, Job.title).where(Job.id.in_(set(done) | set(known)))).all())
    return [ReviewerRecord(j, titles.get(j, ""), known[j].accuracy if j in known else Accuracy(0, 0, None),
                           done.get(j, 0), overturned.get(j, 0)) for j in sorted(set(done) | set(known))]


def reviews_of_my_work(trainer_id: int, limit: int = 100) -> list[tuple[PeerReview, ReviewDispute | None]]:
    """Decided peer reviews of the trainer's answers, newest first, with any dispute (no reviewer names)."""
    rows = db.session.execute(
        sa.select(PeerReview, ReviewDispute).join(ReviewItem, ReviewItem.id == PeerReview.item_id)
        .outerjoin(ReviewDispute, ReviewDispute.review_id == PeerReview.id)
        .where(ReviewItem.author_id == trainer_id, PeerReview.status == "done")
        .order_by(PeerReview.decided_at.desc()).limit(limit)).all()
    return [(r, d) for r, d in rows]
