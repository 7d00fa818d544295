"""Peer review (the QA tier): answers to jobs with review policy "peer" wait as review items; qualified
reviewers claim one at a time and accept, reject with a written reason, or correct. Requester-seeded items
with a known decision are mixed in at the gold rate and score the reviewers themselves.

Decisions on real answers go through the work engine's review service (audit row, notice, counters), with
the reviewer as the actor: hooks.py tells it that a reviewer holding the item may decide it. Reviewing is
paid working time: "quality.review_started" / "quality.review_finished" announce it for the pay room.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..assessments import services as assessments
from ..assignment import claims
from ..assignment import review as assignment_review
from ..assignment.models import Assignment
from ..core import notices
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.events import emit
from ..core.time import utcnow
from ..extensions import db
from ..jobs import services as jobs
from ..jobs.kinds import validate_answer
from ..jobs.models import Job
from . import removals, rules, scoring
from .gold_rate import is_gold_slot
from .models import GoldScore, PeerReview, ReviewItem

log = logging.getLogger(__name__)
MIN_REASON_CHARS = 15
DECISION_WORDS = {"accept": "accepted", "reject": "rejected", "correct": "corrected"}


def create_item(assignment, job: Job, now: datetime) -> ReviewItem | None:
    """Queue a just-submitted answer of a peer-reviewed job for review (once per answer)."""
    if job.review_policy != "peer":
        return None
    item = ReviewItem(job_id=job.id, task_id=assignment.task_id, assignment_id=assignment.id,
                      author_id=assignment.worker_id, is_known=False, status="open", created_at=now)
    db.session.add(item)
    db.session.flush()
    return item


def held_keys(user_id: int, now: datetime) -> set[str]:
    """The trainer's active qualification keys (the assessments room's, and whatever the jobs seam adds)."""
    return set(assessments.active_qualification_keys(user_id, now)) | set(jobs.held_qualification_keys(user_id, now))


def reviewer_blockers(user, job: Job, now: datetime) -> list[str]:
    """Why `user` may not review answers of `job` now (empty: they may). Reviewers hold the job's reviewer
    qualification; when the requester named none, a proven record on the job's gold items stands in."""
    if not user.is_authenticated or not user.is_worker:
        return ["Only trainers review answers."]
    out = []
    if not user.in_good_standing:
        out.append("Your account is not in good standing, so new work is blocked.")
    if job.review_policy != "peer":
        out.append("This job is not peer-reviewed.")
    elif job.status not in ("published", "paused"):
        out.append("This job is not live.")
    settings = rules.settings_for(job.id)
    if settings.reviewer_qualification:
        if settings.reviewer_qualification not in held_keys(user.id, now):
            out.append(f"Reviewing needs the {settings.reviewer_qualification} qualification.")
    else:
        acc = scoring.job_accuracies(job.id).get(user.id)
        if acc is None or acc.n_items < settings.min_gold_items or acc.accuracy < settings.min_accuracy:
            out.append(f"Reviewing needs at least {settings.min_accuracy:.0%} accuracy on at least "
                       f"{settings.min_gold_items} of this job's known-answer items"
                       + (f" (you have {acc.text()})." if acc else "."))
    if removals.active_restriction(job.id, user.id) is not None:
        out.append("You are removed from this job by its quality rule.")
    return out


def live_review(job_id: int, reviewer_id: int, now: datetime) -> PeerReview | None:
    return db.session.scalar(sa.select(PeerReview).where(
        PeerReview.job_id == job_id, PeerReview.reviewer_id == reviewer_id, PeerReview.status == "reserved",
        PeerReview.expires_at > now).order_by(PeerReview.id).limit(1))


def release_expired(job_id: int, now: datetime) -> int:
    """Lapsed review reservations expire and their items go back to the queue (compare-and-set)."""
    item_ids = db.session.execute(sa.update(PeerReview).where(
        PeerReview.job_id == job_id, PeerReview.status == "reserved", PeerReview.expires_at <= now)
        .values(status="expired").returning(PeerReview.item_id)).scalars().all()
    if item_ids:
        db.session.execute(sa.update(ReviewItem).where(ReviewItem.id.in_(item_ids), ReviewItem.status == "claimed")
                           .values(status="open").execution_options(synchronize_session=False))
    return len(item_ids)


_ORDINARY = (
    "SELECT i.id FROM review_items i WHERE i.job_id = :job_id AND NOT i.is_known AND i.status = 'open' "
    "AND (i.author_id IS NULL OR i.author_id <> :reviewer_id) "
    "AND EXISTS (SELECT 1 FROM assignments a WHERE a.id = i.assignment_id AND a.status = 'submitted') "
    "AND NOT EXISTS (SELECT 1 FROM peer_reviews p WHERE p.item_id = i.id AND p.reviewer_id = :reviewer_id) "
    "ORDER BY i.id LIMIT 1")
