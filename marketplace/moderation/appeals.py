"""Appeals against any room's decisions: a registry of appealable kinds, filing, four-eyes decisions, figures.

Rooms above this one register their decisions with `register_appealable(kind, resolver, label=..., lister=...)`.
The resolver takes a subject id and returns a `Decision`: whom it concerns, who made it (for the four-eyes rule),
when (for the appeal window), a description and link, and `restore(appeal, actor) -> str`, run on overturn in the
same transaction, which gives back what was taken and returns a sentence saying so. Restore callbacks write no
audit row of their own: the decision on the appeal is the one audited decision.
"""
from __future__ import annotations

import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ..core.permissions import Role
from ..core.time import for_reader, utcnow
from ..extensions import db
from . import links
from .models import Appeal, AppealAttachment, AppealEscalation
from .rules import (WRITTEN_REASON_MIN_CHARS, appeal_deadline, appeal_window_closes, needs_escalation,
                    written_enough)
from .storage import Storage, appeal_storage, check_and_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    """An appealable decision, as its owning room describes it."""

    kind: str
    subject_id: int
    concerns_user_id: int
    decided_by_id: int | None  # None: an automatic rule decided, so any admin may decide the appeal
    decided_at: datetime
    description: str
    link: str | None
    restore: Callable[[Appeal, User], str]


@dataclass(frozen=True)
class Appealable:
    kind: str
    label: str
    resolver: Callable[[int], Decision | None]
    lister: Callable[[int], list[int]] | None = None  # subject ids of a person's decisions of this kind


_KINDS: dict[str, Appealable] = {}


def register_appealable(kind: str, resolver: Callable[[int], Decision | None], *, label: str | None = None,
                        lister: Callable[[int], list[int]] | None = None) -> None:
    """Make decisions of `kind` appealable. `lister(user_id)` (optional) lists a person's subject ids of this
    kind, so the appeals page can offer them; without it people appeal from the decision's own page."""
    if not kind or len(kind) > 40:
        raise ValueError("an appealable kind is a short non-empty name")
    _KINDS[kind] = Appealable(kind=kind, label=label or kind.replace("_", " "), resolver=resolver, lister=lister)


def unregister_appealable(kind: str) -> None:
    _KINDS.pop(kind, None)


def kinds() -> dict[str, Appealable]:
    return dict(_KINDS)


def kind_label(kind: str) -> str:
    return _KINDS[kind].label if kind in _KINDS else kind.replace("_", " ")


def resolve(kind: str, subject_id: int) -> Decision:
    appealable = _KINDS.get(kind)
    decision = appealable.resolver(subject_id) if appealable else None
    if decision is None:
        raise NotFound("There is no such decision to appeal.")
    return decision


def appeal_for(kind: str, subject_id: int) -> Appeal | None:
    return db.session.scalar(sa.select(Appeal).where(Appeal.kind == kind, Appeal.subject_id == subject_id))


def check_can_appeal(decision: Decision, appellant: User, now: datetime) -> None:
    """Raise the reason `appellant` may not appeal `decision` now; return quietly when they may."""
    if decision.concerns_user_id != appellant.id:
        raise Forbidden("You can appeal only decisions about you.")
    existing = appeal_for(decision.kind, decision.subject_id)
    if existing is not None:
        raise Conflict("This decision already has an appeal (one appeal per decision); "
                       f"follow it at {links.appeal(existing.id)}.")
    closes = appeal_window_closes(decision.decided_at, current_app.config["APPEAL_WINDOW_DAYS"])
    if now > closes:
        raise DomainError(f"The appeal window for this decision closed on {for_reader(closes, appellant.timezone)} "
                          f"({current_app.config['APPEAL_WINDOW_DAYS']} days after it was made).",
                          code="appeal_window_closed", status=409)


def appealable_now(decision: Decision, appellant: User, now: datetime) -> bool:
    try:
        check_can_appeal(decision, appellant, now)
    except DomainError:
        return False
    return True


