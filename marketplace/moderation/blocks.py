"""Requester blocks: a requester keeps one trainer off their jobs, with a reason the trainer reads and can appeal."""
from __future__ import annotations

from datetime import datetime
from textwrap import shorten

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.permissions import Role
from ..core.time import utcnow
from ..extensions import db
from . import links
from .appeals import Decision, register_appealable
from .models import RequesterBlock
from .rules import MAX_ID, WRITTEN_REASON_MIN_CHARS, written_enough


def requester_name(requester: User) -> str:
    return requester.organisation or requester.display_name


def block_trainer(requester: User, trainer_id: int, *, reason: str, now: datetime | None = None) -> RequesterBlock:
    """Stop one trainer from working on this requester's jobs (not a platform-wide sanction).

    Rules: the actor is a requester; the trainer exists; a written reason of 20+ characters; one active block
    per pair (a unique index settles races). Side effects: one audit row `requester_block.created`; a notice
    to the trainer with the reason and how to appeal.
    """
    now = now or utcnow()
    if requester.role != Role.REQUESTER:
        raise Forbidden("Only requesters block trainers from their jobs.")
    trainer = db.session.get(User, trainer_id) if trainer_id and 0 < trainer_id <= MAX_ID else None
    if trainer is None or trainer.role != Role.WORKER:
        raise ValidationFailed(f"There is no trainer with ID {trainer_id}.", field="trainer_id")
    if not written_enough(reason, WRITTEN_REASON_MIN_CHARS):
        raise ValidationFailed(f"Write the reason in at least {WRITTEN_REASON_MIN_CHARS} characters: the trainer "
                               "reads it and may appeal it.", field="reason")
    if is_blocked_by_requester(trainer.id, requester.id):
        raise Conflict(f"{trainer.display_name} is already blocked from your jobs.", field="trainer_id")
    block = RequesterBlock(requester_id=requester.id, trainer_id=trainer.id, reason=reason.strip(), created_at=now,
                           status="active")
    try:
        with db.session.begin_nested():
            db.session.add(block)
            db.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{trainer.display_name} is already blocked from your jobs.", field="trainer_id") from exc
    audit.record("requester_block.created", actor=requester, subject_user=trainer, subject=block,
                 reason=block.reason, data={"requester_id": requester.id})
    notices.notify(trainer, f"{requester_name(requester)} stopped you from working on their jobs",
                   f"{requester_name(requester)} blocked you from their jobs on {now:%-d %B %Y}. This is not a "
                   "platform-wide sanction: your other work, earnings and standing are unaffected.\n\n"
                   f"Their reason: {block.reason}\n\nYou may appeal to a FairTrain admin, who can remove the block.",
                   link=links.block(block.id), category="standing")
    return block


def lift_block(block: RequesterBlock, actor: User, *, reason: str = "", now: datetime | None = None) -> RequesterBlock:
    """The requester (or an admin) lets the trainer back; compare-and-set. Audited; the trainer is told."""
    now = now or utcnow()
    if actor.id != block.requester_id and actor.role != Role.ADMIN:
        raise Forbidden("Only the requester who made this block can lift it.")
    reason = reason.strip() or "Lifted by the requester."
    changed = db.session.execute(
        sa.update(RequesterBlock).where(RequesterBlock.id == block.id, RequesterBlock.status == "active")
        .values(status="lifted", ended_at=now, ended_by_id=actor.id, end_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict("This block is no longer active.")
    db.session.refresh(block)
    audit.record("requester_block.lifted", actor=actor, subject_user=block.trainer_id, subject=block, reason=reason)
    requester = db.session.get(User, block.requester_id)
    notices.notify(db.session.get(User, block.trainer_id), f"{requester_name(requester)} lifted your block",
                   f"You may work on {requester_name(requester)}'s jobs again.", link=links.block(block.id),
                   category="standing")
    return block


def is_blocked_by_requester(trainer_id: int, requester_id: int) -> bool:
    """True when `requester_id` has an active block on `trainer_id` (the jobs room checks this when matching)."""
    return db.session.scalar(sa.select(RequesterBlock.id).where(*ACTIVE_BLOCK_WHERE).limit(1),
                             {"trainer_id": trainer_id, "requester_id": requester_id}) is not None


# An active block of :trainer_id by :requester_id (standing.py's one-statement check reads it too).
ACTIVE_BLOCK_WHERE = (RequesterBlock.trainer_id == sa.bindparam("trainer_id"),
                      RequesterBlock.requester_id == sa.bindparam("requester_id"), RequesterBlock.status == "active")
_ACTIVE_BLOCK = sa.select(RequesterBlock).where(*ACTIVE_BLOCK_WHERE).limit(1)


def active_block(trainer_id: int, requester_id: int) -> RequesterBlock | None:
    # Built once: read at every claim.
    return db.session.scalar(_ACTIVE_BLOCK, {"trainer_id": trainer_id, "requester_id": requester_id})


def get_block(block_id: int) -> RequesterBlock:
    block = db.session.get(RequesterBlock, block_id)
    if block is None:
        raise NotFound("There is no such block.")
    return block


def blocks_by(requester_id: int) -> list[RequesterBlock]:
    return list(db.session.scalars(sa.select(RequesterBlock).where(RequesterBlock.requester_id == requester_id)
                                   .order_by(RequesterBlock.created_at.desc(), RequesterBlock.id.desc())))


def blocks_of(trainer_id: int) -> list[RequesterBlock]:
    return list(db.session.scalars(sa.select(RequesterBlock).where(RequesterBlock.trainer_id == trainer_id)
                                   .order_by(RequesterBlock.created_at.desc(), RequesterBlock.id.desc())))


def _resolve(subject_id: int) -> Decision | None:
    block = db.session.get(RequesterBlock, subject_id)
    if block is None:
        return None
    requester = db.session.get(User, block.requester_id)

    def restore(appeal, actor) -> str:
        db.session.execute(
            sa.update(RequesterBlock).where(RequesterBlock.id == block.id,
                                            RequesterBlock.status.in_(("active", "lifted")))
            .values(status="overturned", ended_at=appeal.decided_at, ended_by_id=actor.id,
                    end_reason=f"Overturned on appeal #{appeal.id}.").execution_options(synchronize_session=False))
        db.session.refresh(block)
        return f"The block is removed: you may work on {requester_name(requester)}'s jobs again."

    return Decision(kind="requester_block", subject_id=block.id, concerns_user_id=block.trainer_id,
                    decided_by_id=block.requester_id, decided_at=block.created_at,
                    description=f"Blocked from {requester_name(requester)}'s jobs: "
                                f"{shorten(block.reason, 160, placeholder='…')}",
                    link=links.block(block.id), restore=restore)


def _list(trainer_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(RequesterBlock.id).where(RequesterBlock.trainer_id == trainer_id)))


register_appealable("requester_block", _resolve, label="requester block", lister=_list)