_PG_TAKE = sa.text(f"WITH c AS MATERIALIZED ({_ORDINARY} FOR UPDATE OF i SKIP LOCKED) "
                   "UPDATE review_items SET status = 'claimed' FROM c WHERE review_items.id = c.id "
                   "AND review_items.status = 'open' RETURNING review_items.id")
_SQLITE_TAKE = sa.text(f"UPDATE review_items SET status = 'claimed' WHERE id = ({_ORDINARY}) AND status = 'open' "
                       "RETURNING id")


def _take_ordinary(job_id: int, reviewer_id: int) -> int | None:
    """Claim the oldest open answer for review in ONE statement (same pattern as the task claim)."""
    dialect = db.session.get_bind().dialect.name
    statement = _PG_TAKE if dialect == "postgresql" else _SQLITE_TAKE
    return db.session.execute(statement, {"job_id": job_id, "reviewer_id": reviewer_id}).scalar()


def _pick_known(job_id: int, reviewer_id: int) -> int | None:
    done = sa.exists().where(PeerReview.item_id == ReviewItem.id, PeerReview.reviewer_id == reviewer_id)
    return db.session.scalar(sa.select(ReviewItem.id).where(
        ReviewItem.job_id == job_id, ReviewItem.is_known.is_(True), ReviewItem.status == "open", ~done)
        .order_by(ReviewItem.id).limit(1))


def claim_review(job: Job, reviewer, *, now: datetime | None = None) -> PeerReview:
    """Give the reviewer one answer to review (or the one they already hold). Known-decision items come at the
    gold rate, decided per slot like gold tasks, so a reviewer cannot tell them apart.

    Side effects: lapsed reservations released; the item claimed and a PeerReview reserved for the job's
    review time; the event "quality.review_started" (paid working time, measured by the pay room).
    """
    now = now or utcnow()
    blockers = reviewer_blockers(reviewer, job, now)
    if blockers:
        raise Forbidden(" ".join(blockers), code="not_eligible")
    claims.begin_write()
    release_expired(job.id, now)
    held = live_review(job.id, reviewer.id, now)
    if held is not None:
        return held
    position = db.session.scalar(sa.select(sa.func.count(PeerReview.id)).where(
        PeerReview.job_id == job.id, PeerReview.reviewer_id == reviewer.id))
    known_slot = is_gold_slot(current_app.config["SECRET_KEY"], f"review-{job.id}", reviewer.id, position,
                              schedule=rules.gold_schedule())
    order = (_pick_known, _take_ordinary) if known_slot else (_take_ordinary, _pick_known)
    minutes = current_app.config.get("QUALITY_REVIEW_RESERVATION_MINUTES", 20)
    for pick in order:
        item_id = pick(job.id, reviewer.id)
        if item_id is None:
            continue
        review = PeerReview(item_id=item_id, job_id=job.id, reviewer_id=reviewer.id, status="reserved",
                            reserved_at=now, expires_at=now + timedelta(minutes=minutes))
        try:
            with db.session.begin_nested():  # UNIQUE(item, reviewer): a double click cannot hold one twice
                db.session.add(review)
                db.session.flush()
        except IntegrityError:
            continue
        emit("quality.review_started", review=review, reviewer=reviewer, job=job, now=now)
        return review
    raise Conflict("No answers are waiting for review in this job right now; look again later.", code="no_reviews")


def get_own_review(review_id: int, reviewer) -> PeerReview:
    review = db.session.get(PeerReview, review_id)
    if review is None or review.reviewer_id != reviewer.id:
        raise NotFound("There is no such review in your work.")
    return review


def answer_under_review(item: ReviewItem) -> dict | None:
    """The answer the reviewer judges (never with its author's name)."""
    if item.is_known:
        return item.answer
    return db.session.scalar(sa.select(Assignment.answer).where(Assignment.id == item.assignment_id))


def may_review_as_peer(user, assignment) -> bool:
    """hooks.py permission: the user holds a live peer review of exactly this answer."""
    if not getattr(user, "is_worker", False):
        return False
    return db.session.scalar(sa.select(sa.func.count(PeerReview.id)).join(ReviewItem).where(
        ReviewItem.assignment_id == assignment.id, PeerReview.reviewer_id == user.id,
        PeerReview.status == "reserved")) > 0