def file_appeal(appellant: User, kind: str, subject_id: int, text: str, *,
                files: list[tuple[str, bytes]] = (), now: datetime | None = None,
                storage: Storage | None = None) -> Appeal:
    """File a written appeal against a decision about the appellant, within the window, once per decision.

    Attachments (images or PDF) are content-checked, size-limited and stored before the row is written; the
    decision deadline is APPEAL_DECISION_DAYS from filing. Side effects: one audit row `appeal.filed`, a notice
    to the appellant with the deadline.
    """
    now = now or utcnow()
    config = current_app.config
    decision = resolve(kind, subject_id)
    check_can_appeal(decision, appellant, now)
    if not written_enough(text, WRITTEN_REASON_MIN_CHARS):
        raise ValidationFailed(f"Explain your appeal in at least {WRITTEN_REASON_MIN_CHARS} characters.",
                               field="text")
    files = [(name, data) for name, data in files if name or data]
    if len(files) > config["APPEAL_MAX_ATTACHMENTS"]:
        raise ValidationFailed(f"Attach at most {config['APPEAL_MAX_ATTACHMENTS']} files.", field="attachments")
    storage = storage or appeal_storage()
    stored = []
    try:
        for name, data in files:
            stored.append((name, check_and_store(storage, name, data, max_bytes=config["APPEAL_ATTACHMENT_MAX_BYTES"])))
        appeal = Appeal(kind=kind, subject_id=subject_id, appellant_id=appellant.id,
                        decision_maker_id=decision.decided_by_id, decision_made_at=decision.decided_at,
                        window_closes_at=appeal_window_closes(decision.decided_at, config["APPEAL_WINDOW_DAYS"]),
                        description=decision.description[:300], link=decision.link, text=text.strip(),
                        filed_at=now, deadline_at=appeal_deadline(now, config["APPEAL_DECISION_DAYS"]))
        appeal.attachments = [AppealAttachment(filename=_safe_name(name), content_type=f.content_type,
                                               size_bytes=f.size_bytes, sha256=f.sha256, storage_key=f.key,
                                               uploaded_at=now) for name, f in stored]
        with db.session.begin_nested():  # the unique constraint settles two simultaneous filings
            db.session.add(appeal)
            db.session.flush()
    except IntegrityError as exc:
        _discard(storage, stored)
        raise Conflict("This decision already has an appeal (one appeal per decision).") from exc
    except Exception:
        _discard(storage, stored)
        raise
    audit.record("appeal.filed", actor=appellant, subject_user=appellant, subject=appeal, reason=appeal.text,
                 data={"kind": kind, "subject_id": subject_id, "attachments": len(stored)})
    notices.notify(appellant, "Your appeal was received",
                   f"We received your appeal against: {appeal.description}\n\n"
                   f"An admin who did not make the decision will decide it, in writing, by "
                   f"{for_reader(appeal.deadline_at, appellant.timezone)}.", link=links.appeal(appeal.id),
                   category="appeal")
    return appeal


def _safe_name(name: str) -> str:
    base = (name or "attachment").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:200] or "attachment"


def _discard(storage: Storage, stored) -> None:
    for _, f in stored:
        storage.delete(f.key)


