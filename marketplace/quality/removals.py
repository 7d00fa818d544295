"""Applying a job's quality rule: removal from the job (rule, evidence, way back), lifting it, and making the
removal visible to matching, so a removed trainer gets no task of that job and reads why."""
from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.time import utcnow
from ..extensions import db, execute
from ..jobs.eligibility import Exclusion
from ..jobs.models import Job
from . import policies, rules, scoring
from .models import QualityRestriction
from .restrictions import RestrictionDecision, evaluate_job_quality

log = logging.getLogger(__name__)
MIN_REASON_CHARS = 15
# Lifts that give a fresh start: items scored before them no longer count (otherwise the old misses, still
# inside the window, would remove the trainer again at their next item).
FRESH_START_KINDS = ("manual", "appeal", "qualification")
QUALITY_PAGE = "/quality"


def active_restriction(job_id: int, worker_id: int) -> QualityRestriction | None:
    return db.session.scalar(sa.select(QualityRestriction).where(
        QualityRestriction.job_id == job_id, QualityRestriction.worker_id == worker_id,
        QualityRestriction.status == "active"))


def fresh_start(job_id: int, worker_id: int) -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(QualityRestriction.lifted_at)).where(
        QualityRestriction.job_id == job_id, QualityRestriction.worker_id == worker_id,
        QualityRestriction.lift_kind.in_(FRESH_START_KINDS)))


def decision_for(job: Job, worker_id: int) -> RestrictionDecision:
    """What the job's rule says about the trainer now (pure evaluation over their stored gold outcomes)."""
    settings = rules.settings_for(job.id)
    items = scoring.outcomes(job.id, worker_id, since=fresh_start(job.id, worker_id))
    return evaluate_job_quality(items, rules.quality_rule(settings, job), f"“{job.title}”")


def evaluate(job: Job, worker_id: int, now: datetime) -> RestrictionDecision | None:
    """Apply the job's rule to the trainer: remove them when it says so, lift an active removal when it no
    longer does (a corrected gold answer, a decided contest, recent items back over the bar). Returns the
    decision, or None when the job's rule is switched off."""
    if not rules.settings_for(job.id).is_rule_enabled:
        return None
    decision = decision_for(job, worker_id)
    active = active_restriction(job.id, worker_id)
    if decision.restrict and active is None:
        restrict(job, worker_id, decision, now)
    elif not decision.restrict and active is not None:
        lift(active, actor=None, kind="rescore", now=now,
             reason=f"The quality rule no longer applies after re-scoring: {decision.audit_reason}.")
    return decision


def restrict(job: Job, worker_id: int, decision: RestrictionDecision, now: datetime) -> QualityRestriction | None:
    """Remove the trainer from the job (automatic decision by the job's rule). Side effects: the removal row,
    an audit row `quality.restricted` with the rule and evidence, a notice saying which rule, which evidence
    and how to return (and how to appeal)."""
    row = QualityRestriction(job_id=job.id, worker_id=worker_id, status="active", rule=decision.rule,
                             evidence=decision.evidence, how_to_return=decision.how_to_return or {},
                             message=decision.message, created_at=now)
    try:
        with db.session.begin_nested():  # the partial unique index settles two submits evaluating at once
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        log.info("trainer %s already removed from job %s", worker_id, job.id)
        return None
    _forget_cache(worker_id)
    audit.record("quality.restricted", actor=None, subject_user=worker_id, subject=row,
                 reason=decision.audit_reason, data={"job_id": job.id, "rule": decision.rule,
                                                     "evidence": decision.evidence,
                                                     "how_to_return": decision.how_to_return})
    notices.notify(db.session.get(User, worker_id), f"Removed from a job by its quality rule: {job.title}"[:200],
                   decision.message + "\n\nYou can appeal this decision from your quality page; a person "
                   "decides it in writing.", link=f"{QUALITY_PAGE}/removals/{row.id}", category="quality",
                   banner=False)
    return row


