"""People's decisions on attempts: the review queue, contested items, gold corrections and re-grading."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.time import utcnow
from ..extensions import db
from . import grading, holdings
from .models import AssessmentItem, Attempt, AttemptItem, ItemContest

MIN_CONTEST_CHARS = 20
MAX_CONTEST_CHARS = 2000


@dataclass(frozen=True)
class QueueEntry:
    attempt: Attempt
    trainer: User
    waiting: timedelta
    is_overdue: bool
    written_items: int


def _require_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden("Only admins review attempts.")


def review_queue(now: datetime | None = None) -> list[QueueEntry]:
    """Attempts waiting for review, oldest first; those older than REVIEW_OVERDUE_DAYS are overdue."""
    now = now or utcnow()
    overdue_after = timedelta(days=current_app.config["REVIEW_OVERDUE_DAYS"])
    rows = db.session.execute(
        sa.select(Attempt, User).join(User, User.id == Attempt.user_id)
        .where(Attempt.status == "pending_review").order_by(Attempt.submitted_at, Attempt.id)).all()
    return [QueueEntry(attempt=a, trainer=u, waiting=now - a.submitted_at, is_overdue=now - a.submitted_at > overdue_after,
                       written_items=sum(1 for i in a.items if i.needs_writing)) for a, u in rows]


def open_contests() -> list[ItemContest]:
    return list(db.session.scalars(sa.select(ItemContest).where(ItemContest.status == "open")
                                   .order_by(ItemContest.created_at)))


def decide_review(attempt: Attempt, *, actor: User, marks: dict[int, str], decision: str, reason: str,
                  now: datetime | None = None) -> Attempt:
    """Mark every written answer, then approve or reject with a written reason (20+ characters).

    Rules: an item with a rationale earns its point only with the right choice and an acceptable rationale;
    approval needs the final score to reach the pass mark; rejection is always possible with reasons.
    Compare-and-set on the status, so two admins cannot decide one attempt twice. Side effects: decision
    row, audit, notice with the reason, the qualification granted on approval.
    """
    now = now or utcnow()
    _require_admin(actor)
    if decision not in ("approve", "reject"):
        raise ValidationFailed("Choose to approve or reject the attempt.", field="decision")
    if attempt.status != "pending_review":
        raise Conflict("This attempt has already been decided.", code="already_decided")
    reason = holdings.check_reason(reason)
    written = {item.position: item for item in attempt.items if item.needs_writing}
    errors = {}
    for position in written:
        if marks.get(position) not in (grading.ACCEPTABLE, grading.NOT_ACCEPTABLE):
            errors[f"mark-{position}"] = f"Mark the written answer to item {position} acceptable or not."
    for position in marks:
        if position not in written:
            errors[f"mark-{position}"] = f"Item {position} has no written answer to mark."
    if errors:
        raise ValidationFailed(next(iter(errors.values())) if len(errors) == 1 else
                               f"{len(errors)} marks are missing or wrong: {next(iter(errors.values()))}",
                               errors=errors)
    graded = [grading.GradableItem(kind=i.kind, answer=tuple(i.answer), selected=tuple(i.selected),
                                   rationale_required=i.rationale_required,
                                   rationale_mark=marks.get(i.position) if i.needs_writing else None)
              for i in attempt.items]
    result, reaches = grading.review_outcome(graded, attempt.pass_mark_percent)
    if decision == "approve" and not reaches:
        raise ValidationFailed(f"With these marks the score is {result.correct} of {result.scored} "
                               f"({result.percent}%), below the pass mark of {attempt.pass_mark_percent}%, so the "
                               "attempt cannot be approved. Reject it with your reasons, or change a mark.",
                               field="decision")
    status = "passed" if decision == "approve" else "failed"
    changed = db.session.execute(
        sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "pending_review")
        .values(status=status, decided_at=now, decided_by_id=actor.id, decision_reason=reason,
                correct_items=result.correct).execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict("Another admin decided this attempt a moment ago.", code="already_decided")
    for position, item in written.items():
        item.rationale_mark = marks[position]
    db.session.flush()
    db.session.refresh(attempt)
    _record_review(attempt, actor, reason, now)
    return attempt


def _record_review(attempt: Attempt, actor: User, reason: str, now: datetime) -> None:
    trainer = db.session.get(User, attempt.user_id)
    assessment = attempt.assessment
    approved = attempt.status == "passed"
    accepted = sum(1 for i in attempt.items if i.rationale_mark == grading.ACCEPTABLE)
    written = sum(1 for i in attempt.items if i.needs_writing)
    summary = (f"Score {attempt.correct_items} of {attempt.scored_items} ({attempt.score_percent}%), pass mark "
               f"{attempt.pass_mark_percent}%; {accepted} of {written} written answers accepted.")
    decision = holdings.record_decision(
        user_id=trainer.id, qualification=assessment.qualification, actor=actor, reason=reason, attempt=attempt,
        kind="review_approved" if approved else "review_rejected", now=now, data={"summary": summary})
    db.session.flush()
    audit.record("assessment.review_approved" if approved else "assessment.review_rejected", actor=actor,
                 subject_user=trainer, subject=attempt, reason=reason,
                 data={"assessment": assessment.key, "summary": summary, "decision_id": decision.id})
    link = holdings.link("assessments.result", attempt_id=attempt.id)
    if approved:
        holding = holdings.grant_from_attempt(attempt, actor=actor, now=now,
                                              reason=f"Passed {assessment.title} (attempt {attempt.number}), "
                                                     f"approved by a reviewer: {reason}")
        held = (f"You now hold {assessment.qualification.name}"
                + (f", valid until {holding.expires_at:%-d %b %Y}." if holding and holding.expires_at else ".")
                if holding else f"{assessment.qualification.name} stays revoked: only an appeal can restore it.")
        notices.notify(trainer, f"You passed {assessment.title}",
                       f"A reviewer approved your attempt. {held}\n\n{summary}\n\nThe reviewer's reason: {reason}",
                       link=link, category="assessment")
    else:
        from .attempts import standing_for
        after = standing_for(trainer.id, assessment, now)
        notices.notify(trainer, f"{assessment.title}: not passed this time",
                       f"A reviewer read your written answers and did not approve the attempt.\n\n{summary}\n\n"
                       f"The reviewer's reason: {reason}\n\n{after.message} You can contest any item you think "
                       "was marked wrongly, or appeal the decision.", link=link, category="assessment")


def contest_item(attempt: Attempt, trainer: User, position: int, comment: str, *,
                 now: datetime | None = None) -> ItemContest:
    """A trainer contests one item of their submitted attempt with a written comment (one per item)."""
    now = now or utcnow()
    if attempt.user_id != trainer.id:
        raise NotFound("There is no such attempt among yours.")
    if attempt.status == "in_progress":
        raise Conflict("Submit the attempt first; then you can contest any item.", code="not_submitted")
    item = next((i for i in attempt.items if i.position == position), None)
    if item is None:
        raise ValidationFailed(f"Item {position} is not part of this attempt.", code="unknown_item")
    comment = (comment or "").strip()
    if not MIN_CONTEST_CHARS <= len(comment) <= MAX_CONTEST_CHARS:
        raise ValidationFailed(f"Explain in {MIN_CONTEST_CHARS} to {MAX_CONTEST_CHARS} characters why you think "
                               f"item {position} was marked wrongly (yours has {len(comment)}).", field="comment")
    if db.session.scalar(sa.select(ItemContest.id).where(ItemContest.attempt_item_id == item.id)):
        raise Conflict(f"You have already contested item {position}; an admin will answer in writing.",
                       code="already_contested")
    contest = ItemContest(attempt_item_id=item.id, user_id=trainer.id, comment=comment, created_at=now,
                          status="open")
    db.session.add(contest)
    db.session.flush()
    audit.record("assessment.item_contested", actor=trainer, subject_user=trainer, subject=contest, reason=comment,
                 data={"attempt_id": attempt.id, "position": position})
    return contest


def answer_contest(contest: ItemContest, *, actor: User, response: str, corrected_answer: list[str] | None = None,
                   now: datetime | None = None) -> ItemContest:
    """An admin answers a contest in writing; a corrected gold answer re-grades every affected attempt.

    Affected attempts are those whose copy of the item shows exactly the contested content (same content
    hash): they get the new gold answer and their scores are recomputed (see regrade_attempt).
    """
    now = now or utcnow()
    _require_admin(actor)
    response = holdings.check_reason(response, field="response")
    item = contest.attempt_item
    if corrected_answer is not None:
        corrected_answer = list(dict.fromkeys(corrected_answer))
        problem = grading.check_selection(item.kind, [o["key"] for o in item.options], corrected_answer)
        if problem or not corrected_answer:
            raise ValidationFailed(f"The corrected answer is not valid: {problem or 'choose at least one option.'}",
                                   field="corrected_answer")
        if set(corrected_answer) == set(item.answer):
            corrected_answer = None  # the same gold: an answer without a correction
    changed = db.session.execute(
        sa.update(ItemContest).where(ItemContest.id == contest.id, ItemContest.status == "open")
        .values(status="answered", answered_at=now, answered_by_id=actor.id, response=response,
                previous_answer=list(item.answer), corrected_answer=corrected_answer)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict("This contest has already been answered.", code="already_answered")
    regraded = correct_gold(item, corrected_answer, actor=actor, reason=response, now=now) if corrected_answer else 0
    db.session.execute(sa.update(ItemContest).where(ItemContest.id == contest.id)
                       .values(regraded_attempts=regraded).execution_options(synchronize_session=False))
    db.session.refresh(contest)
    trainer = db.session.get(User, contest.user_id)
    audit.record("assessment.contest_answered", actor=actor, subject_user=trainer, subject=contest, reason=response,
                 data={"corrected_answer": corrected_answer, "regraded_attempts": regraded})
    outcome = (f"The expected answer has been corrected to {', '.join(corrected_answer)}, and {regraded} "
               f"attempt{'s were' if regraded != 1 else ' was'} re-graded." if corrected_answer else
               "The expected answer stays as it was.")
    notices.notify(trainer, f"Your contest of item {item.position} was answered",
                   f"An admin answered your comment on item {item.position}.\n\nTheir answer: {response}\n\n{outcome}",
                   link=holdings.link("assessments.result", attempt_id=item.attempt_id), category="assessment")
    return contest


def correct_gold(contested: AttemptItem, new_answer: list[str], *, actor: User, reason: str, now: datetime) -> int:
    """Set a new gold answer on the bank item and on every attempt copy with the same content; re-grade them.

    Returns how many submitted attempts were re-graded.
    """
    bank_item = db.session.get(AssessmentItem, contested.item_id)
    old_answer = list(contested.answer)
    if bank_item is not None and bank_item.content_hash == contested.content_hash:
        bank_item.answer = list(new_answer)
        bank_item.version += 1
        bank_item.updated_at = now
    copies = list(db.session.scalars(sa.select(AttemptItem).where(
        AttemptItem.item_id == contested.item_id, AttemptItem.content_hash == contested.content_hash)))
    for copy in copies:
        copy.answer = list(new_answer)
    db.session.flush()
    audit.record("assessment.gold_corrected", actor=actor, subject=bank_item, reason=reason,
                 data={"item_key": bank_item.key if bank_item else None, "old_answer": old_answer,
                       "new_answer": list(new_answer), "copies": len(copies)})
    regraded = 0
    for attempt_id in sorted({c.attempt_id for c in copies}):
        attempt = db.session.get(Attempt, attempt_id)
        if attempt.status != "in_progress" and regrade_attempt(attempt, actor=actor, reason=reason, now=now):
            regraded += 1
    return regraded


def regrade_attempt(attempt: Attempt, *, actor: User, reason: str, now: datetime) -> bool:
    """Recompute a submitted attempt's score after a gold correction; True when the score changed.

    Rules (a correction of our mistake never costs a trainer a pass):
    - a passed attempt stays passed, with its score updated;
    - a failed attempt that now reaches the pass mark passes (and the qualification is granted) if it was
      graded automatically, or goes back to the review queue if a reviewer had decided it;
    - an attempt waiting for review only gets its provisional score updated.
    """
    for item in attempt.items:
        if item.kind != "free_text":
            item.is_correct = grading.choice_is_correct(item.kind, item.answer, item.selected)
    result = grading.score([grading.from_item(i) for i in attempt.items])
    before = (attempt.correct_items, attempt.status)
    if result.correct == attempt.correct_items:
        return False
    attempt.correct_items = result.correct
    reaches = grading.passes(result.correct, result.scored, attempt.pass_mark_percent)
    trainer = db.session.get(User, attempt.user_id)
    assessment = attempt.assessment
    note = f"Score changed from {before[0]} to {result.correct} of {result.scored} after a gold correction."
    if attempt.status == "failed" and reaches:
        if attempt.decided_by_id is None:
            attempt.status = "passed"
            attempt.decided_at = now
            holdings.grant_from_attempt(attempt, actor=actor, now=now,
                                        reason=f"Passed {assessment.title} (attempt {attempt.number}) after a "
                                               f"gold correction: {attempt.score_percent}%.")
            note += " The attempt now passes and the qualification is granted."
        else:
            attempt.status = "pending_review"
            attempt.decided_at = None
            note += " It now reaches the pass mark, so it goes back to a reviewer for a new decision."
    elif attempt.status == "passed" and not reaches:
        note += " Your pass stands: a correction of our mistake never takes a pass away."
    holdings.record_decision(user_id=trainer.id, qualification=assessment.qualification, kind="regrade",
                             actor=actor, reason=f"{note} Reason for the correction: {reason}", attempt=attempt,
                             now=now, data={"before": before[0], "after": result.correct, "status_before": before[1],
                                            "status_after": attempt.status})
    audit.record("assessment.regraded", actor=actor, subject_user=trainer, subject=attempt, reason=note,
                 data={"before": before[0], "after": result.correct, "status_after": attempt.status})
    notices.notify(trainer, f"{assessment.title}: your attempt was re-graded", f"{note}\n\nWhy: {reason}",
                   link=holdings.link("assessments.result", attempt_id=attempt.id), category="assessment")
    return True
