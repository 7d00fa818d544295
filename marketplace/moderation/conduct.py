"""The code of conduct: versions with numbered clauses; publishing a version announces it to every trainer."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

from ..accounts.models import User
from ..core import audit
from ..core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..core.permissions import Role
from ..core.time import utcnow
from ..extensions import db
from . import links
from .announce import announce
from .conduct_text import ConductFormatError, format_clauses, parse
from .models import ConductClause, ConductVersion
from .rules import WRITTEN_REASON_MIN_CHARS, written_enough

DATA_FILE = Path(__file__).resolve().parent / "data" / "code-of-conduct.txt"


def current_version() -> ConductVersion | None:
    """The version in force: the newest published one."""
    return db.session.scalar(sa.select(ConductVersion).order_by(ConductVersion.number.desc()).limit(1))


def get_version(number: int) -> ConductVersion:
    found = db.session.scalar(sa.select(ConductVersion).where(ConductVersion.number == number))
    if found is None:
        raise NotFound(f"There is no version {number} of the code of conduct.")
    return found


def all_versions() -> list[ConductVersion]:
    return list(db.session.scalars(sa.select(ConductVersion).order_by(ConductVersion.number.desc())))


def current_clauses() -> list[ConductClause]:
    version = current_version()
    return list(version.clauses) if version else []


def editable_text(version: ConductVersion | None = None) -> str:
    version = version or current_version()
    if version is None:
        return DATA_FILE.read_text()
    return format_clauses(version.clauses)


def publish_version(text: str, *, summary: str, actor: User | None, now: datetime | None = None) -> ConductVersion:
    """Publish a new version from its plain text (format in conduct_text.py).

    Rules: only an admin (or the platform itself, loading the repository's file) publishes; the text parses into
    numbered clauses; a later version says in writing what changed and differs from the one in force.
    Side effects: one audit row `conduct.published`; a notice (inbox and e-mail) to every trainer with the date.
    """
    now = now or utcnow()
    if actor is not None and actor.role != Role.ADMIN:
        raise Forbidden("Only admins publish the code of conduct.")
    try:
        clauses = parse(text)
    except ConductFormatError as exc:
        raise ValidationFailed(str(exc), field="text") from exc
    previous = current_version()
    if previous is not None:
        if not written_enough(summary, WRITTEN_REASON_MIN_CHARS):
            raise ValidationFailed(f"Say what changed, in at least {WRITTEN_REASON_MIN_CHARS} characters: "
                                   "trainers read this in the announcement.", field="summary")
        if [(c.number, c.title, c.text) for c in previous.clauses] == [(c.number, c.title, c.text) for c in clauses]:
            raise Conflict("This text is the same as the version in force; change a clause before publishing.",
                           field="text")
    number = (previous.number + 1) if previous else 1
    version = ConductVersion(number=number, published_at=now, published_by_id=actor.id if actor else None,
                             summary=(summary or "").strip() or "First published version.")
    version.clauses = [ConductClause(position=i, number=c.number, title=c.title, text=c.text)
                       for i, c in enumerate(clauses)]
    db.session.add(version)
    db.session.flush()
    audit.record("conduct.published", actor=actor, subject=version, reason=version.summary,
                 data={"version": number, "clauses": [c.number for c in clauses]})
    date = now.strftime("%-d %B %Y")
    announce(User.role == Role.WORKER.value,
             f"Code of conduct version {number}, in force from {date}",
             f"FairTrain published version {number} of the code of conduct on {date}; it applies from that date.\n\n"
             f"What changed: {version.summary}\n\n"
             "Every warning or suspension cites the clauses it relies on, so please read them.",
             now=now, link=links.conduct_version(number), category="conduct")
    return version


def load_data_file(path: Path = DATA_FILE) -> ConductVersion | None:
    """Publish the repository's code of conduct as version 1 when none exists yet; otherwise do nothing."""
    if current_version() is not None:
        return None
    return publish_version(path.read_text(), summary="First published version.", actor=None)
