"""What other rooms and the pages ask of assessments: who holds what, the catalogue, paid test time.

The verbs live beside this module: attempts (start, save, submit), reviews (decide, contest, correct gold),
holdings (grant, revoke, expire) and bank (import).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ..accounts.models import User
from ..core.time import as_utc, utcnow
from ..extensions import db, execute
from . import appeals as _appeals  # noqa: F401  (registers qualification decisions as appealable)
from . import states
from .attempts import Answer, attempt_for, save_answers, standing_for, start_attempt, submit_attempt  # noqa: F401
from .models import Assessment, Attempt, Qualification, QualificationDecision, TrainerQualification

ONBOARDING_KEY_PREFIX = "onboarding:"


def active_qualification_keys(user_id: int, now: datetime | None = None) -> set[str]:
    """Keys of the qualifications a trainer holds now: active and unexpired (job eligibility uses these).

    Expiry counts from `expires_at`, even before the scheduled job has marked the holding expired.
    """
    now = now or utcnow()
    return set(execute(_ACTIVE_KEYS, {"user_id": user_id, "now": now}).scalars())  # built once: every claim


_ACTIVE_KEYS = (sa.select(Qualification.key)
                .join(TrainerQualification, TrainerQualification.qualification_id == Qualification.id)
                .where(TrainerQualification.user_id == sa.bindparam("user_id"), TrainerQualification.status == "active",
                       sa.or_(TrainerQualification.expires_at.is_(None),
                              TrainerQualification.expires_at > sa.bindparam("now"))))


_NEXT_EXPIRY = (sa.select(sa.func.min(TrainerQualification.expires_at))
                .where(TrainerQualification.user_id == sa.bindparam("user_id"), TrainerQualification.status == "active",
                       TrainerQualification.expires_at > sa.bindparam("now")))


def next_qualification_expiry(user_id: int, now: datetime) -> datetime | None:
    """When the first of the trainer's active qualifications expires (None: none expires)."""
    found = execute(_NEXT_EXPIRY, {"user_id": user_id, "now": now}).scalar()
    return as_utc(found) if found is not None else None


def qualification_catalogue() -> list[Qualification]:
    """Every qualification, by kind then name (requesters pick required qualifications from this)."""
    return list(db.session.scalars(sa.select(Qualification).order_by(Qualification.kind, Qualification.name)))


def qualification_by_key(key: str) -> Qualification | None:
    return db.session.scalar(sa.select(Qualification).where(Qualification.key == key))


def assessment_for_qualification(key: str) -> Assessment | None:
    """The active assessment that grants a qualification key (for "take the ... assessment" links)."""
    return db.session.scalar(sa.select(Assessment).join(Qualification).where(
        Qualification.key == key, Assessment.is_active.is_(True)))


def assessment_by_key(key: str) -> Assessment | None:
    return db.session.scalar(sa.select(Assessment).where(Assessment.key == key))


def active_assessments() -> list[Assessment]:
    return list(db.session.scalars(sa.select(Assessment).where(Assessment.is_active.is_(True))
                                   .order_by(Assessment.title)))


@dataclass(frozen=True)
class AssessmentCard:
    assessment: Assessment
    standing: states.Standing
    last_attempt: Attempt | None


def assessments_overview(user_id: int, now: datetime | None = None) -> list[AssessmentCard]:
    """Each active assessment with where the trainer stands (may start? why not? until when?)."""
    now = now or utcnow()
    cards = []
    for assessment in active_assessments():
        last = db.session.scalar(sa.select(Attempt).where(
            Attempt.user_id == user_id, Attempt.qualification_id == assessment.qualification_id)
            .order_by(Attempt.number.desc()).limit(1))
        cards.append(AssessmentCard(assessment, standing_for(user_id, assessment, now), last))
    return cards


@dataclass(frozen=True)
class QualificationState:
    qualification: Qualification
    state: str  # active | pending review | expired | revoked
    why: str
    since: datetime | None
    expires_at: datetime | None
    attempt_id: int | None = None


