"""Taking an assessment: start (limits checked, items drawn and copied), save answers as you go, submit once.

Paid test time is recorded at submission: start to submit, capped at the time limit, pass or fail.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.money import format_cents, pay_for_seconds
from ..core.time import for_reader, utcnow
from ..extensions import db
from . import grading, holdings, states
from .models import Assessment, AssessmentItem, Attempt, AttemptItem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """A trainer's answer to one item; None leaves that part unchanged."""

    selected: list[str] | None = None
    rationale: str | None = None


def _rules(assessment: Assessment) -> states.Rules:
    return states.Rules(max_attempts=assessment.max_attempts, cooldown_hours=assessment.cooldown_hours,
                        renewal_window_days=current_app.config["QUALIFICATION_EXPIRY_WARNING_DAYS"])


def standing_for(user_id: int, assessment: Assessment, now: datetime | None = None,
                 tz: str | None = None) -> states.Standing:
    """Where a trainer stands with an assessment (the rules are in states.standing), times in their zone."""
    now = now or utcnow()
    if tz is None:
        tz = db.session.scalar(sa.select(User.timezone).where(User.id == user_id)) or "UTC"
    rows = db.session.execute(
        sa.select(Attempt.id, Attempt.status, Attempt.started_at, Attempt.submitted_at)
        .where(Attempt.user_id == user_id, Attempt.qualification_id == assessment.qualification_id)
        .order_by(Attempt.number)).all()
    facts = [states.AttemptFact(status=r.status, started_at=r.started_at, submitted_at=r.submitted_at,
                                attempt_id=r.id) for r in rows]
    holding = holdings.holding_for(user_id, assessment.qualification_id)
    fact = states.HoldingFact(status=holding.status, expires_at=holding.expires_at,
                              cycle_started_at=holding.cycle_started_at,
                              revoke_reason=holding.revoke_reason) if holding else None
    return states.standing(facts, fact, _rules(assessment), now, tz)


_STANDING_CODES = {"cooldown": "cooldown", "no_attempts_left": "max_attempts", "held": "already_qualified",
                   "pending_review": "pending_review", "revoked": "revoked"}


def start_attempt(assessment: Assessment, trainer: User, *, now: datetime | None = None,
                  rng: random.Random | None = None) -> tuple[Attempt, bool]:
    """Start an attempt, or return the one in progress (so a double click or a reload never starts two).

    Rules: trainers in good standing; the assessment is active; states.standing allows it (cooldown,
    attempt limit, one at a time, re-certification window). Draws `items_per_attempt` active items,
    shuffled, and copies them into the attempt. Returns (attempt, created).
    """
    now = now or utcnow()
    if not trainer.is_worker:
        raise Forbidden("Only trainers take assessments.")
    if not trainer.in_good_standing:
        raise Forbidden("Your account is suspended, so you cannot start new work. Read the notice in your "
                        "inbox to see why and how to appeal.")
    if not assessment.is_active:
        raise Conflict("This assessment has been replaced and no longer takes new attempts.", code="retired")
    current = standing_for(trainer.id, assessment, now)
    if current.code == "in_progress":
        return db.session.get(Attempt, current.attempt_id), False
    if not current.can_start:
        raise Conflict(current.message, code=_STANDING_CODES.get(current.code, "not_allowed"))
    candidates = db.session.execute(
        sa.select(AssessmentItem.id, AssessmentItem.kind, AssessmentItem.rationale_required)
        .where(AssessmentItem.assessment_id == assessment.id, AssessmentItem.is_active.is_(True))
        .order_by(AssessmentItem.position)).all()
    if len(candidates) < assessment.items_per_attempt:
        raise Conflict("This assessment's item bank is being updated. Try again later.", code="bank_too_small")
    chosen = grading.draw([(c.id, c.kind == "free_text" or c.rationale_required) for c in candidates],
                          assessment.items_per_attempt, rng or random.SystemRandom())
    bank = {item.id: item for item in db.session.scalars(
        sa.select(AssessmentItem).where(AssessmentItem.id.in_(chosen)))}
    number = (db.session.scalar(sa.select(sa.func.max(Attempt.number)).where(
        Attempt.user_id == trainer.id, Attempt.qualification_id == assessment.qualification_id)) or 0) + 1
    limit_seconds = assessment.time_limit_minutes * 60
    attempt = Attempt(user_id=trainer.id, assessment_id=assessment.id, qualification_id=assessment.qualification_id,
                      number=number, status="in_progress", bank_version=assessment.bank_version, started_at=now,
                      deadline_at=grading.deadline(now, limit_seconds), time_limit_seconds=limit_seconds,
                      pass_mark_percent=assessment.pass_mark_percent, requires_review=assessment.requires_review,
                      scored_items=len(chosen), correct_items=0)
    attempt.items = [_snapshot(bank[item_id], position) for position, item_id in enumerate(chosen, 1)]
    try:
        with db.session.begin_nested():  # the unique attempt number is the backstop against a double start
            db.session.add(attempt)
    except IntegrityError as exc:
        raise Conflict("An attempt was started a moment ago. Reload the page to continue it.",
                       code="attempt_in_progress") from exc
    log.info("attempt %s started by user %s on %s", attempt.id, trainer.id, assessment.key)
    return attempt, True


