"""Test data builders: small functions that make valid rows with sensible defaults."""
from __future__ import annotations

import itertools
from functools import lru_cache

from marketplace.accounts.models import TrainerExpertise, TrainerLanguage, User
from marketplace.accounts.passwords import hash_password
from marketplace.extensions import db

DEFAULT_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def _default_hash() -> str:
    # argon2 is deliberately slow; hash the shared test password once per run.
    return hash_password(DEFAULT_PASSWORD)


def make_user(role: str = "worker", *, email: str | None = None, password: str | None = None,
              display_name: str | None = None, country: str | None = "GB", languages=(("en", "native"),),
              expertise=(), status: str = "active", commit: bool = True, **fields) -> User:
    n = next(_counter)
    user = User(email=email or f"{role}{n}@example.com", role=role,
                password_hash=hash_password(password) if password else _default_hash(),
                display_name=display_name or f"{role.capitalize()} {n}", status=status,
                country=country if role == "worker" else fields.pop("country_override", None), **fields)
    if role == "worker":
        user.languages = [TrainerLanguage(code=c, proficiency=p) for c, p in languages]
        user.expertise = [TrainerExpertise(area=a, detail=[]) for a in expertise]
    db.session.add(user)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return user


def make_trainer(**kw) -> User:
    return make_user("worker", **kw)


def make_requester(**kw) -> User:
    kw.setdefault("organisation", "Test Lab")
    return make_user("requester", **kw)


def make_admin(**kw) -> User:
    return make_user("admin", **kw)


# Due process (moderation room).
SANCTION_REASON = ("Submitted 40 answers in 90 seconds on the sentiment job, far too fast to have read the posts; "
                   "12 of 14 gold items were wrong.")
SEVERITY_REASON = "Deliberate fraud on paid work: a warning would not protect the requester."


def publish_conduct():
    """The repository's code of conduct as version 1 (idempotent); returns the version in force."""
    from marketplace.moderation import services
    services.load_data_file()
    db.session.commit()
    return services.current_version()


def clause_ids(*numbers: str) -> list[int]:
    from marketplace.moderation import services
    by_number = {c.number: c.id for c in services.current_clauses()}
    return [by_number[n] for n in numbers]


def make_sanction(target, admin, *, level: str = "warning", clauses=("1.1",), ends_at=None, scope: str = "platform",
                  scope_id=None, severe: bool | None = None, reason: str = SANCTION_REASON, now=None,
                  commit: bool = True):
    """Issue a sanction through the service (so every rule applies); suspensions skip the warning as severe."""
    from marketplace.moderation import services
    from marketplace.moderation.rules import EvidenceItem
    publish_conduct()
    if severe is None:
        severe = level != "warning"
    sanction = services.issue_sanction(
        target, admin, level=level, reason=reason, clause_ids=clause_ids(*clauses),
        evidence=[EvidenceItem("/tasks/812", "40 answers in 90 seconds"), EvidenceItem(None, "Gold report #77")],
        scope=scope, scope_id=scope_id, ends_at=ends_at, is_severe=severe,
        severity_justification=SEVERITY_REASON if severe else "", now=now)
    if commit:
        db.session.commit()
    return sanction
