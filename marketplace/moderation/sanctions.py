"""Sanctions: warning -> temporary suspension -> permanent deactivation, with reasons, clauses and evidence."""
from __future__ import annotations

from datetime import datetime
from textwrap import shorten

import sqlalchemy as sa
from flask import current_app
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from ..accounts.models import User
from ..core import audit, notices
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.permissions import Role
from ..core.time import for_reader, utcnow
from ..extensions import db
from . import hooks, links
from .announce import clear_banners
from .appeals import Decision, register_appealable
from .conduct import current_version
from .models import ConductClause, Sanction, SanctionEvidence, sanction_clauses
from .rules import (LEVEL_LABELS, LEVELS, MAX_ID, SANCTION_REASON_MIN_CHARS, SCOPES, WRITTEN_REASON_MIN_CHARS,
                    EvidenceItem, is_blocking_level, is_safe_evidence_url, platform_status, written_enough)


def _leads_somewhere(url: str | None) -> bool:
    """A site path given as evidence must be one of our pages (a typo or an invented path would show the trainer
    a 404 where the evidence should be); outside links are the admin's to check."""
    if not url or not url.startswith("/"):
        return True
    path = url.split("?", 1)[0].split("#", 1)[0]
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except RequestRedirect:  # /jobs -> /jobs/: the page exists
        return True
    except HTTPException:  # no such page, or a path that only takes POST: nothing to show
        return False
    return True


def scope_label(sanction: Sanction) -> str:
    if sanction.scope == "platform":
        return "platform-wide"
    if sanction.scope == "requester":
        requester = db.session.get(User, sanction.scope_id)
        name = (requester.organisation or requester.display_name) if requester else f"requester #{sanction.scope_id}"
        return f"on {name}'s jobs"
    return f"on job #{sanction.scope_id}"


def title(sanction: Sanction) -> str:
    return f"{LEVEL_LABELS[sanction.level]} ({scope_label(sanction)})"


def clauses_without_prior_warning(user_id: int, clauses: list[ConductClause]) -> list[ConductClause]:
    """Cited clauses for which the person has no earlier warning that still stands (overturned ones don't count).

    Clauses are matched by number across versions, so a warning under version 1 counts for the same clause in 2.
    """
    warned = set(db.session.scalars(
        sa.select(ConductClause.number).join(sanction_clauses, sanction_clauses.c.clause_id == ConductClause.id)
        .join(Sanction, Sanction.id == sanction_clauses.c.sanction_id)
        .where(Sanction.user_id == user_id, Sanction.level == "warning", Sanction.status != "overturned")))
    return [c for c in clauses if c.number not in warned]


