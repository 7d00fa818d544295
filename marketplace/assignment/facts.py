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


def trainer_facts(user, now: datetime) -> TrainerFacts:
    """What eligibility may know about the trainer: profile, active qualifications, platform standing and
    whether work from their country is on hold (content-warning acceptance is set per job)."""
    standing = standing_for(user, now)
    return jobs.trainer_facts(user, None, qualification_keys=assessments.active_qualification_keys(user.id, now),
                              country_withdrawn=standing.code == "country",
                              withdrawal_reason=standing.reason if standing.code == "country" else "")


def standing_on_job(user, job, now: datetime) -> matching.Standing:
    """The trainer's standing for this job: platform-wide first, then sanctions on the job or on its
    requester's jobs, then the requester's block (moderation.standing_for checks them in that order)."""
    standing = standing_for(user, now, job.id, job.requester_id)
    return matching.Standing(standing.code, standing.reason, standing.until)