def my_qualifications(user_id: int, now: datetime | None = None) -> list[QualificationState]:
    """A trainer's qualifications with their state and why, including ones waiting for review."""
    now = now or utcnow()
    result: dict[int, QualificationState] = {}
    for holding in db.session.scalars(sa.select(TrainerQualification).where(TrainerQualification.user_id == user_id)):
        q = holding.qualification
        if holding.status == "revoked":
            result[q.id] = QualificationState(q, "revoked", f"Revoked by an admin: {holding.revoke_reason}",
                                              holding.revoked_at, None)
        elif holding.status == "expired" or (holding.expires_at is not None and holding.expires_at <= now):
            result[q.id] = QualificationState(q, "expired", f"Expired after {q.validity_days} days. Pass the "
                                              "assessment again to re-certify.", holding.expired_at or holding.expires_at,
                                              holding.expires_at)
        else:
            result[q.id] = QualificationState(q, "active", holding.reason, holding.granted_at, holding.expires_at,
                                              holding.attempt_id)
    pending = db.session.scalars(sa.select(Attempt).where(Attempt.user_id == user_id,
                                                          Attempt.status == "pending_review"))
    for attempt in pending:
        q = attempt.assessment.qualification
        if q.id in result and result[q.id].state == "active":
            continue  # a renewal under review: the holding is still active
        result[q.id] = QualificationState(q, "pending review", f"Attempt {attempt.number} was submitted and a "
                                          "reviewer is reading your written answers.", attempt.submitted_at, None,
                                          attempt.id)
    order = {"active": 0, "pending review": 1, "expired": 2, "revoked": 3}
    return sorted(result.values(), key=lambda s: (order[s.state], s.qualification.name))


def attempts_of(user_id: int) -> list[Attempt]:
    return list(db.session.scalars(sa.select(Attempt).where(Attempt.user_id == user_id)
                                   .order_by(Attempt.started_at.desc())))


def holders(qualification_id: int) -> list[tuple[TrainerQualification, User]]:
    return list(db.session.execute(
        sa.select(TrainerQualification, User).join(User, User.id == TrainerQualification.user_id)
        .where(TrainerQualification.qualification_id == qualification_id)
        .order_by(TrainerQualification.status, User.display_name)).tuples())


@dataclass(frozen=True)
class OnboardingTime:
    """One submitted attempt's paid test time, for the pay room (pay it once, with `idempotency_key`)."""

    attempt_id: int
    user_id: int
    assessment_title: str
    started_at: datetime
    submitted_at: datetime
    paid_seconds: int

    @property
    def idempotency_key(self) -> str:
        return f"{ONBOARDING_KEY_PREFIX}{self.attempt_id}"


def onboarding_time(*, user_id: int | None = None, submitted_from: datetime | None = None,
                    submitted_before: datetime | None = None) -> list[OnboardingTime]:
    """Paid test time of submitted attempts (pass or fail), oldest first, optionally for one trainer or window.

    The pay room pays each at ONBOARDING_RATE_CENTS_PER_HOUR exactly once, keyed by `onboarding:<attempt id>`
    under its own unique constraint; this room never marks attempts paid.
    """
    query = (sa.select(Attempt.id, Attempt.user_id, Assessment.title, Attempt.started_at, Attempt.submitted_at,
                       Attempt.paid_seconds).join(Assessment, Assessment.id == Attempt.assessment_id)
             .where(Attempt.submitted_at.is_not(None), Attempt.paid_seconds.is_not(None))
             .order_by(Attempt.submitted_at, Attempt.id))
    if user_id is not None:
        query = query.where(Attempt.user_id == user_id)
    if submitted_from is not None:
        query = query.where(Attempt.submitted_at >= submitted_from)
    if submitted_before is not None:
        query = query.where(Attempt.submitted_at < submitted_before)
    return [OnboardingTime(*row) for row in db.session.execute(query).all()]


def decisions_for_user(user_id: int) -> list[QualificationDecision]:
    """Every qualification decision about a trainer, newest first (what an appeal can point at)."""
    return list(db.session.scalars(sa.select(QualificationDecision).where(QualificationDecision.user_id == user_id)
                                   .order_by(QualificationDecision.created_at.desc(), QualificationDecision.id.desc())))


def decision(decision_id: int) -> QualificationDecision | None:
    return db.session.get(QualificationDecision, decision_id)
