"""Quality removals as appealable decisions in the moderation room's registry."""
from __future__ import annotations

import sqlalchemy as sa

from ..extensions import db
from ..moderation.services import Decision
from . import removals
from .models import QualityRestriction


def resolve(subject_id: int) -> Decision | None:
    row = db.session.get(QualityRestriction, subject_id)
    if row is None:
        return None

    def restore(appeal, actor) -> str:
        removals.lift(row, actor=actor, kind="appeal", reason=f"Your appeal was upheld: {appeal.text[:300]}")
        return f"Your access to “{row.job.title}” is restored, with a fresh start on its quality rule."

    # decided_by None: an automatic rule decided, so any admin may decide the appeal.
    return Decision(kind="quality_restriction", subject_id=row.id, concerns_user_id=row.worker_id,
                    decided_by_id=None, decided_at=row.created_at,
                    description=f"Removal from “{row.job.title}” by its quality rule",
                    link=f"/quality/removals/{row.id}", restore=restore)


def subject_ids(user_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(QualityRestriction.id).where(
        QualityRestriction.worker_id == user_id).order_by(QualityRestriction.id.desc())))