def _snapshot(item: AssessmentItem, position: int) -> AttemptItem:
    return AttemptItem(position=position, item_id=item.id, item_version=item.version, content_hash=item.content_hash,
                       kind=item.kind, prompt=item.prompt, question=item.question, options=list(item.options),
                       answer=list(item.answer), explanation=item.explanation,
                       rationale_required=item.rationale_required, selected=[], rationale="")


def attempt_for(attempt_id: int, user: User) -> Attempt:
    """The attempt if `user` may see it (its trainer, or an admin); otherwise 404, so ids reveal nothing."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not (user.is_admin or attempt.user_id == user.id):
        raise NotFound("There is no such attempt among yours.")
    return attempt


def _own_in_progress(attempt: Attempt, trainer: User, doing: str = "answers can no longer change") -> None:
    if attempt.user_id != trainer.id:
        raise NotFound("There is no such attempt among yours.")
    if attempt.status != "in_progress":
        when = for_reader(attempt.submitted_at, trainer.timezone, "%-d %b %Y at %H:%M")
        raise Conflict(f"This attempt has already been submitted (on {when}); {doing}.", code="already_submitted")


def _validated(attempt: Attempt, answers: dict[int, Answer]) -> list[tuple[AttemptItem, Answer]]:
    """Check every answer before changing anything: unknown items, unknown options, lengths."""
    by_position = {item.position: item for item in attempt.items}
    errors: dict[str, str] = {}
    checked = []
    for position, answer in answers.items():
        item = by_position.get(position)
        if item is None:
            errors[f"item-{position}"] = (f"Item {position} is not part of this attempt "
                                         f"(it has items 1 to {len(by_position)}).")
            continue
        if answer.selected is not None:
            problem = grading.check_selection(item.kind, [o["key"] for o in item.options], answer.selected)
            if problem:
                errors[f"item-{position}"] = f"Item {position}: {problem}"
        if answer.rationale is not None:
            if not item.needs_writing and answer.rationale.strip():
                errors[f"rationale-{position}"] = f"Item {position} does not ask for a written answer."
            problem = grading.check_written(answer.rationale)
            if problem:
                errors[f"rationale-{position}"] = f"Item {position}: {problem}"
        checked.append((item, answer))
    if errors:
        first = next(iter(errors.values()))
        code = "unknown_item" if "is not part of this attempt" in first else "invalid_answer"
        raise ValidationFailed(first if len(errors) == 1 else f"{len(errors)} answers could not be saved: {first}",
                               errors=errors, code=code)
    return checked


def save_answers(attempt: Attempt, trainer: User, answers: dict[int, Answer], *,
                 now: datetime | None = None) -> int:
    """Save answers to an attempt in progress; returns how many items changed.

    Rules: the trainer's own attempt, not submitted, before the deadline (plus grace); all answers valid
    or none saved. The attempt row is touched with a compare-and-set first, which also serialises a save
    against a concurrent submit.
    """
    now = now or utcnow()
    _own_in_progress(attempt, trainer)
    if not grading.accepts_answers_at(attempt.deadline_at, now):
        raise Conflict("Time is up, so answers can no longer be saved. Submit the attempt: it is graded on the "
                       "answers saved before the deadline, and your time is paid up to the limit.", code="time_up")
    checked = _validated(attempt, answers)
    touched = db.session.execute(
        sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "in_progress")
        .values(last_saved_at=now).execution_options(synchronize_session=False)).rowcount
    if not touched:
        raise Conflict("This attempt was just submitted; answers can no longer change.", code="already_submitted")
    changed = 0
    for item, answer in checked:
        new_selected = list(answer.selected) if answer.selected is not None else item.selected
        new_rationale = answer.rationale.strip() if answer.rationale is not None else item.rationale
        if new_selected != item.selected or new_rationale != item.rationale:
            item.selected = new_selected
            item.rationale = new_rationale
            item.answered_at = now
            changed += 1
    attempt.last_saved_at = now
    return changed


def submit_attempt(attempt: Attempt, trainer: User | None, *, answers: dict[int, Answer] | None = None,
                   now: datetime | None = None, auto: bool = False) -> Attempt:
    """Submit once: grade choice items at once, record paid time, and decide or queue for review.

    Late submissions (after the deadline plus grace) are graded on what was saved, any answers sent with
    them are ignored, and they are marked late. `auto` is the platform closing an abandoned attempt.
    Side effects: decision row and audit when passed or failed, a notice in every case, the qualification
    granted on a pass.
    """
    now = now or utcnow()
    if not auto:
        _own_in_progress(attempt, trainer, "it is graded once, and the result is below")
    late = grading.is_late(attempt.deadline_at, now)
    if answers and not late:
        save_answers(attempt, trainer, answers, now=now)
    for item in attempt.items:
        item.is_correct = None if item.kind == "free_text" else grading.choice_is_correct(
            item.kind, item.answer, item.selected)
    graded = [grading.from_item(i) for i in attempt.items]
    outcome = grading.outcome_after_submit(graded, attempt.requires_review, attempt.pass_mark_percent)
    result = grading.score(graded)
    paid = grading.paid_seconds(attempt.started_at, now, attempt.time_limit_seconds)
    changed = db.session.execute(
        sa.update(Attempt).where(Attempt.id == attempt.id, Attempt.status == "in_progress")
        .values(status=outcome, submitted_at=now, is_late=late, is_auto_submitted=auto, paid_seconds=paid,
                scored_items=result.scored, correct_items=result.correct,
                decided_at=now if outcome != "pending_review" else None)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict("This attempt has already been submitted.", code="already_submitted")
    db.session.flush()
    db.session.refresh(attempt)
    _after_submit(attempt, now)
    return attempt


def _pay_sentence(attempt: Attempt) -> str:
    rate = current_app.config["ONBOARDING_RATE_CENTS_PER_HOUR"]
    minutes = attempt.paid_seconds // 60
    return (f"Your test time ({minutes} min {attempt.paid_seconds % 60} s) is paid at the onboarding rate of "
            f"{format_cents(rate)}/h: {format_cents(pay_for_seconds(rate, attempt.paid_seconds))}, pass or fail.")


def _after_submit(attempt: Attempt, now: datetime) -> None:
    trainer = db.session.get(User, attempt.user_id)
    assessment = attempt.assessment
    qualification = assessment.qualification
    result_link = holdings.link("assessments.result", attempt_id=attempt.id)
    late = " It was submitted after the time limit, so it was graded on the answers saved in time." \
        if attempt.is_late else ""
    if attempt.status == "pending_review":
        audit.record("assessment.submitted", actor=None if attempt.is_auto_submitted else trainer,
                     subject_user=trainer, subject=attempt, reason="Written answers wait for a reviewer.",
                     data={"late": attempt.is_late, "paid_seconds": attempt.paid_seconds})
        days = current_app.config["REVIEW_OVERDUE_DAYS"]
        notices.notify(trainer, f"{assessment.title}: your attempt is waiting for review",
                       f"Your choice answers are graded: {attempt.correct_items} so far count towards your score. "
                       f"A reviewer will read your written answers, usually within {days} days, and tell you the "
                       f"result with their reasons.{late}\n\n{_pay_sentence(attempt)}",
                       link=result_link, category="assessment")
        return
    passed = attempt.status == "passed"
    reason = (f"Scored {attempt.correct_items} of {attempt.scored_items} ({attempt.score_percent}%); "
              f"the pass mark is {attempt.pass_mark_percent}%.{late}")
    holdings.record_decision(user_id=trainer.id, qualification=qualification, kind="passed" if passed else "failed",
                             actor=None, reason=reason, attempt=attempt, now=now)
    audit.record("assessment.passed" if passed else "assessment.failed", actor=None, subject_user=trainer,
                 subject=attempt, reason=reason,
                 data={"assessment": assessment.key, "late": attempt.is_late, "paid_seconds": attempt.paid_seconds})
    if passed:
        holding = holdings.grant_from_attempt(attempt, actor=None, now=now,
                                              reason=f"Passed {assessment.title} (attempt {attempt.number}): "
                                                     f"{attempt.score_percent}%.")
        granted = (f"You now hold {qualification.name}"
                   + (f", valid until {holding.expires_at:%-d %b %Y}." if holding and holding.expires_at else ".")
                   if holding else f"{qualification.name} stays revoked: only an appeal or an admin can restore it.")
        notices.notify(trainer, f"You passed {assessment.title}", f"{reason} {granted}\n\n{_pay_sentence(attempt)}",
                       link=result_link, category="assessment")
    else:
        after = standing_for(trainer.id, assessment, now)
        notices.notify(trainer, f"{assessment.title}: not passed this time",
                       f"{reason} Your result shows every item you missed with the expected answer and why. "
                       f"{after.message}\n\n{_pay_sentence(attempt)}", link=result_link, category="assessment")


def close_overdue(now: datetime, after_minutes: int) -> int:
    """Submit attempts left open past their deadline (plus `after_minutes`) as late; returns how many."""
    cutoff = now - timedelta(minutes=after_minutes)
    overdue = list(db.session.scalars(sa.select(Attempt).where(Attempt.status == "in_progress",
                                                               Attempt.deadline_at < cutoff)))
    count = 0
    for attempt in overdue:
        try:
            with db.session.begin_nested():
                submit_attempt(attempt, None, now=now, auto=True)
            count += 1
        except Conflict:  # the trainer submitted at the same moment: nothing to do
            continue
    return count
