"""This room's sections of My record: sanctions, appeals with their outcomes, and requester blocks."""
from __future__ import annotations

from ..accounts.models import User
from ..core.record import RecordItem, register_section
from ..core.time import for_reader
from ..extensions import db
from . import links
from .appeals import appeals_by, appeal_for, kind_label
from .blocks import blocks_of, requester_name
from .sanctions import sanctions_of, title


def person_label(user_id: int | None) -> str:
    if user_id is None:
        return "FairTrain (automatic rule)"
    user = db.session.get(User, user_id)
    return f"{user.display_name} ({user.role_label})" if user else "a former account"


def _short(text: str, length: int = 70) -> str:
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + "…"


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _zone(user_id: int) -> str | None:
    """The record's times are the person's clock (their profile's zone), as on their pages."""
    user = db.session.get(User, user_id)
    return user.timezone if user else None


def _appeal_outcome(kind: str, subject_id: int, zone: str | None) -> str:
    appeal = appeal_for(kind, subject_id)
    if appeal is None:
        return ""
    if appeal.is_open:
        return (f"Appealed on {appeal.filed_at:%-d %b %Y}; decision due by "
                f"{for_reader(appeal.deadline_at, zone, '%-d %b %Y, %H:%M')}.")
    return f"Appeal {appeal.status} on {appeal.decided_at:%-d %b %Y} by {person_label(appeal.decided_by_id)}: " \
           f"{appeal.decision_reason}"


def sanction_items(user_id: int) -> list[RecordItem]:
    items, zone = [], _zone(user_id)
    for s in sanctions_of(user_id):
        until = f" until {for_reader(s.ends_at, zone, '%-d %b %Y, %H:%M')}" if s.ends_at else ""
        state = {"active": f"Active{until}.",
                 "expired": f"Ended on {s.ended_at:%-d %b %Y}." if s.ended_at else "Ended.",
                 "lifted": f"Lifted on {s.ended_at:%-d %b %Y} by {person_label(s.ended_by_id)}: {s.end_reason}"
                 if s.ended_at else "Lifted.",
                 "overturned": ""}[s.status]  # the appeal's outcome says it all
        clauses = ", ".join(c.number for c in s.clauses)
        items.append(RecordItem(when=s.issued_at, what=f"{title(s)}, citing {clauses}",
                                decided_by=person_label(s.issued_by_id), reason=s.reason,
                                outcome=_join(state, _appeal_outcome("sanction", s.id, zone)), link=links.sanction(s.id)))
    return items


def appeal_items(user_id: int) -> list[RecordItem]:
    items, zone = [], _zone(user_id)
    for a in appeals_by(user_id):
        if a.is_open:
            outcome = f"Open: a different admin decides by {for_reader(a.deadline_at, zone, '%-d %b %Y, %H:%M')}."
        else:
            outcome = f"{a.status.capitalize()} on {a.decided_at:%-d %b %Y} by {person_label(a.decided_by_id)}: " \
                      f"{a.decision_reason}" + (f" Restored: {a.restored_summary}" if a.restored_summary else "")
        what = f"Your appeal against a {kind_label(a.kind)}: {_short(a.description)}"
        items.append(RecordItem(when=a.filed_at, what=what,
                                decided_by=person_label(a.decided_by_id) if a.decided_by_id else "not yet decided",
                                reason=a.text, outcome=outcome, link=links.appeal(a.id)))
    return items


def block_items(user_id: int) -> list[RecordItem]:
    items, zone = [], _zone(user_id)
    for b in blocks_of(user_id):
        state = {"active": "Active.", "lifted": f"Lifted: {b.end_reason}", "overturned": ""}
        items.append(RecordItem(when=b.created_at, what=f"Blocked from {requester_name(b.requester)}'s jobs",
                                decided_by=person_label(b.requester_id), reason=b.reason,
                                outcome=_join(state[b.status], _appeal_outcome("requester_block", b.id, zone)),
                                link=links.block(b.id)))
    return items


register_section("sanctions", "Warnings and suspensions", sanction_items, order=10)
register_section("appeals", "Appeals", appeal_items, order=20)
register_section("blocks", "Requester blocks", block_items, order=30)
