"""Qualification decisions a trainer may appeal (a fail, a rejected review, a revocation), registered with
the moderation room's appeals registry; overturning restores the qualification."""
from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from ..accounts.models import User
from ..extensions import db
from ..moderation.appeals import Decision, register_appealable
from .holdings import _upsert
from .models import QualificationDecision

# Decisions that take something from the trainer; passes and grants are not appealed.
APPEALABLE_KINDS = ("failed", "review_rejected", "revocation")
LABELS = {"failed": "failed assessment", "review_rejected": "rejected assessment review",
          "revocation": "revoked qualification"}


def _resolve(decision_id: int) -> Decision | None:
    row = db.session.get(QualificationDecision, decision_id)
    if row is None or row.kind not in APPEALABLE_KINDS:
        return None

    def restore(appeal, actor: User) -> str:
        # The qualification becomes active again from the appeal decision, with a fresh validity period.
        _upsert(row.user_id, row.qualification, source="admin", attempt=None, actor=actor,
                reason=f"Restored on appeal #{appeal.id}: {appeal.decision_reason}", now=appeal.decided_at)
        return f"Your qualification {row.qualification.name} is active again."

    try:
        link = url_for("assessments.index")
    except RuntimeError:  # outside a request (scheduler, CLI): a path is enough
        link = "/assessments/"
    return Decision(kind="qualification_decision", subject_id=row.id, concerns_user_id=row.user_id,
                    decided_by_id=row.actor_id, decided_at=row.created_at,
                    description=f"{LABELS[row.kind].capitalize()}: {row.qualification.name}. {row.reason[:160]}",
                    link=link, restore=restore)


def _list(user_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(QualificationDecision.id).where(
        QualificationDecision.user_id == user_id, QualificationDecision.kind.in_(APPEALABLE_KINDS))
        .order_by(QualificationDecision.id.desc())))


register_appealable("qualification_decision", _resolve, label="qualification decision", lister=_list)
