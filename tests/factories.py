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


def make_job(requester=None, *, kind: str = "classification", status: str = "draft", config=None,
             tasks: int = 0, commit: bool = True, **fields):
    """A job (draft by default) with a valid configuration for its kind and, optionally, `tasks` tasks."""
    from marketplace.jobs.kinds import KINDS, validate_config
    from marketplace.jobs.models import Job, Task

    requester = requester or make_requester()
    values = {"title": f"{kind.replace('_', ' ').capitalize()} job", "hourly_rate_cents": 2000,
              "budget_cents": 10_000, "est_minutes_per_task": 5}
    values.update(fields)
    job = Job(requester_id=requester.id, kind=kind, status=status,
              config=validate_config(kind, config or KINDS[kind].example_config), **values)
    db.session.add(job)
    db.session.flush()
    if tasks:
        example = KINDS[kind].example_task
        if kind == "bounding_boxes":
            example = {"image": f"images/job-{job.id}/x.png", "width": 640, "height": 480, "original_name": "x.png"}
        db.session.add_all([Task(job_id=job.id, seq=i + 1, payload=dict(example), external_id=f"t{i + 1}")
                            for i in range(tasks)])
        job.task_count = tasks
    if commit:
        db.session.commit()
    return job
