"""The audit log: record() is the only writer; rows are never updated or deleted."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy import event

from ..extensions import db
from . import bulk
from .models import AuditEvent
from .time import utcnow


def record(action: str, *, actor=None, subject_user=None, subject=None, reason: str,
           data: dict[str, Any] | None = None) -> AuditEvent:
    """Add one audit row in the caller's transaction (the caller commits). `reason` has no default: every row
    says in words what happened and why (tests/core/test_audit_reasons.py checks the demo writes none blank).

    `actor` and `subject_user` are users (or ids, or None for the platform); `subject` is any model
    with an `id`, stored as its table name and id.
    """
    event_row = AuditEvent(
        occurred_at=utcnow(),
        actor_id=_id(actor),
        action=action,
        subject_user_id=_id(subject_user),
        subject_type=getattr(subject, "__tablename__", None) if subject is not None else None,
        subject_id=str(subject.id) if subject is not None else None,
        reason=reason or "",
        data=data or {},
        request_id=g.get("request_id") if has_request_context() else None,
    )
    db.session.add(event_row)
    return event_row


def record_many(action: str, rows: list[dict[str, Any]], *, actor=None) -> int:
    """Bulk paths (weekly payroll): one insert for many audit rows of one action. Each row gives
    subject_user, subject_type, subject_id, reason and data (as record() would). Returns how many."""
    if not rows:
        return 0
    now = utcnow()
    request_id = g.get("request_id") if has_request_context() else None
    bulk.insert_rows(AuditEvent.__table__, [
        {"occurred_at": now, "actor_id": _id(actor), "action": action, "subject_user_id": _id(row.get("subject_user")),
         "subject_type": row.get("subject_type"), "subject_id": str(row["subject_id"]) if row.get("subject_id")
         is not None else None, "reason": row.get("reason", ""), "data": row.get("data") or {},
         "request_id": request_id} for row in rows])
    return len(rows)


def record_select(action: str, source: str, params: dict[str, Any], *, now) -> int:
    """Bulk paths (weekly payroll): audit rows of one action straight from a SELECT, no row through Python.
    `source` selects, in order: subject_user_id, subject_type, subject_id, reason, data (JSON text). The platform
    is the actor. Returns how many rows were written."""
    data = "CAST(data AS JSON)" if db.session.get_bind().dialect.name == "postgresql" else "data"
    statement = sa.text(
        f"INSERT INTO audit_events (occurred_at, actor_id, action, subject_user_id, subject_type, subject_id, "
        f"reason, data, request_id) SELECT :occurred_at, NULL, :action, subject_user_id, subject_type, subject_id, "
        f"reason, {data}, NULL FROM ({source}) AS rows_to_audit"
    ).bindparams(sa.bindparam("occurred_at", type_=AuditEvent.__table__.c.occurred_at.type))
    return db.session.execute(statement, {**params, "occurred_at": now, "action": action}).rowcount


def _id(value):
    if value is None or isinstance(value, int):
        return value
    return value.id


def events_about(user_id: int, limit: int = 500) -> list[AuditEvent]:
    """Every decision about a person, newest first (their "My record")."""
    return list(db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.subject_user_id == user_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
    ))


def search(*, action: str | None = None, actor_id: int | None = None, subject_user_id: int | None = None,
           before_id: int | None = None, limit: int = 50) -> list[AuditEvent]:
    """Admin browsing: filter by action prefix, actor or subject; keyset pagination on id."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if subject_user_id:
        query = query.where(AuditEvent.subject_user_id == subject_user_id)
    if before_id:
        query = query.where(AuditEvent.id < before_id)
    return list(db.session.scalars(query))


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):  # pragma: no cover - a guard, exercised in tests
    raise RuntimeError("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):  # pragma: no cover
    raise RuntimeError("audit events are append-only")