def decide(review_id: int, reviewer, decision: str, *, reason: str = "", corrected_answer=None,
           now: datetime | None = None) -> PeerReview:
    """Record the reviewer's decision: accept; reject with a written reason; or correct (a written reason and
    the corrected answer, checked against the job's answer schema).

    Real answers: accept and correct approve the assignment, reject rejects it (work engine review service:
    audit row, notice with the reason); the author may dispute a reject or correction. Known items: the
    decision is scored against the requester's (a GoldScore with source "review"). Side effects also: the
    review done (compare-and-set), the item done, the event "quality.review_finished".
    """
    now = now or utcnow()
    review = get_own_review(review_id, reviewer)
    if decision not in DECISION_WORDS:
        raise ValidationFailed("Choose accept, reject or correct.", field="decision")
    reason = (reason or "").strip()
    if decision != "accept" and len(reason) < MIN_REASON_CHARS:
        raise ValidationFailed(f"Write why (at least {MIN_REASON_CHARS} characters): the trainer reads it.",
                               field="reason")
    item, job = review.item, db.session.get(Job, review.job_id)
    if decision == "correct":
        if not isinstance(corrected_answer, dict):
            raise ValidationFailed("Give the corrected answer.", field="corrected_answer")
        validate_answer(job.kind, job.config, item.task.payload, corrected_answer, gold=True)
    if review.status != "reserved" or review.expires_at <= now:
        raise Conflict("Your hold on this review ran out, so it went back to the queue; take the next one.",
                       code="not_reserved")
    claims.begin_write()
    if not item.is_known:
        _apply_to_answer(item, reviewer, decision, reason, now)
    done = db.session.execute(sa.update(PeerReview).where(PeerReview.id == review.id,
                                                          PeerReview.status == "reserved")
                              .values(status="done", decision=decision, reason=reason[:5000],
                                      corrected_answer=corrected_answer if decision == "correct" else None,
                                      decided_at=now).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(review)
    if not done:
        raise Conflict("This review was already decided.", code="not_reserved")
    if item.is_known:
        _score_reviewer(review, item, decision, now)
    else:
        db.session.execute(sa.update(ReviewItem).where(ReviewItem.id == item.id).values(status="done")
                           .execution_options(synchronize_session=False))
    emit("quality.review_finished", review=review, reviewer=reviewer, job=job, now=now)
    return review


def _apply_to_answer(item: ReviewItem, reviewer, decision: str, reason: str, now: datetime) -> None:
    status = db.session.scalar(sa.select(Assignment.status).where(Assignment.id == item.assignment_id))
    if status != "submitted":
        raise Conflict("This answer was already decided (its review window may have passed); take the next one.",
                       code="not_submitted")
    if decision == "reject":
        assignment_review.reject(item.assignment_id, reviewer, reason, now=now)
    else:
        assignment_review.approve(item.assignment_id, reviewer, now=now)
    if decision != "accept":
        job = db.session.get(Job, item.job_id)
        what = "rejected" if decision == "reject" else "approved with a correction"
        notices.notify(db.session.get(User, item.author_id), f"A peer review of your answer: {job.title}"[:200],
                       f"A reviewer {what} your answer to task {item.task.seq} of “{job.title}”.\n\nTheir reason:\n"
                       f"{reason}\n\nIf you think the review is wrong, dispute it in writing from your quality "
                       "page; the requester or an admin decides.", link="/quality#reviews", category="quality")


def _score_reviewer(review: PeerReview, item: ReviewItem, decision: str, now: datetime) -> None:
    # A correction says the answer was wrong: it matches an expected "reject".
    given = "reject" if decision == "correct" else decision
    passed = given == item.expected_decision
    why = f" The requester's note: {item.explanation}" if item.explanation else ""
    text = (f"Correct: this answer should be {DECISION_WORDS[item.expected_decision]}.{why}" if passed else
            f"You {DECISION_WORDS[decision]} an answer the requester expected to be "
            f"{DECISION_WORDS[item.expected_decision]}.{why}")
    db.session.add(GoldScore(job_id=review.job_id, task_id=item.task_id, worker_id=review.reviewer_id,
                             source="review", peer_review_id=review.id, kind="review", passed=passed,
                             score=1.0 if passed else 0.0, explanation=text, scored_at=now))
    db.session.flush()


def close_settled_items(now: datetime) -> int:
    """Items whose answer was decided another way (auto-approved at the end of the review window, or by the
    requester) leave the review queue. Idempotent; returns how many were closed."""
    settled = sa.select(Assignment.id).where(Assignment.id == ReviewItem.assignment_id,
                                             Assignment.status != "submitted")
    return db.session.execute(sa.update(ReviewItem).where(
        ReviewItem.is_known.is_(False), ReviewItem.status == "open", sa.exists(settled))
        .values(status="closed").execution_options(synchronize_session=False)).rowcount
