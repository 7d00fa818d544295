"""Explainable gold: a trainer contests a gold answer in writing; the requester answers in writing and may
correct it, which re-scores every trainer scored against it (with a notice to each whose result changed)."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..assignment.models import Assignment
from ..core import audit, notices
from ..core.errors import Conflict, NotFound, ValidationFailed
from ..core.time import utcnow
from ..extensions import db
from ..jobs.kinds import validate_answer
from ..jobs.models import Job, Task
from . import policies, removals, rules
from .scoring import scorable
from .gold import GoldFormatError, needs_human_review, rescore_after_correction, score_gold
from .models import GoldContest, GoldCorrection, GoldScore

MIN_CONTEST_CHARS = 20
MIN_RESPONSE_CHARS = 15


def gold_explanation(task: Task) -> str:
    """The requester's explanation of a gold answer: the latest correction's, else the task's metadata
    field `explanation` (set at import)."""
    latest = db.session.scalar(sa.select(GoldCorrection.explanation).where(GoldCorrection.task_id == task.id)
                               .order_by(GoldCorrection.id.desc()).limit(1))
    if latest:
        return latest
    meta = task.meta or {}
    return str(meta.get("explanation") or meta.get("gold_explanation") or "")


def contest_for(score_id: int) -> GoldContest | None:
    return db.session.scalar(sa.select(GoldContest).where(GoldContest.score_id == score_id))


def contest_gold(score_id: int, trainer, text: str, *, now: datetime | None = None) -> GoldContest:
    """A trainer objects in writing to a gold answer they failed. One contest per scored item.

    Side effects: the contest row (the item leaves the quality rule's evidence until it is decided), an audit
    row `quality.gold_contested`, a notice to the job's requester with a link to answer it.
    """
    now = now or utcnow()
    score = db.session.get(GoldScore, score_id)
    if score is None or score.worker_id != trainer.id or score.source != "answer":
        raise NotFound("There is no such scored item in your work.")
    if score.passed:
        raise Conflict("You passed this item, so there is nothing to contest.")
    text = (text or "").strip()
    if len(text) < MIN_CONTEST_CHARS:
        raise ValidationFailed(f"Explain why the expected answer is wrong (at least {MIN_CONTEST_CHARS} "
                               "characters); the requester reads it.", field="text")
    if contest_for(score.id) is not None:
        raise Conflict("You already contested this item; the requester's answer will appear here.")
    contest = GoldContest(job_id=score.job_id, task_id=score.task_id, score_id=score.id, worker_id=trainer.id,
                          text=text[:5000], status="open", created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(contest)
            db.session.flush()
    except IntegrityError:
        raise Conflict("You already contested this item; the requester's answer will appear here.") from None
    job = db.session.get(Job, score.job_id)
    audit.record("quality.gold_contested", actor=trainer, subject_user=trainer, subject=contest, reason=text,
                 data={"job_id": job.id, "task_id": score.task_id})
    notices.notify(job.requester, f"A gold answer was contested: {job.title}"[:200],
                   f"A trainer contests the expected answer of a known-answer task in “{job.title}”:\n\n{text}\n\n"
                   "Answer in writing: keep the expected answer and say why, or correct it (which re-scores every "
                   "trainer who answered it).", link=f"/jobs/{job.id}/gold/{score.task_id}", category="quality")
    return contest


def uphold_gold(contest_id: int, actor, response: str, *, now: datetime | None = None) -> GoldContest:
    """The requester keeps the gold answer and says why in writing.

    Side effects: the contest is decided (compare-and-set) with the response; the item counts again in the
    quality rule, which is re-applied; an audit row; a notice to the trainer with the response.
    """
    now = now or utcnow()
    contest = _open_contest(contest_id, actor)
    response = _response(response)
    done = db.session.execute(
        sa.update(GoldContest).where(GoldContest.id == contest.id, GoldContest.status == "open")
        .values(status="upheld", response=response, responder_id=actor.id, decided_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(contest)
    if not done:
        raise Conflict("This contest was already answered.")
    job = db.session.get(Job, contest.job_id)
    audit.record("quality.contest_answered", actor=actor, subject_user=contest.worker_id, subject=contest,
                 reason=response, data={"job_id": job.id, "task_id": contest.task_id, "outcome": "upheld"})
    notices.notify(db.session.get(User, contest.worker_id), f"Your contest was answered: {job.title}"[:200],
                   f"The requester keeps the expected answer of the item you contested in “{job.title}”.\n\n"
                   f"Their answer:\n{response}", link=f"/quality/items/{contest.score_id}", category="quality")
    removals.evaluate(job, contest.worker_id, now)
    return contest


def _open_contest(contest_id: int, actor) -> GoldContest:
    contest = db.session.get(GoldContest, contest_id)
    if contest is None or not policies.can_manage_quality(actor, db.session.get(Job, contest.job_id)):
        raise NotFound("There is no such contest among your jobs.")
    if contest.status != "open":
        raise Conflict("This contest was already answered.")
    return contest


def _response(text: str) -> str:
    text = (text or "").strip()
    if len(text) < MIN_RESPONSE_CHARS:
        raise ValidationFailed(f"Write your answer to the trainer (at least {MIN_RESPONSE_CHARS} characters).",
                               field="response")
    return text[:5000]


def correct_gold(task_id: int, actor, new_gold, explanation: str, *, contest_id: int | None = None,
                 now: datetime | None = None) -> GoldCorrection:
    """Replace a task's gold answer (and its explanation) and re-score everyone scored against it.

    The new answer is checked like an imported one (the kind's schema) and must be scorable. Side effects:
    task.gold; every gold score of the task re-scored in place (gold.rescore_after_correction); a notice to
    each trainer whose result changed; every open contest of the task decided as "corrected" with the
    explanation; the quality rule re-applied to each affected trainer (lifting or imposing removals); a
    GoldCorrection row and an audit row `quality.gold_corrected`.
    """
    now = now or utcnow()
    task = db.session.get(Task, task_id)
    job = db.session.get(Job, task.job_id) if task is not None else None
    if task is None or not policies.can_manage_quality(actor, job):
        raise NotFound("There is no such task among your jobs.")
    explanation = (explanation or "").strip()
    if len(explanation) < MIN_RESPONSE_CHARS:
        raise ValidationFailed(f"Explain the expected answer (at least {MIN_RESPONSE_CHARS} characters): trainers "
                               "who missed it read this.", field="explanation")
    if not isinstance(new_gold, dict):
        raise ValidationFailed("The gold answer must be an object.", field="gold")
    validate_answer(job.kind, job.config, task.payload, new_gold, gold=True)
    scoring_rules = rules.scoring_rules(rules.settings_for(job.id))
    if needs_human_review(job.kind, new_gold) and job.kind != "writing":
        raise ValidationFailed("This gold answer could not be scored automatically; give the verdict.", field="gold")
    gold_for_scorer = scorable(job.kind, job.config, new_gold)
    try:
        score_gold(job.kind, gold_for_scorer, gold_for_scorer, scoring_rules)
    except GoldFormatError as exc:
        raise ValidationFailed(f"The gold answer cannot be used: {exc}.", field="gold") from None

    old = task.gold
    db.session.execute(sa.update(Task).where(Task.id == task.id).values(gold=new_gold)
                       .execution_options(synchronize_session=False))
    db.session.refresh(task)
    scored = db.session.execute(
        sa.select(GoldScore, Assignment.answer).join(Assignment, Assignment.id == GoldScore.assignment_id)
        .where(GoldScore.task_id == task.id, GoldScore.source == "answer").order_by(GoldScore.id)).all()
    results = rescore_after_correction(
        job.kind, [(row, scorable(job.kind, job.config, answer), row.passed) for row, answer in scored],
        gold_for_scorer, scoring_rules)
    changed = []
    for r in results:
        row = r.trainer
        row.passed, row.score = r.after.passed, min(1.0, max(0.0, float(r.after.score)))
        row.explanation, row.rescored_at = r.after.explanation, now
        if r.changed:
            changed.append(row)
    correction = GoldCorrection(job_id=job.id, task_id=task.id, actor_id=actor.id, contest_id=contest_id,
                                old_gold=old, new_gold=new_gold, explanation=explanation[:5000],
                                n_rescored=len(results), n_changed=len(changed), created_at=now)
    db.session.add(correction)
    db.session.flush()
    audit.record("quality.gold_corrected", actor=actor, subject=correction, reason=explanation,
                 data={"job_id": job.id, "task_id": task.id, "old": old, "new": new_gold,
                       "rescored": len(results), "changed": len(changed)})
    told = {row.worker_id for row in changed}
    _close_contests(task, job, actor, explanation, now, told)
    for row in changed:
        outcome = "now counts as correct" if row.passed else "now counts as missed"
        notices.notify(db.session.get(User, row.worker_id), f"A gold answer was corrected: {job.title}"[:200],
                       f"The requester corrected the expected answer of an item you answered in “{job.title}”; "
                       f"your answer {outcome}.\n\n{row.explanation}\n\nTheir explanation:\n{explanation}",
                       link=f"/quality/items/{row.id}", category="quality")
    for worker_id in sorted({row.worker_id for row, _ in scored}):
        removals.evaluate(job, worker_id, now)
    return correction


def _close_contests(task: Task, job: Job, actor, explanation: str, now: datetime, told: set[int]) -> None:
    """Decide the task's open contests as "corrected"; contesters whose result did not change still hear."""
    contests = db.session.scalars(sa.select(GoldContest).where(GoldContest.task_id == task.id,
                                                               GoldContest.status == "open")).all()
    for contest in contests:
        done = db.session.execute(
            sa.update(GoldContest).where(GoldContest.id == contest.id, GoldContest.status == "open")
            .values(status="corrected", response=f"The expected answer was corrected. {explanation}"[:5000],
                    responder_id=actor.id, decided_at=now).execution_options(synchronize_session=False)).rowcount
        if done:
            audit.record("quality.contest_answered", actor=actor, subject_user=contest.worker_id, subject=contest,
                         reason=explanation, data={"task_id": task.id, "outcome": "corrected"})
            if contest.worker_id not in told:
                notices.notify(db.session.get(User, contest.worker_id),
                               f"Your contest was answered: {job.title}"[:200],
                               f"The requester corrected the expected answer of the item you contested in "
                               f"“{job.title}”. Your result on it did not change.\n\nTheir explanation:\n"
                               f"{explanation}", link=f"/quality/items/{contest.score_id}", category="quality")


def answer_contest(contest_id: int, actor, response: str, *, corrected_gold=None, explanation: str = "",
                   now: datetime | None = None):
    """The requester's answer to a contest: keep the gold (uphold_gold) or correct it (correct_gold)."""
    if corrected_gold is None:
        return uphold_gold(contest_id, actor, response, now=now)
    contest = _open_contest(contest_id, actor)
    return correct_gold(contest.task_id, actor, corrected_gold, explanation or response, contest_id=contest.id,
                        now=now)