def issue_sanction(target: User, actor: User, *, level: str, reason: str, clause_ids: list[int],
                   evidence: list[EvidenceItem], scope: str = "platform", scope_id: int | None = None,
                   ends_at: datetime | None = None, is_severe: bool = False, severity_justification: str = "",
                   now: datetime | None = None) -> Sanction:
    """Issue a sanction.

    Rules: an admin issues it, never to themselves or another admin; a written reason of 50+ characters; one
    or more clauses of the code in force; one or more pieces of evidence; a temporary suspension ends in the
    future; a suspension or deactivation citing a clause with no earlier warning is marked severe with a
    written justification. Side effects: a platform-wide suspension sets User.status and runs the
    on_platform_suspension hooks (pay up to now); one audit row `sanction.issued`; a notice (inbox, e-mail,
    login banner) with reason, clauses, evidence, end date and how to appeal.
    """
    now = now or utcnow()
    if actor.role != Role.ADMIN:
        raise Forbidden("Only admins issue sanctions.")
    if target.id == actor.id:
        raise Forbidden("You cannot sanction yourself.")
    if target.role == Role.ADMIN:
        raise Forbidden("Admins cannot sanction another admin.")
    errors: dict[str, str] = {}
    if level not in LEVELS:
        errors["level"] = "Choose a warning, a temporary suspension or a permanent deactivation."
    if scope not in SCOPES:
        errors["scope"] = "Choose platform-wide, one job or one requester."
    elif scope == "platform":
        scope_id = None
    elif not scope_id or not 1 <= scope_id <= MAX_ID:
        errors["scope_id"] = f"Give the {scope}'s ID for a sanction limited to one {scope}."
    elif scope == "requester":
        requester = db.session.get(User, scope_id)
        if requester is None or requester.role != Role.REQUESTER:
            errors["scope_id"] = f"There is no requester with ID {scope_id}."
    if not written_enough(reason, SANCTION_REASON_MIN_CHARS):
        errors["reason"] = (f"Write the reason in at least {SANCTION_REASON_MIN_CHARS} characters "
                            f"(now {len((reason or '').strip())}): the trainer reads it.")
    version = current_version()
    chosen = [c for c in (version.clauses if version else []) if c.id in set(clause_ids or [])]
    if not clause_ids:
        errors["clause_ids"] = "Cite at least one clause of the code of conduct."
    elif len(chosen) != len(set(clause_ids)):
        errors["clause_ids"] = "Cite clauses of the code of conduct in force."
    if not evidence:
        errors["evidence"] = "Give at least one piece of evidence: a link to a task, gold failure, review or report."
    elif not all(is_safe_evidence_url(e.url) and (e.url or e.description.strip()) for e in evidence):
        errors["evidence"] = "Each piece of evidence needs words or a link starting with https://, http:// or /."
    elif broken := next((e.url for e in evidence if not _leads_somewhere(e.url)), None):
        errors["evidence"] = (f"The link {broken} leads to no page on FairTrain: the trainer could not open it. "
                              "Copy the address of the page (a task, timesheet, gold item or report), or describe it "
                              "in words.")
    if level == "temporary":
        if ends_at is None:
            errors["ends_at"] = "A temporary suspension needs an end date."
        elif ends_at <= now:
            errors["ends_at"] = "The end date must be in the future."
    else:
        ends_at = None
    missing_warnings = clauses_without_prior_warning(target.id, chosen) if is_blocking_level(level) else []
    if missing_warnings and not (is_severe and written_enough(severity_justification, WRITTEN_REASON_MIN_CHARS)):
        names = ", ".join(c.label for c in missing_warnings)
        errors["is_severe"] = (f"No earlier warning cites {names}. Mark the breach as severe and explain in "
                               f"{WRITTEN_REASON_MIN_CHARS}+ characters why a warning is not enough, or issue a "
                               "warning first.")
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors)
    severe = bool(missing_warnings) and is_severe
    sanction = Sanction(user_id=target.id, level=level, scope=scope, scope_id=scope_id, reason=reason.strip(),
                        is_severe=severe, severity_justification=severity_justification.strip() if severe else "",
                        issued_by_id=actor.id, issued_at=now, starts_at=now, ends_at=ends_at, status="active")
    sanction.clauses = chosen
    sanction.evidence = [SanctionEvidence(position=i, url=e.url, description=e.description)
                         for i, e in enumerate(evidence)]
    db.session.add(sanction)
    db.session.flush()
    if scope == "platform" and is_blocking_level(level):
        _refresh_platform_status(target)
        hooks.run_suspension_hooks(target, sanction)
    audit.record("sanction.issued", actor=actor, subject_user=target, subject=sanction, reason=sanction.reason,
                 data={"level": level, "scope": scope, "scope_id": scope_id, "clauses": [c.number for c in chosen],
                       "evidence": len(evidence), "ends_at": ends_at.isoformat() if ends_at else None,
                       "severe_without_warning": [c.number for c in missing_warnings] if severe else []})
    _notify_issued(target, sanction)
    return sanction


