"""Demo step for the work engine: the jobs room's demo jobs open to trainers, with some answers already in, so
My work, the work page and the requester's progress page show real activity. Idempotent.

The jobs step publishes its jobs only when the payments room holds their budgets in escrow. Where payments is
not installed (a partial build), this step publishes them itself, in demo mode only, so that My work has work
to show; with payments installed it publishes nothing.
"""
from __future__ import annotations

import json
import logging
from datetime import timedelta

import sqlalchemy as sa

from ..accounts.models import User
from ..assignment import services as work
from ..assignment.models import Assignment
from ..core import audit
from ..core.errors import DomainError
from ..core.time import utcnow
from ..extensions import db
from ..jobs import services as jobs
from ..jobs import states as job_states
from ..jobs.models import Job
from .jobs import DATA

log = logging.getLogger(__name__)

HATE_SPEECH = "hate_speech"
# (trainer, answers to the first posts, hours ago): Amara holds the hate-speech qualification (her attempt was
# reviewed and approved in the assessments step) and has the trust-and-safety expertise the job asks for.
ANSWERS = [("amara@trainers.example.com", 3, [
    ("Neither", "A complaint about a bus service; nobody is attacked."),
    ("Hate speech", "Says Muslims do not belong and should be sent away: exclusion for their religion."),
    ("Offensive, not hate speech", "Mocks one footballer's skill; no protected group is targeted."),
])]
def _demo_jobs() -> dict[str, Job]:
    found = {}
    for key, spec in json.loads(DATA.read_text(encoding="utf-8")).items():
        job = db.session.scalar(sa.select(Job).join(User, User.id == Job.requester_id).where(
            User.email == spec["requester"], Job.title == spec["job"]["title"]))
        if job is not None:
            found[key] = job
    return found


def _open_without_payments(demo: dict[str, Job]) -> None:
    if jobs.money_is_wired():
        return
    now = utcnow()
    for job in demo.values():
        if job.status == job_states.DRAFT and job.task_count:
            db.session.execute(sa.update(Job).where(Job.id == job.id, Job.status == job_states.DRAFT)
                               .values(status=job_states.PUBLISHED, published_at=now - timedelta(days=1),
                                       updated_at=now))
            audit.record("jobs.published", actor=None, subject=job,
                         reason="Demo: published without escrow because the payments room is not installed.")
    db.session.flush()
    db.session.expire_all()
    log.info("demo: payments not installed; demo jobs opened to trainers without escrow (simulated money)")


def seed() -> None:
    """Open the demo jobs (see above) and let a qualified trainer answer the first hate-speech posts."""
    demo = _demo_jobs()
    _open_without_payments(demo)
    job = demo.get(HATE_SPEECH)
    if job is None or job.status != job_states.PUBLISHED or db.session.scalar(
            sa.select(Assignment.id).where(Assignment.job_id == job.id).limit(1)):
        return
    now = utcnow()
    for email, hours_ago, answers in ANSWERS:
        trainer = db.session.scalar(sa.select(User).where(User.email == email))
        if trainer is None:
            continue
        try:
            jobs.accept_content_warning(job, trainer)
            for i, (label, why) in enumerate(answers):
                when = now - timedelta(hours=hours_ago, minutes=-3 * i)
                # The answers are written for the first posts, which carry gold answers: ask for gold tasks so
                # the quality room's gold mix hands out exactly those, in order (a gold claim walks gold by seq).
                held = work.claim_next(job, trainer, now=when, want_gold=True)[0]
                work.submit(held.id, trainer, {"labels": [label], "justification": why},
                            now=when + timedelta(minutes=1, seconds=20))
        except DomainError as exc:  # e.g. the trainer lacks the qualification in this build
            log.warning("demo: %s cannot answer %r: %s", email, job.title, exc.message)
            db.session.rollback()
            return