def decide_appeal(appeal: Appeal, actor: User, *, outcome: str, reason: str, now: datetime | None = None) -> Appeal:
    """Uphold or overturn an open appeal, in writing, as an admin other than the decision-maker.

    On overturn the kind's restore callback gives back what was taken, in this transaction. The state change
    is a compare-and-set, so two admins deciding at once cannot both win. Side effects: one audit row
    `appeal.decided`; a notice to the appellant with the outcome, the reason and what was restored.
    """
    now = now or utcnow()
    if actor.role != Role.ADMIN:
        raise Forbidden("Only admins decide appeals.")
    if outcome not in ("upheld", "overturned"):
        raise ValidationFailed("Choose to uphold or to overturn the decision.", field="outcome")
    if not appeal.is_open:
        raise Conflict(f"This appeal was already decided ({appeal.status}).")
    decision = resolve(appeal.kind, appeal.subject_id)
    if actor.id in {appeal.decision_maker_id, decision.decided_by_id}:
        raise Forbidden("You made this decision, so a different admin must decide its appeal.")
    if actor.id == appeal.appellant_id:
        raise Forbidden("You cannot decide your own appeal.")
    if not written_enough(reason, WRITTEN_REASON_MIN_CHARS):
        raise ValidationFailed(f"Write the reason for your decision (at least {WRITTEN_REASON_MIN_CHARS} "
                               "characters); the trainer reads it.", field="reason")
    changed = db.session.execute(
        sa.update(Appeal).where(Appeal.id == appeal.id, Appeal.status == "open")
        .values(status=outcome, decided_by_id=actor.id, decided_at=now, decision_reason=reason.strip())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        raise Conflict("Another admin decided this appeal a moment ago; reload to read their decision.")
    db.session.refresh(appeal)
    restored = ""
    if outcome == "overturned":
        restored = decision.restore(appeal, actor) or ""
        appeal.restored_summary = restored
    late = now > appeal.deadline_at
    audit.record("appeal.decided", actor=actor, subject_user=appeal.appellant_id, subject=appeal, reason=reason.strip(),
                 data={"kind": appeal.kind, "subject_id": appeal.subject_id, "outcome": outcome, "late": late})
    verdict = "overturned: the decision is reversed" if outcome == "overturned" else "upheld: the decision stands"
    body = f"Your appeal against: {appeal.description}\n\nwas {verdict}.\n\nWhy: {reason.strip()}"
    if restored:
        body += f"\n\nWhat is restored: {restored}"
    notices.notify(db.session.get(User, appeal.appellant_id), f"Your appeal was {outcome}", body,
                   link=links.appeal(appeal.id), category="appeal")
    return appeal


def get_appeal(appeal_id: int) -> Appeal:
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("There is no such appeal.")
    return appeal


def appeals_by(user_id: int) -> list[Appeal]:
    return list(db.session.scalars(sa.select(Appeal).where(Appeal.appellant_id == user_id)
                                   .order_by(Appeal.filed_at.desc(), Appeal.id.desc())))


def open_decisions_for(user: User, now: datetime) -> list[Decision]:
    """Decisions about `user` they may still appeal (from every kind that can list them)."""
    found = []
    for appealable in _KINDS.values():
        if appealable.lister is None:
            continue
        for subject_id in appealable.lister(user.id):
            decision = appealable.resolver(subject_id)
            if decision is not None and appealable_now(decision, user, now):
                found.append(decision)
    return sorted(found, key=lambda d: d.decided_at, reverse=True)


def queue(limit_decided: int = 50) -> tuple[list[Appeal], list[Appeal]]:
    """Open appeals, soonest deadline first, and the most recently decided ones."""
    open_ = list(db.session.scalars(sa.select(Appeal).where(Appeal.status == "open")
                                    .order_by(Appeal.deadline_at, Appeal.id)))
    decided = list(db.session.scalars(sa.select(Appeal).where(Appeal.status != "open")
                                      .order_by(Appeal.decided_at.desc()).limit(limit_decided)))
    return open_, decided


@dataclass(frozen=True)
class AppealFigures:
    open: int
    overdue: int
    decided: int
    median_hours_to_decision: float | None
    share_overturned: float | None


def figures(now: datetime) -> AppealFigures:
    """Open and overdue appeals now; median time to decision and share overturned over every decided appeal."""
    open_count = db.session.scalar(sa.select(sa.func.count()).where(Appeal.status == "open")) or 0
    overdue = db.session.scalar(sa.select(sa.func.count()).where(Appeal.status == "open",
                                                                 Appeal.deadline_at < now)) or 0
    decided = db.session.execute(sa.select(Appeal.filed_at, Appeal.decided_at, Appeal.status)
                                 .where(Appeal.status != "open")).all()
    hours = [(d - f).total_seconds() / 3600 for f, d, _ in decided]
    overturned = sum(1 for *_, status in decided if status == "overturned")
    return AppealFigures(open=open_count, overdue=overdue, decided=len(decided),
                         median_hours_to_decision=statistics.median(hours) if hours else None,
                         share_overturned=overturned / len(decided) if decided else None)


def escalate_due_appeals(now: datetime) -> int:
    """Tell every admin (once each) about open appeals whose deadline is near or past; returns notices sent.

    The decision-maker is told too: they cannot decide, but they can find a colleague who can. The
    (appeal, admin) primary key makes a repeated run, or a second scheduler, send nothing twice.
    """
    warn_hours = current_app.config["APPEAL_ESCALATE_HOURS"]
    admins = list(db.session.scalars(sa.select(User).where(User.role == Role.ADMIN.value)))
    sent = 0
    for appeal in db.session.scalars(sa.select(Appeal).where(Appeal.status == "open").order_by(Appeal.deadline_at)):
        if not needs_escalation(appeal.deadline_at, now, warn_hours):
            break  # ordered by deadline: the rest are further away
        told = set(db.session.scalars(sa.select(AppealEscalation.admin_id)
                                      .where(AppealEscalation.appeal_id == appeal.id)))
        for admin in admins:
            if admin.id in told:
                continue
            try:
                with db.session.begin_nested():
                    db.session.add(AppealEscalation(appeal_id=appeal.id, admin_id=admin.id, notified_at=now))
                    db.session.flush()
            except IntegrityError:
                continue  # another scheduler told this admin first
            state = "is overdue" if now > appeal.deadline_at else "is due soon"
            own = " You made the decision, so ask another admin to decide it." \
                if admin.id == appeal.decision_maker_id else ""
            notices.notify(admin, f"Appeal #{appeal.id} {state}",
                           f"The appeal against: {appeal.description}\nmust be decided by "
                           f"{for_reader(appeal.deadline_at, admin.timezone)}.{own}",
                           link=links.admin_appeal(appeal.id), category="appeal")
            sent += 1
    return sent
