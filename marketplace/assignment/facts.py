"""The database facts eligibility needs, gathered from the rooms below: the trainer's profile (accounts), their
active qualifications and the catalogue's names (assessments), and their standing (moderation: platform
suspensions, country withdrawals, sanctions on one job or one requester's jobs, requester blocks).

The jobs room cannot read assessments (they are siblings), so the work engine, above both, fills these in.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from ..assessments import services as assessments
from ..assessments.models import Assessment, Qualification
from ..extensions import db
from ..jobs import services as jobs
from ..jobs.eligibility import QualificationInfo, TrainerFacts
from ..moderation.standing import standing_for
from . import matching


def qualification_catalogue() -> dict[str, QualificationInfo]:
    """Every qualification's name and the active assessment that grants it (for "take the ... assessment")."""
    rows = db.session.execute(
        sa.select(Qualification.key, Qualification.name, Qualification.kind, Assessment.title)
        .outerjoin(Assessment, sa.and_(Assessment.qualification_id == Qualification.id,
                                       Assessment.is_active.is_(True)))).all()
    catalogue: dict[str, QualificationInfo] = {}
    for key, name, kind, title in rows:
        if key not in catalogue or (title and not catalogue[key].assessment_title):
            catalogue[key] = QualificationInfo(key, name, kind, title)
    return catalogue


def trainer_facts(user, now: datetime, *, standing: matching.Standing | None = None,
                  with_qualifications: bool = True) -> TrainerFacts:
    """What eligibility may know about the trainer: profile, active qualifications, platform standing and
    whether work from their country is on hold (content-warning acceptance is set per job). A caller that
    already has the trainer's standing passes it; one checking a job that needs no qualification and no
    language may skip loading qualifications (language qualifications can prove a language)."""
    standing = standing or platform_standing(user, now)
    keys = assessments.active_qualification_keys(user.id, now) if with_qualifications else frozenset()
    return jobs.trainer_facts(user, None, qualification_keys=keys, country_withdrawn=standing.code == "country",
                              withdrawal_reason=standing.reason if standing.code == "country" else "")


def platform_standing(user, now: datetime) -> matching.Standing:
    standing = standing_for(user, now)
    return matching.Standing(standing.code, standing.reason, standing.until)


def standing_on_job(user, job, now: datetime) -> matching.Standing:
    """The trainer's standing for this job: platform-wide first, then sanctions on the job or on its
    requester's jobs, then the requester's block (moderation.standing_for checks them in that order)."""
    standing = standing_for(user, now, job.id, job.requester_id)
    return matching.Standing(standing.code, standing.reason, standing.until)


def needs_catalogue(exclusions) -> bool:
    """Names of qualifications and language assessments are only needed to word these exclusions."""
    return any(e.code in ("qualification", "language") for e in exclusions)