def _notify_issued(target: User, sanction: Sanction) -> None:
    window = current_app.config["APPEAL_WINDOW_DAYS"]
    zone = target.timezone  # times as the trainer's clock shows them
    lines = [f"An admin issued a {title(sanction).lower()} on {for_reader(sanction.issued_at, zone)}."]
    if sanction.level == "temporary":
        lines.append(f"It ends on {for_reader(sanction.ends_at, zone)}; your rights return automatically then.")
    lines += ["", f"Why: {sanction.reason}", "", "Rules of the code of conduct it relies on:"]
    lines += [f"  {c.number} {c.title}: {c.text}" for c in sanction.clauses]
    lines += ["", "Evidence:"]
    lines += [f"  - {' '.join(p for p in (e.url, e.description) if p)}" for e in sanction.evidence]
    if sanction.is_severe:
        lines += ["", f"Why no warning came first: {sanction.severity_justification}"]
    if is_blocking_level(sanction.level):
        lines += ["", "What you can still do: log in, read this decision, see and withdraw your earnings, and "
                      "appeal. Work already approved is paid, and work in progress is paid up to now."]
    lines += ["", f"How to appeal: open this decision and press \"Appeal\" within {window} days. An admin who did "
                  "not make this decision reads your appeal and decides in writing."]
    subject = {"warning": "You received a warning", "temporary": "Your account is suspended",
               "permanent": "Your account is deactivated"}[sanction.level]
    if sanction.scope != "platform":
        subject = f"{LEVEL_LABELS[sanction.level]} {scope_label(sanction)}"
    notices.notify(target, subject, "\n".join(lines), link=links.sanction(sanction.id), category="standing",
                   banner=True)