def lift(row: QualityRestriction, *, actor, kind: str, reason: str, now: datetime | None = None) -> bool:
    """End a removal (compare-and-set, so it is lifted once). Side effects: audit row
    `quality.restriction_lifted`, a notice to the trainer. Returns False when it was already lifted."""
    now = now or utcnow()
    done = db.session.execute(
        sa.update(QualityRestriction).where(QualityRestriction.id == row.id, QualityRestriction.status == "active")
        .values(status="lifted", lifted_at=now, lifted_by_id=getattr(actor, "id", actor), lift_kind=kind,
                lift_reason=reason[:5000]).execution_options(synchronize_session=False)).rowcount
    db.session.refresh(row)
    if not done:
        return False
    _forget_cache(row.worker_id)
    audit.record("quality.restriction_lifted", actor=actor, subject_user=row.worker_id, subject=row, reason=reason,
                 data={"job_id": row.job_id, "lift_kind": kind})
    fresh = " Only items scored from now on count towards the rule." if kind in FRESH_START_KINDS else ""
    notices.notify(db.session.get(User, row.worker_id), f"You can work on “{row.job.title}” again"[:200],
                   f"Your removal from “{row.job.title}” was lifted.\n\nWhy: {reason}{fresh}",
                   link=QUALITY_PAGE, category="quality")
    return True


def can_lift(user, row: QualityRestriction) -> bool:
    return policies.can_decide_disputes(user, row.job)


def lift_by_person(restriction_id: int, actor, reason: str, *, now: datetime | None = None) -> QualityRestriction:
    """The job's requester (or an admin) gives a removed trainer another chance, in writing (a fresh start)."""
    row = db.session.get(QualityRestriction, restriction_id)
    if row is None or not can_lift(actor, row):
        raise NotFound("There is no such removal among your jobs.")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_CHARS:
        raise ValidationFailed(f"Write why the removal is lifted (at least {MIN_REASON_CHARS} characters); the "
                               "trainer reads it.", field="reason")
    if not lift(row, actor=actor, kind="manual", reason=reason, now=now):
        raise Conflict("This removal was already lifted.")
    return row


def lift_for_qualification(user_id: int, key: str, now: datetime | None = None) -> int:
    """The trainer (re)earned a qualification: lift their removals from jobs that require it (the way back the
    removal named). Returns how many were lifted."""
    rows = db.session.scalars(sa.select(QualityRestriction).join(Job, Job.id == QualityRestriction.job_id).where(
        QualityRestriction.worker_id == user_id, QualityRestriction.status == "active")).all()
    lifted = 0
    for row in rows:
        if key in (row.job.required_qualifications or []):
            lifted += lift(row, actor=None, kind="qualification", now=now,
                           reason=f"You passed the assessment for the {key} qualification again.")
    return lifted


# --- visible to matching -------------------------------------------------------------------------------------

def _cache_key(user_id: int) -> str:
    return f"quality_removals_{user_id}"


def _forget_cache(user_id: int) -> None:
    try:
        g.pop(_cache_key(user_id), None)
    except RuntimeError:  # no app context: nothing cached
        pass


_ACTIVE_REMOVALS = sa.select(QualityRestriction.job_id, QualityRestriction.id).where(
    QualityRestriction.worker_id == sa.bindparam("user_id"), QualityRestriction.status == "active")  # every claim


def removed_from(user_id: int) -> dict[int, int]:
    """job id -> active removal id, loaded once per request (a queue page asks about many jobs)."""
    key = _cache_key(user_id)
    cached = g.get(key)
    if cached is None:
        cached = dict(execute(_ACTIVE_REMOVALS, {"user_id": user_id}).all())
        setattr(g, key, cached)
    return cached


def exclusions_for(user, job: Job, now: datetime) -> list[Exclusion]:
    """The removal as an eligibility exclusion: the rule and evidence, and how to return."""
    removal_id = removed_from(user.id).get(job.id)
    if removal_id is None:
        return []
    row = db.session.get(QualityRestriction, removal_id)
    if row is None or row.status != "active":
        _forget_cache(user.id)
        return []
    ev = row.evidence or {}
    evidence = (f" Evidence: {ev.get('n_passed')} of {ev.get('n_counted')} known-answer items correct."
                if ev.get("n_counted") else "")
    remedy = (row.how_to_return or {}).get("text") or rules.DEFAULT_RETURN
    return [Exclusion("quality_restriction", f"You were removed from this job by its quality rule. "
                                             f"{row.rule.get('text', '')}{evidence}",
                      f"{remedy} Your quality page lists the items you missed; you can contest them or appeal.",
                      subject=str(row.id))]


def check_may_see(user, row: QualityRestriction) -> None:
    if not (user.id == row.worker_id or can_lift(user, row)):
        raise Forbidden("This removal is not about you.")
