"""Demo step for due process: the code of conduct, one warning, and an open appeal against it (idempotent)."""
from __future__ import annotations

import sqlalchemy as sa

from ..accounts.models import User
from ..extensions import db
from ..moderation import services
from ..moderation.rules import EvidenceItem

WARNED = "tom@trainers.example.com"
ISSUER = "admin@fairtrain.example.com"


def _user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def seed() -> None:
    services.load_data_file()
    db.session.flush()
    trainer, admin = _user(WARNED), _user(ISSUER)
    if trainer is None or admin is None or services.sanctions_of(trainer.id):
        return
    clause = next(c for c in services.current_clauses() if c.number == "1.3")
    warning = services.issue_sanction(
        trainer, admin, level="warning", clause_ids=[clause.id],
        reason="Your work sessions on the contract-law review job stayed open for 3 h 40 min on 24 November "
               "while no item was submitted; please close a session when you step away.",
        evidence=[EvidenceItem(None, "Work session on the contract-law review job, 24 November, open 14:05-17:45 UTC, "
                                     "0 items submitted"),
                  EvidenceItem(None, "Requester report from Aurora AI Lab, 25 November")])
    services.file_appeal(
        trainer, "sanction", warning.id,
        "I was working the whole time: the items on that job are 30-page contracts, and the job's instructions "
        "ask for a full read before answering. I submitted four answers just after 17:45 in one batch because "
        "the submit button timed out; the requester's own export shows them. Please check the submission times.")
