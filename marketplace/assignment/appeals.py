"""A rejected answer is appealable through the moderation room's appeals (four eyes: an admin who did not make
the decision decides); overturning it approves the answer."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import User
from ..core.time import utcnow
from ..extensions import db
from ..moderation.appeals import Decision, register_appealable
from . import review, states
from .models import Assignment

KIND = "answer_rejection"


def _resolve(assignment_id: int) -> Decision | None:
    a = db.session.get(Assignment, assignment_id)
    if a is None or a.reviewer_id is None or not a.review_reason:  # only a written rejection (or its reversal)
        return None

    def restore(appeal, actor: User) -> str:
        """Approve the answer (compare-and-set from rejected) and count it again on its task: the task may
        then hold one answer more than asked, which the requester sees on its progress page."""
        review.restore_rejected(a, actor, f"Approved on appeal #{appeal.id}: {appeal.decision_reason}",
                                appeal.decided_at or utcnow())
        return f"Your answer to task {a.task.seq} of “{a.job.title}” now counts as approved."

    return Decision(kind=KIND, subject_id=a.id, concerns_user_id=a.worker_id, decided_by_id=a.reviewer_id,
                    decided_at=a.reviewed_at or utcnow(),
                    description=f"Answer to task {a.task.seq} of “{a.job.title}” rejected: {a.review_reason[:160]}",
                    link=f"/work/tasks/{a.id}", restore=restore)


def _list(user_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Assignment.id).where(
        Assignment.worker_id == user_id, Assignment.status == states.REJECTED).order_by(Assignment.id.desc())))


register_appealable(KIND, _resolve, label="rejected answer", lister=_list)
