"""Payout freezes: reconciliation stops payouts when money is missing; an admin lifts the freeze in writing."""
from __future__ import annotations

import sqlalchemy as sa

from ..core import audit
from ..core.errors import Conflict, ValidationFailed
from ..core.time import utcnow
from ..extensions import db
from .models import PayoutFreeze


def active_freeze() -> PayoutFreeze | None:
    return db.session.scalar(sa.select(PayoutFreeze).where(PayoutFreeze.lifted_at.is_(None))
                             .order_by(PayoutFreeze.id).limit(1))


def payouts_frozen() -> bool:
    return active_freeze() is not None


def freeze_payouts(reason: str, *, run_id: int | None = None) -> PayoutFreeze:
    """Open a freeze unless one is open. Side effect: an audit row (the platform decided)."""
    current = active_freeze()
    if current is not None:
        return current
    freeze = PayoutFreeze(reason=reason, created_at=utcnow(), reconciliation_run_id=run_id)
    db.session.add(freeze)
    db.session.flush()
    audit.record("payments.payouts_frozen", subject=freeze, reason=reason)
    return freeze


def lift_freeze(*, actor, reason: str) -> PayoutFreeze:
    """An admin lifts the open freeze after checking, with a written reason; queued payouts then go out."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationFailed("Write what you checked and why payouts may resume (at least 10 characters).",
                               field="reason", errors={"reason": "Write what you checked (at least 10 characters)."})
    freeze = active_freeze()
    if freeze is None:
        raise Conflict("Payouts are not frozen.")
    lifted = db.session.execute(
        sa.update(PayoutFreeze).where(PayoutFreeze.id == freeze.id, PayoutFreeze.lifted_at.is_(None))
        .values(lifted_at=utcnow(), lifted_by_id=actor.id, lift_reason=reason)).rowcount
    if not lifted:
        raise Conflict("Another admin lifted this freeze a moment ago.")
    audit.record("payments.payouts_unfrozen", actor=actor, subject=freeze, reason=reason)
    return freeze