def _refresh_platform_status(user: User) -> None:
    """Set User.status from the active platform-wide sanctions, by compare-and-set on the status read."""
    levels = list(db.session.scalars(sa.select(Sanction.level).where(
        Sanction.user_id == user.id, Sanction.scope == "platform", Sanction.status == "active")))
    db.session.refresh(user, ["status"])
    new = platform_status(levels)
    if new == user.status:
        return
    changed = db.session.execute(sa.update(User).where(User.id == user.id, User.status == user.status)
                                 .values(status=new).execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict("This person's standing changed a moment ago; reload and try again.")
    db.session.refresh(user, ["status"])


def _end(sanction: Sanction, *, status: str, actor: User | None, reason: str, now: datetime,
         allowed_from: tuple[str, ...] = ("active",)) -> bool:
    """Compare-and-set the sanction's status; False when it had already moved on."""
    changed = db.session.execute(
        sa.update(Sanction).where(Sanction.id == sanction.id, Sanction.status.in_(allowed_from))
        .values(status=status, ended_at=now, ended_by_id=actor.id if actor else None, end_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return False
    db.session.refresh(sanction)
    user = db.session.get(User, sanction.user_id)
    if sanction.scope == "platform":
        _refresh_platform_status(user)
    clear_banners(user.id, links.sanction(sanction.id), now)
    return True


def lift_sanction(sanction: Sanction, actor: User, *, reason: str, now: datetime | None = None) -> Sanction:
    """End an active suspension or deactivation early, in writing. Side effects: standing restored when no
    other platform sanction remains; one audit row `sanction.lifted`; a notice to the person."""
    now = now or utcnow()
    if actor.role != Role.ADMIN:
        raise Forbidden("Only admins lift sanctions.")
    if not is_blocking_level(sanction.level):
        raise Conflict("A warning takes nothing away, so there is nothing to lift; it can be overturned on appeal.")
    if not written_enough(reason, WRITTEN_REASON_MIN_CHARS):
        raise ValidationFailed(f"Write why you lift it (at least {WRITTEN_REASON_MIN_CHARS} characters).",
                               field="reason")
    if not _end(sanction, status="lifted", actor=actor, reason=reason.strip(), now=now):
        raise Conflict(f"This sanction is no longer active ({sanction.status}).")
    audit.record("sanction.lifted", actor=actor, subject_user=sanction.user_id, subject=sanction,
                 reason=reason.strip(), data={"level": sanction.level, "scope": sanction.scope})
    person = db.session.get(User, sanction.user_id)
    notices.notify(person, f"{LEVEL_LABELS[sanction.level]} lifted",
                   f"An admin lifted your {title(sanction).lower()} on {for_reader(now, person.timezone)}.\n\n"
                   f"Why: {reason.strip()}", link=links.sanction(sanction.id), category="standing")
    return sanction


def expire_due_sanctions(now: datetime) -> int:
    """End temporary suspensions whose end date has passed; idempotent (compare-and-set per sanction).
    Side effects per sanction: standing restored, one audit row `sanction.expired`, a notice."""
    due = list(db.session.scalars(sa.select(Sanction).where(
        Sanction.status == "active", Sanction.level == "temporary", Sanction.ends_at <= now).order_by(Sanction.id)))
    count = 0
    for sanction in due:
        if not _end(sanction, status="expired", actor=None, reason="The end date passed.", now=now):
            continue
        audit.record("sanction.expired", actor=None, subject_user=sanction.user_id, subject=sanction,
                     reason=f"Temporary suspension ended on its end date ({sanction.ends_at:%-d %B %Y, %H:%M} UTC).",
                     data={"scope": sanction.scope, "scope_id": sanction.scope_id})
        person = db.session.get(User, sanction.user_id)
        notices.notify(person, "Your suspension has ended",
                       f"Your {title(sanction).lower()} ended on {for_reader(sanction.ends_at, person.timezone)}. "
                       "You can take new work again.", link=links.sanction(sanction.id), category="standing")
        count += 1
    return count


def get_sanction(sanction_id: int) -> Sanction:
    sanction = db.session.get(Sanction, sanction_id)
    if sanction is None:
        raise NotFound("There is no such sanction.")
    return sanction


def sanctions_of(user_id: int) -> list[Sanction]:
    return list(db.session.scalars(sa.select(Sanction).where(Sanction.user_id == user_id)
                                   .order_by(Sanction.issued_at.desc(), Sanction.id.desc())))


def recent_sanctions(limit: int = 100, active_only: bool = False) -> list[Sanction]:
    query = sa.select(Sanction).order_by(Sanction.issued_at.desc(), Sanction.id.desc()).limit(limit)
    if active_only:
        query = query.where(Sanction.status == "active")
    return list(db.session.scalars(query))


def _resolve(subject_id: int) -> Decision | None:
    sanction = db.session.get(Sanction, subject_id)
    if sanction is None:
        return None

    def restore(appeal, actor) -> str:
        was = sanction.status
        _end(sanction, status="overturned", actor=actor, reason=f"Overturned on appeal #{appeal.id}.",
             now=appeal.decided_at, allowed_from=("active", "expired", "lifted"))
        if is_blocking_level(sanction.level) and was == "active":
            scope = "your account is back in good standing" if sanction.scope == "platform" \
                else f"you may work {scope_label(sanction)} again"
            return f"The {LEVEL_LABELS[sanction.level].lower()} is overturned and {scope}; it no longer counts " \
                   "against you."
        return f"The {LEVEL_LABELS[sanction.level].lower()} is overturned and no longer counts against you."

    return Decision(kind="sanction", subject_id=sanction.id, concerns_user_id=sanction.user_id,
                    decided_by_id=sanction.issued_by_id, decided_at=sanction.issued_at,
                    description=f"{title(sanction)}: {shorten(sanction.reason, 160, placeholder='…')}",
                    link=links.sanction(sanction.id),
                    restore=restore)


def _list(user_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(Sanction.id).where(Sanction.user_id == user_id,
                                                                Sanction.status != "overturned")))


register_appealable("sanction", _resolve, label="sanction", lister=_list)
